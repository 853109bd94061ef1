//! One helper for every integration test: start the real `test-index` binary, build
//! distributions in memory, and talk HTTP/1.1 over a raw socket — raw so the tests
//! see the status line's reason phrase (where Warehouse puts its message) and send
//! exactly the headers they mean to (no implicit `Accept`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use sha2::{Digest, Sha256};

/// The Python the index asks about versions and requirements (it needs `packaging`):
/// `$PYPI_PUBLISH_TEST_VENV/bin/python`, else the workspace's `.venv` (`scripts/dev-env`).
pub fn python() -> PathBuf {
    std::env::var_os("PYPI_PUBLISH_TEST_VENV")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv"),
            PathBuf::from,
        )
        .join("bin/python")
}

/// Runs `script` on that Python (isolated) with `input` as JSON on its stdin, and reads the
/// JSON it prints: how these tests ask the real libraries.
pub fn python_json<T: serde::de::DeserializeOwned>(
    script: &str,
    input: &impl serde::Serialize,
) -> T {
    let mut child = Command::new(python())
        .args(["-I", "-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the venv's Python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(input).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the venv's Python failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A running fixture, killed on drop.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
}

impl Server {
    /// Starts `test-index --token SECRET <args>` and waits for its announcement.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_test-index"))
            .arg("--python")
            .arg(python())
            .args(["--token", "SECRET"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn test-index");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("announcement");
        let addr = line
            .trim()
            .strip_prefix("test-index listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// One request; `Connection: close`, so the answer is read to EOF.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).expect("write head");
        stream.write_all(body).expect("write body");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read reply");
        Reply::parse(&raw)
    }

    /// Like `request`, but the body is written piece by piece (`len` bytes in all),
    /// so neither side needs it whole in memory.
    pub fn request_streamed(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        len: u64,
        pieces: impl Iterator<Item = Vec<u8>>,
    ) -> Reply {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {len}\r\n",
            self.addr
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).expect("write head");
        for piece in pieces {
            stream.write_all(&piece).expect("write body");
        }
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read reply");
        Reply::parse(&raw)
    }

    /// Sends SIGTERM and waits (at most 10 s) for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("test-index did not stop on SIGTERM");
    }

    /// Peak resident memory of the server process, in KiB (Linux).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.request("GET", path, headers, b"")
    }

    /// POSTs a multipart upload to `/legacy/` with `__token__:<token>`.
    pub fn upload(&self, token: Option<&str>, form: &Form) -> Reply {
        let auth = token.map(|t| format!("Basic {}", base64(&format!("__token__:{t}"))));
        let mut headers = vec![("Content-Type", Form::CONTENT_TYPE)];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth));
        }
        self.request("POST", "/legacy/", &headers, &form.body())
    }

    pub fn stats(&self) -> serde_json::Value {
        serde_json::from_slice(&self.get("/_/stats", &[]).body).expect("stats JSON")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Everything after the code on the status line.
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    fn parse(raw: &[u8]) -> Reply {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("end of head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let mut parts = status_line.splitn(3, ' ');
        let _version = parts.next();
        let status = parts
            .next()
            .and_then(|s| s.parse().ok())
            .expect("status code");
        // The reason is ISO-8859-1 on the wire.
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("status line");
        let reason_bytes = &raw[13.min(line_end)..line_end];
        let reason: String = reason_bytes.iter().map(|&b| b as char).collect();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        Reply {
            status,
            reason,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    /// `"<code> <reason>"`, what Warehouse's clients show.
    pub fn status_line(&self) -> String {
        format!("{} {}", self.status, self.reason)
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 4 + size..];
    }
    out
}

pub fn base64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The claims of a JWT (unverified).
pub fn jwt_claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A distribution file in memory.
#[derive(Clone)]
pub struct Dist {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// A wheel with the given archive members besides the package module; `dist_info`
/// members are written under `<name>-<version>.dist-info/` taken from the filename.
pub fn wheel_with(filename: &str, dist_info: &[(&str, &[u8])]) -> Dist {
    use zip::write::SimpleFileOptions;
    let mut parts = filename.splitn(3, '-');
    let (name, version) = (parts.next().unwrap(), parts.next().unwrap());
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    writer
        .start_file(format!("{name}/__init__.py"), options)
        .unwrap();
    writer.write_all(b"").unwrap();
    for (member, bytes) in dist_info {
        writer
            .start_file(format!("{name}-{version}.dist-info/{member}"), options)
            .unwrap();
        writer.write_all(bytes).unwrap();
    }
    Dist {
        filename: filename.to_owned(),
        bytes: writer.finish().unwrap().into_inner(),
    }
}

/// A well-formed wheel (METADATA, WHEEL, RECORD).
pub fn wheel(filename: &str) -> Dist {
    wheel_with(
        filename,
        &[
            ("METADATA", b"Metadata-Version: 2.1\nName: x\nVersion: 1\n"),
            ("WHEEL", b"Wheel-Version: 1.0\n"),
            ("RECORD", b""),
        ],
    )
}

/// A well-formed sdist: `<top>/`, `<top>/PKG-INFO`, `<top>/setup.py`.
pub fn sdist(filename: &str, extra: &[u8]) -> Dist {
    let top = filename.strip_suffix(".tar.gz").unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_size(0);
    builder
        .append_data(&mut dir, format!("{top}/"), std::io::empty())
        .unwrap();
    for (name, data) in [
        ("PKG-INFO", b"Metadata-Version: 2.1\n" as &[u8]),
        ("setup.py", extra),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        builder
            .append_data(&mut header, format!("{top}/{name}"), data)
            .unwrap();
    }
    Dist {
        filename: filename.to_owned(),
        bytes: builder.into_inner().unwrap().finish().unwrap(),
    }
}

/// A multipart upload form.
#[derive(Clone)]
pub struct Form {
    pub fields: Vec<(String, String)>,
    pub dist: Option<Dist>,
    pub content_type: Option<String>,
}

impl Form {
    pub const BOUNDARY: &'static str = "----test-index-boundary";
    pub const CONTENT_TYPE: &'static str = "multipart/form-data; boundary=----test-index-boundary";

    /// The form twine would send for `dist` with this name and version.
    pub fn new(dist: &Dist, name: &str, version: &str) -> Form {
        let wheel = dist.filename.ends_with(".whl");
        let fields = [
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", name),
            ("version", version),
            ("metadata_version", "2.1"),
            ("filetype", if wheel { "bdist_wheel" } else { "sdist" }),
            ("pyversion", if wheel { "py3" } else { "source" }),
            ("sha256_digest", &sha256_hex(&dist.bytes)),
            ("summary", "A demo"),
        ];
        Form {
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            dist: Some(dist.clone()),
            content_type: Some("application/octet-stream".to_owned()),
        }
    }

    /// Replaces every value of `key` (or removes it with `None`).
    pub fn set(mut self, key: &str, value: Option<&str>) -> Form {
        self.fields.retain(|(k, _)| k != key);
        if let Some(value) = value {
            self.fields.push((key.to_owned(), value.to_owned()));
        }
        self
    }

    /// Adds one more value for `key`.
    pub fn add(mut self, key: &str, value: &str) -> Form {
        self.fields.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn body(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for (key, value) in &self.fields {
            body.extend_from_slice(
                format!(
                    "--{}\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n{value}\r\n",
                    Self::BOUNDARY
                )
                .as_bytes(),
            );
        }
        if let Some(dist) = &self.dist {
            body.extend_from_slice(
                format!(
                    "--{}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{}\"\r\n{}\r\n",
                    Self::BOUNDARY,
                    dist.filename,
                    // `None`: no Content-Type header at all, as uv sends the file part.
                    self.content_type
                        .as_deref()
                        .map(|t| format!("Content-Type: {t}\r\n"))
                        .unwrap_or_default()
                )
                .as_bytes(),
            );
            body.extend_from_slice(&dist.bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{}--\r\n", Self::BOUNDARY).as_bytes());
        body
    }
}
