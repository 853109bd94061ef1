//! An existing **Sigstore bundle** beside a distribution (`<dist>.sigstore.json`, or
//! `<dist>.sigstore`), e.g. from `sigstore attest` or another CI step, sent as the file's
//! PEP 740 attestation instead of signing a new one — no Sigstore identity needed.
//!
//! The conversion is `pypi-attestations convert`'s (`Attestation.from_bundle`): the
//! bundle's signing certificate (DER) becomes `verification_material.certificate`, its one
//! Rekor entry `transparency_entries[0]` (protobuf-JSON, as the bundle carries it), and its
//! DSSE envelope's payload and single signature `envelope.statement` and
//! `envelope.signature`. The bundle is usable only if that attestation is one for this
//! exact file ([`Attestation::check_for`]): a DSSE envelope (not a message signature) whose
//! in-toto statement names this file and its sha256 as its only subject, with PyPI's publish
//! predicate type. Anything else stops the run before any upload: the bundle was made for
//! something else, and replacing a user's bundle silently is not ours to do.
//!
//! [`to_bundle`] is the same mapping backwards (`Attestation.to_bundle`): a PEP 740
//! attestation as a Sigstore bundle v0.3, for GitHub's attestation store — the very
//! certificate, Rekor entry, statement and signature, so one signature serves both stores.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::file::{Attestation, Envelope, FileError, VerificationMaterial};
use super::statement::PAYLOAD_TYPE;

/// Suffixes of a bundle beside its distribution, in the order they are looked for
/// (`.sigstore.json` is what sigstore clients write today, `.sigstore` what they wrote before).
pub const SUFFIXES: [&str; 2] = [".sigstore.json", ".sigstore"];

/// The bundle beside `dist`, if there is one.
pub fn find(dist: &Path) -> Option<PathBuf> {
    let name = dist.file_name()?.to_string_lossy().into_owned();
    SUFFIXES
        .iter()
        .map(|suffix| dist.with_file_name(format!("{name}{suffix}")))
        .find(|path| path.is_file())
}

