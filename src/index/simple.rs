//! Asking an index what it already has: the simple API, PEP 691 JSON or PEP 503 HTML.
//!
//! One request per project. A 404 means the project is unknown (nothing exists yet); any
//! other failure is an error, never "absent": uploading blind is how conflicts are missed.

use std::collections::BTreeMap;
use std::time::Duration;

use super::fetch;
use crate::auth::Credentials;
use crate::dist::hash::Sha256Hex;
use crate::http::body::decode_entities;
use crate::http::retry::is_transient_status;
use crate::http::{Failure, RetryPolicy, SafeUrl, retry};

const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, text/html;q=0.1";
const TIMEOUT: Duration = Duration::from_secs(60);

/// The files an index lists for a project, by filename.
pub type ProjectFiles = BTreeMap<String, Listed>;

/// What an index says about one file it lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listed {
    /// Its sha256, when the index gives one.
    pub sha256: Option<Sha256Hex>,
    /// When it was uploaded (PEP 700 `upload-time`: PyPI's JSON API gives it; devpi,
    /// pypiserver and HTML pages do not).
    pub uploaded: Option<jiff::Timestamp>,
    /// Its PEP 740 provenance, as the JSON simple API lists it.
    pub provenance: ProvenanceLink,
}

/// What the simple API says of a file's provenance (PEP 740; API version 1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProvenanceLink {
    /// Nothing: the index does not list provenance (an HTML page, devpi, pypiserver).
    #[default]
    Unlisted,
    /// `"provenance": null`: the file has none.
    Absent,
    /// The URL of its provenance object (PyPI: the Integrity API on the web host).
    Url(String),
}

/// Why a lookup failed.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The index answered with an error status.
    #[error("{url} answered {status}: {message}")]
    Status {
        /// The URL asked.
        url: SafeUrl,
        /// HTTP status.
        status: u16,
        /// The index's message.
        message: String,
    },
    /// No answer.
    #[error("cannot reach {url}")]
    Transport {
        /// The URL asked.
        url: SafeUrl,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// The run was interrupted (SIGINT/SIGTERM) before the answer came.
    #[error("interrupted before the index answered")]
    Interrupted,
    /// An answer we cannot read.
    #[error("{url} sent an unreadable simple-API page: {reason}")]
    Parse {
        /// The URL asked.
        url: SafeUrl,
        /// What was wrong.
        reason: String,
    },
}

impl LookupError {
    /// Whether asking again later may get an answer (no answer, 408, 429, 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            LookupError::Transport { .. } => true,
            LookupError::Status { status, .. } => is_transient_status(*status),
            LookupError::Interrupted | LookupError::Parse { .. } => false,
        }
    }

    /// How to fix it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            LookupError::Status {
                status: 401 | 403, ..
            } => Some(
                "the simple index refused to list files: give credentials that may read it, or point --check-url at a readable simple index",
            ),
            // Only a redirect past the last one followed is left unfollowed.
            LookupError::Status {
                status: 300..=399, ..
            } => Some("the index kept redirecting the lookup (a redirect loop): check --check-url"),
            LookupError::Parse { .. } => Some("is --check-url a simple-index (PEP 503/691) URL?"),
            LookupError::Transport { source, .. } => {
                crate::http::client::tls_hint(&crate::http::client::chain_text(source))
            }
            _ => None,
        }
    }
}

/// Looks up one project. `Ok(None)` when the index does not know it.
pub async fn lookup(
    client: &reqwest::Client,
    check_url: &SafeUrl,
    normalized_name: &str,
    credentials: Option<&Credentials>,
    policy: &RetryPolicy,
) -> Result<Option<ProjectFiles>, LookupError> {
    let url = check_url
        .join(&format!("{normalized_name}/"))
        .map_err(|e| LookupError::Parse {
            url: check_url.clone(),
            reason: e.to_string(),
        })?;
    retry(policy, |_| get(client, &url, credentials)).await
}

/// One attempt: the GET ([`super::fetch`]), then the page read as JSON or HTML.
async fn get(
    client: &reqwest::Client,
    start: &SafeUrl,
    credentials: Option<&Credentials>,
) -> Result<Option<ProjectFiles>, Failure<LookupError>> {
    let Some(page) = fetch::get(client, start, ACCEPT, TIMEOUT, credentials).await? else {
        return Ok(None);
    };
    let parsed = if page.content_type.contains("json") {
        parse_json(&page.body)
    } else {
        Ok(parse_html(&page.body, &page.url))
    };
    parsed.map(Some).map_err(|reason| {
        Failure::Final(LookupError::Parse {
            url: page.url,
            reason,
        })
    })
}

/// PEP 691: `files[].filename` and `files[].hashes.sha256`; PEP 700 `files[].upload-time`.
fn parse_json(body: &str) -> Result<ProjectFiles, String> {
    #[derive(serde::Deserialize)]
    struct Page {
        files: Vec<File>,
    }
    #[derive(serde::Deserialize)]
    struct File {
        filename: String,
        #[serde(default)]
        hashes: BTreeMap<String, String>,
        #[serde(default, rename = "upload-time")]
        upload_time: Option<String>,
        // Absent key: unlisted; `null`: none (`deserialize_with` only runs when present).
        #[serde(default, deserialize_with = "provenance_link")]
        provenance: ProvenanceLink,
    }
    let page: Page = serde_json::from_str(body).map_err(|e| e.to_string())?;
    Ok(page
        .files
        .into_iter()
        .map(|f| {
            let listed = Listed {
                sha256: f.hashes.get("sha256").map(|h| Sha256Hex::new(h)),
                // An unreadable time is treated as absent: the 14-day rule then does not
                // apply, and the index itself has the last word.
                uploaded: f.upload_time.and_then(|t| t.parse().ok()),
                provenance: f.provenance,
            };
            (f.filename, listed)
        })
        .collect())
}

