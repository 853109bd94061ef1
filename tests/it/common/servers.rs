//! Servers the tests start on loopback: the project's test index, real pypiserver and real
//! devpi-server from the venv. Each is stopped (killed) when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{test_index_bin, venv_bin};

/// A minimal HTTP/1.1 request on loopback (Connection: close); returns status and body (as
/// sent: a chunked body keeps its chunk framing).
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let (status, _, body) = request(method, url, headers, body);
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Like [`http`], with the body byte for byte and a chunked body decoded.
pub fn http_bytes(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let (status, head, body) = request(method, url, headers, body);
    let chunked = head
        .to_ascii_lowercase()
        .contains("\r\ntransfer-encoding: chunked");
    (status, if chunked { dechunk(&body) } else { body })
}

/// Status, head and raw body of one request.
fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(response.len(), |at| at + 4);
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.into_owned(), response[split..].to_vec())
}

/// The data of a chunked body (chunk extensions and trailers ignored).
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size_field = String::from_utf8_lossy(&raw[..eol]);
        let size_hex = size_field.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).expect("chunk size");
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&raw[start..start + size]);
        raw = &raw[start + size + 2..];
    }
    out
}

/// Basic-auth header value.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(url: &str, child: &mut Child, limit: Duration) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server for {url} exited early: {status}");
        }
        let host = url
            .strip_prefix("http://")
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        if TcpStream::connect(host).is_ok() && http("GET", url, &[], b"").0 != 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("server at {url} did not answer within {limit:?}");
}

/// A started server process.
pub struct Server {
    child: Child,
    /// Base URL, no trailing slash.
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Warehouse-faithful test index.
pub struct TestIndex {
    pub server: Server,
}

/// Starts a server that announces where it listens on its first stdout line; returns the
/// child and that line.
fn spawn_announcing(command: &mut Command) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?} starts: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}

impl TestIndex {
    /// Starts it with extra arguments (e.g. `--token SECRET`).
    pub fn start(args: &[&str]) -> Self {
        let (child, line) = spawn_announcing(
            Command::new(test_index_bin())
                .arg("--python")
                .arg(venv_bin("python"))
                .args(["--bind", "127.0.0.1:0"])
                .args(args),
        );
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "unexpected first line: {line}"
        );
        TestIndex {
            server: Server { child, url },
        }
    }

    pub fn upload_url(&self) -> String {
        format!("{}/legacy/", self.server.url)
    }

    pub fn simple_url(&self) -> String {
        format!("{}/simple/", self.server.url)
    }

    /// `/_/stats` as JSON.
    pub fn stats(&self) -> serde_json::Value {
        let (status, body) = http("GET", &format!("{}/_/stats", self.server.url), &[], b"");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// A stored file's entry in `/_/stats` (`None`: not stored).
    pub fn stored(&self, filename: &str) -> Option<serde_json::Value> {
        self.stats()["files"]
            .as_array()?
            .iter()
            .find(|f| f["filename"] == filename)
            .cloned()
    }

    /// Moves a release `days` into the past (its creation and its files' upload times).
    pub fn age_release(&self, project: &str, version: &str, days: u32) {
        let url = format!("{}/_/age/{project}/{version}?days={days}", self.server.url);
        let (status, body) = http("POST", &url, &[], b"");
        assert_eq!(status, 204, "{body}");
    }

    /// The last accepted form for a file, as `[key, value]` pairs.
    pub fn form(&self, filename: &str) -> serde_json::Value {
        let (status, body) = http(
            "GET",
            &format!("{}/_/forms/{filename}", self.server.url),
            &[],
            b"",
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }
}

/// Real pypiserver with an htpasswd user `__token__`.
pub fn pypiserver(dir: &Path, password: &str) -> Server {
    let packages = dir.join("packages");
    std::fs::create_dir_all(&packages).unwrap();
    let htpasswd = dir.join("htpasswd");
    let status = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import sys; from passlib.apache import HtpasswdFile as H; h = H(sys.argv[1], new=True); h.set_password('__token__', sys.argv[2]); h.save()",
        ])
        .arg(&htpasswd)
        .arg(password)
        .status()
        .unwrap();
    assert!(status.success());
    let port = free_port();
    let mut child = Command::new(venv_bin("pypi-server"))
        .args([
            "run",
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-a",
            "update",
            "-P",
        ])
        .arg(&htpasswd)
        .arg("--disable-fallback")
        .arg(&packages)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pypi-server starts");
    let url = format!("http://127.0.0.1:{port}");
    wait_for(
        &format!("{url}/simple/"),
        &mut child,
        Duration::from_secs(30),
    );
    Server { child, url }
}