/// Reads the bundle at `path` and converts it to the attestation for `file_name` with
/// `sha256`.
pub fn read_for(path: &Path, file_name: &str, sha256: &str) -> Result<Attestation, FileError> {
    let bytes = std::fs::read(path).map_err(|source| FileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let malformed = |reason: String| FileError::Malformed {
        path: path.to_path_buf(),
        reason,
    };
    let bundle: Value = serde_json::from_slice(&bytes)
        .map_err(|e| malformed(format!("not a Sigstore bundle: {e}")))?;
    let attestation = convert(&bundle).map_err(|reason| FileError::Malformed {
        path: path.to_path_buf(),
        reason: format!("not a Sigstore bundle PyPI can take: {reason}"),
    })?;
    // A bundle for other bytes is never "stale": it is the user's, not this tool's to replace.
    attestation
        .check_for(file_name, sha256)
        .map_err(|(reason, _)| FileError::Mismatch {
            path: path.to_path_buf(),
            reason,
            stale: false,
        })?;
    Ok(attestation)
}

/// `Attestation.from_bundle`: the bundle's parts, re-encoded, in the attestation's places.
pub fn convert(bundle: &Value) -> Result<Attestation, String> {
    let material = &bundle["verificationMaterial"];
    // v0.3 bundles carry the leaf alone; v0.1/v0.2 a chain whose first certificate is it.
    let certificate = material["certificate"]["rawBytes"]
        .as_str()
        .or_else(|| material["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())
        .ok_or("no signing certificate (a public-key bundle cannot be a PEP 740 attestation)")?;
    let entries = material["tlogEntries"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let [entry] = entries else {
        return Err(format!(
            "{} transparency log entries, exactly one is required",
            entries.len()
        ));
    };
    // PEP 740 verification needs a Rekor v1 entry (integrated time, inclusion promise).
    let kind = (
        entry["kindVersion"]["kind"].as_str(),
        entry["kindVersion"]["version"].as_str(),
    );
    if kind != (Some("dsse"), Some("0.0.1")) {
        return Err(format!(
            "its log entry is {}, not a Rekor v1 dsse 0.0.1 entry",
            entry["kindVersion"]
        ));
    }
    let envelope = &bundle["dsseEnvelope"];
    if envelope.is_null() {
        return Err("it holds a message signature, not a DSSE envelope".into());
    }
    if envelope["payloadType"].as_str() != Some(PAYLOAD_TYPE) {
        return Err(format!(
            "DSSE payload type {}, not {PAYLOAD_TYPE}",
            envelope["payloadType"]
        ));
    }
    let signatures = envelope["signatures"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let [signature] = signatures else {
        return Err(format!(
            "{} DSSE signatures, exactly one is required",
            signatures.len()
        ));
    };
    let bytes = |field: &str, value: &Value| -> Result<String, String> {
        let text = value.as_str().ok_or(format!("no {field}"))?;
        let raw = STANDARD
            .decode(text)
            .map_err(|e| format!("{field} is not base64: {e}"))?;
        Ok(STANDARD.encode(raw))
    };
    Ok(Attestation {
        version: 1,
        verification_material: VerificationMaterial {
            certificate: bytes("certificate", &Value::from(certificate))?,
            transparency_entries: vec![entry.clone()],
        },
        envelope: Envelope {
            statement: bytes("dsseEnvelope.payload", &envelope["payload"])?,
            signature: bytes("dsseEnvelope.signatures[0].sig", &signature["sig"])?,
        },
    })
}

/// Media type of the bundles [`to_bundle`] makes.
pub const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// `Attestation.to_bundle`: the attestation's parts in a v0.3 bundle's places, byte for
/// byte — the leaf certificate alone (v0.3 carries no chain), its Rekor entries as they
/// are (protobuf-JSON already), and a DSSE envelope of the statement with its one signature.
pub fn to_bundle(attestation: &Attestation) -> Value {
    let material = &attestation.verification_material;
    serde_json::json!({
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {
            "certificate": {"rawBytes": material.certificate},
            "tlogEntries": material.transparency_entries,
        },
        "dsseEnvelope": {
            "payload": attestation.envelope.statement,
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": attestation.envelope.signature}],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::Statement;
    use serde_json::json;

    fn bundle(statement: &Statement) -> Value {
        json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": STANDARD.encode(b"der")},
                "tlogEntries": [{"logIndex": "7", "kindVersion": {"kind": "dsse", "version": "0.0.1"}}],
            },
            "dsseEnvelope": {
                "payload": STANDARD.encode(statement.to_bytes()),
                "payloadType": PAYLOAD_TYPE,
                "signatures": [{"sig": STANDARD.encode(b"sig"), "keyid": ""}],
            },
        })
    }

    #[test]
    fn converts_as_pypi_attestations_does() {
        let s = Statement::publish("demo-1.0.tar.gz", "aa");
        let a = convert(&bundle(&s)).unwrap();
        assert_eq!(a.verification_material.certificate, STANDARD.encode(b"der"));
        assert_eq!(
            a.verification_material.transparency_entries,
            vec![json!({"logIndex": "7", "kindVersion": {"kind": "dsse", "version": "0.0.1"}})]
        );
        assert_eq!(a.envelope.statement, STANDARD.encode(s.to_bytes()));
        assert_eq!(a.envelope.signature, STANDARD.encode(b"sig"));
        assert!(a.check_for("demo-1.0.tar.gz", "aa").is_ok());
    }

    /// There and back: a bundle made from an attestation converts to the same attestation,
    /// and carries its certificate, entry, statement and signature unchanged.
    #[test]
    fn an_attestation_becomes_the_bundle_it_came_from() {
        let s = Statement::publish("demo-1.0.tar.gz", "aa");
        let original = bundle(&s);
        let attestation = convert(&original).unwrap();
        let back = to_bundle(&attestation);
        assert_eq!(back["mediaType"], BUNDLE_V03);
        for pointer in [
            "/verificationMaterial/certificate/rawBytes",
            "/verificationMaterial/tlogEntries",
            "/dsseEnvelope/payload",
            "/dsseEnvelope/payloadType",
            "/dsseEnvelope/signatures/0/sig",
        ] {
            assert_eq!(
                back.pointer(pointer),
                original.pointer(pointer),
                "{pointer}"
            );
        }
        assert_eq!(convert(&back).unwrap(), attestation);
    }

    #[test]
    fn refuses_what_pep_740_cannot_carry() {
        let s = Statement::publish("demo-1.0.tar.gz", "aa");
        let cases: [(&str, Value, &str); 4] = [
            ("/dsseEnvelope", Value::Null, "message signature"),
            ("/dsseEnvelope/signatures", json!([]), "0 DSSE signatures"),
            (
                "/verificationMaterial/tlogEntries/0/kindVersion/version",
                json!("0.0.2"),
                "not a Rekor v1",
            ),
            (
                "/verificationMaterial/certificate",
                Value::Null,
                "public-key",
            ),
        ];
        for (pointer, value, expected) in cases {
            let mut b = bundle(&s);
            *b.pointer_mut(pointer).unwrap() = value;
            let err = convert(&b).unwrap_err();
            assert!(err.contains(expected), "{pointer}: {err}");
        }
    }
}
