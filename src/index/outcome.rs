//! How an upload ends: [`UploadOutcome`] when the file is on the index, [`UploadError`]
//! (with the file's name and a hint) when it is not or may not be.

use super::MAX_REDIRECTS;
use super::response::Refusal;
use super::simple::LookupError;

/// How an upload ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadOutcome {
    /// Stored by this run, after this many attempts.
    Uploaded {
        /// Attempts made (1 = first try).
        attempts: u32,
    },
    /// The index already had these exact bytes (a lost response, a parallel job, or an
    /// index that answers identical re-uploads with an error).
    AlreadyPresent,
}

/// How an upload ended badly: the file, and what happened to it (uv's shape: the context
/// once, the cause in [`UploadErrorKind`] and its sources).
#[derive(Debug)]
pub struct UploadError {
    /// File name.
    pub file: String,
    /// What happened.
    pub kind: UploadErrorKind,
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.kind)
    }
}

// The kind is shown in this error's own line: the chain goes on with the kind's cause.
impl std::error::Error for UploadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.kind.source()
    }
}

/// What went wrong with one file.
#[derive(Debug, thiserror::Error)]
pub enum UploadErrorKind {
    /// The index refused the file.
    #[error("the index refused the upload ({status}): {message}", status = .0.status, message = .0.message)]
    Refused(Refusal),
    /// Same name, other bytes.
    #[error(
        "the index already has a different file of this name (index sha256 {index}, local sha256 {local})"
    )]
    Conflict {
        /// Our sha256.
        local: String,
        /// The index's sha256, or "unknown".
        index: String,
    },
    /// A new file for a release the index closed: PyPI takes no new files in a release
    /// 14 days after it was created (Warehouse `MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS`).
    #[error(
        "Uploading new files to releases older than 14 days is not allowed. ({project} {version} was first uploaded {age_days} days ago)"
    )]
    ClosedRelease {
        /// Project name, as in the metadata.
        project: String,
        /// The release's version.
        version: String,
        /// Days since the release's first file was uploaded.
        age_days: i64,
    },
    /// The index says the file exists but no simple index is known to compare hashes.
    #[error("the index says the file already exists: {0}")]
    ExistsUnverified(String),
    /// Transient failures until the time budget (or `--attempts`) was spent.
    #[error("gave up after {attempts} attempts")]
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        #[source]
        last: AttemptError,
    },
    /// A redirect we must not follow with credentials.
    #[error("the index redirected the upload ({status}) to {location}")]
    Redirected {
        /// HTTP status.
        status: u16,
        /// Where to (redacted).
        location: String,
        /// Redirects already followed before this one.
        hops: u32,
    },
    /// No upload token could be had (trusted publishing).
    #[error(transparent)]
    Credentials(Box<crate::auth::TrustedPublishingError>),
    /// The file could not be read.
    #[error("cannot read the file")]
    Io(#[source] std::io::Error),
    /// The run was interrupted (SIGINT/SIGTERM).
    #[error("{0}")]
    Interrupted(Interruption),
    /// The index could not be asked whether the file landed.
    #[error("cannot tell whether the file landed")]
    Recheck(#[source] LookupError),
}

impl UploadError {
    /// `kind` for `file`.
    pub fn new(file: impl Into<String>, kind: UploadErrorKind) -> Self {
        Self {
            file: file.into(),
            kind,
        }
    }

    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match &self.kind {
            UploadErrorKind::Refused(refusal) => refusal.hint().map(str::to_string),
            UploadErrorKind::Conflict { .. } => Some(
                "a published file can never be replaced: rebuild with a new version (or a wheel build tag), or delete the stale local file".into(),
            ),
            UploadErrorKind::ClosedRelease { .. } => Some(CLOSED_RELEASE_HINT.into()),
            UploadErrorKind::ExistsUnverified(_) => Some(
                "skip-identical needs the simple index to compare hashes: pass --check-url".into(),
            ),
            UploadErrorKind::Redirected { hops, .. } if *hops >= MAX_REDIRECTS => Some(format!(
                "the index kept redirecting the upload ({hops} redirects followed): a redirect loop; check --repository-url"
            )),
            UploadErrorKind::Redirected { location, .. } => Some(format!(
                "credentials are never sent to another URL: if {location} is right, pass it as --repository-url"
            )),
            UploadErrorKind::Exhausted { last, .. } => Some(
                last.tls_hint()
                    .unwrap_or("the index kept failing: re-run later; files already uploaded are skipped")
                    .into(),
            ),
            UploadErrorKind::Recheck(source) => source.hint().map(str::to_string),
            UploadErrorKind::Io(_) => None,
            UploadErrorKind::Credentials(source) => {
                source.hint(&crate::auth::diagnose::Context::default())
            }
            UploadErrorKind::Interrupted(_) => Some(
                "re-run the same command to finish: files already on the index are skipped".into(),
            ),
        }
    }

    /// What went wrong and its causes on one line, without the file's name (for lines that
    /// already name it).
    pub fn reason(&self) -> String {
        crate::http::client::chain_text(&self.kind)
    }

    /// The file, what went wrong and its causes, on one line (a report row).
    pub fn one_line(&self) -> String {
        format!("{}: {}", self.file, self.reason())
    }

    /// The index's refusal when it is about the run's configuration (see
    /// [`Refusal::stops_the_run`]): no other file can fare better.
    pub fn stopping_refusal(&self) -> Option<&Refusal> {
        match &self.kind {
            UploadErrorKind::Refused(refusal) if refusal.stops_the_run() => Some(refusal),
            _ => None,
        }
    }

    /// Whether running again could help (the cause was transient or the run was cut short).
    pub fn rerun_may_help(&self) -> bool {
        matches!(
            self.kind,
            UploadErrorKind::Exhausted { .. }
                | UploadErrorKind::Recheck(_)
                | UploadErrorKind::Interrupted(_)
                | UploadErrorKind::Io(_)
                | UploadErrorKind::Credentials(_)
        )
    }

    /// Whether the run was interrupted before this file's upload started.
    pub fn not_started(&self) -> bool {
        matches!(
            self.kind,
            UploadErrorKind::Interrupted(Interruption::NotStarted)
        )
    }
}

