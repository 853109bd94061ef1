//! **GitHub's attestation store**: the repository's attestations API (SPEC §4,
//! `POST {GITHUB_API_URL}/repos/{owner}/{repo}/attestations`), where `gh attestation verify`
//! finds a file's attestations by its sha256. What goes there is a file's PEP 740
//! attestation as a Sigstore bundle v0.3 ([`super::bundle::to_bundle`]): the signature, the
//! certificate and the Rekor entry PyPI received, never a second signature or log entry.
//! Storing is best effort: the files are published either way, and a refusal is a warning.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use super::Attestation;
use crate::http::client::ClientError;
use crate::http::retry::{is_transient_status, retry_after};
use crate::http::{Failure, RetryPolicy, SafeUrl, retry};
use crate::index::url::is_loopback;
use crate::secret::Secret;

/// Turns the store on from the environment (the CLI's `--github-attestations`).
pub const ENABLE_ENV: &str = "PYPI_PUBLISH_GITHUB_ATTESTATIONS";

/// The API when `GITHUB_API_URL` (set by the runner, another host on GitHub Enterprise
/// Server) is not.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Where the CLI finds the token when no front door gave one (the `gh` CLI's variables).
const TOKEN_VARIABLES: [&str; 2] = ["GITHUB_TOKEN", "GH_TOKEN"];

/// The REST API version the request is written against.
const API_VERSION: &str = "2022-11-28";

/// What a front door was asked for (`github-attestations`, `github-token`).
#[derive(Debug, Clone, Default)]
pub struct Requested {
    /// Store each uploaded file's attestation in the repository's attestation store.
    pub enabled: bool,
    /// The token (the action's `github-token`, the job's token by default).
    pub token: Option<Secret>,
}

/// Why the store cannot be used at all: said before anything is sent.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// No token to authenticate with.
    #[error("github-attestations needs a GitHub token, and none was given")]
    NoToken,
    /// No `owner/repo` to store into.
    #[error(
        "github-attestations needs the repository as owner/repo in GITHUB_REPOSITORY (found {0:?})"
    )]
    NoRepository(String),
    /// Attestations are off: there is nothing to store.
    #[error("github-attestations stores the PEP 740 attestations, but attestations are off")]
    AttestationsOff,
    /// `GITHUB_API_URL` cannot carry a token.
    #[error("GITHUB_API_URL '{0}' is not an https URL (plain http only to this machine)")]
    ApiUrl(String),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl SetupError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            SetupError::NoToken => Some(
                "in the action, `github-token` defaults to the job's token: leave it unset or give a token; elsewhere set GITHUB_TOKEN".into(),
            ),
            SetupError::AttestationsOff => Some(
                "turn attestations on (`attestations: true`, --attestations auto or on) or github-attestations off".into(),
            ),
            _ => None,
        }
    }
}

/// Why one attestation was not stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The API answered with an error status.
    #[error("GitHub's attestation store refused it (HTTP {status}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// GitHub's message.
        message: String,
    },
    /// No answer.
    #[error("GitHub's attestation store at {url} is unreachable: {message}")]
    Unreachable {
        /// The endpoint.
        url: String,
        /// The transport error.
        message: String,
    },
    /// An answer without an attestation id.
    #[error("GitHub's attestation store answered without an attestation id: {0}")]
    NoId(String),
}

impl StoreError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            StoreError::Refused { status: 403, .. } => Some(
                "add `permissions: attestations: write` to the job (the token may not write attestations)".into(),
            ),
            StoreError::Refused { status: 401, .. } => {
                Some("the token was refused: is `github-token` (GITHUB_TOKEN) valid?".into())
            }
            StoreError::Refused { status: 404, .. } => Some(
                "is GITHUB_REPOSITORY this repository, and does this GitHub serve the attestations API?".into(),
            ),
            _ => None,
        }
    }

    /// Whether every later attempt would meet the same answer (the token, its permissions,
    /// the repository): the rest are not tried.
    pub fn refuses_all(&self) -> bool {
        matches!(
            self,
            StoreError::Refused {
                status: 401 | 403 | 404,
                ..
            }
        )
    }
}

/// A repository's attestation store, and what this run stored there (one bundle per file,
/// however many indexes the file went to).
pub struct GithubStore {
    endpoint: SafeUrl,
    repository: String,
    token: Secret,
    http: reqwest::Client,
    /// Retries of transient failures (no answer, 408, 429, 5xx).
    pub retry: RetryPolicy,
    stored: Mutex<BTreeMap<String, u64>>,
}

