//! The grade PyPI will give a release's provenance once this run's files are in it, worked
//! out the way Warehouse does (`warehouse/attestations/models.py`, `ProvenanceStatus.states`;
//! the comparison release in `warehouse/packaging/models.py`, `_provenance_comparison`;
//! warehouse#20326, #20420): counts of the files with provenance, the set of publisher
//! sources (kind and repository) and the set of workflows, compared with the newest earlier
//! release that has provenance within 14 days. The environment is shown but never graded:
//! Warehouse leaves it out of both sets. Pure: the facts are read elsewhere.

use std::collections::BTreeSet;

use super::{Attested, Grade, Publisher};

/// Warehouse `PROVENANCE_COMPARISON_WINDOW_DAYS`: a release is compared with the newest
/// earlier release that has provenance, if that one is at most this many days older.
pub const WINDOW_DAYS: i64 = 14;

/// One earlier release as the simple API lists it: its version, when it was created (its
/// first file's upload time) and whether any of its files lists provenance.
#[derive(Debug, Clone)]
pub struct Dated {
    /// The version, as in the filenames.
    pub version: String,
    /// Its first file's upload time (`None`: the index gives none).
    pub created: Option<jiff::Timestamp>,
    /// Whether a file of it lists a provenance object.
    pub attested: bool,
}

/// The release this one is compared with: the newest one created before `created` and not
/// more than [`WINDOW_DAYS`] before it that has provenance (Warehouse reaches past nearer
/// releases without any). `Err` when a candidate's age is unknown.
pub fn comparison(releases: &[Dated], created: jiff::Timestamp) -> Result<Option<&str>, String> {
    let cutoff = created - jiff::SignedDuration::from_hours(WINDOW_DAYS * 24);
    let mut newest: Option<(&Dated, jiff::Timestamp)> = None;
    for r in releases.iter().filter(|r| r.attested) {
        let Some(at) = r.created else {
            return Err(format!("the index gives no upload time for {}", r.version));
        };
        let in_window = at < created && at >= cutoff;
        if in_window && newest.is_none_or(|(_, n)| at > n) {
            newest = Some((r, at));
        }
    }
    Ok(newest.map(|(r, _)| r.version.as_str()))
}

/// What is known of the earlier release a grade compares with.
#[derive(Debug, Clone)]
pub enum Earlier {
    /// No release with provenance in the 14 days before this one.
    Nothing,
    /// That release (`version`) and what each of its files attests to.
    Release {
        /// Its version.
        version: String,
        /// Per file.
        files: Vec<Attested>,
    },
    /// It could not be read.
    Unknown(String),
}

/// Everything the grade of one release depends on.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The release's version.
    pub version: String,
    /// Its files already on the index, with what each attests to.
    pub existing: Vec<Attested>,
    /// Files this run adds.
    pub new_files: usize,
    /// Who this run publishes as (`None`: not a trusted publisher PyPI records, e.g. a
    /// password or an unreadable OIDC token).
    pub publisher: Option<Publisher>,
    /// Whether this run sends attestations.
    pub sends_attestations: bool,
    /// The release it is compared with.
    pub earlier: Earlier,
}

/// A predicted grade: the headline, every state Warehouse would list, and why, in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graded {
    /// The headline (the worst of `states`).
    pub grade: Grade,
    /// Every state at once (Warehouse shows several: `full` and `changed`, say).
    pub states: Vec<Grade>,
    /// `changed: 1.4.0 was published by …, this run is …`.
    pub reason: String,
    /// The earlier release compared with.
    pub compared_with: Option<String>,
}

/// One release's files reduced to what Warehouse counts.
struct Counts {
    total: usize,
    with: usize,
    sources: BTreeSet<(String, String)>,
    workflows: BTreeSet<String>,
    /// One publisher per source and workflow, to name them.
    named: Vec<Publisher>,
}

fn count(files: &[Attested]) -> Result<Counts, String> {
    let mut c = Counts {
        total: files.len(),
        with: 0,
        sources: BTreeSet::new(),
        workflows: BTreeSet::new(),
        named: Vec::new(),
    };
    for file in files {
        match file {
            Attested::Nothing => {}
            Attested::Unknown(why) => return Err(why.clone()),
            Attested::By(publishers) => {
                c.with += 1;
                for p in publishers {
                    let new_source = c.sources.insert(p.source());
                    let new_workflow = p.workflow.clone().is_some_and(|w| c.workflows.insert(w));
                    if new_source || new_workflow {
                        c.named.push(p.clone());
                    }
                }
            }
        }
    }
    Ok(c)
}

