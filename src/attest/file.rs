//! The **attestation file** `<dist filename>.publish.attestation` (PEP 740): one JSON
//! attestation object — the Fulcio certificate, the Rekor entries, and the DSSE envelope
//! (signed statement + signature). Reading one checks that it is an attestation *for that
//! exact file*: one subject whose name is the file name and whose sha256 is the file's.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::statement::{PUBLISH_PREDICATE, Statement};

/// Suffix of a publish attestation next to its distribution.
pub const SUFFIX: &str = ".publish.attestation";

/// A PEP 740 attestation object, as PyPI's `attestations` field and the file carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attestation {
    /// Format version: 1.
    pub version: u8,
    /// Certificate and transparency-log entries.
    pub verification_material: VerificationMaterial,
    /// The signed statement.
    pub envelope: Envelope,
}

/// What a verifier needs besides the envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationMaterial {
    /// Base64 DER of the Fulcio leaf certificate.
    pub certificate: String,
    /// Rekor `TransparencyLogEntry` objects in protobuf-JSON form.
    pub transparency_entries: Vec<serde_json::Value>,
}

/// The DSSE envelope, reduced to what PEP 740 keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Base64 of the exact statement bytes that were signed.
    pub statement: String,
    /// Base64 DER ECDSA signature over the DSSE PAE of the statement.
    pub signature: String,
}

/// Why an attestation file cannot be used for its distribution.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Unreadable.
    #[error("{}: cannot read", path.display())]
    Read {
        /// The attestation file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Not a PEP 740 attestation object.
    #[error("{}: not a PEP 740 attestation ({reason})", path.display())]
    Malformed {
        /// The attestation file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An attestation, but for another file or other bytes.
    #[error("{}: {reason}", path.display())]
    Mismatch {
        /// The attestation file.
        path: PathBuf,
        /// Which rule failed.
        reason: String,
        /// Same file name, other sha256: the distribution was rebuilt after signing.
        stale: bool,
    },
}

impl FileError {
    /// Whether this is a leftover from signing an earlier build of the same file.
    pub fn is_stale(&self) -> bool {
        matches!(self, FileError::Mismatch { stale: true, .. })
    }
}

/// Where the attestation for `dist` lives in `dir` (next to it when `dir` is `None`).
pub fn path_for(dist: &Path, dir: Option<&Path>) -> PathBuf {
    let name = format!(
        "{}{SUFFIX}",
        dist.file_name().unwrap_or_default().to_string_lossy()
    );
    match dir {
        Some(dir) => dir.join(name),
        None => dist.with_file_name(name),
    }
}

impl Attestation {
    /// The signed statement, decoded.
    pub fn statement(&self) -> Result<Statement, String> {
        let bytes = STANDARD
            .decode(&self.envelope.statement)
            .map_err(|e| format!("envelope.statement is not base64: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("envelope.statement: {e}"))
    }

    /// Checks the parts a verifier cannot do without, and that the statement names exactly
    /// `file_name` with `sha256`. The signature itself is checked by the index.
    pub fn check_for(&self, file_name: &str, sha256: &str) -> Result<(), (String, bool)> {
        let plain = |r: String| (r, false);
        if self.version != 1 {
            return Err(plain(format!("unsupported version {}", self.version)));
        }
        for (field, value) in [
            ("certificate", &self.verification_material.certificate),
            ("envelope.signature", &self.envelope.signature),
        ] {
            STANDARD
                .decode(value)
                .map_err(|e| plain(format!("{field} is not base64: {e}")))?;
        }
        if self.verification_material.transparency_entries.is_empty() {
            return Err(plain("no transparency log entry".into()));
        }
        let statement = self.statement().map_err(plain)?;
        if statement.predicate_type != PUBLISH_PREDICATE {
            return Err(plain(format!(
                "predicate type {} is not {PUBLISH_PREDICATE}",
                statement.predicate_type
            )));
        }
        let Some(subject) = statement.single_subject() else {
            return Err(plain(format!(
                "statement has {} subjects, exactly one is required",
                statement.subject.len()
            )));
        };
        if subject.name != file_name {
            return Err(plain(format!(
                "attests '{}', not '{file_name}'",
                subject.name
            )));
        }
        if !subject.digest.sha256.eq_ignore_ascii_case(sha256) {
            return Err((
                format!(
                    "attests sha256 {}, but the file's sha256 is {sha256}",
                    subject.digest.sha256
                ),
                true,
            ));
        }
        Ok(())
    }
}

/// Reads `path` and checks it is a publish attestation for `file_name` with `sha256`.
pub fn read_for(path: &Path, file_name: &str, sha256: &str) -> Result<Attestation, FileError> {
    let bytes = std::fs::read(path).map_err(|source| FileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let attestation: Attestation =
        serde_json::from_slice(&bytes).map_err(|e| FileError::Malformed {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    attestation
        .check_for(file_name, sha256)
        .map_err(|(reason, stale)| FileError::Mismatch {
            path: path.to_path_buf(),
            reason,
            stale,
        })?;
    Ok(attestation)
}

/// Writes `attestation` to `path` (through a temporary file, so a reader never sees half).
pub fn write(path: &Path, attestation: &Attestation) -> std::io::Result<()> {
    let tmp = path.with_extension("attestation.tmp");
    std::fs::write(&tmp, serde_json::to_vec(attestation)?)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attestation(statement: &Statement) -> Attestation {
        Attestation {
            version: 1,
            verification_material: VerificationMaterial {
                certificate: STANDARD.encode(b"der"),
                transparency_entries: vec![serde_json::json!({"logIndex": "1"})],
            },
            envelope: Envelope {
                statement: STANDARD.encode(statement.to_bytes()),
                signature: STANDARD.encode(b"sig"),
            },
        }
    }

    #[test]
    fn checks_subject_name_and_sha256() {
        let a = attestation(&Statement::publish("demo-1.0.tar.gz", "aa"));
        assert!(a.check_for("demo-1.0.tar.gz", "AA").is_ok());
        let (reason, stale) = a.check_for("demo-1.0.tar.gz", "bb").unwrap_err();
        assert!(stale && reason.contains("sha256 aa"), "{reason}");
        let (reason, stale) = a.check_for("other-1.0.tar.gz", "aa").unwrap_err();
        assert!(
            !stale && reason.contains("attests 'demo-1.0.tar.gz'"),
            "{reason}"
        );
    }

    #[test]
    fn rejects_two_subjects_and_other_predicates() {
        let mut s = Statement::publish("demo-1.0.tar.gz", "aa");
        s.subject.push(s.subject[0].clone());
        let (reason, _) = attestation(&s)
            .check_for("demo-1.0.tar.gz", "aa")
            .unwrap_err();
        assert!(reason.contains("2 subjects"), "{reason}");
        let mut s = Statement::publish("demo-1.0.tar.gz", "aa");
        s.predicate_type = "https://slsa.dev/provenance/v1".into();
        assert!(attestation(&s).check_for("demo-1.0.tar.gz", "aa").is_err());
    }

    #[test]
    fn lives_next_to_the_dist_or_in_the_output_dir() {
        let dist = Path::new("dist/demo-1.0.tar.gz");
        assert_eq!(
            path_for(dist, None),
            Path::new("dist/demo-1.0.tar.gz.publish.attestation")
        );
        assert_eq!(
            path_for(dist, Some(Path::new("out"))),
            Path::new("out/demo-1.0.tar.gz.publish.attestation")
        );
    }
}
