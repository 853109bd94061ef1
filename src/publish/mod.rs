//! A publish, step by step (SPEC §1–§2):
//!
//! 1. **preflight** — find the files, read and check every one (nothing is sent if any fails);
//! 2. **hash** — the sha256 of every file, over all the cores (blake2b-256, which only the
//!    upload form needs, is computed in step 6 for the files about to be sent);
//! 3. **plan** — ask the index once per project what it has, and classify every file as new,
//!    already present (same sha256) or a conflict (same name, other bytes); any conflict
//!    stops the run before the first upload; the provenance the index holds for the
//!    releases' files, and for the release each is compared with, is read too;
//! 4. **authenticate** — with trusted publishing, mint the upload token now (only when
//!    something is to be uploaded), so a refused exchange stops the run before any upload;
//!    then **provenance**: the grade PyPI will give each release is said (with
//!    `--provenance-check fail`, a loss, change or inconsistency stops the run here);
//! 5. **attest** — with attestations on, find or sign one for every file about to be sent
//!    (never for a file already present: each signature is a public log entry);
//! 6. **upload** — the new files: one alone first (a refusal of the URL or the credentials
//!    then costs one file), then at most N at a time, each project's wheels before its
//!    sdist; the first refusal of the URL or the credentials stops the rest;
//! 7. **report** — one row per file;
//! 8. **store** — with `github-attestations`, the attestations of the files just uploaded go
//!    to the repository's attestation store too (a refusal is a warning);
//! 9. **burn** — with trusted publishing, revoke every upload token minted for the run,
//!    however it ended (on a signal, at once).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use futures_util::{StreamExt, stream};

use crate::dist::{self, Digests, Distribution, Problem, Target, discover};
use crate::events::Reporter;
use crate::index::{Index, Refusal, UploadOutcome, url};

mod burn;
mod destinations;
mod github_store;
mod outcome;
mod plan;
mod prove;
mod provenance;
mod send;

use self::plan::plan;
use self::send::{Outcomes, upload_all};

pub use destinations::{Connected, publish_in_order};
pub use outcome::{FileReport, FileStatus, PublishError, PublishReport};

/// What to publish, and how.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Files and folders to publish.
    pub paths: Vec<PathBuf>,
    /// Uploads in flight at once.
    pub concurrency: usize,
    /// Do everything except the uploads.
    pub dry_run: bool,
    /// Run the preflight rules (on by default; the reference action's `verify-metadata`).
    pub verify_metadata: bool,
    /// Sign and send PEP 740 attestations with this session (`None`: send none).
    pub attestations: Option<Arc<crate::attest::Session>>,
    /// GitHub's attestation store, where each uploaded file's attestation goes too.
    pub github_store: Option<Arc<crate::attest::github_store::GithubStore>>,
    /// Whose rules the preflight applies (`None`: the index's own; with several
    /// destinations, the strictest among them, so that nothing is sent anywhere first).
    pub preflight_target: Option<Target>,
    /// `--provenance-check`: off, warn or fail.
    pub provenance_check: crate::provenance::Check,
}

struct Planned {
    dist: Distribution,
    digests: Digests,
    status: FileStatus,
}

/// Runs a publish against `index`. The report is returned in both cases: on error it says
/// what was and was not uploaded.
pub async fn publish(
    options: &PublishOptions,
    index: &Index,
    reporter: &dyn Reporter,
) -> (PublishReport, Result<(), PublishError>) {
    let started = Instant::now();
    let mut report = PublishReport {
        dry_run: options.dry_run,
        repository_url: index.upload_url().to_string(),
        ..PublishReport::default()
    };
    let (mut result, burned) =
        burn::burning(index, run(options, index, reporter, &mut report)).await;
    burn::record(&burned, reporter, &mut report);
    if let Some(signal) = crate::interrupt::received() {
        // Files never started leave no error behind: the report says the release is short.
        if result.is_err() || !report.succeeded() {
            result = Err(interrupted(signal, &report));
        }
    }
    report.upload_requests = index.traffic.upload_requests.load(Ordering::Relaxed);
    report.lookups = index.traffic.lookups.load(Ordering::Relaxed);
    if let Some(trusted) = index.trusted_publishing() {
        report.token_mints = trusted.mints();
    }
    report.seconds = started.elapsed().as_secs_f64();
    (report, result)
}

