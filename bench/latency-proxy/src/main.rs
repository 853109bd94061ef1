//! `latency-proxy`: a TCP proxy that makes a loopback index look like one across the
//! internet, the way toxiproxy's `latency` toxic does. Every chunk read from one side is
//! written to the other `--latency-ms` later, in each direction independently, so a
//! request/response round trip costs two latencies while bulk throughput is not throttled
//! (chunks are queued, not serialized behind each other's delay). A new connection also
//! pays the TCP handshake (one round trip) before its first byte moves, as on a real link:
//! that is what makes connection reuse matter. TLS is not modelled.
//!
//! `--rate-mbit N` also shapes the link to N Mbit/s in each direction, shared by every
//! connection as one physical link is: each direction has one serializer (a token bucket
//! one chunk deep) that every connection's chunks queue on in the order they were read, so
//! eight connections get an eighth of the rate each, not the rate each. A chunk leaves the
//! bottleneck once its bytes have been serialized and arrives `--latency-ms` later; a
//! connection reads its next chunk only when its last one has left, so the sender feels
//! the link's pace through TCP's own back-pressure instead of filling an unbounded queue.
//!
//! ```text
//! latency-proxy --upstream 127.0.0.1:PORT [--listen 127.0.0.1:0] [--latency-ms 25] [--rate-mbit 100] [--no-handshake]
//! ```
//!
//! The first stdout line is `latency-proxy listening on 127.0.0.1:PORT`. On SIGTERM or
//! SIGINT it prints `latency-proxy: N connections, U bytes up, D bytes down` and exits.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Read size per chunk: large enough for bulk transfers, small enough that a chunk's delay
/// does not hold back much data.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight per direction: 4096 × 64 KiB = 256 MiB, more than a loopback link can
/// fill in any sensible latency, so the queue never throttles a transfer.
const IN_FLIGHT: usize = 4096;

struct Options {
    listen: SocketAddr,
    upstream: SocketAddr,
    latency: Duration,
    handshake: bool,
    /// Bits per second each way; `None`: not shaped.
    rate: Option<f64>,
}

/// One direction of the shaped link: the instant its serializer is free again. Every
/// connection's chunks going that way are serialized one after another on it.
#[derive(Default)]
struct Link {
    free_at: Mutex<Option<Instant>>,
}

impl Link {
    /// Books `bytes` on the link at `rate` bits/s, not before `earliest`; returns when
    /// the last bit has been sent.
    fn book(&self, earliest: Instant, bytes: usize, rate: f64) -> Instant {
        let mut free_at = self.free_at.lock().expect("not poisoned");
        let start = free_at.map_or(earliest, |f| f.max(earliest));
        let sent = start + Duration::from_secs_f64(bytes as f64 * 8.0 / rate);
        *free_at = Some(sent);
        sent
    }
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    up: AtomicU64,
    down: AtomicU64,
    /// The shaped link's two directions (unused without `--rate-mbit`).
    uplink: Link,
    downlink: Link,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        listen: "127.0.0.1:0".parse().expect("a valid address"),
        upstream: "127.0.0.1:0".parse().expect("a valid address"),
        latency: Duration::from_millis(25),
        handshake: true,
        rate: None,
    };
    let mut upstream = false;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--listen" => options.listen = value()?.parse().map_err(|e| format!("{e}"))?,
            "--upstream" => {
                options.upstream = value()?.parse().map_err(|e| format!("{e}"))?;
                upstream = true;
            }
            "--latency-ms" => {
                let ms: u64 = value()?.parse().map_err(|e| format!("{e}"))?;
                options.latency = Duration::from_millis(ms);
            }
            "--rate-mbit" => {
                let mbit: f64 = value()?.parse().map_err(|e| format!("{e}"))?;
                if mbit.is_nan() || mbit <= 0.0 {
                    return Err("--rate-mbit must be positive".into());
                }
                options.rate = Some(mbit * 1e6);
            }
            "--no-handshake" => options.handshake = false,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !upstream {
        return Err("--upstream HOST:PORT is required".into());
    }
    Ok(options)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => Arc::new(options),
        Err(message) => {
            eprintln!("latency-proxy: {message}");
            return std::process::ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(options.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("latency-proxy: cannot listen on {}: {e}", options.listen);
            return std::process::ExitCode::FAILURE;
        }
    };
    let local = listener
        .local_addr()
        .expect("a bound socket has an address");
    println!("latency-proxy listening on {local}");
    let counters = Arc::new(Counters::default());
    let terminated = terminated();
    tokio::pin!(terminated);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                counters.connections.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(serve(client, options.clone(), counters.clone()));
            }
            _ = &mut terminated => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    println!(
        "latency-proxy: {} connections, {} bytes up, {} bytes down",
        counters.connections.load(Ordering::Relaxed),
        counters.up.load(Ordering::Relaxed),
        counters.down.load(Ordering::Relaxed),
    );
    std::process::ExitCode::SUCCESS
}

async fn serve(client: TcpStream, options: Arc<Options>, counters: Arc<Counters>) {
    let accepted = Instant::now();
    let Ok(server) = TcpStream::connect(options.upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    // SYN and SYN-ACK: nothing moves before one round trip has passed.
    let open_at = if options.handshake {
        accepted + 2 * options.latency
    } else {
        accepted
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = tokio::spawn(pipe(
        client_read,
        server_write,
        open_at,
        options.clone(),
        counters.clone(),
        true,
    ));
    let down = tokio::spawn(pipe(
        server_read,
        client_write,
        open_at,
        options,
        counters,
        false,
    ));
    let _ = tokio::join!(up, down);
}

/// Copies `from` to `to`, each chunk `latency` after it was read — or, on a shaped link,
/// after it has been serialized on the shared link — and not before `open_at` plus
/// `latency`; end of stream is passed on with the same delay.
async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    open_at: Instant,
    options: Arc<Options>,
    counters: Arc<Counters>,
    up: bool,
) {
    let latency = options.latency;
    let shaping = options.rate.map(|rate| (rate, counters.clone()));
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(IN_FLIGHT);
    let reader = async move {
        loop {
            let mut buf = vec![0u8; CHUNK];
            let n = from.read(&mut buf).await.unwrap_or(0);
            buf.truncate(n);
            let mut left = Instant::now().max(open_at);
            if let Some((rate, counters)) = shaping.as_ref().filter(|_| n > 0) {
                let link = if up {
                    &counters.uplink
                } else {
                    &counters.downlink
                };
                left = link.book(left, n, *rate);
                // Back-pressure: the next chunk is read once this one is on the wire.
                tokio::time::sleep_until(left).await;
            }
            let due = left + latency;
            // An empty chunk is the end of the stream.
            if tx.send((due, buf)).await.is_err() || n == 0 {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if chunk.is_empty() {
                let _ = to.shutdown().await;
                break;
            }
            if to.write_all(&chunk).await.is_err() {
                break;
            }
            let counter = if up { &counters.up } else { &counters.down };
            counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
    };
    tokio::join!(reader, writer);
}

/// SIGTERM; never on Windows, which has none (Ctrl-C and Ctrl-Break reach `ctrl_c`).
#[cfg(unix)]
async fn terminated() {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler")
        .recv()
        .await;
}

#[cfg(not(unix))]
async fn terminated() {
    std::future::pending::<()>().await
}
