//! Trusted publishers and Warehouse's GitHub claim matching: look the publisher up
//! by repository, owner id and workflow file (environment-specific first), then
//! verify every required claim in Warehouse's order with its exact reasons.

use serde_json::{Map, Value};

use crate::config::PublisherSpec;
use crate::names::canonicalize_name;
use crate::pyfmt::{repr, repr_list};

/// A registered publisher (one row of Warehouse's `GitHubPublisher`, possibly
/// shared by several projects).
#[derive(Debug, Clone)]
pub struct Publisher {
    pub repository_owner: String,
    pub repository_name: String,
    pub repository_owner_id: String,
    pub workflow_filename: String,
    /// Lowercased; empty when the publisher names no environment.
    pub environment: String,
    /// Display names of its projects.
    pub projects: Vec<String>,
    /// A pending publisher creates its project on first use.
    pub pending: bool,
}

impl Publisher {
    /// Groups configured publishers that are the same publisher for several projects.
    pub fn from_specs(specs: &[PublisherSpec]) -> Vec<Publisher> {
        let mut out: Vec<Publisher> = Vec::new();
        for spec in specs {
            let environment = spec.environment.clone().unwrap_or_default().to_lowercase();
            let same = out.iter_mut().find(|p| {
                p.repository_owner == spec.repository_owner
                    && p.repository_name == spec.repository
                    && p.repository_owner_id == spec.repository_owner_id
                    && p.workflow_filename == spec.workflow_filename
                    && p.environment == environment
                    && p.pending == spec.pending
            });
            match same {
                Some(publisher) => publisher.projects.push(spec.project.clone()),
                None => out.push(Publisher {
                    repository_owner: spec.repository_owner.clone(),
                    repository_name: spec.repository.clone(),
                    repository_owner_id: spec.repository_owner_id.clone(),
                    workflow_filename: spec.workflow_filename.clone(),
                    environment,
                    projects: vec![spec.project.clone()],
                    pending: spec.pending,
                }),
            }
        }
        out
    }

    pub fn normalized_projects(&self) -> Vec<String> {
        self.projects.iter().map(|p| canonicalize_name(p)).collect()
    }

    /// `GitHubPublisher.attestation_identity`: what its files' provenance objects name
    /// (pypi-attestations' `GitHubPublisher`, `environment` null when it names none).
    pub fn attestation_identity(&self) -> Value {
        serde_json::json!({
            "kind": "GitHub",
            "repository": format!("{}/{}", self.repository_owner, self.repository_name),
            "workflow": self.workflow_filename,
            "environment": (!self.environment.is_empty()).then_some(&self.environment),
        })
    }

    /// `GitHubPublisher.job_workflow_ref` (without the `@ref`).
    fn job_workflow_ref(&self) -> String {
        format!(
            "{}/{}/.github/workflows/{}",
            self.repository_owner, self.repository_name, self.workflow_filename
        )
    }
}

/// Why no publisher fits (`InvalidPublisherError`) or the token was seen before.
#[derive(Debug)]
pub enum LookupError {
    Invalid(String),
    Reused,
}

/// Warehouse's order among matching publishers (GitHub's and GitLab's alike): the one
/// for the token's environment, else one that names no environment.
pub fn by_environment<'a, P>(
    candidates: &[&'a P],
    environment: Option<&str>,
    environment_of: impl Fn(&P) -> &str,
) -> Option<&'a P> {
    environment
        .and_then(|env| {
            let env = env.to_lowercase();
            candidates.iter().find(|p| environment_of(p) == env)
        })
        .or_else(|| candidates.iter().find(|p| environment_of(p).is_empty()))
        .copied()
}

fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(name).filter(|v| !v.is_null())
}

fn claim_str<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claim(claims, name).and_then(Value::as_str)
}

/// `_extract_workflow_filename`: `[^/]+\.(yml|yaml)` right before an `@`.
fn workflow_filename(job_workflow_ref: &str) -> Option<&str> {
    for (at, _) in job_workflow_ref.match_indices('@') {
        let before = &job_workflow_ref[..at];
        let start = before.rfind('/').map_or(0, |i| i + 1);
        let candidate = &before[start..];
        if (candidate.ends_with(".yml") && candidate.len() > 4)
            || (candidate.ends_with(".yaml") && candidate.len() > 5)
        {
            return Some(candidate);
        }
    }
    None
}