async fn run(
    options: &PublishOptions,
    index: &Index,
    reporter: &dyn Reporter,
    report: &mut PublishReport,
) -> Result<(), PublishError> {
    // 1. Preflight.
    let target = options
        .preflight_target
        .unwrap_or_else(|| Target::from(index.known()));
    let dists = preflight(options, target, reporter, report)?;

    // 2. Hash.
    let mut planned = hash_all(dists).await?;

    // 3. Plan against the index.
    let (known_projects, listed) = plan(index, &mut planned, report, reporter).await?;
    let looked = provenance::look(options, index, &planned, &listed).await;

    // 4. Authenticate, only when something is to be sent: a re-run with everything already
    // present needs no token at all. A dry run mints too, and proves the credentials.
    let pending = planned.iter().any(|p| p.status == FileStatus::NotAttempted);
    if pending {
        authenticate(index, &planned, &known_projects, report).await?;
        if options.dry_run {
            prove::credentials(index, &planned, reporter, report).await?;
        }
    }

    // The provenance each release will get, before anything is signed or sent.
    provenance::judge(options, index, looked, &planned, reporter, report)?;

    // 5. Attest what will be sent (after authenticating: a refused exchange must not
    // leave public log entries behind).
    let attestations = &attest(options, &planned, reporter, report).await?;

    // 6. Upload what the index does not have (a dry run stops short of it).
    if options.dry_run {
        would_upload(&mut planned);
        return record(planned, Outcomes::new(), None, attestations, index, report);
    }
    hash_for_upload(&mut planned).await?;
    let (outcomes, stopped) = upload_all(options, index, &planned, attestations, reporter).await;

    // 7. Report.
    let result = record(planned, outcomes, stopped, attestations, index, report);

    // 8. Store the uploaded files' attestations in GitHub's store (not after a signal).
    if let Some(store) = &options.github_store
        && crate::interrupt::received().is_none()
    {
        github_store::store_uploaded(store, attestations, reporter, report).await;
    }
    result
}

/// A dry run: every file still to send would be uploaded.
fn would_upload(planned: &mut [Planned]) {
    for p in planned
        .iter_mut()
        .filter(|p| p.status == FileStatus::NotAttempted)
    {
        p.status = FileStatus::WouldUpload;
    }
}

/// One row per file in the report, and the run's verdict: stopped by a refusal of its
/// configuration, some uploads failed, or done.
fn record(
    planned: Vec<Planned>,
    mut outcomes: Outcomes,
    stopped: Option<Refusal>,
    attestations: &crate::attest::plan::Prepared,
    index: &Index,
    report: &mut PublishReport,
) -> Result<(), PublishError> {
    let (mut failed, mut rerun_may_help) = (0, false);
    for p in planned {
        let mut row = row(&p, index);
        match outcomes.remove(&row.file) {
            Some(Ok(UploadOutcome::Uploaded { attempts })) => {
                row.status = FileStatus::Uploaded;
                row.attempts = attempts;
                row.attestation = attestations.get(&row.file).map(|(source, _)| match source {
                    crate::attest::plan::Source::Bundle(bundle) => bundle.clone(),
                    _ => crate::attest::file::path_for(&p.dist.path, None),
                });
            }
            Some(Ok(UploadOutcome::AlreadyPresent)) => row.status = FileStatus::AlreadyPresent,
            Some(Err(e)) if e.not_started() => {}
            Some(Err(e)) => {
                failed += 1;
                rerun_may_help |= e.rerun_may_help();
                row.status = FileStatus::Failed;
                row.hint = e.hint();
                row.error = Some(e.one_line());
            }
            None => {}
        }
        report.files.push(row);
    }
    if let Some(refusal) = stopped {
        return Err(PublishError::Stopped {
            url: index.upload_url(),
            refusal,
            not_attempted: report.count(FileStatus::NotAttempted),
        });
    }
    if failed > 0 {
        return Err(PublishError::Uploads {
            failed,
            total: report.files.len(),
            rerun_may_help,
        });
    }
    Ok(())
}

/// What an interrupted run got done, counted from its report.
fn interrupted(signal: crate::interrupt::Signal, report: &PublishReport) -> PublishError {
    let count =
        |pick: fn(FileStatus) -> bool| report.files.iter().filter(|f| pick(f.status)).count();
    PublishError::Interrupted {
        signal: signal.name(),
        uploaded: count(|s| matches!(s, FileStatus::Uploaded | FileStatus::AlreadyPresent)),
        abandoned: count(|s| s == FileStatus::Failed),
        not_started: count(|s| s == FileStatus::NotAttempted),
        total: report.files.len(),
    }
}

fn preflight(
    options: &PublishOptions,
    target: Target,
    reporter: &dyn Reporter,
    report: &mut PublishReport,
) -> Result<Vec<Distribution>, PublishError> {
    let found = discover::discover(&options.paths)?;
    for s in &found.skipped {
        reporter.skipped(&s.path, s.reason);
        report.skipped.push((s.path.clone(), s.reason.to_string()));
    }
    let checked = dist::check::check_files(&found.dists, target);
    // Without verify-metadata only the problems that make a file unreadable stop the run.
    let problems: Vec<Problem> = if options.verify_metadata {
        checked.problems
    } else {
        checked
            .problems
            .into_iter()
            .filter(|p| matches!(p.code, "archive" | "filename" | "metadata-utf8" | "io"))
            .collect()
    };
    for p in &problems {
        reporter.problem(p);
    }
    report.problems = problems.clone();
    let readable: BTreeSet<&str> = checked.dists.iter().map(|d| d.file_name()).collect();
    let has_errors = problems.iter().any(|p| p.severity == dist::Severity::Error);
    if has_errors || readable.len() != found.dists.len() {
        return Err(PublishError::Preflight(
            problems
                .into_iter()
                .filter(|p| p.severity == dist::Severity::Error)
                .collect(),
        ));
    }
    Ok(checked.dists)
}

