//! A publish, step by step (SPEC §1–§2):
//!
//! 1. **preflight** — find the files, read and check every one (nothing is sent if any fails);
//! 2. **hash** — sha256 and blake2b-256 of every file, one streaming pass each;
//! 3. **plan** — ask the index once per project what it has, and classify every file as new,
//!    already present (same sha256) or a conflict (same name, other bytes); any conflict
//!    stops the run before the first upload;
//! 4. **authenticate** — with trusted publishing, mint the upload token now (only when
//!    something is to be uploaded), so a refused exchange stops the run before any upload;
//! 5. **attest** — with attestations on, find or sign one for every file about to be sent
//!    (never for a file already present: each signature is a public log entry);
//! 6. **upload** — the new files, wheels before sdists, at most N at a time;
//! 7. **report** — one row per file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::{StreamExt, stream};

use crate::dist::{self, Digests, DistKind, Distribution, Problem, Target, discover};
use crate::index::form::Progress;
use crate::index::upload::Interruption;
use crate::index::{Index, LookupError, Refusal, UploadError, UploadOutcome, url};
use crate::report::Reporter;

mod outcome;

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
    let mut result = run(options, index, reporter, &mut report).await;
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
    let target = Target::from(index.known());
    let dists = preflight(options, target, reporter, report)?;

    // 2. Hash.
    let mut planned = hash_all(dists).await?;

    // 3. Plan against the index.
    let known_projects = plan(index, &mut planned, report, reporter).await?;

    // 4. Authenticate, only when something is to be sent: a re-run with everything already
    // present needs no token at all.
    let pending = planned.iter().any(|p| p.status == FileStatus::NotAttempted);
    if pending && !options.dry_run {
        authenticate(index, &planned, &known_projects, report).await?;
    }

    // 5. Attest what will be sent (after authenticating: a refused exchange must not
    // leave public log entries behind).
    let attestations = &attest(options, &planned, reporter).await?;

    // 6. Upload: wheels first, so installers never see an sdist-only release.
    if options.dry_run {
        for p in planned
            .iter_mut()
            .filter(|p| p.status == FileStatus::NotAttempted)
        {
            p.status = FileStatus::WouldUpload;
        }
    }
    let (mut outcomes, stopped) =
        upload_all(options, index, &planned, attestations, reporter).await;

    // 7. Report.
    let upload_url = index.upload_url();
    let (mut failed, mut rerun_may_help) = (0, false);
    for p in planned {
        let mut row = row(&p, index);
        match outcomes.remove(&row.file) {
            Some(Ok(UploadOutcome::Uploaded { attempts })) => {
                row.status = FileStatus::Uploaded;
                row.attempts = attempts;
                row.attestation = attestations
                    .contains_key(&row.file)
                    .then(|| crate::attest::file::path_for(&p.dist.path, None));
            }
            Some(Ok(UploadOutcome::AlreadyPresent)) => row.status = FileStatus::AlreadyPresent,
            Some(Err(UploadError::Interrupted {
                state: Interruption::NotStarted,
                ..
            })) => {}
            Some(Err(e)) => {
                failed += 1;
                rerun_may_help |= e.rerun_may_help();
                row.status = FileStatus::Failed;
                row.hint = e.hint();
                row.error = Some(e.to_string());
            }
            None => {}
        }
        report.files.push(row);
    }
    if let Some(refusal) = stopped {
        return Err(PublishError::Stopped {
            url: upload_url,
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

/// Uploads the files still to send, wheels first (installers never see an sdist-only
/// release), at most `concurrency` at a time. The first refusal that is about the run's
/// configuration (the URL, the credentials) stops the rest: they stay not attempted, and
/// uploads already in flight that meet it too are not reported a second time.
async fn upload_all(
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
                        let error = UploadError::Interrupted {
                            file: file.clone(),
                            state,
                        };
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
type Outcomes = BTreeMap<String, Result<UploadOutcome, UploadError>>;

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

async fn hash_all(dists: Vec<Distribution>) -> Result<Vec<Planned>, PublishError> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let hashed: Vec<Result<Planned, PublishError>> = stream::iter(dists)
        .map(|dist| async move {
            let path = dist.path.clone();
            let digests = tokio::task::spawn_blocking(move || dist::hash::digest_file(&path))
                .await
                .expect("hashing never panics")
                .map_err(|source| PublishError::Hash {
                    path: dist.path.clone(),
                    source,
                })?;
            Ok(Planned {
                dist,
                digests,
                status: FileStatus::NotAttempted,
            })
        })
        .buffered(workers)
        .collect()
        .await;
    hashed.into_iter().collect()
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

/// Classifies every file against the index; returns whether the index knows each project.
async fn plan(
    index: &Index,
    planned: &mut [Planned],
    report: &mut PublishReport,
    reporter: &dyn Reporter,
) -> Result<BTreeMap<String, bool>, PublishError> {
    if index.check_url().is_none() {
        reporter.warning(
            "no simple index is known for this repository URL: files cannot be compared with what the index has (pass --check-url to enable skip-identical)",
        );
        return Ok(BTreeMap::new());
    }
    let projects: BTreeSet<String> = planned
        .iter()
        .map(|p| p.dist.filename.normalized_name())
        .collect();
    let lookups: Vec<(String, Result<_, LookupError>)> = stream::iter(projects)
        .map(|project| async move {
            let result = index.lookup(&project).await;
            (project, result)
        })
        .buffer_unordered(crate::index::LOOKUPS_IN_FLIGHT)
        .collect()
        .await;
    let mut known = BTreeMap::new();
    let mut exists = BTreeMap::new();
    for (project, result) in lookups {
        let files = result.map_err(|source| PublishError::Lookup {
            project: project.clone(),
            source,
        })?;
        exists.insert(project.clone(), files.is_some());
        known.insert(project, files.unwrap_or_default());
    }
    let now = jiff::Timestamp::now();
    let mut conflicts = Vec::new();
    for p in planned.iter_mut() {
        let files = &known[&p.dist.filename.normalized_name()];
        match files.get(p.dist.file_name()).map(|l| &l.sha256) {
            None => {
                if let Some(age_days) = closed_release_age(files, &p.dist, now) {
                    conflicts.push(UploadError::ClosedRelease {
                        file: p.dist.file_name().to_string(),
                        project: p.dist.metadata.name().to_string(),
                        version: p.dist.metadata.version().to_string(),
                        age_days,
                    });
                }
            }
            Some(Some(sha)) if *sha == p.digests.sha256 => {
                p.status = FileStatus::AlreadyPresent;
                reporter.note(&format!(
                    "{}: already present on the index (same sha256), skipped",
                    p.dist.file_name()
                ));
            }
            Some(other) => conflicts.push(UploadError::Conflict {
                file: p.dist.file_name().to_string(),
                local: p.digests.sha256.to_string(),
                index: other.as_ref().map_or(
                    "unknown (the index lists no sha256)".to_string(),
                    ToString::to_string,
                ),
            }),
        }
    }
    if !conflicts.is_empty() {
        report.conflicts = conflicts.iter().map(ToString::to_string).collect();
        report.files = planned.iter().map(|p| row(p, index)).collect();
        return Err(PublishError::Conflicts(conflicts));
    }
    Ok(exists)
}

/// Warehouse `MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS`: PyPI takes no new files into a release
/// older than this ("Uploading new files to releases older than 14 days is not allowed.").
const RELEASE_OPEN_DAYS: i64 = 14;

/// The age in days of `dist`'s release on the index when that release is closed to new
/// files: its first file was uploaded more than 14 days ago. Only indexes that give upload
/// times (PEP 700; PyPI's JSON simple API) can say so.
fn closed_release_age(
    files: &crate::index::ProjectFiles,
    dist: &crate::dist::Distribution,
    now: jiff::Timestamp,
) -> Option<i64> {
    let version = dist.filename.version.as_ref()?;
    let first = files
        .iter()
        .filter(|(name, _)| {
            crate::dist::DistFilename::parse(name)
                .is_ok_and(|f| f.version.as_ref() == Some(version))
        })
        .filter_map(|(_, listed)| listed.uploaded)
        .min()?;
    let age = now.duration_since(first).as_secs();
    (age > RELEASE_OPEN_DAYS * 24 * 3600).then_some(age / (24 * 3600))
}

async fn attest(
    options: &PublishOptions,
    planned: &[Planned],
    reporter: &dyn Reporter,
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
    Ok(crate::attest::prepare(&files, session, options.dry_run, reporter).await?)
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
