//! The server's JSON log: bunyan lines on stderr, written off the request path.
//!
//! A record is formatted where it is logged (no I/O there) and appended to a
//! bounded buffer ([`BUFFER_BYTES`]); one writer thread lets lines gather for
//! [`WRITE_INTERVAL`] — less when a flush is wanted or the buffer reaches half
//! full — and writes them with one `write(2)`. Loggers wake the writer only
//! when the buffer was empty or reaches half full, so a busy server pays about
//! a hundred wake-ups a second for its log, not one per line, and an idle one
//! none. When the buffer is full — the process reading stderr is slow or
//! stopped — records are dropped and counted, never waited for, and once
//! writing works again a `log records dropped` line says how many.
//! [`LogHandle::flush`] writes what is buffered before exit, within a
//! time bound (a stalled reader cannot hold the exit).
//!
//! What is written is bounded too: a logged `uri` loses its query string (a
//! code sent as `?code=` never reaches the log) and any field longer than
//! [`MAX_FIELD_BYTES`] is cut.
//!
//! [`logger`] is the server's one pipeline (stderr); [`logger_to`] is the same
//! to another writer (the test harness keeps the lines).

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use slog::{Key, OwnedKVList, Record, Serializer as _, KV};

/// Bytes of log the buffer holds while the writer is behind; a record that
/// does not fit is dropped.
pub const BUFFER_BYTES: usize = 1 << 20;
/// What gathers in this time is written in one go.
pub const WRITE_INTERVAL: Duration = Duration::from_millis(10);
/// A logged field (a message or a value) longer than this is cut.
pub const MAX_FIELD_BYTES: usize = 512;

/// What the loggers and the writer share.
struct Shared {
    buffer: Mutex<Buffer>,
    /// Wakes the writer: the buffer was empty, is half full, or a flush is wanted.
    work: Condvar,
    /// Wakes flushers: `Buffer::flushed` moved.
    flushed: Condvar,
    /// Records dropped since start (the `ias_log_records_dropped_total` counter).
    dropped: AtomicU64,
    header: Header,
    /// How long the writer lets lines gather ([`WRITE_INTERVAL`]).
    interval: Duration,
}

struct Buffer {
    bytes: Vec<u8>,
    /// Flushes asked for, and done (the writer wrote what was there when asked).
    flush_wanted: u64,
    flushed: u64,
}

/// The fixed part of every line.
struct Header {
    name: &'static str,
    hostname: String,
    pid: u32,
}

/// The bunyan JSON drain: formats records and buffers them.
pub struct JsonDrain {
    shared: Arc<Shared>,
    level: slog::Level,
}

/// Control of the writer: flush before exit, and the drop count.
#[derive(Clone)]
pub struct LogHandle {
    shared: Arc<Shared>,
}

/// A bunyan drain writing to `out` from a thread of its own (stderr in the
/// server; anything in tests).
pub fn json_drain(
    name: &'static str,
    level: slog::Level,
    out: impl std::io::Write + Send + 'static,
) -> std::io::Result<(JsonDrain, LogHandle)> {
    json_drain_every(name, level, out, WRITE_INTERVAL)
}

/// [`json_drain`], gathering lines for `interval` (tests use a long one to
/// see what cuts the wait short).
fn json_drain_every(
    name: &'static str,
    level: slog::Level,
    out: impl std::io::Write + Send + 'static,
    interval: Duration,
) -> std::io::Result<(JsonDrain, LogHandle)> {
    let shared = Arc::new(Shared {
        buffer: Mutex::new(Buffer {
            bytes: Vec::with_capacity(64 * 1024),
            flush_wanted: 0,
            flushed: 0,
        }),
        work: Condvar::new(),
        flushed: Condvar::new(),
        dropped: AtomicU64::new(0),
        header: Header {
            name,
            hostname: hostname(),
            pid: std::process::id(),
        },
        interval,
    });
    let writer_shared = Arc::clone(&shared);
    std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || write_lines(out, &writer_shared))?;
    let handle = LogHandle {
        shared: Arc::clone(&shared),
    };
    Ok((JsonDrain { shared, level }, handle))
}

