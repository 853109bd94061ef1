//! GitLab trusted publishers and Warehouse's GitLab claim matching
//! (`warehouse/oidc/models/gitlab.py`): look the publisher up by `project_path` and the CI
//! file path taken from `ci_config_ref_uri` (environment-specific first), then verify the
//! required claims — `sub`, `project_path`, `ci_config_ref_uri` — and the optional
//! `environment`. Tokens come from the built-in issuer with `shape=gitlab`, so they carry
//! `iss` `https://gitlab.com` and the test issuer's signature.

use serde_json::{Map, Value, json};

use super::publisher::LookupError;
use crate::config::GitLabPublisherSpec;
use crate::names::canonicalize_name;
use crate::pyfmt::repr;

/// GitLab.com's issuer, the one PyPI's GitLab publishers accept.
pub const GITLAB_ISSUER: &str = "https://gitlab.com";

/// A registered GitLab publisher (one row of Warehouse's `GitLabPublisher`).
#[derive(Debug, Clone)]
pub struct GitLabPublisher {
    pub namespace: String,
    pub project: String,
    pub workflow_filepath: String,
    /// Lowercased; empty when the publisher names no environment.
    pub environment: String,
    /// The PyPI projects it may upload to.
    pub projects: Vec<String>,
}

impl GitLabPublisher {
    pub fn from_specs(specs: &[GitLabPublisherSpec]) -> Vec<GitLabPublisher> {
        specs
            .iter()
            .map(|s| GitLabPublisher {
                namespace: s.namespace.clone(),
                project: s.repository.clone(),
                workflow_filepath: s.workflow_filepath.clone(),
                environment: s.environment.clone().unwrap_or_default().to_lowercase(),
                projects: vec![s.project.clone()],
            })
            .collect()
    }

    pub fn normalized_projects(&self) -> Vec<String> {
        self.projects.iter().map(|p| canonicalize_name(p)).collect()
    }

    /// `GitLabPublisher.attestation_identity` (pypi-attestations' `GitLabPublisher`).
    pub fn attestation_identity(&self) -> Value {
        json!({
            "kind": "GitLab",
            "repository": self.project_path(),
            "workflow_filepath": self.workflow_filepath,
            "environment": (!self.environment.is_empty()).then_some(&self.environment),
        })
    }

    fn project_path(&self) -> String {
        format!("{}/{}", self.namespace, self.project)
    }
}

fn claim_str<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// `_extract_workflow_filepath`: what lies between `//` and the last `@`.
fn workflow_filepath(ci_config_ref_uri: &str) -> Option<&str> {
    let (_, rest) = ci_config_ref_uri.split_once("//")?;
    let (path, _) = rest.rsplit_once('@')?;
    (!path.is_empty()).then_some(path)
}

/// Finds the publisher for GitLab `claims` and verifies them.
pub fn find<'a>(
    publishers: &'a [GitLabPublisher],
    claims: &Map<String, Value>,
    used_jti: &dyn Fn(&str) -> bool,
) -> Result<&'a GitLabPublisher, LookupError> {
    let invalid = |m: String| LookupError::Invalid(m);
    for name in [
        "sub",
        "project_path",
        "ci_config_ref_uri",
        "ref_path",
        "sha",
        "jti",
    ] {
        if claims.get(name).is_none_or(Value::is_null) {
            return Err(invalid(format!("Missing claim {}", repr(name))));
        }
    }
    let not_found = || invalid("Publisher with matching claims was not found".to_owned());
    let project_path = claim_str(claims, "project_path").unwrap_or("");
    let ci_config_ref_uri = claim_str(claims, "ci_config_ref_uri").unwrap_or("");
    let filepath = workflow_filepath(ci_config_ref_uri).ok_or_else(|| {
        invalid("Could not extract workflow filename from OIDC claims".to_owned())
    })?;
    let candidates: Vec<&GitLabPublisher> = publishers
        .iter()
        .filter(|p| {
            p.project_path().eq_ignore_ascii_case(project_path) && p.workflow_filepath == filepath
        })
        .collect();
    let environment = claim_str(claims, "environment").filter(|e| !e.is_empty());
    let publisher = super::publisher::by_environment(&candidates, environment, |p| &p.environment)
        .ok_or_else(not_found)?;

    let failed = |name: &str| invalid(format!("Check failed for required claim {}", repr(name)));
    let sub = claim_str(claims, "sub").unwrap_or("").to_lowercase();
    let expected_sub = format!("project_path:{}:", publisher.project_path()).to_lowercase();
    if !sub.starts_with(&expected_sub) {
        return Err(failed("sub"));
    }
    let expected_uri = format!(
        "gitlab.com/{}//{}@",
        publisher.project_path(),
        publisher.workflow_filepath
    );
    if !ci_config_ref_uri
        .to_lowercase()
        .starts_with(&expected_uri.to_lowercase())
    {
        return Err(failed("ci_config_ref_uri"));
    }
    if claim_str(claims, "jti").is_some_and(used_jti) {
        return Err(LookupError::Reused);
    }
    if !publisher.environment.is_empty()
        && environment.is_none_or(|e| e.to_lowercase() != publisher.environment)
    {
        return Err(invalid(
            "Check failed for optional claim 'environment'".to_owned(),
        ));
    }
    Ok(publisher)
}

/// The claims GitLab CI puts in an `id_tokens:` token for a pipeline of `publisher`'s
/// project on `main` (before overrides).
pub fn default_claims(
    publisher: Option<&GitLabPublisher>,
    audience: &str,
    jti: String,
    iat: u64,
) -> Map<String, Value> {
    let (namespace, project, filepath) = publisher
        .map_or(("octo-group", "octo-project", ".gitlab-ci.yml"), |p| {
            (&p.namespace, &p.project, &p.workflow_filepath)
        });
    let path = format!("{namespace}/{project}");
    let sha = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    let claims = json!({
        "namespace_id": "4242",
        "namespace_path": namespace,
        "project_id": "777",
        "project_path": path,
        "user_id": "30000003",
        "user_login": "octocat",
        "user_access_level": "maintainer",
        "pipeline_id": "9000",
        "pipeline_source": "push",
        "job_id": "12345",
        "ref": "main",
        "ref_type": "branch",
        "ref_path": "refs/heads/main",
        "ref_protected": "true",
        "runner_id": "1",
        "runner_environment": "gitlab-hosted",
        "sha": sha,
        "project_visibility": "public",
        "ci_config_ref_uri": format!("gitlab.com/{path}//{filepath}@refs/heads/main"),
        "ci_config_sha": sha,
        "jti": jti,
        "iss": GITLAB_ISSUER,
        "iat": iat,
        "nbf": iat.saturating_sub(5),
        "exp": iat + 300,
        "sub": format!("project_path:{path}:ref_type:branch:ref:main"),
        "aud": audience,
    });
    claims.as_object().expect("object").clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_the_ci_file_path() {
        assert_eq!(
            workflow_filepath("gitlab.com/g/p//ci/release.yml@refs/heads/main"),
            Some("ci/release.yml")
        );
        assert_eq!(workflow_filepath("gitlab.com/g/p/.gitlab-ci.yml"), None);
    }
}
