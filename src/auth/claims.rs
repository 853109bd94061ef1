//! What an OIDC token says about the job, read for diagnostics only: the index verifies the
//! signature, so the client decodes without verifying and never trusts these for anything
//! but telling the user what a publisher must match.

use crate::secret::Secret;

/// GitHub Actions' issuer, the only GitHub issuer PyPI trusts.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The claims PyPI's publishers are matched against (GitHub's, plus GitLab's path claims).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: Option<String>,
    /// Audience (a string or a list).
    pub aud: Option<serde_json::Value>,
    /// Subject (`repo:owner/name:ref:…` on GitHub).
    pub sub: Option<String>,
    /// Expiry (unix seconds).
    pub exp: Option<i64>,
    /// `owner/name`.
    pub repository: Option<String>,
    /// The owner's login.
    pub repository_owner: Option<String>,
    /// The owner's numeric id (survives renames; PyPI checks it).
    pub repository_owner_id: Option<String>,
    /// The top-level workflow.
    pub workflow_ref: Option<String>,
    /// The workflow the job runs in (a reusable one, if called): what PyPI matches.
    pub job_workflow_ref: Option<String>,
    /// The git ref.
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// The deployment environment.
    pub environment: Option<String>,
    /// The triggering event.
    pub event_name: Option<String>,
    /// GitLab: `group/project`.
    pub project_path: Option<String>,
    /// GitLab: the CI config file the job came from.
    pub ci_config_ref_uri: Option<String>,
}

/// Whose token it is, as far as PyPI is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issuer {
    /// github.com's Actions.
    GitHub,
    /// A GitHub Enterprise issuer (Server, or Cloud with a custom issuer).
    GitHubEnterprise(String),
    /// gitlab.com.
    GitLab,
    /// Anything else.
    Other(String),
}

impl Claims {
    /// Decodes the payload of `jwt` without checking its signature.
    pub fn decode(jwt: &Secret) -> Option<Claims> {
        jsonwebtoken::dangerous::insecure_decode::<Claims>(jwt.reveal())
            .ok()
            .map(|data| data.claims)
    }

    /// Who issued the token.
    pub fn issuer(&self) -> Issuer {
        match self.iss.as_deref().unwrap_or("") {
            GITHUB_ISSUER => Issuer::GitHub,
            "https://gitlab.com" => Issuer::GitLab,
            iss if iss.starts_with(GITHUB_ISSUER) || iss.ends_with("/_services/token") => {
                Issuer::GitHubEnterprise(iss.to_string())
            }
            iss => Issuer::Other(iss.to_string()),
        }
    }

    /// The audience as one string.
    pub fn audience(&self) -> String {
        match &self.aud {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            _ => String::new(),
        }
    }

    /// The workflow file PyPI's publisher must name: from `job_workflow_ref`.
    pub fn publisher_workflow(&self) -> Option<&str> {
        workflow_file(self.job_workflow_ref.as_deref()?)
    }

    /// The workflow file the run started from.
    pub fn caller_workflow(&self) -> Option<&str> {
        workflow_file(self.workflow_ref.as_deref()?)
    }

    /// Whether the job runs inside a reusable workflow (`workflow_ref` ≠ `job_workflow_ref`).
    pub fn reusable_workflow(&self) -> bool {
        fn path(r: Option<&str>) -> Option<&str> {
            r.map(|r| r.split('@').next().unwrap_or(r))
        }
        let (caller, job) = (
            path(self.workflow_ref.as_deref()),
            path(self.job_workflow_ref.as_deref()),
        );
        caller.is_some() && job.is_some() && caller != job
    }

    /// The repository `job_workflow_ref` points into.
    pub fn job_workflow_repository(&self) -> Option<String> {
        let r = self.job_workflow_ref.as_deref()?;
        let path = r.split("/.github/workflows/").next()?;
        Some(path.to_string())
    }

    /// The claims a publisher must match, in PyPI's terms, as `(claim, value)` rows.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".to_string());
        let mut rows = vec![
            ("iss", shown(&self.iss)),
            ("aud", self.audience()),
            ("sub", shown(&self.sub)),
        ];
        if self.issuer() == Issuer::GitLab {
            rows.push(("project_path", shown(&self.project_path)));
            rows.push(("ci_config_ref_uri", shown(&self.ci_config_ref_uri)));
        } else {
            rows.extend([
                ("repository", shown(&self.repository)),
                ("repository_owner", shown(&self.repository_owner)),
                ("repository_owner_id", shown(&self.repository_owner_id)),
                ("workflow_ref", shown(&self.workflow_ref)),
                ("job_workflow_ref", shown(&self.job_workflow_ref)),
                ("ref", shown(&self.git_ref)),
                ("event_name", shown(&self.event_name)),
            ]);
        }
        rows.push((
            "environment",
            self.environment
                .clone()
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "(none)".to_string()),
        ));
        rows
    }
}

/// `release.yml` from `owner/repo/.github/workflows/release.yml@refs/…`.
fn workflow_file(workflow_ref: &str) -> Option<&str> {
    let path = workflow_ref.split('@').next()?;
    path.rsplit('/').next().filter(|f| !f.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_show_a_listed_audience_and_an_empty_environment_as_none() {
        let rows = |environment: &str| {
            Claims {
                aud: Some(serde_json::json!(["pypi", "other"])),
                environment: Some(environment.into()),
                ..Claims::default()
            }
            .rows()
        };
        let value = |rows: &[(&str, String)], claim: &str| {
            rows.iter().find(|(c, _)| *c == claim).unwrap().1.clone()
        };
        assert_eq!(value(&rows("release"), "aud"), "pypi, other");
        assert_eq!(value(&rows("release"), "environment"), "release");
        assert_eq!(value(&rows(""), "environment"), "(none)");
    }

    #[test]
    fn tells_a_reusable_workflow_and_the_file_to_name() {
        let c = Claims {
            workflow_ref: Some("o/r/.github/workflows/release.yml@refs/tags/v1".into()),
            job_workflow_ref: Some("o/r/.github/workflows/publish.yml@refs/tags/v1".into()),
            ..Claims::default()
        };
        assert!(c.reusable_workflow());
        assert_eq!(c.publisher_workflow(), Some("publish.yml"));
        assert_eq!(c.caller_workflow(), Some("release.yml"));
        assert_eq!(c.job_workflow_repository().as_deref(), Some("o/r"));
        let same = Claims {
            workflow_ref: c.job_workflow_ref.clone(),
            ..c
        };
        assert!(!same.reusable_workflow());
    }

    #[test]
    fn classifies_issuers() {
        let of = |iss: &str| {
            Claims {
                iss: Some(iss.into()),
                ..Claims::default()
            }
            .issuer()
        };
        assert_eq!(of(GITHUB_ISSUER), Issuer::GitHub);
        assert!(matches!(
            of("https://ghe.example.com/_services/token"),
            Issuer::GitHubEnterprise(_)
        ));
        assert!(matches!(
            of("https://token.actions.githubusercontent.com/acme"),
            Issuer::GitHubEnterprise(_)
        ));
        assert_eq!(of("https://gitlab.com"), Issuer::GitLab);
        assert_eq!(
            of("https://accounts.google.com"),
            Issuer::Other("https://accounts.google.com".into())
        );
    }
}
