//! What an index's answer to an upload means.
//!
//! Indexes say "no" in many dialects: PyPI puts `"<code> <message>"` in the status line and
//! the body (HTML or text), HTTP/2 has no reason phrase at all, and each index answers a
//! duplicate differently (SPEC §1). This module turns an answer into an [`Answer`] and a
//! message a person can act on.

use std::time::Duration;

use super::retry::{is_retryable_status, parse_retry_after};

/// The meaning of an upload response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Stored.
    Accepted,
    /// The index says a file of that name exists: the caller compares hashes to tell an
    /// identical re-upload from a conflict.
    FileExists(String),
    /// Transient: worth another attempt after a look at the index.
    Transient {
        /// HTTP status.
        status: u16,
        /// The index's message.
        message: String,
        /// The wait the index asked for.
        retry_after: Option<Duration>,
    },
    /// Refused for good.
    Refused(Refusal),
}

/// A final refusal, with its kind for the hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// The index's message (reduced to text).
    pub message: String,
    /// What kind of refusal.
    pub kind: RefusalKind,
}

/// Kinds of refusal that have their own hint.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    MissingCredentials,
    InvalidCredentials,
    PasswordAuthDisabled,
    NoPermission,
    NotAnUploadEndpoint,
    TooLarge,
    Gone,
    NoProjectForPublisher,
    ClosedRelease,
    Invalid,
    Other,
}

impl Refusal {
    /// Whether the index refused the token as expired (a minted token that ran out while
    /// the upload was on the wire), or as unknown.
    pub fn token_expired(&self) -> bool {
        self.status == 403
            && (self.kind == RefusalKind::InvalidCredentials
                || self.message.to_ascii_lowercase().contains("expired"))
    }

    /// How to fix it, in the user's words.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self.kind {
            RefusalKind::MissingCredentials => {
                "the index wants credentials: pass --username/--password, --token, or set TWINE_USERNAME/TWINE_PASSWORD"
            }
            RefusalKind::InvalidCredentials => {
                "the credentials were refused: check the token (for PyPI the username is __token__ and the password a pypi- token)"
            }
            RefusalKind::PasswordAuthDisabled => {
                "PyPI accepts only API tokens (username __token__) or trusted publishing, not account passwords"
            }
            RefusalKind::NoPermission => {
                "the token is valid but may not upload to this project: use a token scoped to it, or ask an owner for the Maintainer role"
            }
            RefusalKind::NotAnUploadEndpoint => {
                "this URL does not accept uploads: is it the simple-index URL? PyPI's upload URL is https://upload.pypi.org/legacy/"
            }
            RefusalKind::TooLarge => {
                "the file is over the index's size limit: PyPI can raise a project's limit on request (pypi/support)"
            }
            RefusalKind::Gone => {
                "the index no longer serves this endpoint: check the repository URL"
            }
            RefusalKind::NoProjectForPublisher => {
                "a trusted publisher can only upload to a project that exists: create the project through a pending publisher (https://pypi.org/manage/account/publishing/), and check that its project name matches the distribution's Name"
            }
            RefusalKind::ClosedRelease => super::outcome::CLOSED_RELEASE_HINT,
            RefusalKind::Invalid | RefusalKind::Other => return None,
        })
    }
}

/// Classifies a response from its status, headers and body text.
pub fn classify(status: u16, retry_after: Option<&str>, body: &str) -> Answer {
    let message = message_from_body(status, body);
    let lower = message.to_ascii_lowercase();
    if (200..300).contains(&status) {
        return Answer::Accepted;
    }
    if status == 409
        || lower.contains("already exists")
        || lower.contains("already been taken")
        || lower.contains("cannot be updated")
        || lower.contains("overwrite artifact")
    {
        return Answer::FileExists(message);
    }
    if is_retryable_status(status) {
        return Answer::Transient {
            status,
            message,
            retry_after: retry_after.and_then(parse_retry_after),
        };
    }
    let kind = match status {
        401 => RefusalKind::MissingCredentials,
        403 if lower.contains("username/password authentication") => {
            RefusalKind::PasswordAuthDisabled
        }
        403 if lower.contains("isn't allowed to upload") || lower.contains("not allowed") => {
            RefusalKind::NoPermission
        }
        403 if lower.contains("invalid or non-existent authentication") => {
            RefusalKind::InvalidCredentials
        }
        403 => RefusalKind::NoPermission,
        405 => RefusalKind::NotAnUploadEndpoint,
        413 => RefusalKind::TooLarge,
        400 if lower.contains("file too large") || lower.contains("project size too large") => {
            RefusalKind::TooLarge
        }
        410 => RefusalKind::Gone,
        400 if lower.contains("non-user identities cannot create new projects") => {
            RefusalKind::NoProjectForPublisher
        }
        400 if lower.contains("releases older than 14 days") => RefusalKind::ClosedRelease,
        400 => RefusalKind::Invalid,
        _ => RefusalKind::Other,
    };
    Answer::Refused(Refusal {
        status,
        message,
        kind,
    })
}

/// The human message in a response body: HTML reduced to its `<title>` (or its text), the
/// Warehouse `"<code> "` prefix removed, whitespace collapsed, long bodies cut.
pub fn message_from_body(status: u16, body: &str) -> String {
    let text = if looks_like_html(body) {
        title_of(body).unwrap_or_else(|| strip_tags(body))
    } else {
        body.to_string()
    };
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let code = status.to_string();
    let trimmed = collapsed
        .strip_prefix(&code)
        .map_or(collapsed.as_str(), str::trim_start);
    let mut message: String = trimmed.chars().take(500).collect();
    if message.is_empty() {
        message = format!("HTTP {status}");
    }
    message
}

fn looks_like_html(body: &str) -> bool {
    let start = body
        .trim_start()
        .get(..64)
        .unwrap_or(body.trim_start())
        .to_ascii_lowercase();
    start.starts_with("<!doctype html")
        || start.starts_with("<html")
        || start.starts_with("<head")
        || start.starts_with("<body")
}

fn title_of(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    Some(decode_entities(&html[start..end]))
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode_entities(&out)
}

/// Decodes the handful of entities error pages use.
pub fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_warehouse_html_errors() {
        let body = "<html>\n <head>\n  <title>400 File already exists (&#x27;demo-1.0.tar.gz&#x27;, with blake2_256 hash &#x27;ab&#x27;).</title>\n </head></html>";
        assert_eq!(
            classify(400, None, body),
            Answer::FileExists(
                "File already exists ('demo-1.0.tar.gz', with blake2_256 hash 'ab').".into()
            )
        );
    }

    #[test]
    fn tells_403_variants_apart() {
        let kind = |body: &str| match classify(403, None, body) {
            Answer::Refused(r) => r.kind,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            kind("403 Invalid or non-existent authentication information. See …"),
            RefusalKind::InvalidCredentials
        );
        assert_eq!(
            kind("403 The given token isn't allowed to upload to project 'x'."),
            RefusalKind::NoPermission
        );
        assert_eq!(
            kind("403 Username/Password authentication is no longer supported."),
            RefusalKind::PasswordAuthDisabled
        );
    }

    #[test]
    fn transient_statuses_keep_retry_after() {
        assert_eq!(
            classify(429, Some("3"), ""),
            Answer::Transient {
                status: 429,
                message: "HTTP 429".into(),
                retry_after: Some(Duration::from_secs(3))
            }
        );
        assert!(matches!(
            classify(405, None, "Method Not Allowed"),
            Answer::Refused(Refusal {
                kind: RefusalKind::NotAnUploadEndpoint,
                ..
            })
        ));
    }
}
