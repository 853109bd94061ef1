//! Step 8 of a publish with `github-attestations`: each file this run uploaded with a PEP 740
//! attestation has that attestation stored in the repository's attestation store too
//! ([`crate::attest::github_store`]) — the same signature, so `gh attestation verify` and
//! PyPI show one provenance. Nothing here can fail the run: the files are published, and
//! whatever the store refuses is a warning. The first answer tells whether the store takes
//! them at all (a token without `attestations: write` is refused every time): only when it
//! does are the others sent, a few at once.

use futures_util::{StreamExt, stream};

use super::{FileStatus, PublishReport};
use crate::attest::Attestation;
use crate::attest::github_store::{GithubStore, StoreError};
use crate::attest::plan::Prepared;
use crate::events::Reporter;

/// Requests in flight at once after the first.
const IN_FLIGHT: usize = 4;

/// Stores the attestations of the files `report` says were uploaded, and records their ids.
pub(super) async fn store_uploaded(
    store: &GithubStore,
    attestations: &Prepared,
    reporter: &dyn Reporter,
    report: &mut PublishReport,
) {
    let uploaded: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Uploaded)
        .collect();
    let mut to_store: Vec<(String, String, Attestation)> = Vec::new();
    for f in &uploaded {
        // Prepared holds the `attestations` form field: a JSON list of one attestation.
        let first = attestations
            .get(&f.file)
            .and_then(|(_, json)| serde_json::from_str::<Vec<Attestation>>(json).ok())
            .and_then(|list| list.into_iter().next());
        if let Some(attestation) = first {
            to_store.push((f.file.clone(), f.sha256.clone(), attestation));
        }
    }
    if to_store.len() < uploaded.len() {
        reporter.warning(&format!(
            "github-attestations: {} uploaded file(s) went without a PEP 740 attestation (attestations are off for {}): nothing of theirs to store in GitHub's attestation store",
            uploaded.len() - to_store.len(),
            report.repository_url
        ));
    }
    let mut rest = to_store.into_iter();
    let Some((file, sha256, attestation)) = rest.next() else {
        return;
    };
    let mut results = vec![(file, store.store(&sha256, &attestation).await)];
    if let Some((_, Err(e))) = results.first()
        && e.refuses_all()
    {
        warn(reporter, e, rest.len() + 1, store.repository());
        return;
    }
    results.extend(
        stream::iter(rest)
            .map(|(file, sha256, attestation)| async move {
                let result = store.store(&sha256, &attestation).await;
                (file, result)
            })
            .buffered(IN_FLIGHT)
            .collect::<Vec<_>>()
            .await,
    );
    for (file, result) in results {
        match result {
            Ok(id) => {
                reporter.note(&format!(
                    "{file}: attestation stored in GitHub's attestation store of {} (id {id})",
                    store.repository()
                ));
                report.github_attestations.insert(file, id);
            }
            Err(e) => warn(reporter, &e, 1, &file),
        }
    }
}

/// One warning for `count` attestation(s) not stored (of `what`: a file, or the repository
/// when the store refused them all), its hint on the same line.
fn warn(reporter: &dyn Reporter, error: &StoreError, count: usize, what: &str) {
    let hint = error.hint().map(|h| format!("; {h}")).unwrap_or_default();
    reporter.warning(&format!(
        "{what}: {count} attestation(s) not stored: {error} — the files are published{hint}"
    ));
}
