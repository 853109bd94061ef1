//! The provenance step of a publish: what the index holds of each release's provenance is
//! read with the plan ([`look`]); once the run knows who it publishes as (the OIDC claims
//! behind its upload token) and whether it sends attestations, the grade PyPI will give
//! each release is said — terminal, report, job summary, dry run — and `--provenance-check
//! fail` stops the run on a loss, change or inconsistency ([`judge`]), before anything is
//! signed or sent. What cannot be read is `unknown`, never a refusal.

use std::collections::BTreeMap;

use futures_util::{StreamExt, stream};

use super::{FileStatus, Planned, PublishError, PublishOptions, PublishReport, prove, row};
use crate::events::Reporter;
use crate::index::{Index, ProjectFiles};
use crate::known_index::KnownIndex;
use crate::provenance::grade::{self, Facts, Graded};
use crate::provenance::read::{self, OnIndex};
use crate::provenance::{Check, Grade, Prediction, ProvenanceReport, Publisher, worst};

/// One release this run adds files to, and what the index holds of it.
pub(super) struct Looked {
    project: String,
    version: String,
    new_files: usize,
    on_index: Result<OnIndex, String>,
}

/// Reads, for every release this run adds files to, its files' provenance and that of the
/// release it will be compared with. Nothing with `--provenance-check off`.
pub(super) async fn look(
    options: &PublishOptions,
    index: &Index,
    planned: &[Planned],
    files: &BTreeMap<String, ProjectFiles>,
) -> Vec<Looked> {
    if options.provenance_check == Check::Off {
        return Vec::new();
    }
    let mut releases: BTreeMap<(String, String), usize> = BTreeMap::new();
    for p in planned
        .iter()
        .filter(|p| p.status == FileStatus::NotAttempted)
    {
        let key = (
            p.dist.filename.normalized_name(),
            p.dist.metadata.version().to_string(),
        );
        *releases.entry(key).or_default() += 1;
    }
    let pypi = matches!(index.known(), KnownIndex::Pypi | KnownIndex::TestPypi);
    let now = jiff::Timestamp::now();
    stream::iter(releases)
        .map(|((project, version), new_files)| async move {
            let on_index = read::read(index, files.get(&project), &version, pypi, now).await;
            Looked {
                project,
                version,
                new_files,
                on_index,
            }
        })
        .buffered(4)
        .collect()
        .await
}

/// Grades every release looked at, says so, records it in the report, and refuses with
/// `--provenance-check fail` when a grade would be lost, changed or inconsistent.
pub(super) fn judge(
    options: &PublishOptions,
    index: &Index,
    looked: Vec<Looked>,
    planned: &[Planned],
    reporter: &dyn Reporter,
    report: &mut PublishReport,
) -> Result<(), PublishError> {
    if looked.is_empty() {
        return Ok(());
    }
    let publisher = index
        .trusted_publishing()
        .and_then(|t| t.claims())
        .and_then(|c| Publisher::from_claims(&c));
    // `auto` without a Sigstore identity sends none (bar attestations made beforehand).
    let sends = options
        .attestations
        .as_ref()
        .is_some_and(|s| s.cannot_sign.is_none());
    let check = options.provenance_check;
    let mut objects_read = 0;
    let mut releases = Vec::with_capacity(looked.len());
    for l in looked {
        let graded = match l.on_index {
            Ok(on) => {
                objects_read += on.fetched;
                grade::grade(&Facts {
                    version: l.version.clone(),
                    existing: on.existing,
                    new_files: l.new_files,
                    publisher: publisher.clone(),
                    sends_attestations: sends,
                    earlier: on.earlier,
                })
            }
            Err(why) => Graded {
                grade: Grade::Unknown,
                states: vec![Grade::Unknown],
                reason: format!("unknown: {why}"),
                compared_with: None,
            },
        };
        releases.push(Prediction {
            project: l.project,
            version: l.version,
            grade: graded.grade,
            states: graded.states,
            reason: graded.reason,
            compared_with: graded.compared_with,
        });
    }
    let provenance = ProvenanceReport {
        check,
        publisher,
        attestations: sends,
        grade: worst(releases.iter().map(|p| p.grade)),
        releases,
        objects_read,
    };
    let refused: Vec<&Prediction> = provenance.refused();
    for p in &provenance.releases {
        let line = format!("provenance of {} {}: {}", p.project, p.version, p.reason);
        match (refused.iter().any(|r| std::ptr::eq(*r, p)), check) {
            // The refusal says it.
            (true, Check::Fail) => {}
            (true, _) => reporter.warning(&line),
            (false, _) => reporter.note(&line),
        }
        if options.dry_run {
            prove::provenance(&line, report);
        }
    }
    let stop = (check == Check::Fail && !refused.is_empty()).then(|| PublishError::Provenance {
        reasons: refused
            .iter()
            .map(|p| format!("{} {}: {}", p.project, p.version, p.reason))
            .collect(),
        hint: crate::provenance::fix(refused[0]),
    });
    report.provenance = Some(provenance);
    match stop {
        Some(error) => {
            report.files = planned.iter().map(|p| row(p, index)).collect();
            Err(error)
        }
        None => Ok(()),
    }
}