impl std::fmt::Debug for GithubStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubStore")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl GithubStore {
    /// The store `requested` names (`None` when not asked for), its repository and API URL
    /// read through `env`; `attestations_off` when the run sends no attestations at all.
    pub fn resolve(
        requested: Requested,
        attestations_off: bool,
        ca_bundle: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, SetupError> {
        if !requested.enabled {
            return Ok(None);
        }
        if attestations_off {
            return Err(SetupError::AttestationsOff);
        }
        let token = requested
            .token
            .filter(|t| !t.reveal().trim().is_empty())
            .or_else(|| {
                TOKEN_VARIABLES
                    .iter()
                    .find_map(|k| env(k).filter(|v| !v.trim().is_empty()))
                    .map(Secret::new)
            })
            .ok_or(SetupError::NoToken)?;
        let repository = env("GITHUB_REPOSITORY").unwrap_or_default();
        let is_name = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match repository.split_once('/') {
            Some((owner, repo)) if is_name(owner) && is_name(repo) => {}
            _ => return Err(SetupError::NoRepository(repository)),
        }
        let api = env("GITHUB_API_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.into());
        let base = SafeUrl::parse(api.trim().trim_end_matches('/'))
            .ok()
            .filter(|u| u.scheme() == "https" || (u.scheme() == "http" && is_loopback(u)))
            .ok_or_else(|| SetupError::ApiUrl(crate::secret::redact_str(&api)))?;
        let endpoint = base.with_path(&format!(
            "{}/repos/{repository}/attestations",
            base.path().trim_end_matches('/')
        ));
        Ok(Some(Self {
            endpoint,
            repository,
            token,
            http: crate::http::client::build(ca_bundle, 4)?,
            retry: RetryPolicy::lookups().tuned(env),
            stored: Mutex::new(BTreeMap::new()),
        }))
    }

    /// `owner/repo`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// Stores `attestation` (of the file with `sha256`) and returns its id; a file this run
    /// stored already (sent to an earlier index) is not stored twice.
    pub async fn store(&self, sha256: &str, attestation: &Attestation) -> Result<u64, StoreError> {
        if let Some(id) = self.stored.lock().expect("not poisoned").get(sha256) {
            return Ok(*id);
        }
        let body = serde_json::json!({ "bundle": super::bundle::to_bundle(attestation) });
        // A retry after a lost answer may store the bundle twice: the same signature, which
        // `gh attestation verify` accepts either way.
        let id = retry(&self.retry, |_| self.post(&body)).await?;
        self.stored
            .lock()
            .expect("not poisoned")
            .insert(sha256.to_string(), id);
        Ok(id)
    }

    async fn post(&self, body: &serde_json::Value) -> Result<u64, Failure<StoreError>> {
        let sent = self
            .http
            .post(self.endpoint.reveal().clone())
            .bearer_auth(self.token.reveal())
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION)
            .json(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                return Err(Failure::transient(StoreError::Unreachable {
                    url: self.endpoint.to_string(),
                    message: self.token.scrub(&e.without_url().to_string()),
                }));
            }
        };
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        let text = response.text().await.unwrap_or_default();
        let text = self.token.scrub(&text);
        if !(200..300).contains(&status) {
            let error = StoreError::Refused {
                status,
                message: github_message(status, &text),
            };
            return Err(if is_transient_status(status) {
                Failure::Transient {
                    error,
                    retry_after: wait,
                }
            } else {
                Failure::Final(error)
            });
        }
        serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["id"].as_u64())
            .ok_or_else(|| {
                Failure::Final(StoreError::NoId(crate::http::body::message_from_body(
                    status, &text,
                )))
            })
    }
}

/// GitHub's error bodies are `{"message": …, "documentation_url": …}`: the message, else
/// the body's text.
fn github_message(status: u16, body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| crate::http::body::message_from_body(status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn on(token: Option<&str>) -> Requested {
        Requested {
            enabled: true,
            token: token.map(Secret::new),
        }
    }

    #[test]
    fn the_endpoint_is_the_repositorys_under_the_api_url() {
        let vars = [
            ("GITHUB_REPOSITORY", "octo-org/demo.py"),
            ("GITHUB_API_URL", "https://ghe.example/api/v3/"),
        ];
        let store = GithubStore::resolve(on(Some("t")), false, None, &env(&vars))
            .unwrap()
            .unwrap();
        assert_eq!(
            store.endpoint.as_str(),
            "https://ghe.example/api/v3/repos/octo-org/demo.py/attestations"
        );
        let vars = [("GITHUB_REPOSITORY", "o/r"), ("GITHUB_TOKEN", "from-env")];
        let store = GithubStore::resolve(on(None), false, None, &env(&vars))
            .unwrap()
            .unwrap();
        assert_eq!(
            store.endpoint.as_str(),
            "https://api.github.com/repos/o/r/attestations"
        );
        assert_eq!(store.token.reveal(), "from-env");
        assert!(!format!("{store:?}").contains("from-env"));
    }

    #[test]
    fn refuses_what_cannot_work_before_anything_is_sent() {
        let ok = [("GITHUB_REPOSITORY", "o/r")];
        let off = Requested::default();
        assert!(
            GithubStore::resolve(off, true, None, &env(&[]))
                .unwrap()
                .is_none()
        );
        type Vars<'a> = &'a [(&'a str, &'a str)];
        let cases: [(Requested, bool, Vars, &str); 5] = [
            (on(Some("t")), true, &ok, "attestations are off"),
            (on(Some(" ")), false, &ok, "needs a GitHub token"),
            (
                on(Some("t")),
                false,
                &[("GITHUB_REPOSITORY", "o/r/x")],
                "owner/repo",
            ),
            (on(Some("t")), false, &[], "owner/repo"),
            (
                on(Some("t")),
                false,
                &[
                    ("GITHUB_REPOSITORY", "o/r"),
                    ("GITHUB_API_URL", "http://api.example"),
                ],
                "not an https URL",
            ),
        ];
        for (requested, attestations_off, vars, expected) in cases {
            let err = GithubStore::resolve(requested, attestations_off, None, &env(vars))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{vars:?}: {err}");
        }
    }

    #[test]
    fn a_403_names_the_permission_and_refuses_the_rest() {
        let refused = |status| StoreError::Refused {
            status,
            message: "Resource not accessible by integration".into(),
        };
        assert!(
            refused(403)
                .hint()
                .unwrap()
                .contains("permissions: attestations: write")
        );
        assert!(refused(403).refuses_all() && refused(401).refuses_all());
        assert!(!refused(422).refuses_all() && !refused(503).refuses_all());
        assert_eq!(
            github_message(403, r#"{"message":"Forbidden","documentation_url":"x"}"#),
            "Forbidden"
        );
    }
}
