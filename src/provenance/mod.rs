//! Provenance as PyPI shows it (PEP 740, SPEC §4): each file's provenance object names the
//! trusted publisher that uploaded it, and PyPI grades every release from them — `full`,
//! `partial`, `inconsistent`, `lost`, `changed` or `none`. This module predicts the grade a
//! release will get from this run before anything is sent ([`grade`]), from what the index
//! already holds ([`read`]), and the guard `--provenance-check` puts on it.

pub mod grade;
pub mod read;

use crate::auth::claims::{Claims, Issuer};

/// `--provenance-check`: what a predicted loss or change of provenance does to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    /// Do not look.
    Off,
    /// Say the grade; a loss or change is a warning.
    #[default]
    Warn,
    /// A loss, change or inconsistency stops the run before any signature or upload.
    Fail,
}

impl std::str::FromStr for Check {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(Check::Off),
            "warn" => Ok(Check::Warn),
            "fail" => Ok(Check::Fail),
            _ => Err("off, warn or fail"),
        }
    }
}

/// A release's provenance grade, as PyPI names it (`<grade>-provenance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    /// Every file has provenance.
    Full,
    /// Some files lack it.
    Partial,
    /// The files come from more than one repository or workflow.
    Inconsistent,
    /// None, where a release of the previous 14 days had it.
    Lost,
    /// Other repositories or workflows than that earlier release.
    Changed,
    /// No file has provenance.
    None,
    /// Cannot be told (a lookup failed, or the index keeps no provenance).
    Unknown,
}

impl Grade {
    /// Whether `--provenance-check fail` stops the run on it.
    pub fn refused(self) -> bool {
        matches!(self, Grade::Lost | Grade::Changed | Grade::Inconsistent)
    }
}

/// A trusted publisher as a provenance object names it (`attestation_bundles[].publisher`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Publisher {
    /// `GitHub`, `GitLab`, `Google`, …
    pub kind: String,
    /// `owner/repo` (GitLab: the project path; Google: the service account's email).
    pub repository: String,
    /// The workflow file (GitLab: `workflow_filepath`).
    pub workflow: Option<String>,
    /// The publisher's environment, if it names one (never graded).
    pub environment: Option<String>,
}

impl Publisher {
    /// Warehouse's `PublisherSource`: the kind and the identity. GitHub and GitLab paths are
    /// case-insensitive, and the OIDC claims may spell them otherwise than the publisher
    /// PyPI writes into the provenance object: a difference of case alone is no change.
    pub fn source(&self) -> (String, String) {
        (self.kind.clone(), self.repository.to_ascii_lowercase())
    }

    /// Reads `attestation_bundles[].publisher` (pypi-attestations' `Publisher` union).
    pub fn parse(value: &serde_json::Value) -> Option<Publisher> {
        let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let kind = text("kind")?;
        let (repository, workflow) = match kind.as_str() {
            "GitHub" => (text("repository")?, Some(text("workflow")?)),
            "GitLab" => (text("repository")?, Some(text("workflow_filepath")?)),
            "Google" => (text("email")?, None),
            _ => (text("repository").unwrap_or_default(), None),
        };
        Some(Publisher {
            kind,
            repository,
            workflow,
            environment: text("environment").filter(|e| !e.is_empty()),
        })
    }

    /// The publisher PyPI will write for an upload with a token minted from `claims`
    /// (Warehouse `GitHubPublisher.attestation_identity`: the repository and the workflow
    /// file of `job_workflow_ref`; GitLab's: `project_path` and the CI file of
    /// `ci_config_ref_uri`). `None` for an issuer whose publisher cannot be told.
    pub fn from_claims(claims: &Claims) -> Option<Publisher> {
        let environment = claims.environment.clone().filter(|e| !e.is_empty());
        match claims.issuer() {
            Issuer::GitHub => Some(Publisher {
                kind: "GitHub".into(),
                repository: claims.repository.clone()?,
                workflow: Some(claims.publisher_workflow()?.to_string()),
                environment,
            }),
            Issuer::GitLab => {
                let uri = claims.ci_config_ref_uri.as_deref()?;
                let (_, path) = uri.split_once("//")?;
                let (path, _) = path.rsplit_once('@')?;
                Some(Publisher {
                    kind: "GitLab".into(),
                    repository: claims.project_path.clone()?,
                    workflow: Some(path.to_string()),
                    environment,
                })
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.kind != "GitHub" {
            write!(f, "{} ", self.kind)?;
        }
        f.write_str(&self.repository)?;
        if let Some(workflow) = &self.workflow {
            write!(f, " {workflow}")?;
        }
        if let Some(environment) = &self.environment {
            write!(f, " (environment {environment})")?;
        }
        Ok(())
    }
}

/// What one file attests to, as far as its provenance object says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attested {
    /// No provenance.
    Nothing,
    /// Provenance naming these publishers (one per attestation bundle).
    By(Vec<Publisher>),
    /// It has provenance that could not be read, or it may have some: why.
    Unknown(String),
}

/// The predicted provenance of one release, for the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Prediction {
    /// Project name (normalized).
    pub project: String,
    /// The release.
    pub version: String,
    /// The headline grade.
    pub grade: Grade,
    /// Every state PyPI would list.
    pub states: Vec<Grade>,
    /// The grade and why, in one line.
    pub reason: String,
    /// The earlier release it was compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_with: Option<String>,
}

