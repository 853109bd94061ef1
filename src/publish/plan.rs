//! Step 3 of a publish: what the index already has, and what that makes of each file: new,
//! already present (same sha256), a conflict (same name, other bytes) or a file for a
//! release closed to new files.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt, stream};

use super::{FileStatus, Planned, PublishError, PublishReport, row};
use crate::dist::check::pep440;
use crate::events::Reporter;
use crate::index::{Index, LookupError, ProjectFiles, UploadError, UploadErrorKind};

/// Whether the index knows each project, and what it lists for those it knows.
type Known = (BTreeMap<String, bool>, BTreeMap<String, ProjectFiles>);

/// Classifies every file against the index; returns what the index knows of each project.
pub(super) async fn plan(
    index: &Index,
    planned: &mut [Planned],
    report: &mut PublishReport,
    reporter: &dyn Reporter,
) -> Result<Known, PublishError> {
    if index.check_url().is_none() {
        reporter.warning(
            "no simple index is known for this repository URL: files cannot be compared with what the index has (pass --check-url to enable skip-identical)",
        );
        return Ok(Default::default());
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
                    conflicts.push(UploadError::new(
                        p.dist.file_name(),
                        UploadErrorKind::ClosedRelease {
                            project: p.dist.metadata.name().to_string(),
                            version: p.dist.metadata.version().to_string(),
                            age_days,
                        },
                    ));
                }
            }
            Some(Some(sha)) if *sha == p.digests.sha256 => {
                p.status = FileStatus::AlreadyPresent;
                reporter.note(&format!(
                    "{}: already present on the index (same sha256), skipped",
                    p.dist.file_name()
                ));
            }
            Some(other) => conflicts.push(UploadError::new(
                p.dist.file_name(),
                UploadErrorKind::Conflict {
                    local: p.digests.sha256.to_string(),
                    index: other.as_ref().map_or(
                        "unknown (the index lists no sha256)".to_string(),
                        ToString::to_string,
                    ),
                },
            )),
        }
    }
    if !conflicts.is_empty() {
        report.conflicts = conflicts.iter().map(ToString::to_string).collect();
        report.files = planned.iter().map(|p| row(p, index)).collect();
        return Err(PublishError::Conflicts(conflicts));
    }
    Ok((exists, known))
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
    // One release is one packaging `Version` (`1.0` is `1.0.0`; numbers of any size).
    let release = |f: &crate::dist::DistFilename| pep440::parse_version(&f.version_str).ok();
    let version = release(&dist.filename)?;
    let first = files
        .iter()
        .filter(|(name, _)| {
            crate::dist::DistFilename::parse(name)
                .is_ok_and(|f| release(&f).as_ref() == Some(&version))
        })
        .filter_map(|(_, listed)| listed.uploaded)
        .min()?;
    let age = now.duration_since(first).as_secs();
    (age > RELEASE_OPEN_DAYS * 24 * 3600).then_some(age / (24 * 3600))
}
