//! A dry run's proofs, for what it does not send: the credentials (trusted publishing's
//! minted token, the upload endpoint's answer to a probe that carries them but no file) and
//! the Sigstore identity token. Each failure is the one the real run would meet, with the
//! same diagnosis; nothing is uploaded and nothing is signed.

use super::{FileStatus, Planned, PublishError, PublishReport, row};
use crate::events::Reporter;
use crate::index::Index;
use crate::index::probe::ProbeError;

/// Says what the minted token would have been good for, then probes the upload endpoint.
pub(super) async fn credentials(
    index: &Index,
    planned: &[Planned],
    reporter: &dyn Reporter,
    report: &mut PublishReport,
) -> Result<(), PublishError> {
    if let Some(trusted) = index.trusted_publishing() {
        let valid = match trusted.validity().await {
            Some(left) => format!(", valid for {} more seconds", left.as_secs()),
            None => String::new(),
        };
        let line = format!(
            "dry run: the trusted-publishing exchange succeeded: the index minted an upload token (masked, unused, and revoked when the run ends){valid}"
        );
        reporter.note(&line);
        report.proven.push(line);
    }
    let asked = index.upload_url();
    match index.probe().await {
        Ok(answer) => {
            // Where it landed: a redirect the probe followed is where uploads go too.
            let line = format!(
                "dry run: {} takes these credentials (a request without a file was answered {} {})",
                index.upload_url(),
                answer.status,
                answer.message
            );
            reporter.note(&line);
            report.proven.push(line);
            Ok(())
        }
        Err(ProbeError::Refused(refusal)) => {
            report.files = planned.iter().map(|p| row(p, index)).collect();
            Err(PublishError::Stopped {
                url: index.upload_url(),
                refusal,
                not_attempted: report.count(FileStatus::NotAttempted),
            })
        }
        Err(ProbeError::Credentials(source)) => {
            report.files = planned.iter().map(|p| row(p, index)).collect();
            let ctx = crate::auth::diagnose::Context::for_index(index.known());
            let hint = source.hint(&ctx);
            Err(PublishError::TrustedPublishing {
                source: Box::new(source),
                hint,
            })
        }
        Err(ProbeError::Unanswered(reason)) => Err(PublishError::Unproven { url: asked, reason }),
    }
}

/// Checks the Sigstore identity token the signatures would need (`to_sign` of them, the
/// first for `first`): a failure is the one the real run meets at its first signature.
pub(super) async fn signing_identity(
    session: &crate::attest::Session,
    first: &str,
    to_sign: usize,
    reporter: &dyn Reporter,
    report: &mut PublishReport,
) -> Result<(), PublishError> {
    let identity = crate::attest::identity::check(session.tokens())
        .await
        .map_err(|source| crate::attest::AttestError::Sign {
            file: first.to_string(),
            source,
        })?;
    let line = format!(
        "dry run: the Sigstore identity token ({}, subject {}) is valid for {} more seconds: {to_sign} attestation(s) would be signed with it",
        identity.issuer, identity.subject, identity.valid_for
    );
    reporter.note(&line);
    report.proven.push(line);
    Ok(())
}

/// The provenance grade a release would get, as a line of what the dry run found.
pub(super) fn provenance(line: &str, report: &mut PublishReport) {
    report.proven.push(format!("dry run: {line}"));
}
