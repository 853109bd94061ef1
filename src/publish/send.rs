//! Step 6 of a publish: sending the files the index does not have, wheels first, a few at a
//! time; the first refusal of the run's configuration stops the rest.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures_util::{StreamExt, stream};

use super::{FileStatus, Planned, PublishOptions};
use crate::dist::DistKind;
use crate::events::Reporter;
use crate::index::form::Progress;
use crate::index::upload::Interruption;
use crate::index::{Index, Refusal, UploadError, UploadErrorKind, UploadOutcome};

/// Uploads the files still to send, wheels first (installers never see an sdist-only
/// release), at most `concurrency` at a time. The first refusal that is about the run's
/// configuration (the URL, the credentials) stops the rest: they stay not attempted, and
/// uploads already in flight that meet it too are not reported a second time.
pub(super) async fn upload_all(
    options: &PublishOptions,
    index: &Index,
    planned: &[Planned],
    attestations: &crate::attest::plan::Prepared,
    reporter: &dyn Reporter,
) -> (Outcomes, Option<Refusal>) {
    let stop: Mutex<Option<Refusal>> = Mutex::new(None);
    let stopped = || stop.lock().expect("not poisoned").is_some();
    let mut outcomes = Outcomes::new();
    for kind in [DistKind::Wheel, DistKind::Sdist] {
        let batch = planned
            .iter()
            .filter(|p| p.dist.filename.kind() == kind && p.status == FileStatus::NotAttempted);
        let results: Vec<(String, Option<Result<UploadOutcome, UploadError>>)> =
            stream::iter(batch)
                .map(|p| async {
                    let file = p.dist.file_name().to_string();
                    if stopped() {
                        return (file, None);
                    }
                    // Interrupted: the rest are reported once, as not started, not one by one.
                    if index.cancel.is_cancelled() {
                        let state = Interruption::NotStarted;
                        let error = UploadError::new(&file, UploadErrorKind::Interrupted(state));
                        return (file, Some(Err(error)));
                    }
                    let result = upload_one(index, p, attestations, reporter).await;
                    if let Err(e) = &result
                        && let Some(refusal) = e.stopping_refusal()
                    {
                        let mut first = stop.lock().expect("not poisoned");
                        if first.is_some() {
                            reporter.upload_finished(&file, "not uploaded: the run stopped", false);
                            return (file, None);
                        }
                        *first = Some(refusal.clone());
                    }
                    reporter.upload_finished(&file, &status_line(&result), result.is_ok());
                    (file, Some(result))
                })
                .buffer_unordered(options.concurrency.max(1))
                .collect()
                .await;
        outcomes.extend(
            results
                .into_iter()
                .filter_map(|(file, result)| Some((file, result?))),
        );
    }
    (outcomes, stop.into_inner().expect("not poisoned"))
}

/// The outcome of each upload tried, by file name.
pub(super) type Outcomes = BTreeMap<String, Result<UploadOutcome, UploadError>>;

/// One file's upload, with its attestation when there is one.
async fn upload_one(
    index: &Index,
    p: &Planned,
    attestations: &crate::attest::plan::Prepared,
    reporter: &dyn Reporter,
) -> Result<UploadOutcome, UploadError> {
    let progress = Arc::new(Progress::default());
    reporter.upload_started(p.dist.file_name(), p.digests.size, progress.clone());
    let attestation = attestations
        .get(p.dist.file_name())
        .map(|(_, j)| j.as_str());
    index
        .upload(&p.dist, &p.digests, attestation, progress)
        .await
}

/// The reporter's words for how an upload ended (the line names the file already).
fn status_line(result: &Result<UploadOutcome, UploadError>) -> String {
    match result {
        Ok(UploadOutcome::Uploaded { attempts: 1 }) => "uploaded".to_string(),
        Ok(UploadOutcome::Uploaded { attempts }) => format!("uploaded after {attempts} attempts"),
        Ok(UploadOutcome::AlreadyPresent) => "already present".to_string(),
        Err(e) => e.reason(),
    }
}