/// Real devpi-server with user `alice` and a non-volatile index `alice/stable`.
pub fn devpi(dir: &Path, password: &str) -> Server {
    let serverdir = dir.join("devpi");
    let out = Command::new(venv_bin("devpi-init"))
        .arg("--serverdir")
        .arg(&serverdir)
        .args(["--root-passwd", "root-pw", "--no-root-pypi"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "devpi-init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let mut child = Command::new(venv_bin("devpi-server"))
        .arg("--serverdir")
        .arg(&serverdir)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("devpi-server starts");
    let url = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{url}/+api"), &mut child, Duration::from_secs(90));
    let json = [
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
    ];
    let (status, body) = http(
        "PUT",
        &format!("{url}/alice"),
        &json,
        format!("{{\"password\": \"{password}\"}}").as_bytes(),
    );
    assert!(
        status == 201 || status == 200,
        "creating devpi user: {status} {body}"
    );
    let auth = basic("alice", password);
    let mut headers = json.to_vec();
    headers.push(("Authorization", &auth));
    let (status, body) = http(
        "PUT",
        &format!("{url}/alice/stable"),
        &headers,
        br#"{"type": "stage", "bases": [], "volatile": false}"#,
    );
    assert!(
        status == 201 || status == 200,
        "creating devpi index: {status} {body}"
    );
    Server { child, url }
}

/// The local Sigstore (`tests/sigstore-mock`: @sigstore/mock's Fulcio and Rekor v1) and the
/// trust root it wrote, for PyPI's verifier.
pub struct Sigstore {
    pub server: Server,
    pub trust_root: std::path::PathBuf,
}

impl Sigstore {
    /// Starts it; the trust root goes to `dir/trusted_root.json`.
    pub fn start(dir: &Path) -> Self {
        let mock = super::repo().join("tests/sigstore-mock");
        assert!(
            mock.join("node_modules/@sigstore/mock").exists(),
            "tests/sigstore-mock has no node_modules: run scripts/dev-env first (scripts/test does)"
        );
        let trust_root = dir.join("trusted_root.json");
        let (child, line) = spawn_announcing(
            Command::new("node")
                .arg(mock.join("server.js"))
                .arg("--trust-root")
                .arg(&trust_root),
        );
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        Sigstore {
            server: Server { child, url },
            trust_root,
        }
    }

    /// Makes the next `count` requests to `service` ("fulcio" or "rekor") answer `status`
    /// (replacing faults still queued; 0 clears them).
    pub fn fault(&self, service: &str, status: u16, count: u32) {
        let body = format!(r#"{{"service":"{service}","status":{status},"count":{count}}}"#);
        let (code, text) = http(
            "POST",
            &format!("{}/_/fault", self.server.url),
            &[],
            body.as_bytes(),
        );
        assert_eq!(code, 204, "{text}");
    }

    /// Holds every answer of `service` for `ms` milliseconds (0: answer at once).
    pub fn delay(&self, service: &str, ms: u64) {
        let body = format!(r#"{{"service":"{service}","ms":{ms}}}"#);
        let url = format!("{}/_/delay", self.server.url);
        let (code, text) = http("POST", &url, &[], body.as_bytes());
        assert_eq!(code, 204, "{text}");
    }

    /// `{"fulcio"|"rekor": {"requests", "max_in_flight"}}`: what each service was asked, and
    /// the most requests it was answering at once.
    pub fn stats(&self) -> serde_json::Value {
        let (code, body) = http_bytes("GET", &format!("{}/_/stats", self.server.url), &[], b"");
        assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }
}