/// `find_publisher`: existence of claims, lookup, then `verify_claims`.
/// `used_jti` tells whether a `jti` was already exchanged.
pub fn find<'a>(
    publishers: &'a [Publisher],
    claims: &Map<String, Value>,
    pending: bool,
    used_jti: &dyn Fn(&str) -> bool,
) -> Result<&'a Publisher, LookupError> {
    let invalid = |m: String| LookupError::Invalid(m);
    // `check_claims_existence`
    for name in [
        "repository",
        "repository_owner",
        "repository_owner_id",
        "job_workflow_ref",
        "jti",
        "event_name",
        "ref",
        "sha",
    ] {
        if claim(claims, name).is_none() {
            return Err(invalid(format!("Missing claim {}", repr(name))));
        }
    }
    // `lookup_by_claims`
    let not_found = || invalid("Publisher with matching claims was not found".to_owned());
    let repository = claim_str(claims, "repository").unwrap_or("");
    let (owner, name) = repository.split_once('/').ok_or_else(not_found)?;
    let job_workflow_ref = claim_str(claims, "job_workflow_ref").unwrap_or("");
    let filename = workflow_filename(job_workflow_ref).ok_or_else(|| {
        invalid("Could not job extract workflow filename from OIDC claims".to_owned())
    })?;
    let owner_id = claim_str(claims, "repository_owner_id");
    let candidates: Vec<&Publisher> = publishers
        .iter()
        .filter(|p| {
            p.pending == pending
                && p.repository_name == name
                && p.repository_owner == owner
                && Some(p.repository_owner_id.as_str()) == owner_id
                && p.workflow_filename == filename
        })
        .collect();
    let environment = claim_str(claims, "environment").filter(|e| !e.is_empty());
    let publisher =
        by_environment(&candidates, environment, |p| &p.environment).ok_or_else(not_found)?;

    // `verify_claims`: required claims in order, then the optional environment.
    let failed = |name: &str| invalid(format!("Check failed for required claim {}", repr(name)));
    let signed_repository = claim_str(claims, "repository").unwrap_or("");
    if signed_repository.is_empty()
        || signed_repository.to_lowercase()
            != format!(
                "{}/{}",
                publisher.repository_owner, publisher.repository_name
            )
            .to_lowercase()
    {
        return Err(failed("repository"));
    }
    if claim_str(claims, "repository_owner") != Some(publisher.repository_owner.as_str()) {
        return Err(failed("repository_owner"));
    }
    if owner_id != Some(publisher.repository_owner_id.as_str()) {
        return Err(failed("repository_owner_id"));
    }
    if job_workflow_ref.is_empty() {
        return Err(invalid("The job_workflow_ref claim is empty".to_owned()));
    }
    let refs: Vec<&str> = ["ref", "sha"]
        .iter()
        .filter_map(|n| claim_str(claims, n))
        .filter(|r| !r.is_empty())
        .collect();
    if refs.is_empty() {
        return Err(invalid("The ref and sha claims are empty".to_owned()));
    }
    let mut expected: Vec<String> = refs
        .iter()
        .map(|r| format!("{}@{r}", publisher.job_workflow_ref()))
        .collect();
    expected.sort();
    expected.dedup();
    if !expected.iter().any(|e| e == job_workflow_ref) {
        return Err(invalid(format!(
            "The job_workflow_ref claim does not match, expecting one of {}, got {}",
            repr_list(&expected),
            repr(job_workflow_ref)
        )));
    }
    if claim_str(claims, "jti").is_some_and(used_jti) {
        return Err(LookupError::Reused);
    }
    if claim_str(claims, "event_name") == Some("pull_request_target") {
        return Err(invalid(
            "Publishing from a workflow invoked via 'pull_request_target' is not supported."
                .to_owned(),
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_workflow_filenames_like_warehouse() {
        assert_eq!(
            workflow_filename("o/r/.github/workflows/release.yml@refs/heads/main"),
            Some("release.yml")
        );
        assert_eq!(
            workflow_filename("o/r/.github/workflows/a@b.yaml@refs/tags/v1"),
            Some("a@b.yaml")
        );
        assert_eq!(workflow_filename("o/r/.github/workflows/release.yml"), None);
    }
}
