//! What a publish reports: each file's outcome, the run's totals, and why it stopped.

use std::path::PathBuf;

use crate::dist::{DistKind, Problem, discover};
use crate::http::SafeUrl;
use crate::index::{LookupError, Refusal, RefusalKind, UploadError};

/// The state of one file at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    /// Uploaded by this run.
    Uploaded,
    /// The index already had these exact bytes.
    AlreadyPresent,
    /// Would be uploaded (dry run).
    WouldUpload,
    /// The upload failed.
    Failed,
    /// Not tried (an earlier stage stopped the run).
    NotAttempted,
}

impl FileStatus {
    /// For tables and outputs.
    pub fn label(self) -> &'static str {
        match self {
            FileStatus::Uploaded => "uploaded",
            FileStatus::AlreadyPresent => "already present",
            FileStatus::WouldUpload => "would upload",
            FileStatus::Failed => "failed",
            FileStatus::NotAttempted => "not attempted",
        }
    }
}

/// One file in the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    /// File name.
    pub file: String,
    /// Path on disk.
    pub path: PathBuf,
    /// Project name as in the metadata.
    pub project: String,
    /// Version as in the metadata.
    pub version: String,
    /// Wheel or sdist.
    pub kind: DistKind,
    /// Bytes.
    pub size: u64,
    /// Lowercase hex sha256.
    pub sha256: String,
    /// The outcome.
    pub status: FileStatus,
    /// Where the release can be seen.
    pub url: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// Why it failed.
    pub error: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
    /// The PEP 740 attestation sent with it.
    pub attestation: Option<PathBuf>,
}

/// The outcome of a publish.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PublishReport {
    /// One row per distribution.
    pub files: Vec<FileReport>,
    /// Paths passed over.
    pub skipped: Vec<(PathBuf, String)>,
    /// Preflight problems (warnings on success; errors when the run stopped there).
    pub problems: Vec<Problem>,
    /// Files the plan refused: in conflict with the index, or for a closed release.
    pub conflicts: Vec<String>,
    /// Upload requests sent.
    pub upload_requests: u64,
    /// Simple-API lookups made.
    pub lookups: u64,
    /// Upload tokens minted by trusted publishing.
    pub token_mints: u32,
    /// Of those, the ones revoked when the run ended (`POST /_/oidc/burn-token`); the others
    /// expire by themselves, 15 minutes after they were minted.
    pub tokens_revoked: u32,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// The upload URL (without credentials).
    pub repository_url: String,
    /// The ids GitHub's attestation store gave the attestations this run stored there, by
    /// file name (`github-attestations`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub github_attestations: std::collections::BTreeMap<String, u64>,
    /// What a dry run proved beyond the plan (the token exchange, the credentials, the
    /// signing identity), one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub proven: Vec<String>,
    /// The provenance grade PyPI will give each release (none with `--provenance-check
    /// off`, or when nothing is sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<crate::provenance::ProvenanceReport>,
}

impl PublishReport {
    /// How many files ended with `status`.
    pub fn count(&self, status: FileStatus) -> usize {
        self.files.iter().filter(|f| f.status == status).count()
    }

    /// Whether every file is uploaded or already present (or would be, in a dry run).
    pub fn succeeded(&self) -> bool {
        !self.files.is_empty()
            && self.files.iter().all(|f| {
                matches!(
                    f.status,
                    FileStatus::Uploaded | FileStatus::AlreadyPresent | FileStatus::WouldUpload
                )
            })
    }
}

