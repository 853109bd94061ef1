//! Step 6 of a publish: sending the files the index does not have, one alone and then a few
//! at a time, each project's wheels before its sdist; the first refusal of the run's
//! configuration stops the rest.
//!
//! **The pilot.** One file goes alone first — the smallest of the first kind to send — and
//! the others start only once the index has answered it without refusing the run's
//! configuration. Until an index has answered a real upload, the URL may be a site's front
//! page (405), a plain web server (501), a wrong path (404), or the credentials may be
//! refused (401/403); every upload meets the same refusal, and a server may read a whole
//! body before it answers, so `--concurrency` uploads in flight at once could all be sent in
//! full before the first refusal: eight 100 MB wheels, 800 MB to the wrong place. With a
//! pilot such a refusal costs one file's bytes, the smallest file's.
//!
//! Why not a file-less probe (the dry run's) as the gate? Neither of its answers can be
//! trusted: a refusal of it must not stop the run (an index that answers a form without a
//! file oddly must never be refused for it), so the files would wait for a real upload's
//! answer anyway; and an acceptance can be wrong (an index that reads the form before the
//! credentials answers it 400 whatever the token), so the gate would open for every file
//! to be refused again. Only a real upload's answer decides. The pilot's price is its time
//! alone on the wire: one round trip for a small file, its transfer for a large one. The
//! many-files benchmark (docs/benchmarks.md) gets that round trip back from the one queue
//! below, where all wheels and then all sdists had left slots idle between them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures_util::{StreamExt, stream};

use super::{FileStatus, Planned, PublishOptions};
use crate::dist::DistKind;
use crate::events::Reporter;
use crate::index::form::Progress;
use crate::index::upload::Interruption;
use crate::index::{Index, Refusal, UploadError, UploadErrorKind, UploadOutcome};

/// Uploads the files still to send: the pilot alone, then the rest at most `concurrency`
/// at a time, wheels first and each project's sdist only once its wheels are done
/// (installers never see an sdist-only release; one queue for both kinds keeps every slot
/// busy, where a pause between all wheels and all sdists would leave slots idle). The first
/// refusal that is about the run's configuration (the URL, the credentials) stops the rest:
/// they stay not attempted, and uploads already in flight that meet it too are not reported
/// a second time.
pub(super) async fn upload_all(
    options: &PublishOptions,
    index: &Index,
    planned: &[Planned],
    attestations: &crate::attest::plan::Prepared,
    reporter: &dyn Reporter,
) -> (Outcomes, Option<Refusal>) {
    let run = Sending {
        index,
        attestations,
        reporter,
        stop: Mutex::new(None),
    };
    let pending = |p: &&Planned| p.status == FileStatus::NotAttempted;
    let pilot = pilot(planned.iter().filter(pending));
    let mut outcomes = Outcomes::new();
    if let Some(pilot) = pilot {
        let (file, result) = run.send(pilot).await;
        outcomes.extend(result.map(|r| (file, r)));
    }
    let is_pilot = |p: &Planned| pilot.is_some_and(|pilot| std::ptr::eq(pilot, p));
    let mut rest: Vec<&Planned> = planned
        .iter()
        .filter(pending)
        .filter(|p| !is_pilot(p))
        .collect();
    // Wheels first in the queue: an sdist waits only for wheels already started.
    rest.sort_by_key(|p| p.dist.filename.kind() != DistKind::Wheel);
    let wheels = WheelsLeft::of(&rest);
    let results: Vec<(String, Option<Result<UploadOutcome, UploadError>>)> = stream::iter(rest)
        .map(|p| async {
            let project = p.dist.filename.normalized_name();
            let wheel = p.dist.filename.kind() == DistKind::Wheel;
            if !wheel {
                wheels.all_done(&project).await;
            }
            let sent = run.send(p).await;
            if wheel {
                wheels.one_done(&project);
            }
            sent
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    outcomes.extend(
        results
            .into_iter()
            .filter_map(|(file, result)| Some((file, result?))),
    );
    (outcomes, run.stop.into_inner().expect("not poisoned"))
}

/// The wheels of each project still to finish (uploaded, failed or given up), which its
/// sdist waits for.
struct WheelsLeft {
    left: Mutex<BTreeMap<String, usize>>,
    one_done: tokio::sync::Notify,
}

impl WheelsLeft {
    fn of(files: &[&Planned]) -> Self {
        let mut left = BTreeMap::new();
        for p in files
            .iter()
            .filter(|p| p.dist.filename.kind() == DistKind::Wheel)
        {
            *left.entry(p.dist.filename.normalized_name()).or_default() += 1;
        }
        WheelsLeft {
            left: Mutex::new(left),
            one_done: tokio::sync::Notify::new(),
        }
    }

    fn one_done(&self, project: &str) {
        if let Some(n) = self.left.lock().expect("not poisoned").get_mut(project) {
            *n -= 1;
        }
        self.one_done.notify_waiters();
    }

    async fn all_done(&self, project: &str) {
        loop {
            // Made before the look, so a wheel finishing in between still wakes it.
            let woken = self.one_done.notified();
            let left = self
                .left
                .lock()
                .expect("not poisoned")
                .get(project)
                .copied();
            if left.unwrap_or(0) == 0 {
                return;
            }
            woken.await;
        }
    }
}

/// The outcome of each upload tried, by file name.
pub(super) type Outcomes = BTreeMap<String, Result<UploadOutcome, UploadError>>;

/// The file that goes alone first: the smallest wheel, or the smallest sdist when there is
/// no wheel (wheels stay first; the smallest risks the fewest bytes and waits the least).
fn pilot<'a>(pending: impl Iterator<Item = &'a Planned>) -> Option<&'a Planned> {
    pending.min_by_key(|p| (p.dist.filename.kind() != DistKind::Wheel, p.digests.size))
}