fn provenance_link<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ProvenanceLink, D::Error> {
    let url: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(url.map_or(ProvenanceLink::Absent, ProvenanceLink::Url))
}

/// PEP 503: one anchor per file; the text is the filename, the URL fragment `#sha256=…`.
fn parse_html(body: &str, base: &SafeUrl) -> ProjectFiles {
    let mut files = ProjectFiles::new();
    let lower = body.to_ascii_lowercase();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<a ").map(|i| at + i) {
        let Some(tag_end) = lower[start..].find('>').map(|i| start + i) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</a>").map(|i| tag_end + i) else {
            break;
        };
        let tag = &body[start..tag_end];
        let text = decode_entities(body[tag_end + 1..close].trim());
        at = close + 4;
        let Some(href) = attribute(tag, "href") else {
            continue;
        };
        let href = decode_entities(&href);
        let url = base.join(&href).ok();
        let sha256 = url
            .as_ref()
            .and_then(|u| u.fragment())
            .and_then(|f| f.strip_prefix("sha256="))
            .map(Sha256Hex::new);
        let filename = if text.is_empty() {
            url.as_ref()
                .and_then(|u| u.path_segments())
                .and_then(|mut s| s.next_back())
                .unwrap_or("")
                .to_string()
        } else {
            text
        };
        if !filename.is_empty() {
            let listed = Listed {
                sha256,
                ..Listed::default()
            };
            files.insert(filename, listed);
        }
    }
    files
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let pos = lower.find(&format!("{name}="))? + name.len() + 1;
    let rest = &tag[pos..];
    let quote = rest.chars().next()?;
    if quote == '"' || quote == '\'' {
        rest[1..]
            .find(quote)
            .map(|end| rest[1..1 + end].to_string())
    } else {
        Some(
            rest.split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or("")
                .to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pep_503_anchors() {
        let base = SafeUrl::parse("http://127.0.0.1:1/simple/demo/").unwrap();
        let html = r#"<html><body><a href="../../packages/demo-1.0.tar.gz#sha256=ABCD" data-requires-python="&gt;=3.9">demo-1.0.tar.gz</a>
<A HREF='/f/demo-1.0-py3-none-any.whl#md5=00'>demo-1.0-py3-none-any.whl</A></body></html>"#;
        let files = parse_html(html, &base);
        assert_eq!(
            files["demo-1.0.tar.gz"].sha256,
            Some(Sha256Hex::new("abcd"))
        );
        assert_eq!(files["demo-1.0-py3-none-any.whl"].sha256, None);
        // Single quotes, no quotes (ended by a space or the tag's end), and no text.
        let html = "<a href='/f/a-1.0.tar.gz#sha256=AA'>a-1.0.tar.gz</a>\
            <a href=/f/b-1.0.tar.gz#sha256=BB data-yanked=\"\">b-1.0.tar.gz</a>\
            <a href=/f/c-1.0.tar.gz#sha256=CC></a>";
        let files = parse_html(html, &base);
        for (file, sha256) in [("a", "aa"), ("b", "bb"), ("c", "cc")] {
            assert_eq!(
                files[&format!("{file}-1.0.tar.gz")].sha256,
                Some(Sha256Hex::new(sha256)),
                "{file}"
            );
        }
    }

    #[test]
    fn parses_pep_691_json() {
        let json = r#"{"meta":{"api-version":"1.1"},"name":"demo","files":[{"filename":"demo-1.0.tar.gz","url":"x","hashes":{"sha256":"AB"},"upload-time":"2026-01-02T03:04:05.123456Z"},{"filename":"demo-1.0-py3-none-any.whl","url":"y","hashes":{},"upload-time":"yesterday","provenance":null},{"filename":"demo-1.1.tar.gz","url":"z","provenance":"https://pypi.org/integrity/demo/1.1/demo-1.1.tar.gz/provenance"}]}"#;
        let files = parse_json(json).unwrap();
        let sdist = &files["demo-1.0.tar.gz"];
        assert_eq!(sdist.sha256, Some(Sha256Hex::new("ab")));
        assert_eq!(sdist.uploaded.map(|t| t.as_second()), Some(1_767_323_045));
        let wheel = &files["demo-1.0-py3-none-any.whl"];
        assert_eq!((wheel.sha256.as_ref(), wheel.uploaded), (None, None));
        // PEP 740: no key, `null`, or the provenance object's URL.
        assert_eq!(sdist.provenance, ProvenanceLink::Unlisted);
        assert_eq!(wheel.provenance, ProvenanceLink::Absent);
        assert_eq!(
            files["demo-1.1.tar.gz"].provenance,
            ProvenanceLink::Url(
                "https://pypi.org/integrity/demo/1.1/demo-1.1.tar.gz/provenance".into()
            )
        );
    }

    #[test]
    fn lookup_failures_say_whether_to_wait_and_what_to_fix() {
        let url = || SafeUrl::parse("http://127.0.0.1:1/simple/demo/").unwrap();
        let status = |status| LookupError::Status {
            url: url(),
            status,
            message: "m".into(),
        };
        let parse = LookupError::Parse {
            url: url(),
            reason: "r".into(),
        };
        assert!(status(503).is_transient() && status(429).is_transient());
        assert!(!status(403).is_transient() && !parse.is_transient());
        assert!(!LookupError::Interrupted.is_transient());
        for refused in [401, 403] {
            assert!(status(refused).hint().unwrap().contains("--check-url"));
        }
        assert_eq!(status(404).hint(), None);
        assert_eq!(
            parse.hint(),
            Some("is --check-url a simple-index (PEP 503/691) URL?")
        );
    }
}