fn names(publishers: &[Publisher]) -> String {
    let all: Vec<String> = publishers.iter().map(ToString::to_string).collect();
    match all.as_slice() {
        [] => "no publisher".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The grade of `facts`' release once the run's files are in it.
pub fn grade(facts: &Facts) -> Graded {
    let unknown = |why: String| Graded {
        grade: Grade::Unknown,
        states: vec![Grade::Unknown],
        reason: format!("unknown: {why}"),
        compared_with: None,
    };
    let this_run = match (&facts.publisher, facts.sends_attestations) {
        (Some(p), true) => Attested::By(vec![p.clone()]),
        (None, true) => Attested::Unknown(
            "this run's trusted publisher cannot be told from its OIDC token".into(),
        ),
        (_, false) => Attested::Nothing,
    };
    let mut files = facts.existing.clone();
    files.extend(std::iter::repeat_n(this_run, facts.new_files));
    let now = match count(&files) {
        Ok(c) => c,
        Err(why) => return unknown(why),
    };
    let before = match &facts.earlier {
        Earlier::Nothing => None,
        Earlier::Unknown(why) => return unknown(why.clone()),
        Earlier::Release { version, files } => match count(files) {
            Ok(c) => Some((version.as_str(), c)),
            Err(why) => return unknown(why),
        },
    };
    let mut states = Vec::new();
    if let Some((_, earlier)) = &before {
        if now.with == 0 && earlier.with > 0 {
            states.push(Grade::Lost);
        } else if now.sources != earlier.sources || now.workflows != earlier.workflows {
            states.push(Grade::Changed);
        }
    }
    if now.sources.len() > 1 || now.workflows.len() > 1 {
        states.push(Grade::Inconsistent);
    }
    states.push(match now.with {
        0 => Grade::None,
        w if w == now.total => Grade::Full,
        _ => Grade::Partial,
    });
    let grade = states[0];
    let v = &facts.version;
    let reason = match (grade, &before) {
        (Grade::Lost, Some((old, earlier))) => format!(
            "lost: {old} was published with attestations by {}, this run sends none{}",
            names(&earlier.named),
            if facts.publisher.is_none() {
                " (PyPI records provenance only for uploads by a trusted publisher)"
            } else {
                ""
            }
        ),
        (Grade::Changed, Some((old, earlier))) => {
            let run_is_new = facts.sends_attestations
                && facts.publisher.as_ref().is_some_and(|p| {
                    !earlier.sources.contains(&p.source())
                        || p.workflow
                            .as_ref()
                            .is_some_and(|w| !earlier.workflows.contains(w))
                });
            match (&facts.publisher, run_is_new) {
                (Some(p), true) => format!(
                    "changed: {old} was published by {}, this run is {p}",
                    names(&earlier.named)
                ),
                _ => format!(
                    "changed: {old} was published by {}, {v} would be by {}",
                    names(&earlier.named),
                    names(&now.named)
                ),
            }
        }
        (Grade::Inconsistent, _) => format!(
            "inconsistent: the files of {v} would come from {}",
            names(&now.named)
        ),
        (Grade::Partial, _) => format!(
            "partial: {} of the {} files of {v} would have attestations",
            now.with, now.total
        ),
        (Grade::Full, _) => format!(
            "full: every file of {v} would be attested by {}",
            names(&now.named)
        ),
        _ => format!("none: no file of {v} would have attestations"),
    };
    Graded {
        grade,
        states,
        reason,
        compared_with: before.map(|(old, _)| old.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gh(repository: &str, workflow: &str, environment: Option<&str>) -> Publisher {
        Publisher {
            kind: "GitHub".into(),
            repository: repository.into(),
            workflow: Some(workflow.into()),
            environment: environment.map(str::to_string),
        }
    }

    fn by(p: &Publisher) -> Attested {
        Attested::By(vec![p.clone()])
    }

    /// A run of `publisher` adding `new_files` to 1.5.0, after 1.4.0 published by `earlier`.
    fn facts(
        existing: Vec<Attested>,
        publisher: Option<Publisher>,
        sends: bool,
        earlier: Option<Vec<Attested>>,
    ) -> Facts {
        Facts {
            version: "1.5.0".into(),
            existing,
            new_files: 2,
            publisher,
            sends_attestations: sends,
            earlier: match earlier {
                Some(files) => Earlier::Release {
                    version: "1.4.0".into(),
                    files,
                },
                None => Earlier::Nothing,
            },
        }
    }

    #[test]
    fn the_same_publisher_again_is_full() {
        let release = gh("octo-org/octo-repo", "release.yml", None);
        let g = grade(&facts(
            vec![],
            Some(release.clone()),
            true,
            Some(vec![by(&release), by(&release)]),
        ));
        assert_eq!(
            (g.grade, g.states.clone()),
            (Grade::Full, vec![Grade::Full])
        );
        assert_eq!(
            g.reason,
            "full: every file of 1.5.0 would be attested by octo-org/octo-repo release.yml"
        );
        assert_eq!(g.compared_with.as_deref(), Some("1.4.0"));
        // Without an earlier release, too; GitHub repositories are case-insensitive.
        let g = grade(&facts(vec![], Some(release.clone()), true, None));
        assert_eq!(g.grade, Grade::Full);
        let shouting = gh("Octo-Org/Octo-Repo", "release.yml", None);
        let g = grade(&facts(
            vec![],
            Some(shouting),
            true,
            Some(vec![by(&release)]),
        ));
        assert_eq!(g.states, vec![Grade::Full]);
    }

    #[test]
    fn a_renamed_workflow_is_changed() {
        let old = gh("octo-org/octo-repo", "release.yml", None);
        let new = gh("octo-org/octo-repo", "publish.yml", None);
        let g = grade(&facts(vec![], Some(new), true, Some(vec![by(&old)])));
        assert_eq!(g.states, vec![Grade::Changed, Grade::Full]);
        assert_eq!(
            g.reason,
            "changed: 1.4.0 was published by octo-org/octo-repo release.yml, this run is octo-org/octo-repo publish.yml"
        );
        // Another repository, same workflow name: changed too.
        let fork = gh("octo-org/fork", "release.yml", None);
        let g = grade(&facts(vec![], Some(fork), true, Some(vec![by(&old)])));
        assert_eq!(g.grade, Grade::Changed);
    }

    #[test]
    fn the_environment_is_shown_but_never_graded() {
        let staging = gh("octo-org/octo-repo", "release.yml", Some("staging"));
        let pypi = gh("octo-org/octo-repo", "release.yml", Some("pypi"));
        let none = gh("octo-org/octo-repo", "release.yml", None);
        let g = grade(&facts(
            vec![by(&none)],
            Some(pypi.clone()),
            true,
            Some(vec![by(&staging)]),
        ));
        assert_eq!(g.states, vec![Grade::Full]);
        assert_eq!(
            pypi.to_string(),
            "octo-org/octo-repo release.yml (environment pypi)"
        );
    }

    #[test]
    fn attestations_off_after_a_release_that_had_them_is_lost() {
        let release = gh("octo-org/octo-repo", "release.yml", None);
        let g = grade(&facts(
            vec![],
            Some(release.clone()),
            false,
            Some(vec![by(&release), Attested::Nothing]),
        ));
        assert_eq!(g.states, vec![Grade::Lost, Grade::None]);
        assert_eq!(
            g.reason,
            "lost: 1.4.0 was published with attestations by octo-org/octo-repo release.yml, this run sends none"
        );
        // A password after trusted publishing: the same, and the reason says why.
        let g = grade(&facts(vec![], None, false, Some(vec![by(&release)])));
        assert_eq!(g.grade, Grade::Lost);
        assert!(
            g.reason
                .ends_with("(PyPI records provenance only for uploads by a trusted publisher)")
        );
        // Without an earlier release with provenance in the window: none, not lost.
        let g = grade(&facts(vec![], None, false, None));
        assert_eq!((g.grade, g.states.len()), (Grade::None, 1));
        assert_eq!(g.reason, "none: no file of 1.5.0 would have attestations");
    }

    #[test]
    fn files_already_with_provenance_make_a_release_without_it_partial_not_lost() {
        let release = gh("octo-org/octo-repo", "release.yml", None);
        let g = grade(&facts(
            vec![by(&release)],
            None,
            false,
            Some(vec![by(&release)]),
        ));
        assert_eq!(g.states, vec![Grade::Partial]);
        assert_eq!(
            g.reason,
            "partial: 1 of the 3 files of 1.5.0 would have attestations"
        );
    }

    #[test]
    fn two_workflows_in_one_release_are_inconsistent() {
        let a = gh("octo-org/octo-repo", "release.yml", None);
        let b = gh("octo-org/octo-repo", "wheels.yml", None);
        let g = grade(&facts(vec![by(&a)], Some(b.clone()), true, None));
        assert_eq!(g.states, vec![Grade::Inconsistent, Grade::Full]);
        assert_eq!(
            g.reason,
            "inconsistent: the files of 1.5.0 would come from octo-org/octo-repo release.yml and octo-org/octo-repo wheels.yml"
        );
        // Against an earlier release by one of them, it is a change as well.
        let g = grade(&facts(vec![by(&a)], Some(b), true, Some(vec![by(&a)])));
        assert_eq!(
            g.states,
            vec![Grade::Changed, Grade::Inconsistent, Grade::Full]
        );
        assert!(
            g.reason
                .ends_with("this run is octo-org/octo-repo wheels.yml")
        );
    }

    #[test]
    fn gitlab_publishers_are_their_own_kind() {
        let gitlab = Publisher {
            kind: "GitLab".into(),
            repository: "octo-org/octo-repo".into(),
            workflow: Some("release.yml".into()),
            environment: None,
        };
        assert_eq!(gitlab.to_string(), "GitLab octo-org/octo-repo release.yml");
        let github = gh("octo-org/octo-repo", "release.yml", None);
        // Same path and file on both forges: a different source all the same.
        let g = grade(&facts(
            vec![],
            Some(gitlab.clone()),
            true,
            Some(vec![by(&github)]),
        ));
        assert_eq!(g.grade, Grade::Changed);
        let g = grade(&facts(
            vec![],
            Some(gitlab.clone()),
            true,
            Some(vec![by(&gitlab)]),
        ));
        assert_eq!(g.grade, Grade::Full);
    }

    #[test]
    fn what_cannot_be_read_is_unknown_never_a_grade() {
        let release = gh("octo-org/octo-repo", "release.yml", None);
        let unreadable = Attested::Unknown("cannot read x: 500".into());
        let g = grade(&facts(vec![unreadable.clone()], None, false, None));
        assert_eq!(
            (g.grade, g.reason.as_str()),
            (Grade::Unknown, "unknown: cannot read x: 500")
        );
        let g = grade(&facts(vec![], None, false, Some(vec![unreadable])));
        assert_eq!(g.grade, Grade::Unknown);
        let mut f = facts(vec![], Some(release), false, None);
        f.earlier = Earlier::Unknown("no upload time".into());
        assert_eq!(grade(&f).grade, Grade::Unknown);
        // Attestations from a publisher the token does not name (another issuer).
        assert_eq!(
            grade(&facts(vec![], None, true, None)).grade,
            Grade::Unknown
        );
    }

    #[test]
    fn the_comparison_is_the_newest_attested_release_of_the_previous_14_days() {
        let now: jiff::Timestamp = "2026-12-05T10:00:00Z".parse().unwrap();
        let days_ago = |d: i64| Some(now - jiff::SignedDuration::from_hours(d * 24));
        let r = |version: &str, created, attested| Dated {
            version: version.into(),
            created,
            attested,
        };
        // Past a nearer release without provenance, to the newest one with it.
        let releases = [
            r("1.2", days_ago(10), true),
            r("1.3", days_ago(5), true),
            r("1.4", days_ago(1), false),
        ];
        assert_eq!(comparison(&releases, now), Ok(Some("1.3")));
        // 14 days exactly is in the window; a second more is not.
        let edge = [r("1.0", days_ago(14), true)];
        assert_eq!(comparison(&edge, now), Ok(Some("1.0")));
        let past = [r(
            "1.0",
            Some(now - jiff::SignedDuration::from_secs(14 * 86_400 + 1)),
            true,
        )];
        assert_eq!(comparison(&past, now), Ok(None));
        // Only releases created before this one.
        let later = [r(
            "2.0",
            Some(now + jiff::SignedDuration::from_secs(1)),
            true,
        )];
        assert_eq!(comparison(&later, now), Ok(None));
        // An attested release of unknown age cannot be placed.
        let undated = [r("1.0", None, true), r("0.9", None, false)];
        assert!(comparison(&undated, now).unwrap_err().contains("1.0"));
    }
}