/// The run's provenance section of the report: the check and one prediction per release.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProvenanceReport {
    /// `off`, `warn` or `fail`.
    pub check: Check,
    /// Who this run publishes as, when it is a trusted publisher PyPI records.
    pub publisher: Option<Publisher>,
    /// Whether this run sends attestations.
    pub attestations: bool,
    /// The worst grade among the releases.
    pub grade: Grade,
    /// Per release.
    pub releases: Vec<Prediction>,
    /// Provenance objects fetched from the index to tell.
    pub objects_read: usize,
}

impl ProvenanceReport {
    /// The releases `--provenance-check fail` refuses.
    pub fn refused(&self) -> Vec<&Prediction> {
        self.releases
            .iter()
            .filter(|p| p.states.iter().any(|s| s.refused()))
            .collect()
    }
}

/// How to get past a refusal of `--provenance-check fail`, for the grade refused.
pub fn fix(prediction: &Prediction) -> String {
    let first = match prediction.grade {
        Grade::Lost => {
            "keep attestations on (`--attestations on`, the action's `attestations: true`) and publish with trusted publishing"
        }
        Grade::Changed => {
            "publish from the workflow the earlier release came from, or add it as this project's trusted publisher on PyPI and publish from it"
        }
        _ => "publish every file of a release from one workflow of one repository",
    };
    format!(
        "{first}; or, to accept the change, set `provenance-check: warn` (`--provenance-check warn`)"
    )
}

/// The worst of `grades` (the report's headline): a refusal first, then unknown, partial, …
pub fn worst(grades: impl Iterator<Item = Grade>) -> Grade {
    let rank = |g: &Grade| match g {
        Grade::Lost => 0,
        Grade::Changed => 1,
        Grade::Inconsistent => 2,
        Grade::Unknown => 3,
        Grade::Partial => 4,
        Grade::None => 5,
        Grade::Full => 6,
    };
    grades.min_by_key(rank).unwrap_or(Grade::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishers_read_from_provenance_and_from_claims() {
        let gh = serde_json::json!({"kind": "GitHub", "repository": "o/r", "workflow": "release.yml", "environment": null});
        let p = Publisher::parse(&gh).unwrap();
        assert_eq!(
            (p.repository.as_str(), p.workflow.as_deref(), p.environment),
            ("o/r", Some("release.yml"), None)
        );
        let gl = serde_json::json!({"kind": "GitLab", "repository": "g/p", "workflow_filepath": "ci/release.yml", "environment": "pypi"});
        let p = Publisher::parse(&gl).unwrap();
        assert_eq!(
            p.to_string(),
            "GitLab g/p ci/release.yml (environment pypi)"
        );
        assert!(Publisher::parse(&serde_json::json!({"kind": "GitHub"})).is_none());

        let claims = Claims {
            iss: Some(crate::auth::claims::GITHUB_ISSUER.into()),
            repository: Some("o/r".into()),
            job_workflow_ref: Some("o/shared/.github/workflows/publish.yml@refs/tags/v1".into()),
            environment: Some(String::new()),
            ..Claims::default()
        };
        let p = Publisher::from_claims(&claims).unwrap();
        assert_eq!(p.to_string(), "o/r publish.yml");
        let gitlab = Claims {
            iss: Some("https://gitlab.com".into()),
            project_path: Some("g/p".into()),
            ci_config_ref_uri: Some("gitlab.com/g/p//ci/release.yml@refs/heads/main".into()),
            ..Claims::default()
        };
        assert_eq!(
            Publisher::from_claims(&gitlab).unwrap().to_string(),
            "GitLab g/p ci/release.yml"
        );
        let other = Claims {
            iss: Some("https://accounts.google.com".into()),
            ..Claims::default()
        };
        assert!(Publisher::from_claims(&other).is_none());
    }

    #[test]
    fn the_check_parses_and_refuses_only_loss_change_and_inconsistency() {
        assert_eq!(" Fail".parse::<Check>(), Ok(Check::Fail));
        assert!("strict".parse::<Check>().is_err());
        let refused: Vec<Grade> = [
            Grade::Full,
            Grade::Partial,
            Grade::Inconsistent,
            Grade::Lost,
            Grade::Changed,
            Grade::None,
            Grade::Unknown,
        ]
        .into_iter()
        .filter(|g| g.refused())
        .collect();
        assert_eq!(refused, [Grade::Inconsistent, Grade::Lost, Grade::Changed]);
        assert_eq!(
            worst([Grade::Full, Grade::Unknown].into_iter()),
            Grade::Unknown
        );
        assert_eq!(
            worst([Grade::Partial, Grade::Changed].into_iter()),
            Grade::Changed
        );
    }
}
