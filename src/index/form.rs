//! The legacy upload form (SPEC §1): metadata fields taken from the file's core metadata,
//! multi-use fields repeated once per value, digests in lowercase hex (no md5), and the file
//! itself streamed from disk as `application/octet-stream` with a known length, so memory does
//! not grow with file size and the body can be rebuilt for every attempt.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use tokio_util::io::ReaderStream;

use crate::dist::{Digests, Distribution, Field};

/// Bytes of the file part handed to the connection so far, for progress bars and for the
/// stall watchdog.
#[derive(Debug, Default)]
pub struct Progress {
    sent: AtomicU64,
    last_change_ms: AtomicU64,
}

impl Progress {
    /// Bytes sent.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Milliseconds (on the caller's clock) of the last change.
    pub fn last_change_ms(&self) -> u64 {
        self.last_change_ms.load(Ordering::Relaxed)
    }

    fn add(&self, n: u64, now_ms: u64) {
        self.sent.fetch_add(n, Ordering::Relaxed);
        self.last_change_ms.store(now_ms, Ordering::Relaxed);
    }

    /// Starts an attempt from zero.
    pub fn reset(&self, now_ms: u64) {
        self.sent.store(0, Ordering::Relaxed);
        self.last_change_ms.store(now_ms, Ordering::Relaxed);
    }
}

/// The text fields of the form, in the order they are sent.
pub fn fields(
    dist: &Distribution,
    digests: &Digests,
    attestations: Option<&str>,
) -> Vec<(&'static str, String)> {
    let meta = &dist.metadata;
    let mut out: Vec<(&'static str, String)> = vec![
        (":action", "file_upload".into()),
        ("protocol_version", "1".into()),
    ];
    for (field, value) in meta.form_values() {
        out.push((field.form_key(), value.clone()));
    }
    // GitLab requires the key even when the project sets no Requires-Python.
    if meta.get(Field::RequiresPython).is_none() {
        out.push((Field::RequiresPython.form_key(), String::new()));
    }
    out.push(("filetype", dist.filename.kind().filetype().into()));
    out.push(("pyversion", dist.filename.pyversion()));
    out.push(("sha256_digest", digests.sha256.as_str().to_string()));
    if let Some(blake2) = &digests.blake2_256 {
        out.push(("blake2_256_digest", blake2.clone()));
    }
    if let Some(json) = attestations {
        out.push(("attestations", json.to_string()));
    }
    out
}

/// The whole multipart form: the text fields, then the file part streamed from `path`.
pub async fn multipart(
    fields: &[(&'static str, String)],
    path: &Path,
    file_name: &str,
    size: u64,
    progress: Arc<Progress>,
    clock: impl Fn() -> u64 + Send + Sync + 'static,
) -> std::io::Result<reqwest::multipart::Form> {
    let mut form = reqwest::multipart::Form::new();
    for (key, value) in fields {
        form = form.text(*key, value.clone());
    }
    let file = tokio::fs::File::open(path).await?;
    let stream = ReaderStream::with_capacity(file, 256 * 1024).map(move |chunk| {
        if let Ok(bytes) = &chunk {
            progress.add(bytes.len() as u64, clock());
        }
        chunk
    });
    let part =
        reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), size)
            .file_name(file_name.to_string())
            .mime_str("application/octet-stream")
            .expect("a valid mime type");
    Ok(form.part("content", part))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A wheel with a multi-use field, a Project-URL, a description and no Requires-Python.
    fn wheel(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("form_snap-1.0-py3-none-any.whl");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        let metadata = "Metadata-Version: 2.1\nName: form-snap\nVersion: 1.0\nSummary: A form in a snapshot\nClassifier: Programming Language :: Python :: 3\nClassifier: Typing :: Typed\nRequires-Dist: packaging>=24\nProject-URL: Source, https://example.org/src\nDescription-Content-Type: text/markdown\n\n# Form snap\n";
        let wheel =
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
        for (name, body) in [
            ("form_snap/__init__.py", ""),
            ("form_snap-1.0.dist-info/METADATA", metadata),
            ("form_snap-1.0.dist-info/WHEEL", wheel),
            ("form_snap-1.0.dist-info/RECORD", ""),
        ] {
            zip.start_file(name, options).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        path
    }

    /// Issue 13: the form as sent, field by field (twine's own form is compared in
    /// `tests/it/upload_test_index.rs`); the digests are filtered, the rest is exact.
    #[test]
    fn the_upload_form_field_by_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = wheel(dir.path());
        let (dist, problems) = crate::dist::check::check_file(&path, crate::dist::Target::Other);
        let dist = dist.unwrap_or_else(|| panic!("{problems:?}"));
        let mut digests = crate::dist::hash::sha256_file(&path).unwrap();
        digests.blake2_256 = Some("b2".repeat(32));
        let lines: Vec<String> = fields(&dist, &digests, Some("[{\"version\":1}]"))
            .into_iter()
            .map(|(k, v)| format!("{k} = {v:?}"))
            .collect();
        insta::with_settings!({filters => vec![(r"[0-9a-f]{64}", "[hex]")]}, {
            insta::assert_snapshot!(lines.join("\n"), @r##"
            :action = "file_upload"
            protocol_version = "1"
            metadata_version = "2.1"
            name = "form-snap"
            version = "1.0"
            summary = "A form in a snapshot"
            description = "# Form snap\n"
            description_content_type = "text/markdown"
            classifiers = "Programming Language :: Python :: 3"
            classifiers = "Typing :: Typed"
            requires_dist = "packaging>=24"
            project_urls = "Source, https://example.org/src"
            requires_python = ""
            filetype = "bdist_wheel"
            pyversion = "py3"
            sha256_digest = "[hex]"
            blake2_256_digest = "[hex]"
            attestations = "[{\"version\":1}]"
            "##);
        });
    }
}
