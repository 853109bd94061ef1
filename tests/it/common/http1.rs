//! Just enough HTTP/1.1 for the test proxies: read a request or response head and its body
//! (by length, chunked, or until close), forward a request upstream, write a response.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request or response head, split.
pub struct Head {
    pub first: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn chunked(&self) -> bool {
        self.get("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }

    pub fn length(&self) -> Option<usize> {
        self.get("content-length")
            .and_then(|v| v.trim().parse().ok())
    }
}

/// A connection and the bytes read past the current message.
pub struct Conn {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
}

impl Conn {
    pub async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    pub async fn head(&mut self) -> Option<Head> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let text = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 4);
                let mut lines = text.split("\r\n");
                let first = lines.next()?.to_string();
                let headers = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .collect();
                return Some(Head { first, headers });
            }
            if self.buf.len() > 1 << 20 || !self.fill().await {
                return None;
            }
        }
    }

    pub async fn exactly(&mut self, n: usize) -> Option<Vec<u8>> {
        while self.buf.len() < n {
            if !self.fill().await {
                return None;
            }
        }
        Some(self.buf.drain(..n).collect())
    }

    pub async fn line(&mut self) -> Option<String> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 2);
                return Some(line);
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// The whole body: by length, chunked, or (responses) until the peer closes.
    pub async fn body(&mut self, head: &Head, until_close: bool) -> Option<Vec<u8>> {
        if head.chunked() {
            let mut body = Vec::new();
            loop {
                let size =
                    usize::from_str_radix(self.line().await?.split(';').next()?.trim(), 16).ok()?;
                if size == 0 {
                    while !self.line().await?.is_empty() {}
                    return Some(body);
                }
                body.extend(self.exactly(size).await?);
                self.exactly(2).await?;
            }
        }
        match head.length() {
            Some(n) => self.exactly(n).await,
            None if until_close => {
                while self.fill().await {}
                Some(std::mem::take(&mut self.buf))
            }
            None => Some(Vec::new()),
        }
    }

    /// Part of an upload body: past the file part's `filename="…"` (so the file is known)
    /// but never all of it.
    pub async fn partial_body(&mut self, head: &Head) -> Vec<u8> {
        let total = head.length().unwrap_or(usize::MAX);
        loop {
            let enough = upload_filename(&self.buf)
                .and_then(|_| find(&self.buf, b"filename=\""))
                .is_some_and(|at| self.buf.len() > at + 200);
            if enough || self.buf.len() + 1 >= total || !self.fill().await {
                let keep = self.buf.len().min(total.saturating_sub(1));
                return self.buf.drain(..keep).collect();
            }
        }
    }

    /// Closes with a TCP reset instead of an orderly FIN.
    pub fn reset(self) {
        // Deprecated because a non-zero linger blocks on drop; zero sends RST at once.
        #[allow(deprecated)]
        let _ = self.stream.set_linger(Some(Duration::ZERO));
        drop(self.stream);
    }
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The file name of the upload's `content` part.
pub fn upload_filename(body: &[u8]) -> Option<String> {
    let at = find(body, b"name=\"content\"; filename=\"")? + 26;
    let end = body[at..].iter().position(|&b| b == b'"')?;
    Some(String::from_utf8_lossy(&body[at..at + end]).into_owned())
}

pub fn response(status: u16, reason: &str, extra: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// The upstream answer: status line, headers, body.
pub async fn forward(upstream: SocketAddr, head: &Head, body: &[u8]) -> Option<(Head, Vec<u8>)> {
    let stream = TcpStream::connect(upstream).await.ok()?;
    let mut up = Conn {
        stream,
        buf: Vec::new(),
    };
    let mut out = format!("{}\r\n", head.first);
    push_end_to_end(&mut out, &head.headers);
    out.push_str(&format!(
        "connection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    ));
    up.stream.write_all(out.as_bytes()).await.ok()?;
    up.stream.write_all(body).await.ok()?;
    let answer = up.head().await?;
    let bodyless = head.first.starts_with("HEAD ")
        || answer
            .first
            .split(' ')
            .nth(1)
            .is_some_and(|s| s == "204" || s == "304");
    let bytes = if bodyless {
        Vec::new()
    } else {
        up.body(&answer, true).await?
    };
    Some((answer, bytes))
}

/// Appends `headers` except the hop-by-hop ones a forwarder sets itself (the body is
/// re-framed with its own `content-length`).
pub fn push_end_to_end(out: &mut String, headers: &[(String, String)]) {
    const HOP_BY_HOP: [&str; 4] = [
        "connection",
        "content-length",
        "transfer-encoding",
        "keep-alive",
    ];
    for (k, v) in headers {
        if !HOP_BY_HOP.iter().any(|h| k.eq_ignore_ascii_case(h)) {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
}

pub fn status_of(head: &Head) -> u16 {
    head.first
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A loopback listener served on its own one-worker runtime, stopped when dropped.
pub struct Background {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Background {
    /// Binds `127.0.0.1:0` and runs `serve` with the listener; returns the bound address.
    pub fn serve<F, Fut>(serve: F) -> (Self, std::net::SocketAddr)
    where
        F: FnOnce(tokio::net::TcpListener) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(serve(listener));
        (
            Background {
                runtime: Some(runtime),
            },
            addr,
        )
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