/// The server's log, and its writer.
#[derive(Clone)]
pub struct ServerLog {
    /// The logger to hand out.
    pub log: slog::Logger,
    writer: LogHandle,
}

impl ServerLog {
    /// Writes what is queued, for at most `timeout` (call before exit).
    pub fn flush(&self, timeout: Duration) -> bool {
        self.writer.flush(timeout)
    }

    /// The writer's handle (the drop count, for the metrics).
    pub fn handle(&self) -> &LogHandle {
        &self.writer
    }
}

/// The server's logger: JSON (bunyan) lines on stderr, written off the request
/// path, whatever stderr is (a terminal too: `docker run -t`, `tty: true`),
/// since this drain is where query strings are stripped and long fields cut.
/// At `info` there is one line per request: dropshot's per-connection line is
/// `debug` under a connection policy (the dropshot patch).
pub fn logger(config: &crate::Config) -> anyhow::Result<ServerLog> {
    logger_to(config, std::io::stderr())
}

/// [`logger`], writing to `out`.
pub fn logger_to(
    config: &crate::Config,
    out: impl std::io::Write + Send + 'static,
) -> anyhow::Result<ServerLog> {
    use slog::Drain as _;
    let (json, writer) = json_drain("ias-server", slog::Level::from(&config.log_level), out)
        .map_err(|e| anyhow::anyhow!("cannot start the log writer thread: {e}"))?;
    Ok(ServerLog {
        log: slog::Logger::root(json.fuse(), slog::o!()),
        writer,
    })
}