/// Why one attempt got no usable answer: transient, so the next attempt (after a look at
/// the index) may fare better. Transport failures keep their cause as the source.
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    /// A transient status (408, 429, 5xx).
    #[error("{status} {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The index's message.
        message: String,
    },
    /// No answer: the connection could not be made, broke, or timed out.
    #[error("{}", transport_words(.0))]
    Transport(#[source] reqwest::Error),
    /// The body stopped moving.
    #[error("the upload stalled ({idle_secs} s without progress at {sent} of {size} bytes)")]
    Stalled {
        /// Seconds without progress.
        idle_secs: u64,
        /// Bytes sent.
        sent: u64,
        /// The file's size.
        size: u64,
    },
    /// The whole file went and no answer came.
    #[error("no answer after the file was sent ({idle_secs} s)")]
    NoAnswer {
        /// Seconds waited.
        idle_secs: u64,
    },
    /// An answer whose body broke off.
    #[error("{status} with an unreadable body")]
    UnreadableBody {
        /// HTTP status.
        status: u16,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// An answer whose body never came.
    #[error("{status} and then no body for {secs} s")]
    BodyTimeout {
        /// HTTP status.
        status: u16,
        /// Seconds waited.
        secs: u64,
    },
}

impl AttemptError {
    /// A transport failure, its URL dropped (a URL may carry credentials).
    pub fn transport(e: reqwest::Error) -> Self {
        AttemptError::Transport(e.without_url())
    }

    /// The hint when TLS is the cause.
    pub fn tls_hint(&self) -> Option<&'static str> {
        match self {
            AttemptError::Transport(e) | AttemptError::UnreadableBody { source: e, .. } => {
                crate::http::client::tls_hint(&crate::http::client::chain_text(e))
            }
            _ => None,
        }
    }
}

fn transport_words(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "connection broken"
    }
}

/// What to do about a release closed to new files (planned, or refused by the index).
pub(crate) const CLOSED_RELEASE_HINT: &str = "PyPI takes new files into a release only during its first 14 days: publish these files under a new version (for example a post-release, 1.0.post1)";

/// How far an interrupted upload got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// Nothing was sent.
    NotStarted,
    /// Abandoned mid-upload; the index, asked right afterwards, did not have the file (a
    /// server still busy with the request may store it later: a re-run looks again).
    NotOnIndex,
    /// Abandoned mid-upload; the index could not be asked in time.
    Unknown,
}

impl std::fmt::Display for Interruption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Interruption::NotStarted => "not uploaded: interrupted before it started",
            Interruption::NotOnIndex => {
                "interrupted mid-upload: not on the index when looked up after the signal"
            }
            Interruption::Unknown => {
                "interrupted mid-upload: whether it landed is unknown (a re-run checks)"
            }
        })
    }
}