/// Why a publish stopped.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// No files.
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
    /// Preflight found errors; nothing was uploaded.
    #[error("{count} problem(s) found before upload; nothing was uploaded", count = .0.len())]
    Preflight(Vec<Problem>),
    /// A file could not be hashed.
    #[error("cannot read {}", path.display())]
    Hash {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The index could not be asked what it has.
    #[error("cannot look up what the index already has for '{project}'")]
    Lookup {
        /// Normalized project name.
        project: String,
        /// The cause.
        #[source]
        source: LookupError,
    },
    /// Files the index would refuse, found while planning: a name on the index with other
    /// bytes, or a new file for a release closed to new files. Nothing was uploaded.
    #[error("{}", planned_refusals(.0))]
    Conflicts(Vec<UploadError>),
    /// Trusted publishing could not give an upload token; nothing was uploaded.
    #[error("no upload token; nothing was uploaded")]
    TrustedPublishing {
        /// The cause.
        #[source]
        source: Box<crate::auth::TrustedPublishingError>,
        /// The diagnosis (cause and fix), worked out with the projects' state.
        hint: Option<String>,
    },
    /// A signal stopped the run (the report says which files made it).
    #[error(
        "interrupted by {signal}: {uploaded} of {total} file(s) on the index, {abandoned} abandoned mid-upload, {not_started} not started"
    )]
    Interrupted {
        /// `SIGINT` or `SIGTERM`.
        signal: &'static str,
        /// Uploaded or already present.
        uploaded: usize,
        /// Abandoned in flight (and not found on the index afterwards).
        abandoned: usize,
        /// Never sent.
        not_started: usize,
        /// Total.
        total: usize,
    },
    /// A dry run could not get the upload endpoint to answer its probe.
    #[error("dry run: cannot tell whether {url} takes these credentials: {reason}")]
    Unproven {
        /// The upload URL.
        url: SafeUrl,
        /// The last failure.
        reason: String,
    },
    /// Attestations could not be prepared; nothing was uploaded.
    #[error(transparent)]
    Attest(#[from] crate::attest::AttestError),
    /// `--provenance-check fail`: a release would lose or change its provenance, or mix
    /// publishers; nothing was signed or uploaded.
    #[error("provenance-check: {}; nothing was signed or uploaded", .reasons.join("; "))]
    Provenance {
        /// `project version: grade: why`, per release refused.
        reasons: Vec<String>,
        /// How to get past it.
        hint: String,
    },
    /// Some uploads failed (the report says which).
    #[error("{failed} of {total} file(s) failed to upload")]
    Uploads {
        /// Failed count.
        failed: usize,
        /// Total.
        total: usize,
        /// Whether any failure was transient (a re-run may then finish the release).
        rerun_may_help: bool,
    },
    /// The index refused the run's configuration (the URL is no upload endpoint, or the
    /// credentials are refused): the run stopped at the first such answer.
    #[error("{url} {what} ({status}: {message}); {not_attempted} file(s) not attempted", what = refusal_what(.refusal), status = .refusal.status, message = .refusal.message)]
    Stopped {
        /// The upload URL.
        url: SafeUrl,
        /// The index's answer.
        refusal: Refusal,
        /// Files left untried.
        not_attempted: usize,
    },
}

fn refusal_what(refusal: &Refusal) -> &'static str {
    match refusal.kind {
        RefusalKind::NotAnUploadEndpoint | RefusalKind::Gone => {
            "is not an upload endpoint: it refused the first upload"
        }
        _ => "refused the credentials",
    }
}

/// "2 file(s) conflict with the index; …", or, when a closed release is among them, the
/// counts of both kinds.
fn planned_refusals(errors: &[UploadError]) -> String {
    let conflicts = errors
        .iter()
        .filter(|e| !matches!(e.kind, crate::index::UploadErrorKind::ClosedRelease { .. }))
        .count();
    match errors.len() - conflicts {
        0 => format!("{conflicts} file(s) conflict with the index; nothing was uploaded"),
        closed if conflicts == 0 => {
            format!(
                "{closed} file(s) would be added to a release closed to new files; nothing was uploaded"
            )
        }
        closed => format!(
            "{conflicts} file(s) conflict with the index and {closed} would be added to a release closed to new files; nothing was uploaded"
        ),
    }
}

impl PublishError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            PublishError::Lookup { source, .. } => source.hint().map(str::to_string),
            PublishError::TrustedPublishing { hint, .. } => hint.clone(),
            PublishError::Conflicts(errors) => errors.first().and_then(UploadError::hint),
            PublishError::Attest(e) => e.hint(),
            PublishError::Provenance { hint, .. } => Some(hint.clone()),
            PublishError::Uploads {
                rerun_may_help: true,
                ..
            }
            | PublishError::Interrupted { .. } => {
                Some("re-run the same command: files already on the index are skipped".into())
            }
            // Fix the URL or the credentials; a re-run as it is meets the same answer.
            PublishError::Stopped { refusal, .. } => refusal.hint().map(str::to_string),
            _ => None,
        }
    }
}