impl Shared {
    fn buffer(&self) -> MutexGuard<'_, Buffer> {
        // A panic while appending leaves at worst a cut line; keep logging.
        self.buffer.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl LogHandle {
    /// Records dropped since start because the log reader was behind.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Waits until everything buffered before the call is written, for at
    /// most `timeout`; `false` when the time ran out (stderr is not being read).
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut buffer = self.shared.buffer();
        buffer.flush_wanted += 1;
        let wanted = buffer.flush_wanted;
        self.shared.work.notify_one();
        while buffer.flushed < wanted {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            buffer = self
                .shared
                .flushed
                .wait_timeout(buffer, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}

thread_local! {
    /// Each thread formats its records here, then copies them into the buffer.
    static LINE: RefCell<String> = RefCell::new(String::with_capacity(512));
}

impl slog::Drain for JsonDrain {
    type Ok = ();
    type Err = slog::Never;

    fn log(&self, record: &Record<'_>, values: &OwnedKVList) -> Result<(), slog::Never> {
        if !record.level().is_at_least(self.level) {
            return Ok(());
        }
        LINE.with(|line| {
            let Ok(mut line) = line.try_borrow_mut() else {
                // Logging from inside a value's formatting: not worth a line.
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            };
            line.clear();
            self.shared.header.line(
                &mut line,
                record.level(),
                |out| {
                    let _ = write!(out, "{}", record.msg());
                },
                |ser| {
                    let _ = record.kv().serialize(record, ser);
                    let _ = values.serialize(record, ser);
                },
            );
            let mut buffer = self.shared.buffer();
            let before = buffer.bytes.len();
            if before + line.len() > BUFFER_BYTES {
                drop(buffer);
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            buffer.bytes.extend_from_slice(line.as_bytes());
            let after = buffer.bytes.len();
            drop(buffer);
            if wakes_the_writer(before, after) {
                self.shared.work.notify_one();
            }
        });
        Ok(())
    }
}

/// Whether a record that took the buffer from `before` to `after` bytes wakes
/// the writer: only when the buffer was empty (the writer sleeps until there
/// is something) or when it reaches half full (write now, before it fills).
/// Otherwise the writer comes by itself within [`WRITE_INTERVAL`], so a busy
/// server pays about a hundred wake-ups a second, not one per line.
fn wakes_the_writer(before: usize, after: usize) -> bool {
    let half = BUFFER_BYTES / 2;
    before == 0 || (before < half && after >= half)
}

/// The writer thread: sleeps until there is something to write, lets a little
/// more gather (unless a flush is wanted or the buffer is half full), takes it
/// all, writes it in one call, and reports drops once writing works again
/// (with the next lines or flush: an idle writer sleeps, even when stderr is
/// gone).
fn write_lines(mut out: impl std::io::Write, shared: &Shared) {
    let mut batch = Vec::with_capacity(64 * 1024);
    let mut reported = 0u64;
    let mut report = String::new();
    loop {
        let wanted = {
            let mut buffer = shared.buffer();
            while buffer.bytes.is_empty() && buffer.flush_wanted == buffer.flushed {
                buffer = shared.work.wait(buffer).unwrap_or_else(|e| e.into_inner());
            }
            if buffer.flush_wanted == buffer.flushed {
                buffer = shared
                    .work
                    .wait_timeout_while(buffer, shared.interval, |b| {
                        b.bytes.len() < BUFFER_BYTES / 2 && b.flush_wanted == b.flushed
                    })
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            std::mem::swap(&mut buffer.bytes, &mut batch);
            buffer.flush_wanted
        };
        let dropped = shared.dropped.load(Ordering::Relaxed);
        let reported_before = reported;
        if dropped > reported {
            report.clear();
            shared.header.line(
                &mut report,
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
            batch.extend_from_slice(report.as_bytes());
            reported = dropped;
        }
        if !batch.is_empty() {
            // A failed write (EPIPE: the reader went away) loses these lines:
            // they count as dropped, and the drop report is tried again.
            if out.write_all(&batch).and_then(|()| out.flush()).is_err() {
                let lines = batch.iter().filter(|&&b| b == b'\n').count() as u64;
                let report = u64::from(reported != reported_before);
                shared.dropped.fetch_add(lines - report, Ordering::Relaxed);
                reported = reported_before;
            }
            batch.clear();
        }
        let mut buffer = shared.buffer();
        buffer.flushed = wanted;
        drop(buffer);
        shared.flushed.notify_all();
    }
}

impl Header {
    /// One JSON line into `out`: bunyan's core fields, then the key-values.
    fn line(
        &self,
        out: &mut String,
        level: slog::Level,
        msg: impl FnOnce(&mut String),
        kv: impl FnOnce(&mut JsonFields<'_>),
    ) {
        let mut fields = JsonFields {
            out,
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
struct JsonFields<'a> {
    out: &'a mut String,
    scratch: String,
}

impl JsonFields<'_> {
    fn key(&mut self, key: &str) {
        self.out.push(',');
        self.string(key);
        self.out.push(':');
    }

    /// A JSON string (serde_json's escaping), cut to `MAX_FIELD_BYTES` (at a
    /// character boundary).
    fn string(&mut self, s: &str) {
        let _ = serde_json::to_writer(StringWriter(self.out), cut(s));
    }

    fn raw(&mut self, key: Key, value: impl std::fmt::Display) -> slog::Result {
        self.key(key.as_ref());
        let _ = write!(self.out, "{value}");
        Ok(())
    }
}

/// `io::Write` into a `String`, for serde_json (which writes UTF-8 only).
struct StringWriter<'a>(&'a mut String);

impl std::io::Write for StringWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        self.0.push_str(text);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
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

impl slog::Serializer for JsonFields<'_> {
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
    use std::sync::atomic::AtomicBool;
    use std::sync::Mutex;

    /// A writer tests can read, stall or break, and that counts its writes.
    #[derive(Clone, Default)]
    struct Sink {
        bytes: Arc<Mutex<Vec<u8>>>,
        gate: Arc<Mutex<()>>,
        /// `write` calls, failed and stalled ones too.
        writes: Arc<AtomicU64>,
        /// Writes fail as on a pipe whose reader is gone.
        broken: Arc<AtomicBool>,
    }

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.writes.fetch_add(1, Ordering::SeqCst);
            let _open = self.gate.lock().unwrap();
            if self.broken.load(Ordering::SeqCst) {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
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

    /// A logger to `sink` whose writer lets lines gather for `interval`.
    fn logger_every(sink: &Sink, interval: Duration) -> (slog::Logger, LogHandle) {
        let (drain, handle) =
            json_drain_every("test", slog::Level::Info, sink.clone(), interval).unwrap();
        use slog::Drain as _;
        (slog::Logger::root(drain.fuse(), slog::o!()), handle)
    }

    /// The server's writer ([`WRITE_INTERVAL`]).
    fn logger(sink: &Sink) -> (slog::Logger, LogHandle) {
        logger_every(sink, WRITE_INTERVAL)
    }

    /// A writer that lets lines gather for an hour unless something cuts the
    /// wait short: what is written within a test was written because of a
    /// flush or a half-full buffer, not the clock.
    fn patient_logger(sink: &Sink) -> (slog::Logger, LogHandle) {
        logger_every(sink, Duration::from_secs(3600))
    }

    /// Waits up to 5 s for `done`.
    fn eventually(done: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !done() {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// Lines logged one by one, with the writer free to run between them, are
    /// gathered: none is written until the interval ends or a flush comes,
    /// then all in one write, and the flush does not wait for the interval.
    #[test]
    fn lines_are_gathered_into_one_write_and_a_flush_does_not_wait() {
        let sink = Sink::default();
        let (log, handle) = patient_logger(&sink);
        for i in 0..50 {
            slog::info!(log, "record"; "i" => i);
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(
            sink.writes.load(Ordering::SeqCst),
            0,
            "written before the interval"
        );
        assert!(
            handle.flush(Duration::from_secs(5)),
            "the flush waited for the interval"
        );
        assert_eq!(sink.writes.load(Ordering::SeqCst), 1);
        assert_eq!(sink.lines().len(), 50);
    }

    /// The length of a `record` line with an empty `pad`; the writer has
    /// written it (a line's length is this plus its padding: plain ASCII and
    /// a fixed-width time).
    fn empty_line(log: &slog::Logger, handle: &LogHandle, sink: &Sink) -> usize {
        let before = sink.bytes.lock().unwrap().len();
        slog::info!(log, "record"; "pad" => "");
        assert!(handle.flush(Duration::from_secs(5)));
        sink.bytes.lock().unwrap().len() - before
    }

    /// Logs `record` lines of exactly `total` bytes in all; how many.
    fn log_exactly(log: &slog::Logger, empty: usize, total: usize) -> usize {
        let lines = total.div_ceil(empty + MAX_FIELD_BYTES);
        assert!(total / lines >= empty, "{total} bytes in {lines} lines");
        let pad = "x".repeat(MAX_FIELD_BYTES);
        for i in 0..lines {
            let len = total / lines + usize::from(i < total % lines);
            slog::info!(log, "record"; "pad" => &pad[..len - empty]);
        }
        lines
    }

    /// A buffer that reaches exactly half full is written without waiting for
    /// the interval (or a flush): a burst faster than the interval is written
    /// before the buffer fills, not dropped.
    #[test]
    fn a_buffer_reaching_half_full_is_written_at_once() {
        let sink = Sink::default();
        let (log, handle) = patient_logger(&sink);
        let empty = empty_line(&log, &handle, &sink);
        let half = BUFFER_BYTES / 2;
        let lines = log_exactly(&log, empty, half);
        assert!(
            eventually(|| sink.bytes.lock().unwrap().len() == empty + half),
            "half a buffer waits: {} of {half} bytes written",
            sink.bytes.lock().unwrap().len() - empty
        );
        assert_eq!(handle.dropped(), 0);
        assert_eq!(sink.lines().len(), 1 + lines);
    }

    /// While the writer is stalled the buffer holds exactly [`BUFFER_BYTES`]:
    /// a line that ends on its last byte is kept, the next one is dropped.
    #[test]
    fn a_stalled_writer_leaves_exactly_the_buffer_to_fill() {
        let sink = Sink::default();
        let (log, handle) = patient_logger(&sink);
        let empty = empty_line(&log, &handle, &sink);
        let stall = sink.gate.lock().unwrap();
        // Half a buffer goes to the writer, which stalls holding it.
        let first = log_exactly(&log, empty, BUFFER_BYTES / 2);
        assert!(eventually(|| sink.writes.load(Ordering::SeqCst) == 2));
        let second = log_exactly(&log, empty, BUFFER_BYTES);
        assert_eq!(handle.dropped(), 0, "a full buffer's last line was dropped");
        slog::info!(log, "record"; "pad" => "");
        assert_eq!(handle.dropped(), 1, "a line beyond the buffer was kept");
        drop(stall);
        assert!(handle.flush(Duration::from_secs(5)));
        let lines = sink.lines();
        assert_eq!(lines.len(), 1 + first + second + 1, "the drop report last");
        assert_eq!(lines.last().unwrap()["dropped"], 1);
    }

    /// An idle writer sleeps: with stderr gone and a drop report pending, it
    /// tries again with the next line or flush, not on a timer. The drop
    /// count counts records, never lost reports; once writing works, a
    /// report says how many since the last report written, and in all.
    #[test]
    fn a_broken_stderr_is_not_retried_while_idle_and_reports_its_drops() {
        let sink = Sink::default();
        let (log, handle) = logger(&sink);
        sink.broken.store(true, Ordering::SeqCst);
        slog::info!(log, "lost");
        assert!(
            handle.flush(Duration::from_secs(5)),
            "a failed write is done"
        );
        assert_eq!(
            (sink.writes.load(Ordering::SeqCst), handle.dropped()),
            (1, 1)
        );
        std::thread::sleep(WRITE_INTERVAL * 30);
        assert_eq!(
            sink.writes.load(Ordering::SeqCst),
            1,
            "the idle writer retried"
        );
        // The next line goes with a report, and both are lost: one more record.
        slog::info!(log, "lost too");
        assert!(handle.flush(Duration::from_secs(5)));
        assert_eq!(
            (sink.writes.load(Ordering::SeqCst), handle.dropped()),
            (2, 2)
        );
        sink.broken.store(false, Ordering::SeqCst);
        slog::info!(log, "back");
        assert!(handle.flush(Duration::from_secs(5)));
        // A report says how many since the last one written, and in all.
        sink.broken.store(true, Ordering::SeqCst);
        slog::info!(log, "lost again");
        assert!(handle.flush(Duration::from_secs(5)));
        sink.broken.store(false, Ordering::SeqCst);
        slog::info!(log, "back again");
        assert!(handle.flush(Duration::from_secs(5)));
        let lines = sink.lines();
        let written: Vec<_> = lines
            .iter()
            .map(|l| {
                let count = |key: &str| l[key].as_u64();
                (
                    l["msg"].as_str().unwrap(),
                    count("dropped"),
                    count("dropped_total"),
                )
            })
            .collect();
        let report = "log records dropped";
        assert_eq!(
            written,
            [
                ("back", None, None),
                (report, Some(2), Some(2)),
                ("back again", None, None),
                (report, Some(1), Some(3)),
            ]
        );
    }

    #[test]
    fn bunyan_fields_query_free_uri_and_cut_fields() {
        let sink = Sink::default();
        let (log, handle) = logger(&sink);
        let long = "x".repeat(2000);
        let child =
            log.new(slog::o!("uri" => "/oauth/token?code=gho_secret_code", "req_id" => "r1"));
        let odd = "quote \" backslash \\ newline \n tab \t bell \u{7} é ✓";
        slog::info!(child, "request completed"; "response_code" => 200u16, "long" => &long, "ok" => true, "odd" => odd);
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
        assert_eq!(l["odd"], odd, "escaped and read back");
        assert_eq!(l["long"].as_str().unwrap().len(), MAX_FIELD_BYTES);
        assert_eq!(l["hostname"], hostname_of_this_machine());
        assert!(!String::from_utf8(sink.bytes.lock().unwrap().clone())
            .unwrap()
            .contains("gho_secret_code"));
    }

    /// What bunyan's `hostname` should be here (`n/a` if the kernel has none).
    fn hostname_of_this_machine() -> String {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        match name.trim() {
            "" => "n/a".to_string(),
            name => name.to_string(),
        }
    }

    /// Every kind of value slog hands a serializer becomes its JSON value.
    #[test]
    fn every_value_type_is_written_as_json() {
        let sink = Sink::default();
        let (log, handle) = logger(&sink);
        let shown = std::net::Ipv4Addr::LOCALHOST;
        slog::info!(log, "values";
            "unit" => (), "none" => None::<u8>, "some" => Some(7u8),
            "usize" => 1usize, "isize" => -2isize, "u8" => 3u8, "i8" => -4i8,
            "u16" => 5u16, "i16" => -6i16, "u32" => 7u32, "i32" => -8i32,
            "u64" => 9u64, "i64" => -10i64, "u128" => 11u128, "i128" => -12i128,
            "f32" => 1.5f32, "f64" => -2.25f64, "nan" => f64::NAN, "inf" => f64::INFINITY,
            "bool" => false, "str" => "text", "display" => %shown);
        assert!(handle.flush(Duration::from_secs(5)));
        let l = &sink.lines()[0];
        let expected = serde_json::json!({
            "unit": null, "none": null, "some": 7,
            "usize": 1, "isize": -2, "u8": 3, "i8": -4, "u16": 5, "i16": -6,
            "u32": 7, "i32": -8, "u64": 9, "i64": -10, "u128": 11, "i128": -12,
            "f32": 1.5, "f64": -2.25, "nan": null, "inf": null,
            "bool": false, "str": "text", "display": "127.0.0.1",
        });
        for (key, value) in expected.as_object().unwrap() {
            assert_eq!(l.get(key), Some(value), "{key} in {l}");
        }
    }

    /// The module's promise about wake-ups, case by case.
    #[test]
    fn loggers_wake_the_writer_only_when_the_buffer_was_empty_or_passes_half() {
        let half = BUFFER_BYTES / 2;
        for (before, after, wakes) in [
            (0, 300, true),
            (300, 600, false),
            (half - 300, half - 1, false),
            (half - 300, half, true),
            (half - 1, half + 300, true),
            (half, half + 300, false),
            (half + 300, half + 600, false),
        ] {
            assert_eq!(
                wakes_the_writer(before, after),
                wakes,
                "{before} -> {after}"
            );
        }
    }

    /// A field is cut at a character boundary at or below the limit.
    #[test]
    fn a_field_is_cut_between_characters() {
        let sink = Sink::default();
        let (log, handle) = logger(&sink);
        // 'a' then 2-byte characters: byte MAX_FIELD_BYTES falls inside one.
        let text = format!("a{}", "é".repeat(MAX_FIELD_BYTES));
        slog::info!(log, "cut"; "text" => &text);
        assert!(handle.flush(Duration::from_secs(5)));
        let cut = sink.lines()[0]["text"].as_str().unwrap().to_string();
        assert_eq!(cut.len(), MAX_FIELD_BYTES - 1);
        assert!(text.starts_with(&cut));
    }

    #[test]
    fn a_stalled_writer_costs_records_not_callers_and_says_how_many() {
        let sink = Sink::default();
        let (log, handle) = logger(&sink);
        let stall = sink.gate.lock().unwrap();
        let started = Instant::now();
        // About 8 MB of lines against a 1 MiB buffer.
        let total = 40_000;
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
        // The buffer holds BUFFER_BYTES; the writer one batch, blocked.
        assert!(dropped >= total / 2, "{dropped}");
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
            total,
            "every record is written or counted"
        );
        assert_eq!(lines.last().unwrap()["msg"], "after");
    }
}