/// The sha256 of every file, over all the cores: all the plan needs.
async fn hash_all(dists: Vec<Distribution>) -> Result<Vec<Planned>, PublishError> {
    let hashed = on_every_core(dists, |dist| {
        let digests = dist::hash::sha256_file(&dist.path).map_err(|source| PublishError::Hash {
            path: dist.path.clone(),
            source,
        })?;
        Ok(Planned {
            dist,
            digests,
            status: FileStatus::NotAttempted,
        })
    })
    .await;
    hashed.into_iter().collect()
}

/// The blake2b-256 the upload form carries, for the files about to be sent only (a re-run
/// with everything on the index computes none).
async fn hash_for_upload(planned: &mut [Planned]) -> Result<(), PublishError> {
    let to_send: Vec<(usize, PathBuf)> = planned
        .iter()
        .enumerate()
        .filter(|(_, p)| p.status == FileStatus::NotAttempted)
        .map(|(i, p)| (i, p.dist.path.clone()))
        .collect();
    let hashed = on_every_core(to_send, |(i, path)| {
        let blake2 = dist::hash::blake2_file(&path);
        (
            i,
            blake2.map_err(|source| PublishError::Hash { path, source }),
        )
    })
    .await;
    for (i, blake2) in hashed {
        planned[i].digests.blake2_256 = Some(blake2?);
    }
    Ok(())
}

/// Runs `work` on every item in blocking threads, as many at once as there are cores; the
/// results in the items' order.
async fn on_every_core<T: Send + 'static, R: Send + 'static>(
    items: Vec<T>,
    work: fn(T) -> R,
) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    stream::iter(items)
        .map(|item| async move {
            tokio::task::spawn_blocking(move || work(item))
                .await
                .expect("hashing never panics")
        })
        .buffered(workers)
        .collect()
        .await
}

/// Mints the first upload token, so a trusted-publishing failure stops the run before any
/// upload, with a diagnosis that knows which projects the index has.
async fn authenticate(
    index: &Index,
    planned: &[Planned],
    known_projects: &BTreeMap<String, bool>,
    report: &mut PublishReport,
) -> Result<(), PublishError> {
    let Some(trusted) = index.trusted_publishing() else {
        return Ok(());
    };
    let Err(source) = trusted.credentials().await else {
        return Ok(());
    };
    let mut ctx = crate::auth::diagnose::Context::for_index(index.known());
    let projects: BTreeSet<String> = planned
        .iter()
        .map(|p| p.dist.filename.normalized_name())
        .collect();
    ctx.projects = projects
        .into_iter()
        .map(|p| {
            let exists = known_projects.get(&p).copied();
            (p, exists)
        })
        .collect();
    let hint = source.hint(&ctx);
    report.files = planned.iter().map(|p| row(p, index)).collect();
    Err(PublishError::TrustedPublishing {
        source: Box::new(source),
        hint,
    })
}

async fn attest(
    options: &PublishOptions,
    planned: &[Planned],
    reporter: &dyn Reporter,
    report: &mut PublishReport,
) -> Result<crate::attest::plan::Prepared, PublishError> {
    let Some(session) = &options.attestations else {
        return Ok(Default::default());
    };
    let files: Vec<crate::attest::ToAttest> = planned
        .iter()
        .filter(|p| matches!(p.status, FileStatus::NotAttempted | FileStatus::WouldUpload))
        .map(|p| crate::attest::ToAttest {
            path: &p.dist.path,
            file_name: p.dist.file_name(),
            sha256: p.digests.sha256.as_str(),
        })
        .collect();
    let prepared = crate::attest::prepare(&files, session, options.dry_run, reporter).await?;
    if options.dry_run
        && let Some(first) = files.iter().find(|f| !prepared.contains_key(f.file_name))
    {
        let to_sign = files.len() - prepared.len();
        prove::signing_identity(session, first.file_name, to_sign, reporter, report).await?;
    }
    Ok(prepared)
}

fn row(p: &Planned, index: &Index) -> FileReport {
    let (project, version) = (
        p.dist.metadata.name().to_string(),
        p.dist.metadata.version().to_string(),
    );
    let url = url::release_page(index.known(), &p.dist.filename.normalized_name(), &version)
        .or_else(|| {
            index
                .check_url()
                .map(|c| format!("{c}{}/", p.dist.filename.normalized_name()))
        });
    FileReport {
        file: p.dist.file_name().to_string(),
        path: p.dist.path.clone(),
        project,
        version,
        kind: p.dist.filename.kind(),
        size: p.digests.size,
        sha256: p.digests.sha256.to_string(),
        status: p.status,
        url,
        attempts: 0,
        error: None,
        hint: None,
        attestation: None,
    }
}
