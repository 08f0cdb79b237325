//! `--stalled-h2 N`: what a connection costs the server when its peer stops
//! reading. N HTTP/2 (prior knowledge) connections each announce a stream
//! window of 0 (`SETTINGS_INITIAL_WINDOW_SIZE`) and open as many streams as
//! the server allows, each a request whose answer is as large as the server
//! makes one (a `400 request/0` echoing a `provider` sent as an 8 KB object:
//! the wrong type, so echoed whole); the server must
//! hold every answer, since it may not send a byte of its body. The bench
//! reads the server's RSS at rest, with the N connections stalled, and 10 s
//! after they closed (what the allocator kept), then repeats the wave once
//! (whether what it kept is reused).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context as _};
use serde::Serialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Streams per connection: ias-server's `H2_MAX_CONCURRENT_STREAMS`.
const STREAMS: u32 = 4;
/// The request body: about as large as the server accepts (8 KiB), almost
/// all of it echoed back in the answer.
const PROVIDER_CHARS: usize = 8_000;

#[derive(Debug, Serialize)]
pub struct StallFigures {
    pub connections: usize,
    pub streams_per_connection: u32,
    pub answer_bytes: usize,
    pub rss_at_rest_kib: u64,
    pub waves: Vec<Wave>,
}

#[derive(Debug, Serialize)]
pub struct Wave {
    pub rss_stalled_kib: u64,
    pub per_connection_kib: f64,
    pub rss_10s_after_close_kib: u64,
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An HPACK literal header field without indexing, with a new name.
fn literal(name: &str, value: &str) -> Vec<u8> {
    let mut out = vec![0x00];
    for part in [name, value] {
        assert!(part.len() < 127, "short header fields only");
        out.push(part.len() as u8);
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// The bytes a stalled connection sends: preface, a window of 0, and
/// `STREAMS` requests with their bodies.
fn stalled_connection() -> Vec<u8> {
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    // SETTINGS_INITIAL_WINDOW_SIZE (4) = 0.
    out.extend(frame(4, 0, 0, &[0, 4, 0, 0, 0, 0]));
    let body = format!(
        r#"{{"provider":{{"x":"{}"}},"code":"x"}}"#,
        "p".repeat(PROVIDER_CHARS)
    );
    for i in 0..STREAMS {
        let stream = 1 + 2 * i;
        // :method POST (static 3), :scheme http (6), then literals.
        let mut block = vec![0x83, 0x86];
        block.extend(literal(":path", "/oauth/token"));
        block.extend(literal(":authority", "ias"));
        block.extend(literal("content-type", "application/json"));
        block.extend(literal("content-length", &body.len().to_string()));
        out.extend(frame(1, 0x04, stream, &block)); // HEADERS, END_HEADERS
        out.extend(frame(0, 0x01, stream, body.as_bytes())); // DATA, END_STREAM
    }
    out
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc status")
}

/// Waits until the server's RSS stops growing (each answer made and held).
async fn settled_rss(pid: u32) -> anyhow::Result<u64> {
    let mut last = rss_kib(pid)?;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = rss_kib(pid)?;
        if now.abs_diff(last) < 256 {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
}

/// One answer, read off a connection that does not stall, to know its size.
async fn answer_size(addr: SocketAddr) -> anyhow::Result<usize> {
    let body = format!(
        r#"{{"provider":{{"x":"{}"}},"code":"x"}}"#,
        "p".repeat(PROVIDER_CHARS)
    );
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(
        format!(
            "POST /oauth/token HTTP/1.1\r\nhost: ias\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    if !text.starts_with("HTTP/1.1 400") {
        bail!(
            "expected a 400 answer, got: {}",
            text.chars().take(200).collect::<String>()
        );
    }
    Ok(text.split_once("\r\n\r\n").map_or(0, |(_, b)| b.len()))
}

pub async fn measure(
    addr: SocketAddr,
    pid: u32,
    connections: usize,
) -> anyhow::Result<StallFigures> {
    let answer_bytes = answer_size(addr).await?;
    let rss_at_rest_kib = settled_rss(pid).await?;
    let bytes = stalled_connection();
    let mut waves = Vec::new();
    for _ in 0..2 {
        let mut held = Vec::with_capacity(connections);
        for _ in 0..connections {
            let mut s = TcpStream::connect(addr)
                .await
                .context("cannot open a stalled connection")?;
            s.write_all(&bytes).await?;
            held.push(s);
        }
        let rss_stalled_kib = settled_rss(pid).await?;
        drop(held);
        tokio::time::sleep(Duration::from_secs(10)).await;
        let rss_after = rss_kib(pid)?;
        waves.push(Wave {
            rss_stalled_kib,
            per_connection_kib: rss_stalled_kib.saturating_sub(rss_at_rest_kib) as f64
                / connections as f64,
            rss_10s_after_close_kib: rss_after,
        });
    }
    Ok(StallFigures {
        connections,
        streams_per_connection: STREAMS,
        answer_bytes,
        rss_at_rest_kib,
        waves,
    })
}
