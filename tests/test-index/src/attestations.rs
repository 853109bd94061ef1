//! The `attestations` upload field, checked as Warehouse's integrity service does
//! (`_extract_attestations_from_request` + `IntegrityService.parse_attestations`): trusted
//! publishing only, a non-empty JSON list of PEP 740 attestation objects, at most two, each
//! about exactly this file (subject name and sha256) with a known predicate type, at most
//! one per predicate type. The Sigstore signature, certificate and log entries are NOT
//! verified here (that needs a trust root); tests verify those with pypi-attestations.
//! Every failure is `Invalid attestations supplied during upload: …` (400) upstream.

use base64::Engine;
use serde::Deserialize;

use crate::auth::Identity;

/// `AttestationType` in pypi-attestations; Warehouse supports both.
const SUPPORTED_PREDICATES: [&str; 2] = [
    "https://docs.pypi.org/attestations/publish/v1",
    "https://slsa.dev/provenance/v1",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Attestation {
    version: u8,
    verification_material: VerificationMaterial,
    envelope: Envelope,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerificationMaterial {
    certificate: String,
    transparency_entries: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    statement: String,
    signature: String,
}

#[derive(Deserialize)]
struct Statement {
    #[serde(rename = "_type")]
    type_: String,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
}

#[derive(Deserialize)]
struct Subject {
    name: String,
    digest: std::collections::BTreeMap<String, String>,
}

/// Checks `raw` for the file `filename` with `sha256`; `Err` is the reason Warehouse gives.
pub fn check(identity: &Identity, raw: &str, filename: &str, sha256: &str) -> Result<(), String> {
    if !matches!(identity, Identity::Publisher(_)) {
        return Err("Attestations are only supported when using Trusted Publishing".to_owned());
    }
    let parsed: Vec<Attestation> =
        serde_json::from_str(raw).map_err(|e| format!("Malformed attestations: {e}"))?;
    if parsed.is_empty() {
        return Err("Malformed attestations: an empty attestation set is not permitted".to_owned());
    }
    if parsed.len() > SUPPORTED_PREDICATES.len() {
        return Err(format!(
            "A maximum of {} attestations per file are supported",
            SUPPORTED_PREDICATES.len()
        ));
    }
    let mut seen = Vec::new();
    for attestation in &parsed {
        let predicate = verify(attestation, filename, sha256).map_err(|e| {
            format!("Could not verify the uploaded artifact using the included attestation: {e}")
        })?;
        if seen.contains(&predicate) {
            return Err(format!(
                "Multiple attestations for the same file with the same predicate type ({predicate}) are not supported"
            ));
        }
        seen.push(predicate);
    }
    Ok(())
}

/// Warehouse `IntegrityService.build_provenance`: one bundle, the uploading publisher's
/// identity and the attestations as accepted. `None` for an upload that is no publisher's.
pub fn provenance(identity: &Identity, raw: &str) -> Option<serde_json::Value> {
    let Identity::Publisher(token) = identity else {
        return None;
    };
    let attestations: serde_json::Value = serde_json::from_str(raw).ok()?;
    Some(serde_json::json!({
        "version": 1,
        "attestation_bundles": [{"publisher": token.publisher, "attestations": attestations}],
    }))
}

/// The statement checks of `Attestation.verify` that follow the signature check, with
/// pypi-attestations' messages. Returns the predicate type.
fn verify(a: &Attestation, filename: &str, sha256: &str) -> Result<String, String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    if a.version != 1 {
        return Err(format!("unsupported attestation version {}", a.version));
    }
    if a.verification_material.transparency_entries.is_empty() {
        return Err("no transparency log entries".to_owned());
    }
    for field in [&a.verification_material.certificate, &a.envelope.signature] {
        b64.decode(field)
            .map_err(|e| format!("invalid base64: {e}"))?;
    }
    let payload = b64
        .decode(&a.envelope.statement)
        .map_err(|e| format!("invalid base64: {e}"))?;
    let statement: Statement =
        serde_json::from_slice(&payload).map_err(|e| format!("invalid statement: {e}"))?;
    if statement.type_ != "https://in-toto.io/Statement/v1" {
        return Err(format!(
            "invalid statement: unknown _type {}",
            statement.type_
        ));
    }
    let [subject] = statement.subject.as_slice() else {
        return Err("too many subjects in statement (must be exactly one)".to_owned());
    };
    if subject.name.is_empty() {
        return Err("invalid subject: missing name".to_owned());
    }
    // pypi-attestations compares parsed filenames; the exact name is what clients send.
    if subject.name != filename {
        return Err(format!(
            "subject does not match distribution name: {} != {filename}",
            subject.name
        ));
    }
    if subject.digest.get("sha256").map(String::as_str) != Some(sha256) {
        return Err("subject does not match distribution digest".to_owned());
    }
    if !SUPPORTED_PREDICATES.contains(&statement.predicate_type.as_str()) {
        return Err(format!(
            "unknown attestation type: {}",
            statement.predicate_type
        ));
    }
    Ok(statement.predicate_type)
}