/// What every upload of a run shares: where to, the attestations, the reporter, and the
/// first refusal of the run's configuration.
struct Sending<'a> {
    index: &'a Index,
    attestations: &'a crate::attest::plan::Prepared,
    reporter: &'a dyn Reporter,
    stop: Mutex<Option<Refusal>>,
}

impl Sending<'_> {
    /// One file's upload, unless the run has stopped (`None`: nothing to report for it).
    async fn send(&self, p: &Planned) -> (String, Option<Result<UploadOutcome, UploadError>>) {
        let file = p.dist.file_name().to_string();
        if self.stop.lock().expect("not poisoned").is_some() {
            return (file, None);
        }
        // Interrupted: the rest are reported once, as not started, not one by one.
        if self.index.cancel.is_cancelled() {
            let state = Interruption::NotStarted;
            let error = UploadError::new(&file, UploadErrorKind::Interrupted(state));
            return (file, Some(Err(error)));
        }
        let result = self.upload_one(p).await;
        if let Err(e) = &result
            && let Some(refusal) = e.stopping_refusal()
        {
            let mut first = self.stop.lock().expect("not poisoned");
            if first.is_some() {
                let line = "not uploaded: the run stopped";
                self.reporter.upload_finished(&file, line, false);
                return (file, None);
            }
            *first = Some(refusal.clone());
        }
        self.reporter
            .upload_finished(&file, &status_line(&result), result.is_ok());
        (file, Some(result))
    }

    /// One file's upload, with its attestation when there is one.
    async fn upload_one(&self, p: &Planned) -> Result<UploadOutcome, UploadError> {
        let progress = Arc::new(Progress::default());
        self.reporter
            .upload_started(p.dist.file_name(), p.digests.size, progress.clone());
        let attestation = self
            .attestations
            .get(p.dist.file_name())
            .map(|(_, j)| j.as_str());
        self.index
            .upload(&p.dist, &p.digests, attestation, progress)
            .await
    }
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
