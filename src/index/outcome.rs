//! How an upload ends: [`UploadOutcome`] when the file is on the index, [`UploadError`]
//! (with the file's name and a hint) when it is not or may not be.

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

/// How an upload ended badly.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The index refused the file.
    #[error("{file}: the index refused the upload ({status}): {message}", status = .refusal.status, message = .refusal.message)]
    Refused {
        /// File name.
        file: String,
        /// The refusal.
        refusal: Refusal,
    },
    /// Same name, other bytes.
    #[error(
        "{file}: the index already has a different file of this name (index sha256 {index}, local sha256 {local})"
    )]
    Conflict {
        /// File name.
        file: String,
        /// Our sha256.
        local: String,
        /// The index's sha256, or "unknown".
        index: String,
    },
    /// A new file for a release the index closed: PyPI takes no new files in a release
    /// 14 days after it was created (Warehouse `MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS`).
    #[error(
        "{file}: Uploading new files to releases older than 14 days is not allowed. ({project} {version} was first uploaded {age_days} days ago)"
    )]
    ClosedRelease {
        /// File name.
        file: String,
        /// Project name, as in the metadata.
        project: String,
        /// The release's version.
        version: String,
        /// Days since the release's first file was uploaded.
        age_days: i64,
    },
    /// The index says the file exists but no simple index is known to compare hashes.
    #[error("{file}: the index says the file already exists: {message}")]
    ExistsUnverified {
        /// File name.
        file: String,
        /// The index's message.
        message: String,
    },
    /// Every attempt failed.
    #[error("{file}: gave up after {attempts} attempts: {last}")]
    Exhausted {
        /// File name.
        file: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// A redirect we must not follow with credentials.
    #[error("{file}: the index redirected the upload ({status}) to {location}")]
    Redirected {
        /// File name.
        file: String,
        /// HTTP status.
        status: u16,
        /// Where to (redacted).
        location: String,
    },
    /// No upload token could be had (trusted publishing).
    #[error("{file}: {source}")]
    Credentials {
        /// File name.
        file: String,
        /// The cause.
        #[source]
        source: Box<crate::auth::TrustedPublishingError>,
    },
    /// The file could not be read.
    #[error("{file}: cannot read the file")]
    Io {
        /// File name.
        file: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The run was interrupted (SIGINT/SIGTERM).
    #[error("{file}: {state}")]
    Interrupted {
        /// File name.
        file: String,
        /// How far it got.
        state: Interruption,
    },
    /// The index could not be asked whether the file landed.
    #[error("{file}: cannot tell whether the file landed")]
    Recheck {
        /// File name.
        file: String,
        /// The cause.
        #[source]
        source: LookupError,
    },
}

impl UploadError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            UploadError::Refused { refusal, .. } => refusal.hint().map(str::to_string),
            UploadError::Conflict { .. } => Some(
                "a published file can never be replaced: rebuild with a new version (or a wheel build tag), or delete the stale local file".into(),
            ),
            UploadError::ClosedRelease { .. } => Some(CLOSED_RELEASE_HINT.into()),
            UploadError::ExistsUnverified { .. } => Some(
                "skip-identical needs the simple index to compare hashes: pass --check-url".into(),
            ),
            UploadError::Redirected { location, .. } => Some(format!(
                "credentials are never sent to another URL: if {location} is right, pass it as --repository-url"
            )),
            UploadError::Exhausted { last, .. } => Some(
                crate::http::client::tls_hint(last)
                    .unwrap_or("the index kept failing: re-run later; files already uploaded are skipped")
                    .into(),
            ),
            UploadError::Recheck { source, .. } => source.hint().map(str::to_string),
            UploadError::Io { .. } => None,
            UploadError::Credentials { source, .. } => {
                source.hint(&crate::auth::diagnose::Context::default())
            }
            UploadError::Interrupted { .. } => Some(
                "re-run the same command to finish: files already on the index are skipped".into(),
            ),
        }
    }

    /// What went wrong, without the file's name (for lines that already name it).
    pub fn reason(&self) -> String {
        let shown = self.to_string();
        let prefix = format!("{}: ", self.file());
        match shown.strip_prefix(&prefix) {
            Some(reason) => reason.to_string(),
            None => shown,
        }
    }

    /// The index's refusal when it is about the run's configuration (see
    /// [`Refusal::stops_the_run`]): no other file can fare better.
    pub fn stopping_refusal(&self) -> Option<&Refusal> {
        match self {
            UploadError::Refused { refusal, .. } if refusal.stops_the_run() => Some(refusal),
            _ => None,
        }
    }

    /// Whether running again could help (the cause was transient or the run was cut short).
    pub fn rerun_may_help(&self) -> bool {
        matches!(
            self,
            UploadError::Exhausted { .. }
                | UploadError::Recheck { .. }
                | UploadError::Interrupted { .. }
                | UploadError::Io { .. }
                | UploadError::Credentials { .. }
        )
    }

    /// The file this error is about.
    pub fn file(&self) -> &str {
        match self {
            UploadError::Refused { file, .. }
            | UploadError::Conflict { file, .. }
            | UploadError::ClosedRelease { file, .. }
            | UploadError::ExistsUnverified { file, .. }
            | UploadError::Exhausted { file, .. }
            | UploadError::Redirected { file, .. }
            | UploadError::Io { file, .. }
            | UploadError::Credentials { file, .. }
            | UploadError::Interrupted { file, .. }
            | UploadError::Recheck { file, .. } => file,
        }
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
