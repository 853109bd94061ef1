//! The **statement** a publish attestation signs (PEP 740): an in-toto v1 statement about
//! exactly one subject — the distribution, by file name and sha256 — with the PyPI publish
//! predicate type and a null predicate. The bytes produced here are exactly the bytes signed
//! and stored (base64) in the attestation; they are never re-serialised.

use serde::{Deserialize, Serialize};

/// in-toto statement type (v1).
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The PyPI publish attestation predicate (PEP 740).
pub const PUBLISH_PREDICATE: &str = "https://docs.pypi.org/attestations/publish/v1";
/// DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// An in-toto v1 statement (the fields PEP 740 uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub type_: String,
    /// What is attested: one distribution file.
    pub subject: Vec<Subject>,
    /// [`PUBLISH_PREDICATE`] for the attestations this tool makes.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// Null for the publish predicate.
    pub predicate: Option<serde_json::Value>,
}

/// One attested file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The distribution's file name, exactly as uploaded.
    pub name: String,
    /// Its digests; `sha256` is the one PyPI checks.
    pub digest: Digest,
}

/// Digests of a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// Lowercase hex sha256.
    pub sha256: String,
}

impl Statement {
    /// The publish statement for one distribution file.
    pub fn publish(file_name: &str, sha256: &str) -> Self {
        Self {
            type_: STATEMENT_TYPE.to_string(),
            subject: vec![Subject {
                name: file_name.to_string(),
                digest: Digest {
                    sha256: sha256.to_ascii_lowercase(),
                },
            }],
            predicate_type: PUBLISH_PREDICATE.to_string(),
            predicate: None,
        }
    }

    /// The bytes to sign (compact JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a statement always serialises")
    }

    /// The single subject, when there is exactly one (PEP 740 requires it).
    pub fn single_subject(&self) -> Option<&Subject> {
        match self.subject.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// DSSE pre-authentication encoding: what the signature actually covers.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_statement_has_one_subject_and_null_predicate() {
        let s = Statement::publish("demo-1.0-py3-none-any.whl", "AB12");
        let json: serde_json::Value = serde_json::from_slice(&s.to_bytes()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [{"name": "demo-1.0-py3-none-any.whl", "digest": {"sha256": "ab12"}}],
                "predicateType": "https://docs.pypi.org/attestations/publish/v1",
                "predicate": null,
            })
        );
    }

    #[test]
    fn pae_frames_type_and_payload_with_lengths() {
        assert_eq!(pae("t/x", b"{}"), b"DSSEv1 3 t/x 2 {}".to_vec());
    }
}
