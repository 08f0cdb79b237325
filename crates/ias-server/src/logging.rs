//! The server's JSON log: bunyan lines on stderr, written off the request path.
//!
//! A record is formatted where it is logged (no I/O there) and handed to a
//! bounded queue; one writer thread writes what is queued, many records in one
//! `write(2)` when they pile up. When the queue is full — the process reading
//! stderr is slow or stopped — records are dropped and counted, never waited
//! for, and once writing works again a `log records dropped` line says how
//! many. [`LogHandle::flush`] writes what is queued before exit, within a time
//! bound (a stalled reader cannot hold the exit).
//!
//! What is written is bounded too: a logged `uri` loses its query string (a
//! code sent as `?code=` never reaches the log) and any field longer than
//! [`MAX_FIELD_BYTES`] is cut.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use slog::{Key, OwnedKVList, Record, Serializer as _, KV};

/// Records the queue holds while the writer is behind; past it they are dropped.
pub const QUEUE_RECORDS: usize = 4096;
/// A logged field (a message or a value) longer than this is cut.
pub const MAX_FIELD_BYTES: usize = 512;
/// Records written in one `write(2)`, at most, in bytes (about).
const BATCH_BYTES: usize = 64 * 1024;

enum Message {
    Line(Vec<u8>),
    Flush(mpsc::Sender<()>),
}

/// What the writer and the loggers share.
struct Shared {
    /// Records dropped since start (the `ias_log_records_dropped_total` counter).
    dropped: AtomicU64,
    header: Header,
}

/// The fixed part of every line.
struct Header {
    name: &'static str,
    hostname: String,
    pid: u32,
}

/// The bunyan JSON drain: formats records and queues them.
pub struct JsonDrain {
    tx: SyncSender<Message>,
    shared: Arc<Shared>,
    level: slog::Level,
}

/// Control of the writer: flush before exit, and the drop count.
#[derive(Clone)]
pub struct LogHandle {
    tx: SyncSender<Message>,
    shared: Arc<Shared>,
}

/// A bunyan drain writing to `out` from a thread of its own (stderr in the
/// server; anything in tests).
pub fn json_drain(
    name: &'static str,
    level: slog::Level,
    out: impl std::io::Write + Send + 'static,
) -> std::io::Result<(JsonDrain, LogHandle)> {
    let (tx, rx) = mpsc::sync_channel(QUEUE_RECORDS);
    let shared = Arc::new(Shared {
        dropped: AtomicU64::new(0),
        header: Header {
            name,
            hostname: hostname(),
            pid: std::process::id(),
        },
    });
    let writer_shared = Arc::clone(&shared);
    std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || write_lines(rx, out, &writer_shared))?;
    let handle = LogHandle {
        tx: tx.clone(),
        shared: Arc::clone(&shared),
    };
    Ok((JsonDrain { tx, shared, level }, handle))
}

impl LogHandle {
    /// Records dropped since start because the log reader was behind.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Waits until everything queued before the call is written, for at most
    /// `timeout`; `false` when the time ran out (stderr is not being read).
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (ack, done) = mpsc::channel();
        let mut message = Message::Flush(ack);
        loop {
            match self.tx.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Disconnected(_)) => return false,
                Err(TrySendError::Full(m)) => {
                    if Instant::now() >= deadline {
                        return false;
                    }
                    message = m;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        done.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }
}

impl slog::Drain for JsonDrain {
    type Ok = ();
    type Err = slog::Never;

