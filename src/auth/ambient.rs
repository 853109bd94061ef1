//! The CI's own identity: an OIDC token the CI system issues to the running job (SPEC §3.2).
//!
//! GitHub Actions hands out tokens on request, one per audience, only to jobs with
//! `permissions: id-token: write`; GitLab CI puts one in a variable the job declares under
//! `id_tokens:`. When no token is there, the reason is almost always the workflow's
//! configuration, so the error says which setting is missing.

use crate::http::body::message_from_body;
use crate::http::retry::{is_transient_status, retry_after};
use crate::http::{Failure, RetryPolicy, retry};
use crate::secret::Secret;

/// GitLab's conventional variable for the PyPI ID token.
pub const GITLAB_VARIABLE: &str = "PYPI_ID_TOKEN";

/// Where the job's OIDC token comes from.
#[derive(Debug, Clone)]
pub enum IdentitySource {
    /// GitHub Actions' token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`).
    GitHub {
        /// The endpoint, with its `api-version` query.
        request_url: String,
        /// The bearer token for the endpoint.
        request_token: Secret,
    },
    /// A token already in an environment variable (GitLab's `id_tokens:`, or any CI).
    Variable {
        /// The variable's name.
        name: String,
        /// Its value.
        token: Secret,
    },
}

/// Why the job has no OIDC token, or could not get one.
#[derive(Debug, thiserror::Error)]
pub enum AmbientError {
    /// GitHub Actions without `id-token: write`.
    #[error(
        "GitHub Actions gave this job no OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set): the job lacks `permissions: id-token: write`"
    )]
    MissingPermission,
    /// A `pull_request` from a fork: GitHub never gives these a token.
    #[error(
        "this run was triggered by a pull request from the fork {head}: GitHub never gives OIDC tokens to workflows run for forks"
    )]
    ForkPullRequest {
        /// The fork's `owner/repo`.
        head: String,
    },
    /// GitLab CI without the `id_tokens:` entry.
    #[error("GitLab CI gave this job no ID token: ${name} is not set")]
    GitLabMissing {
        /// The variable looked at.
        name: String,
    },
    /// The named variable is empty.
    #[error("${name} is empty or not set, so there is no OIDC token to exchange")]
    VariableMissing {
        /// The variable.
        name: String,
    },
    /// Not in a CI system that issues tokens.
    #[error(
        "no OIDC identity here: trusted publishing works inside GitHub Actions and GitLab CI (or with --id-token-env)"
    )]
    NotInCi,
    /// GitHub's endpoint answered with an error.
    #[error("GitHub's OIDC token endpoint answered {status}: {message}")]
    Endpoint {
        /// HTTP status.
        status: u16,
        /// Its message.
        message: String,
    },
    /// GitHub's endpoint could not be reached.
    #[error("cannot reach GitHub's OIDC token endpoint")]
    Unreachable(#[source] reqwest::Error),
    /// GitHub's endpoint answered without a token.
    #[error("GitHub's OIDC token endpoint answered without a token")]
    Malformed,
}

impl AmbientError {
    /// How to fix it.
    pub fn hint(&self, audience: &str) -> Option<String> {
        Some(match self {
            AmbientError::MissingPermission => "give the publishing job the permission (and, for a reusable workflow, the calling job too):\n  permissions:\n    id-token: write".to_string(),
            AmbientError::ForkPullRequest { .. } => "publish from `push`, `release` or `workflow_dispatch` runs of the repository itself; skip the publish step for pull requests (`if: github.event_name != 'pull_request'`)".to_string(),
            AmbientError::GitLabMissing { name } | AmbientError::VariableMissing { name } => format!(
                "declare the token in the job:\n  id_tokens:\n    {name}:\n      aud: {audience}"
            ),
            AmbientError::NotInCi => "pass an API token (--token, or TWINE_USERNAME/TWINE_PASSWORD), or run in a CI job that has an OIDC identity".to_string(),
            AmbientError::Endpoint { status: 401 | 403, .. } => "the job's ACTIONS_ID_TOKEN_REQUEST_TOKEN was refused: it is only valid inside the job that received it".to_string(),
            _ => return None,
        })
    }
}

