//! Turning a refused token exchange into the cause and the fix: what each 422 code means,
//! the claims the job's token carries, and the exact values to enter on the index's
//! trusted-publisher form. Never the token itself.

use std::fmt::Write as _;

use super::claims::{Claims, GITHUB_ISSUER, Issuer};
use super::exchange::MintRefusal;

/// What the diagnosis needs to know about the run.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The audience the index asked for.
    pub audience: Option<String>,
    /// The index's web host for settings pages (`pypi.org`), when it is PyPI or TestPyPI.
    pub web_host: Option<String>,
    /// The projects being published, and whether the index knows each (`None`: unknown).
    pub projects: Vec<(String, Option<bool>)>,
}

impl Context {
    /// The context for an index: PyPI's and TestPyPI's settings pages are known.
    pub fn for_index(index: crate::known_index::KnownIndex) -> Self {
        Self {
            web_host: index.web_host().map(str::to_string),
            ..Self::default()
        }
    }
}

/// The meaning of a 422 code (SPEC §3.3).
pub fn meaning(code: &str) -> &'static str {
    match code {
        "invalid-payload" => {
            "the index could not read the token, or does not trust the service that issued it"
        }
        "not-enabled" => "trusted publishing is turned off on this index",
        "invalid-token" => {
            "the token's signature, expiry or audience was refused (a wrong audience, an expired token, or a skewed clock)"
        }
        "invalid-pending-publisher" => {
            "a pending publisher matched, but its project already exists: pending publishers only create new projects"
        }
        "invalid-publisher" => {
            "the token is valid, but no trusted publisher on the index matches it"
        }
        "invalid-reuse-token" => {
            "this OIDC token was exchanged before: every exchange needs a fresh token"
        }
        _ => "the index refused the token",
    }
}

/// The hint for a refused exchange: meanings, then what to change.
pub fn refusal(refusals: &[MintRefusal], claims: Option<&Claims>, ctx: &Context) -> String {
    let mut out = String::new();
    for r in refusals {
        let _ = writeln!(out, "{}: {}", r.code, meaning(&r.code));
    }
    let codes: Vec<&str> = refusals.iter().map(|r| r.code.as_str()).collect();
    let Some(claims) = claims else {
        out.push_str("the token could not be decoded to show its claims");
        return out;
    };
    if let Issuer::GitHubEnterprise(iss) = claims.issuer() {
        let _ = writeln!(
            out,
            "the token was issued by GitHub Enterprise ({iss}); PyPI trusts only github.com's issuer {GITHUB_ISSUER}: publish from a github.com repository, or with an API token"
        );
    }
    if codes.contains(&"invalid-token")
        && let Some(wanted) = &ctx.audience
        && claims.audience() != *wanted
    {
        let _ = writeln!(
            out,
            "the token's audience is '{}' but the index wants '{wanted}'",
            claims.audience()
        );
    }
    if codes.contains(&"invalid-reuse-token") {
        out.push_str("a GitLab ID token can be exchanged only once per job: run one publish per job, or re-run the job\n");
    }
    if claims.event_name.as_deref() == Some("pull_request_target") {
        out.push_str("runs triggered by 'pull_request_target' can never publish to PyPI\n");
    }
    if codes
        .iter()
        .any(|c| matches!(*c, "invalid-publisher" | "invalid-pending-publisher"))
    {
        publisher_advice(
            &mut out,
            claims,
            ctx,
            codes.contains(&"invalid-pending-publisher"),
        );
    }
    out.push_str("the token's claims (what a publisher must match):\n");
    for (name, value) in claims.rows() {
        let _ = writeln!(out, "  {name:<20} {value}");
    }
    out.trim_end().to_string()
}