    fn log(&self, record: &Record<'_>, values: &OwnedKVList) -> Result<(), slog::Never> {
        if !record.level().is_at_least(self.level) {
            return Ok(());
        }
        let line = self.shared.header.line(
            record.level(),
            |out| {
                let _ = write!(out, "{}", record.msg());
            },
            |ser| {
                let _ = record.kv().serialize(record, ser);
                let _ = values.serialize(record, ser);
            },
        );
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            self.tx.try_send(Message::Line(line))
        {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// The writer thread: takes what is queued, writes it in as few calls as it
/// can, and reports drops once writing works again.
fn write_lines(rx: Receiver<Message>, mut out: impl std::io::Write, shared: &Shared) {
    let mut batch = Vec::with_capacity(BATCH_BYTES);
    let mut acks = Vec::new();
    let mut reported = 0u64;
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Line(line) => batch.extend_from_slice(&line),
                Message::Flush(ack) => acks.push(ack),
            }
            if batch.len() < BATCH_BYTES {
                next = rx.try_recv().ok();
            }
        }
        let dropped = shared.dropped.load(Ordering::Relaxed);
        if dropped > reported {
            let line = shared.header.line(
                slog::Level::Warning,
                |out| out.push_str("log records dropped"),
                |ser| {
                    let _ = ser.emit_u64("dropped".into(), dropped - reported);
                    let _ = ser.emit_u64("dropped_total".into(), dropped);
                    let _ = ser.emit_str(
                        "reason".into(),
                        "the process reading stderr did not keep up; records were dropped, not waited for",
                    );
                },
            );
            batch.extend_from_slice(&line);
            reported = dropped;
        }
        // A failed write loses these lines; nothing else can be done with them.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

impl Header {
    /// One JSON line: bunyan's core fields, then the key-values.
    fn line(
        &self,
        level: slog::Level,
        msg: impl FnOnce(&mut String),
        kv: impl FnOnce(&mut JsonFields),
    ) -> Vec<u8> {
        let mut fields = JsonFields {
            out: String::with_capacity(384),
            scratch: String::new(),
        };
        fields.out.push_str("{\"msg\":");
        msg(&mut fields.scratch);
        let text = std::mem::take(&mut fields.scratch);
        fields.string(&text);
        let _ = write!(
            fields.out,
            ",\"v\":0,\"name\":\"{}\",\"level\":{},\"time\":\"{}\",\"hostname\":",
            self.name,
            bunyan_level(level),
            humantime::format_rfc3339_millis(SystemTime::now()),
        );
        fields.string(&self.hostname);
        let _ = write!(fields.out, ",\"pid\":{}", self.pid);
        kv(&mut fields);
        fields.out.push_str("}\n");
        fields.out.into_bytes()
    }
}

fn bunyan_level(level: slog::Level) -> u8 {
    match level {
        slog::Level::Critical => 60,
        slog::Level::Error => 50,
        slog::Level::Warning => 40,
        slog::Level::Info => 30,
        slog::Level::Debug => 20,
        slog::Level::Trace => 10,
    }
}

/// Serializes key-values as `,"key":value`.
struct JsonFields {
    out: String,
    scratch: String,
}

impl JsonFields {
    fn key(&mut self, key: &str) {
        self.out.push(',');
        self.string(key);
        self.out.push(':');
    }

    /// A JSON string, cut to `MAX_FIELD_BYTES` (at a character boundary).
    fn string(&mut self, s: &str) {
        let s = cut(s);
        // serde_json escapes exactly as JSON needs.
        let quoted = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        self.out.push_str(&quoted);
    }

    fn raw(&mut self, key: Key, value: impl std::fmt::Display) -> slog::Result {
        self.key(key.as_ref());
        let _ = write!(self.out, "{value}");
        Ok(())
    }
}

fn cut(s: &str) -> &str {
    if s.len() <= MAX_FIELD_BYTES {
        return s;
    }
    let mut end = MAX_FIELD_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl slog::Serializer for JsonFields {
    fn emit_arguments(&mut self, key: Key, value: &std::fmt::Arguments<'_>) -> slog::Result {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        let _ = write!(text, "{value}");
        let result = self.emit_str(key, &text);
        self.scratch = text;
        result
    }

    fn emit_str(&mut self, key: Key, value: &str) -> slog::Result {
        // A URI is logged without its query: a credential sent there by
        // mistake must not reach the log.
        let value = if key == "uri" {
            value.split_once('?').map_or(value, |(path, _)| path)
        } else {
            value
        };
        self.key(key.as_ref());
        self.string(value);
        Ok(())
    }

    fn emit_unit(&mut self, key: Key) -> slog::Result {
        self.raw(key, "null")
    }
    fn emit_none(&mut self, key: Key) -> slog::Result {
        self.raw(key, "null")
    }
    fn emit_bool(&mut self, key: Key, value: bool) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_usize(&mut self, key: Key, value: usize) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_isize(&mut self, key: Key, value: isize) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_u8(&mut self, key: Key, value: u8) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_i8(&mut self, key: Key, value: i8) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_u16(&mut self, key: Key, value: u16) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_i16(&mut self, key: Key, value: i16) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_u32(&mut self, key: Key, value: u32) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_i32(&mut self, key: Key, value: i32) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_u64(&mut self, key: Key, value: u64) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_i64(&mut self, key: Key, value: i64) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_u128(&mut self, key: Key, value: u128) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_i128(&mut self, key: Key, value: i128) -> slog::Result {
        self.raw(key, value)
    }
    fn emit_f32(&mut self, key: Key, value: f32) -> slog::Result {
        self.emit_f64(key, f64::from(value))
    }
    fn emit_f64(&mut self, key: Key, value: f64) -> slog::Result {
        if value.is_finite() {
            self.raw(key, value)
        } else {
            self.raw(key, "null")
        }
    }
}

/// The host's name, as bunyan records it.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "n/a".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A writer tests can read, or stall.
    #[derive(Clone, Default)]
    struct Sink {
        bytes: Arc<Mutex<Vec<u8>>>,
        gate: Arc<Mutex<()>>,
    }

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _open = self.gate.lock().unwrap();
            self.bytes.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn lines(&self) -> Vec<serde_json::Value> {
            String::from_utf8(self.bytes.lock().unwrap().clone())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).expect("every line is JSON"))
                .collect()
        }
    }

    fn logger(sink: &Sink) -> (slog::Logger, LogHandle) {
        let (drain, handle) = json_drain("test", slog::Level::Info, sink.clone()).unwrap();
        use slog::Drain as _;
        (slog::Logger::root(drain.fuse(), slog::o!()), handle)
    }

    #[test]
    fn bunyan_fields_query_free_uri_and_cut_fields() {
        let sink = Sink::default();
        let (log, handle) = logger(&sink);
        let long = "x".repeat(2000);
        let child =
            log.new(slog::o!("uri" => "/oauth/token?code=gho_secret_code", "req_id" => "r1"));
        slog::info!(child, "request completed"; "response_code" => 200u16, "long" => &long, "ok" => true);
        slog::debug!(log, "below the level");
        assert!(handle.flush(Duration::from_secs(5)));
        let lines = sink.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        let l = &lines[0];
        assert_eq!(l["msg"], "request completed");
        assert_eq!((l["v"].as_u64(), l["level"].as_u64()), (Some(0), Some(30)));
        assert_eq!(l["name"], "test");
        assert!(l["time"].as_str().unwrap().ends_with('Z'));
        assert_eq!(l["pid"], std::process::id());
        assert_eq!(l["uri"], "/oauth/token");
        assert_eq!(l["req_id"], "r1");
        assert_eq!(l["response_code"], 200);
        assert_eq!(l["ok"], true);
        assert_eq!(l["long"].as_str().unwrap().len(), MAX_FIELD_BYTES);
        assert!(!String::from_utf8(sink.bytes.lock().unwrap().clone())
            .unwrap()
            .contains("gho_secret_code"));
    }

    #[test]
    fn a_stalled_writer_costs_records_not_callers_and_says_how_many() {
        let sink = Sink::default();
        let (log, handle) = logger(&sink);
        let stall = sink.gate.lock().unwrap();
        let started = Instant::now();
        let total = QUEUE_RECORDS * 3;
        for i in 0..total {
            slog::info!(log, "record"; "i" => i);
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "logging waited for the writer: {:?}",
            started.elapsed()
        );
        assert!(
            !handle.flush(Duration::from_millis(100)),
            "flush is bounded"
        );
        let dropped = handle.dropped();
        // The queue holds QUEUE_RECORDS; the writer holds one batch, blocked.
        assert!(dropped >= (total - 2 * QUEUE_RECORDS) as u64, "{dropped}");
        drop(stall);
        assert!(handle.flush(Duration::from_secs(5)), "writing works again");
        slog::info!(log, "after");
        assert!(handle.flush(Duration::from_secs(5)));
        let lines = sink.lines();
        let report = lines
            .iter()
            .find(|l| l["msg"] == "log records dropped")
            .expect("a line says records were dropped");
        assert_eq!(report["dropped_total"], handle.dropped());
        assert_eq!(report["level"], 40);
        assert_eq!(
            lines.iter().filter(|l| l["msg"] == "record").count() as u64 + handle.dropped(),
            total as u64,
            "every record is written or counted"
        );
        assert_eq!(lines.last().unwrap()["msg"], "after");
    }
}