impl IdentitySource {
    /// Finds the job's identity. `variable` names a variable that holds the token
    /// (`--id-token-env`); without it GitHub Actions is tried, then GitLab CI.
    pub fn detect(
        env: &dyn Fn(&str) -> Option<String>,
        variable: Option<&str>,
    ) -> Result<Self, AmbientError> {
        let non_empty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        if let Some(name) = variable {
            return match non_empty(name) {
                Some(token) => Ok(IdentitySource::Variable {
                    name: name.to_string(),
                    token: Secret::new(token.trim()),
                }),
                None => Err(AmbientError::VariableMissing {
                    name: name.to_string(),
                }),
            };
        }
        if let (Some(request_url), Some(request_token)) = (
            non_empty("ACTIONS_ID_TOKEN_REQUEST_URL"),
            non_empty("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        ) {
            return Ok(IdentitySource::GitHub {
                request_url,
                request_token: Secret::new(request_token),
            });
        }
        if env("GITHUB_ACTIONS").as_deref() == Some("true") {
            return Err(match fork_head(env) {
                Some(head) => AmbientError::ForkPullRequest { head },
                None => AmbientError::MissingPermission,
            });
        }
        if env("GITLAB_CI").as_deref() == Some("true") {
            return match non_empty(GITLAB_VARIABLE) {
                Some(token) => Ok(IdentitySource::Variable {
                    name: GITLAB_VARIABLE.to_string(),
                    token: Secret::new(token.trim()),
                }),
                None => Err(AmbientError::GitLabMissing {
                    name: GITLAB_VARIABLE.to_string(),
                }),
            };
        }
        Err(AmbientError::NotInCi)
    }

    /// For the one line that says which identity is used.
    pub fn describe(&self) -> String {
        match self {
            IdentitySource::GitHub { .. } => "GitHub Actions OIDC".to_string(),
            IdentitySource::Variable { name, .. } => format!("the OIDC token in ${name}"),
        }
    }

    /// Whether a fresh token can be had for every exchange (a variable holds just one).
    pub fn renewable(&self) -> bool {
        matches!(self, IdentitySource::GitHub { .. })
    }

    /// A token for `audience`. GitHub issues a new one per call; a variable's is fixed.
    pub async fn token(
        &self,
        client: &reqwest::Client,
        audience: &str,
        policy: &RetryPolicy,
    ) -> Result<Secret, AmbientError> {
        let (request_url, request_token) = match self {
            IdentitySource::Variable { token, .. } => return Ok(token.clone()),
            IdentitySource::GitHub {
                request_url,
                request_token,
            } => (request_url, request_token),
        };
        let mut url = url::Url::parse(request_url).map_err(|e| AmbientError::Endpoint {
            status: 0,
            message: format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL ({e})"),
        })?;
        // The URL already carries `?api-version=…`: the audience joins it with `&`.
        url.query_pairs_mut().append_pair("audience", audience);
        retry(policy, |_| async {
            let response = client
                .get(url.clone())
                .header(
                    reqwest::header::AUTHORIZATION,
                    format!("bearer {}", request_token.reveal()),
                )
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|e| Failure::transient(AmbientError::Unreachable(e.without_url())))?;
            let status = response.status().as_u16();
            if response.status().is_success() {
                let body: serde_json::Value =
                    response.json().await.map_err(|_| AmbientError::Malformed)?;
                return body
                    .get("value")
                    .and_then(|v| v.as_str())
                    .filter(|v| !v.is_empty())
                    .map(Secret::new)
                    .ok_or(Failure::Final(AmbientError::Malformed));
            }
            let retry_after = retry_after(response.headers());
            let message = response.text().await.unwrap_or_default();
            let error = AmbientError::Endpoint {
                status,
                message: request_token.scrub(&message_from_body(status, &message)),
            };
            Err(if is_transient_status(status) {
                Failure::Transient { error, retry_after }
            } else {
                Failure::Final(error)
            })
        })
        .await
    }
}

/// The head repository of a `pull_request` event from a fork, read from the event payload.
fn fork_head(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let event = env("GITHUB_EVENT_NAME")?;
    if !event.starts_with("pull_request") {
        return None;
    }
    let payload = std::fs::read(env("GITHUB_EVENT_PATH")?).ok()?;
    let payload: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    let head = payload.pointer("/pull_request/head/repo")?;
    head.get("fork")?.as_bool()?.then(|| {
        head.get("full_name")
            .and_then(|n| n.as_str())
            .unwrap_or("(unknown)")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn names_the_missing_setting() {
        let github = env_of(&[("GITHUB_ACTIONS", "true")]);
        assert!(matches!(
            IdentitySource::detect(&github, None),
            Err(AmbientError::MissingPermission)
        ));
        let gitlab = env_of(&[("GITLAB_CI", "true")]);
        let e = IdentitySource::detect(&gitlab, None).unwrap_err();
        assert!(
            e.hint("pypi")
                .unwrap()
                .contains("PYPI_ID_TOKEN:\n      aud: pypi")
        );
        assert!(matches!(
            IdentitySource::detect(&env_of(&[]), None),
            Err(AmbientError::NotInCi)
        ));
        let given = env_of(&[("MY_TOKEN", " jwt ")]);
        assert!(matches!(
            IdentitySource::detect(&given, Some("MY_TOKEN")),
            Ok(IdentitySource::Variable { token, .. }) if token.reveal() == "jwt"
        ));
    }

    #[test]
    fn recognises_a_fork_pull_request() {
        let dir = tempfile::tempdir().unwrap();
        let event = dir.path().join("event.json");
        std::fs::write(
            &event,
            r#"{"pull_request":{"head":{"repo":{"fork":true,"full_name":"mallory/proj"}}}}"#,
        )
        .unwrap();
        let env = env_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ]);
        match IdentitySource::detect(&env, None) {
            Err(AmbientError::ForkPullRequest { head }) => assert_eq!(head, "mallory/proj"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn outside_ci_and_a_refused_request_token_say_what_to_do() {
        let outside = AmbientError::NotInCi.hint("pypi").unwrap();
        assert!(outside.contains("--token"), "{outside}");
        let refused = |status| AmbientError::Endpoint {
            status,
            message: "Unauthorized".into(),
        };
        for status in [401, 403] {
            let hint = refused(status).hint("pypi").unwrap();
            assert!(hint.contains("only valid inside the job"), "{hint}");
        }
        assert_eq!(refused(500).hint("pypi"), None);
    }

    #[test]
    fn only_a_token_endpoint_gives_a_fresh_token_per_exchange() {
        let github = IdentitySource::GitHub {
            request_url: "https://x/".into(),
            request_token: Secret::new("r"),
        };
        let variable = IdentitySource::Variable {
            name: "MY_TOKEN".into(),
            token: Secret::new("jwt"),
        };
        assert!(github.renewable());
        assert!(!variable.renewable());
    }
}