fn publisher_advice(out: &mut String, claims: &Claims, ctx: &Context, pending_failed: bool) {
    if claims.reusable_workflow() {
        let _ = writeln!(
            out,
            "this job runs in the reusable workflow '{}', called from '{}': PyPI matches job_workflow_ref, so the publisher must name the workflow '{}', not '{}'",
            claims.publisher_workflow().unwrap_or("?"),
            claims.caller_workflow().unwrap_or("?"),
            claims.publisher_workflow().unwrap_or("?"),
            claims.caller_workflow().unwrap_or("?"),
        );
        if claims.job_workflow_repository() != claims.repository {
            let _ = writeln!(
                out,
                "the reusable workflow lives in another repository ({}): PyPI only accepts workflows of the publishing repository ({})",
                claims.job_workflow_repository().unwrap_or_default(),
                claims.repository.as_deref().unwrap_or("?"),
            );
        }
    }
    if claims.issuer() == Issuer::GitHub {
        let (owner, name) = claims
            .repository
            .as_deref()
            .and_then(|r| r.split_once('/'))
            .unwrap_or(("?", "?"));
        out.push_str("enter these values on the index's trusted publisher form (GitHub):\n");
        let _ = writeln!(out, "  Owner:             {owner}");
        let _ = writeln!(out, "  Repository name:   {name}");
        let _ = writeln!(
            out,
            "  Workflow name:     {}",
            claims.publisher_workflow().unwrap_or("?")
        );
        let _ = writeln!(
            out,
            "  Environment name:  {}",
            claims
                .environment
                .as_deref()
                .filter(|e| !e.is_empty())
                .unwrap_or("(leave empty: this job has no environment)")
        );
    }
    for (project, exists) in &ctx.projects {
        let page = |path: String| match &ctx.web_host {
            Some(host) => format!("https://{host}{path}"),
            None => "the index's trusted publisher settings".to_string(),
        };
        match exists {
            Some(false) if !pending_failed => {
                let _ = writeln!(
                    out,
                    "'{project}' does not exist on the index yet: register a pending publisher for it at {}",
                    page("/manage/account/publishing/".into())
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "add the publisher to '{project}' at {}",
                    page(format!("/manage/project/{project}/settings/publishing/"))
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_pages_are_known_for_pypi_and_testpypi_only() {
        use crate::known_index::KnownIndex;
        let host = |i| Context::for_index(i).web_host;
        assert_eq!(host(KnownIndex::Pypi).as_deref(), Some("pypi.org"));
        assert_eq!(host(KnownIndex::TestPypi).as_deref(), Some("test.pypi.org"));
        assert_eq!(host(KnownIndex::Other), None);
    }

    #[test]
    fn every_mint_code_has_its_own_meaning() {
        let codes = [
            "invalid-payload",
            "not-enabled",
            "invalid-token",
            "invalid-pending-publisher",
            "invalid-publisher",
            "invalid-reuse-token",
        ];
        let meanings: std::collections::BTreeSet<&str> = codes.iter().map(|c| meaning(c)).collect();
        assert_eq!(meanings.len(), codes.len(), "two codes share a meaning");
        assert!(!meanings.contains(meaning("something-new")));
        assert_eq!(
            meaning("not-enabled"),
            "trusted publishing is turned off on this index"
        );
    }

    /// PyPI, publishing `newproj`, which its simple index does not list yet.
    fn pypi_with_a_new_project() -> Context {
        Context {
            web_host: Some("pypi.org".into()),
            projects: vec![("newproj".into(), Some(false))],
            ..Context::default()
        }
    }

    #[test]
    fn gives_the_publisher_form_values_and_the_pending_page() {
        let claims = Claims {
            iss: Some(GITHUB_ISSUER.into()),
            repository: Some("octo-org/octo-repo".into()),
            repository_owner: Some("octo-org".into()),
            workflow_ref: Some("octo-org/octo-repo/.github/workflows/ci.yml@refs/tags/v1".into()),
            job_workflow_ref: Some(
                "octo-org/octo-repo/.github/workflows/publish.yml@refs/tags/v1".into(),
            ),
            environment: Some("pypi".into()),
            ..Claims::default()
        };
        let ctx = pypi_with_a_new_project();
        let refusal = MintRefusal {
            code: "invalid-publisher".into(),
            description: "valid token, but no corresponding publisher".into(),
        };
        let text = super::refusal(&[refusal], Some(&claims), &ctx);
        for want in [
            "Owner:             octo-org",
            "Repository name:   octo-repo",
            "Workflow name:     publish.yml",
            "Environment name:  pypi",
            "must name the workflow 'publish.yml', not 'ci.yml'",
            "https://pypi.org/manage/account/publishing/",
            "job_workflow_ref     octo-org/octo-repo/.github/workflows/publish.yml@refs/tags/v1",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    }

    /// A refused pending publisher means the project exists after all (the simple index
    /// lagged): the advice is the project's own settings page, not a pending publisher.
    #[test]
    fn a_refused_pending_publisher_points_at_the_project_settings() {
        let claims = Claims {
            iss: Some(GITHUB_ISSUER.into()),
            ..Claims::default()
        };
        let ctx = pypi_with_a_new_project();
        let refusal = MintRefusal {
            code: "invalid-pending-publisher".into(),
            description: "valid token, but project already exists".into(),
        };
        let text = super::refusal(&[refusal], Some(&claims), &ctx);
        assert!(
            text.contains("https://pypi.org/manage/project/newproj/settings/publishing/"),
            "{text}"
        );
        assert!(!text.contains("register a pending publisher"), "{text}");
    }
}
