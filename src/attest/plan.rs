//! **Which attestation goes with which upload.** For each file about to be uploaded (after
//! skip-identical planning, so nothing already on the index is signed):
//!
//! - a `<dist>.publish.attestation` beside it that attests this exact file (name + sha256)
//!   is sent as it is — the user may have built it elsewhere;
//! - one that names this file but other bytes is stale (the dist was rebuilt after an
//!   earlier run signed it): it is replaced by a new signature;
//! - anything else there (another file, not an attestation) stops the run before anything
//!   is signed or uploaded;
//! - otherwise a Sigstore bundle beside it (`<dist>.sigstore.json` or `.sigstore`,
//!   [`super::bundle`]) that attests this exact file with PyPI's publish predicate is
//!   converted and sent — nothing is signed, no identity token is needed; a bundle for
//!   other bytes, another file or another predicate stops the run;
//! - nothing usable: the statement is signed now and written beside the dist — unless
//!   signing is optional (`--attestations auto`) and there is no Sigstore identity, when
//!   the file goes without an attestation and a warning says why.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::batch::{self, Signed};
use super::bundle;
use super::file::{self, Attestation, FileError};
use super::signing::{Session, SignError};
use super::statement::Statement;
use crate::events::Reporter;

/// A file that will be uploaded.
#[derive(Debug, Clone)]
pub struct ToAttest<'a> {
    /// Path of the distribution.
    pub path: &'a Path,
    /// Its file name.
    pub file_name: &'a str,
    /// Its lowercase hex sha256.
    pub sha256: &'a str,
}

/// Why attestations could not be prepared. Nothing has been uploaded.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    /// Asked for with a credential PyPI refuses them with.
    #[error(
        "attestations need trusted publishing, but this upload uses {0}: PyPI refuses attestations from other credentials"
    )]
    NotTrustedPublishing(&'static str),
    /// Attestation files or Sigstore bundles that cannot be sent.
    #[error("attestation or Sigstore bundle file(s) cannot be used, nothing was signed or uploaded: {}", render(.0))]
    Files(Vec<FileError>),
    /// Signing a file failed.
    #[error("{file}: cannot sign the publish attestation")]
    Sign {
        /// The distribution.
        file: String,
        /// The cause.
        #[source]
        source: SignError,
    },
    /// Writing an attestation failed.
    #[error("{}: cannot write", path.display())]
    Write {
        /// The attestation file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn render(errors: &[FileError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl AttestError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            AttestError::NotTrustedPublishing(_) => Some(
                "publish with trusted publishing (no password, `id-token: write`), or pass --attestations off".into(),
            ),
            AttestError::Files(_) => Some(
                "delete the attestation or bundle files that do not belong to these distributions, or rebuild them from the same files".into(),
            ),
            AttestError::Sign { source, .. } => source.hint(),
            AttestError::Write { .. } => None,
        }
    }
}

/// What [`prepare`] found or made for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A valid attestation was already there.
    Existing,
    /// Converted from the Sigstore bundle at this path.
    Bundle(PathBuf),
    /// Signed by this run (no file was there).
    Signed,
    /// Signed by this run, replacing a stale one.
    Replaced,
}

/// The attestations to send: per file name, the JSON array for the `attestations` field.
pub type Prepared = BTreeMap<String, (Source, String)>;

/// Finds or signs an attestation for every file in `files`. With `dry_run`, existing files
/// are checked but nothing is signed or written.
pub async fn prepare(
    files: &[ToAttest<'_>],
    session: &Session,
    dry_run: bool,
    reporter: &dyn Reporter,
) -> Result<Prepared, AttestError> {
    // 1. Check every existing file before the first signature: a refusal must come before
    //    anything reaches the public log.
    let mut existing: BTreeMap<&str, (Source, Attestation)> = BTreeMap::new();
    let mut stale: BTreeMap<&str, FileError> = BTreeMap::new();
    let mut errors = Vec::new();
    for f in files {
        let path = file::path_for(f.path, None);
        if path.exists() {
            match file::read_for(&path, f.file_name, f.sha256) {
                Ok(a) => {
                    existing.insert(f.file_name, (Source::Existing, a));
                    continue;
                }
                Err(e) if e.is_stale() => {
                    stale.insert(f.file_name, e);
                }
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            }
        }
        if let Some(path) = bundle::find(f.path) {
            match bundle::read_for(&path, f.file_name, f.sha256) {
                Ok(a) => {
                    stale.remove(f.file_name);
                    existing.insert(f.file_name, (Source::Bundle(path), a));
                }
                Err(e) => errors.push(e),
            }
        }
    }
    if !errors.is_empty() {
        return Err(AttestError::Files(errors));
    }

    // 2. Sign what is missing, several entries at once under one certificate.
    let mut out = Prepared::new();
    let mut to_sign = Vec::new();
    let mut unsigned = Vec::new();
    for f in files {
        if let Some((source, a)) = existing.remove(f.file_name) {
            let what = match &source {
                Source::Bundle(path) => format!(
                    "the Sigstore bundle beside it ({}), converted to a PEP 740 attestation",
                    path.display()
                ),
                _ => "the attestation beside it".to_string(),
            };
            reporter.note(&format!(
                "{}: using {what} (attests this file's sha256)",
                f.file_name
            ));
            insert(&mut out, f.file_name, source, &a);
            continue;
        }
        if session.cannot_sign.is_some() {
            unsigned.push(f.file_name);
            continue;
        }
        let source = match stale.remove(f.file_name) {
            Some(e) => {
                reporter.warning(&format!("{e}: stale, replacing it with a new signature"));
                Source::Replaced
            }
            None => Source::Signed,
        };
        if dry_run {
            reporter.note(&format!(
                "{}: would sign a publish attestation",
                f.file_name
            ));
        } else {
            to_sign.push((f, source));
        }
    }
    if let (Some(reason), false) = (&session.cannot_sign, unsigned.is_empty()) {
        reporter.warning(&format!(
            "{} sent without a PEP 740 attestation: no Sigstore identity to sign with ({reason})",
            unsigned.join(", ")
        ));
    }
    let statements: Vec<Statement> = to_sign
        .iter()
        .map(|(f, _)| Statement::publish(f.file_name, f.sha256))
        .collect();
    let signed = batch::sign_all(session, &statements).await;

    // 3. Keep every signature made, even when another failed: a re-run sends it instead of
    //    logging the file again. The first failure, in file order, is the run's.
    let mut first_error = None;
    for ((f, source), signed) in to_sign.into_iter().zip(signed) {
        match signed {
            Signed::Done(a) => {
                let path = file::path_for(f.path, None);
                if let Err(source) = file::write(&path, &a) {
                    first_error.get_or_insert(AttestError::Write { path, source });
                    continue;
                }
                reporter.note(&format!("{}: signed a publish attestation", f.file_name));
                insert(&mut out, f.file_name, source, &a);
            }
            Signed::Failed(source) => {
                first_error.get_or_insert(AttestError::Sign {
                    file: f.file_name.to_string(),
                    source,
                });
            }
            Signed::NotStarted => {}
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(out)
}

fn insert(out: &mut Prepared, file_name: &str, source: Source, attestation: &Attestation) {
    let json = serde_json::to_string(&[attestation]).expect("attestations serialise");
    out.insert(file_name.to_string(), (source, json));
}
