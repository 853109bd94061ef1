//! The upload request body as WebOb hands it to Warehouse: a multi-dict of text
//! fields and file parts. The `content` part is streamed to a temporary file while
//! it is hashed, so a 200 MB upload never sits in memory; past the file-size limit
//! the bytes are only counted (Warehouse rejects on size before it looks at them).

use std::io::Write;
use std::path::Path;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use blake2::Blake2b;
use blake2::digest::consts::U32;
use md5::Md5;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

/// One value of the multi-dict.
#[derive(Debug, Clone)]
pub enum Value {
    /// A plain form field.
    Text(String),
    /// A part that carried a filename (WebOb's `FieldStorage`).
    File {
        filename: String,
        content_type: Option<String>,
    },
}

/// The streamed `content` part.
#[derive(Debug)]
pub struct Content {
    pub filename: String,
    pub content_type: Option<String>,
    /// Bytes received, even past the limit.
    pub size: u64,
    /// Lowercase hex digests of the whole part (meaningful only when not `truncated`).
    pub sha256: String,
    pub blake2_256: String,
    pub md5: String,
    /// The bytes, up to the limit (only the size counts past it).
    pub file: NamedTempFile,
}

/// The parsed request body: WebOb's `request.POST`.
#[derive(Debug, Default)]
pub struct PostData {
    /// Every part in received order (`content` included, as a `File` value).
    pub items: Vec<(String, Value)>,
    /// The last `content` file part (WebOb's `POST["content"]` is the last value).
    pub content: Option<Content>,
}

impl PostData {
    /// `MultiDict.get(key)`: the last value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.items
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The last value when it is text.
    pub fn get_text(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Value::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// `MultiDict.getall(key)` restricted to text values.
    pub fn getall(&self, key: &str) -> Vec<&str> {
        self.items
            .iter()
            .filter(|(k, _)| k == key)
            .filter_map(|(_, v)| match v {
                Value::Text(text) => Some(text.as_str()),
                Value::File { .. } => None,
            })
            .collect()
    }

    /// Distinct keys in first-seen order.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for (key, _) in &self.items {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
        keys
    }

    pub fn contains(&self, key: &str) -> bool {
        self.items.iter().any(|(k, _)| k == key)
    }

    fn remove(&mut self, key: &str) {
        self.items.retain(|(k, _)| k != key);
    }

    /// `MultiDict.__setitem__`: drop every value, append the new one.
    fn set(&mut self, key: &str, value: Value) {
        self.remove(key);
        self.items.push((key.to_owned(), value));
    }

    /// Warehouse's `sanitize` decorator, part one: drop fields whose value is
    /// distutils' `UNKNOWN` and escape NUL characters.
    pub fn sanitize(&mut self) {
        for key in self.keys() {
            if let Some(Value::Text(value)) = self.get(&key).cloned() {
                if value.trim() == "UNKNOWN" {
                    self.remove(&key);
                }
                if value.contains('\0') {
                    self.set(&key, Value::Text(value.replace('\0', "\\x00")));
                }
            }
        }
    }

    /// Warehouse's `sanitize`, part two: a field other than `content` and
    /// `gpg_signature` that arrived as a file part.
    pub fn tuple_field(&self) -> Option<&str> {
        self.items
            .iter()
            .find(|(k, v)| {
                k != "content" && k != "gpg_signature" && matches!(v, Value::File { .. })
            })
            .map(|(k, _)| k.as_str())
    }
}

/// Why the body could not be read.
#[derive(Debug)]
pub struct BodyError(pub String);

/// Reads the request body. `multipart/form-data` is streamed; a urlencoded body is
/// parsed as fields; anything else is an empty form (as WebOb treats it).
pub async fn read(request: Request, tmp_dir: &Path, limit: u64) -> Result<PostData, BodyError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes = axum::body::to_bytes(request.into_body(), 16 * 1024 * 1024)
            .await
            .map_err(|e| BodyError(e.to_string()))?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|e| BodyError(e.to_string()))?;
        return Ok(PostData {
            items: pairs
                .into_iter()
                .map(|(k, v)| (k, Value::Text(v)))
                .collect(),
            content: None,
        });
    }
    if !content_type.starts_with("multipart/form-data") {
        return Ok(PostData::default());
    }
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| BodyError(e.body_text()))?;
    let mut post = PostData::default();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| BodyError(e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_owned();
        let filename = field.file_name().map(str::to_owned);
        let part_type = field.content_type().map(str::to_owned);
        match filename {
            Some(filename) if name == "content" => {
                let mut sink = Sink::new(tmp_dir, limit)?;
                while let Some(chunk) = field.chunk().await.map_err(|e| BodyError(e.body_text()))? {
                    sink.write(&chunk)?;
                }
                post.items.push((
                    name,
                    Value::File {
                        filename: filename.clone(),
                        content_type: part_type.clone(),
                    },
                ));
                post.content = Some(sink.finish(filename, part_type));
            }
            Some(filename) => {
                // Drain it: only its presence matters (the "tuple" rejection).
                while field
                    .chunk()
                    .await
                    .map_err(|e| BodyError(e.body_text()))?
                    .is_some()
                {}
                post.items.push((
                    name,
                    Value::File {
                        filename,
                        content_type: part_type,
                    },
                ));
            }
            None => {
                let bytes = field.bytes().await.map_err(|e| BodyError(e.body_text()))?;
                post.items.push((
                    name,
                    Value::Text(String::from_utf8_lossy(&bytes).into_owned()),
                ));
            }
        }
    }
    Ok(post)
}

/// Writes and hashes the `content` part as it arrives.
struct Sink {
    file: NamedTempFile,
    size: u64,
    limit: u64,
    sha256: Sha256,
    blake2: Blake2b<U32>,
    md5: Md5,
}

impl Sink {
    fn new(tmp_dir: &Path, limit: u64) -> Result<Self, BodyError> {
        Ok(Sink {
            file: NamedTempFile::new_in(tmp_dir).map_err(|e| BodyError(e.to_string()))?,
            size: 0,
            limit,
            sha256: Sha256::new(),
            blake2: Blake2b::new(),
            md5: Md5::new(),
        })
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), BodyError> {
        let before = self.size;
        self.size += chunk.len() as u64;
        if before >= self.limit {
            return Ok(());
        }
        let keep = &chunk[..chunk.len().min((self.limit - before) as usize)];
        self.file
            .write_all(keep)
            .map_err(|e| BodyError(e.to_string()))?;
        self.sha256.update(keep);
        self.blake2.update(keep);
        self.md5.update(keep);
        Ok(())
    }

    fn finish(mut self, filename: String, content_type: Option<String>) -> Content {
        let _ = self.file.flush();
        Content {
            filename,
            content_type,
            size: self.size,
            sha256: hex::encode(self.sha256.finalize()),
            blake2_256: hex::encode(self.blake2.finalize()),
            md5: hex::encode(self.md5.finalize()),
            file: self.file,
        }
    }
}
