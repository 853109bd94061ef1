//! What an index's answer to an upload means.
//!
//! Indexes say "no" in many dialects: PyPI puts `"<code> <message>"` in the status line and
//! the body (HTML or text), HTTP/2 has no reason phrase at all, and each index answers a
//! duplicate differently (SPEC §1). This module turns an answer into an [`Answer`] and a
//! message a person can act on.

use std::time::Duration;

use crate::http::body::message_from_body;
use crate::http::retry::{is_transient_status, parse_retry_after};

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

    /// Whether the refusal is about the run's configuration (the URL is no upload endpoint,
    /// the credentials are refused), not about the file: every other file would meet it
    /// too, so the run stops at the first. A minted token that expired on the wire was
    /// renewed before this is asked.
    pub fn stops_the_run(&self) -> bool {
        matches!(
            self.kind,
            RefusalKind::NotAnUploadEndpoint
                | RefusalKind::Gone
                | RefusalKind::MissingCredentials
                | RefusalKind::InvalidCredentials
                | RefusalKind::PasswordAuthDisabled
        ) || matches!(self.status, 401 | 403)
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
            RefusalKind::NotAnUploadEndpoint => UPLOAD_URL_HINT,
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

/// What the repository URL must be, for a URL that takes no uploads.
pub const UPLOAD_URL_HINT: &str = "the repository URL must be an index's upload endpoint (the legacy upload API), such as PyPI's https://upload.pypi.org/legacy/ or TestPyPI's https://test.pypi.org/legacy/ (devpi: https://HOST/USER/INDEX/); a simple-index or web-page URL does not take uploads";

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
    if is_transient_status(status) {
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
        // A site's front page (405), a plain web server (501), a path nothing serves (404).
        404 | 405 | 501 => RefusalKind::NotAnUploadEndpoint,
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

    /// Each arm of `classify` with an answer an index gives for it (Warehouse's own words
    /// where it is Warehouse's rule).
    #[test]
    fn every_answer_lands_in_its_kind() {
        use RefusalKind::*;
        let refused = |status, body: &str| match classify(status, None, body) {
            Answer::Refused(r) => r.kind,
            other => panic!("{status} {body}: {other:?}"),
        };
        for (status, body, kind) in [
            (401, "Unauthorized", MissingCredentials),
            (
                403,
                "Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers instead.",
                PasswordAuthDisabled,
            ),
            (
                403,
                "The user 'x' isn't allowed to upload to project 'demo'.",
                NoPermission,
            ),
            (403, "Uploads are not allowed for this token", NoPermission),
            (
                403,
                "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.",
                InvalidCredentials,
            ),
            (403, "Forbidden", NoPermission),
            (404, "Not Found", NotAnUploadEndpoint),
            (405, "Method Not Allowed", NotAnUploadEndpoint),
            (501, "Unsupported method ('POST')", NotAnUploadEndpoint),
            (413, "Request Entity Too Large", TooLarge),
            (
                400,
                "File too large. Limit for project 'demo' is 100 MB.",
                TooLarge,
            ),
            (
                400,
                "Project size too large. Limit for project 'demo' total size is 10 GB.",
                TooLarge,
            ),
            (410, "Gone", Gone),
            (
                400,
                "Non-user identities cannot create new projects. This was probably caused by successfully using a pending publisher but specifying the project name incorrectly.",
                NoProjectForPublisher,
            ),
            (
                400,
                "Uploading new files to releases older than 14 days is not allowed.",
                ClosedRelease,
            ),
            (
                400,
                "Invalid value for version. Error: 'x' is an invalid value for Version.",
                Invalid,
            ),
            (418, "I'm a teapot", Other),
        ] {
            assert_eq!(refused(status, body), kind, "{status} {body}");
        }
        for (status, body) in [
            (409, "Conflict"),
            (
                400,
                "File already exists ('demo-1.0.tar.gz', with blake2_256 hash 'ab').",
            ),
            (400, "Version has already been taken"),
            (403, "Artifact cannot be updated"),
            (400, "Cannot overwrite artifact"),
        ] {
            assert!(
                matches!(classify(status, None, body), Answer::FileExists(_)),
                "{status} {body}"
            );
        }
        assert_eq!(classify(201, None, "Created"), Answer::Accepted);
        assert!(matches!(
            classify(503, Some("7"), "Service Unavailable"),
            Answer::Transient { status: 503, .. }
        ));
    }

    #[test]
    fn an_expired_token_is_told_from_other_refusals() {
        let refusal = |status, body: &str| match classify(status, None, body) {
            Answer::Refused(r) => r,
            other => panic!("{other:?}"),
        };
        assert!(
            refusal(403, "Invalid or non-existent authentication information.").token_expired()
        );
        assert!(refusal(403, "The token is expired").token_expired());
        assert!(
            !refusal(
                403,
                "The user 'x' isn't allowed to upload to project 'demo'."
            )
            .token_expired()
        );
        assert!(!refusal(400, "The token is expired").token_expired());
    }
}
