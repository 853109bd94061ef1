//! The **identity token** Fulcio certifies: an OIDC JWT with audience `sigstore`. This
//! module only decides where it comes from; it never prints it.

use std::sync::Arc;

use super::signing::{SignError, TokenSource};
use crate::auth::ambient::{AmbientError, IdentitySource};
use crate::auth::claims::Claims;
use crate::http::RetryPolicy;
use crate::secret::Secret;

/// Variable holding an explicit token (GitLab's conventional `id_tokens` name for Sigstore,
/// and what sigstore's own clients read).
pub const TOKEN_ENV: &str = "SIGSTORE_ID_TOKEN";

/// The audience Fulcio expects.
pub const AUDIENCE: &str = "sigstore";

/// The token source for this environment: `SIGSTORE_ID_TOKEN`, else the CI job's ambient
/// identity (GitHub Actions mints a fresh `sigstore` token for every certificate).
/// Resolution is lazy: a missing token is an error only when a signature is needed.
pub fn token_source(env: &dyn Fn(&str) -> Option<String>, http: reqwest::Client) -> TokenSource {
    match find(env) {
        Found::Given(token) => TokenSource::Given(token),
        Found::GitHub(source) => {
            let source = Arc::new(source);
            let policy = RetryPolicy::lookups().tuned(env);
            TokenSource::Fetch(Arc::new(move || {
                let (source, http, policy) = (source.clone(), http.clone(), policy.clone());
                Box::pin(async move {
                    source
                        .token(&http, AUDIENCE, &policy)
                        .await
                        .map_err(|e| describe(&e))
                })
            }))
        }
        Found::None(reason) => TokenSource::Fetch(Arc::new(move || {
            let reason = reason.clone();
            Box::pin(async move { Err(reason) })
        })),
    }
}

/// Why no identity token can be had here (`None`: one can). GitLab CI issues one only
/// through an `id_tokens:` entry with audience `sigstore`, GitHub Actions on request.
pub fn unavailable(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    match find(env) {
        Found::None(reason) => Some(reason),
        Found::Given(_) | Found::GitHub(_) => None,
    }
}

enum Found {
    Given(Secret),
    GitHub(IdentitySource),
    None(String),
}

fn find(env: &dyn Fn(&str) -> Option<String>) -> Found {
    if let Some(token) = env(TOKEN_ENV).filter(|t| !t.trim().is_empty()) {
        return Found::Given(Secret::new(token.trim()));
    }
    Found::None(match IdentitySource::detect(env, None) {
        Ok(source @ IdentitySource::GitHub { .. }) => return Found::GitHub(source),
        // A variable's token (GitLab's PYPI_ID_TOKEN) has the index's audience, not Fulcio's.
        Ok(IdentitySource::Variable { name, .. }) => format!(
            "${name} carries the index's audience, not `{AUDIENCE}`; Fulcio needs its own token: declare an `id_tokens:` entry {TOKEN_ENV} with `aud: {AUDIENCE}`"
        ),
        Err(AmbientError::NotInCi) => {
            format!("{TOKEN_ENV} is not set and this is not a CI job that issues OIDC tokens")
        }
        Err(e) => describe(&e),
    })
}

/// What a dry run learned about the identity Fulcio would certify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCheck {
    /// The token's issuer.
    pub issuer: String,
    /// Its subject (what the certificate will name, for a CI job its workflow).
    pub subject: String,
    /// Seconds it stays valid.
    pub valid_for: i64,
}

/// A dry run's proof that signing would start: the identity token is had and read, has
/// audience `sigstore` and is unexpired. Nothing is signed and Fulcio is not asked: a
/// certificate would be logged publicly, and every signature is a permanent log entry.
pub async fn check(tokens: &TokenSource) -> Result<IdentityCheck, SignError> {
    let token = match tokens {
        TokenSource::Given(token) => token.clone(),
        TokenSource::Fetch(fetch) => fetch().await.map_err(SignError::NoToken)?,
    };
    let claims = Claims::decode(&token)
        .ok_or_else(|| SignError::BadToken("its payload is not readable JSON claims".into()))?;
    let audience = claims.audience();
    if !audience.split(", ").any(|a| a == AUDIENCE) {
        return Err(SignError::BadToken(format!(
            "its audience is `{audience}`, Fulcio needs `{AUDIENCE}`"
        )));
    }
    let now = jiff::Timestamp::now().as_second();
    let valid_for = claims.exp.map_or(0, |exp| exp - now);
    if valid_for <= 0 {
        let at = claims
            .exp
            .and_then(|e| jiff::Timestamp::from_second(e).ok())
            .map_or_else(
                || "an unknown time (no exp claim)".into(),
                |t| t.to_string(),
            );
        return Err(SignError::TokenExpired(at));
    }
    Ok(IdentityCheck {
        issuer: claims.iss.clone().unwrap_or_default(),
        subject: claims.sub.clone().unwrap_or_default(),
        valid_for,
    })
}

/// One line: the ambient errors' multi-line hints are for trusted publishing's report.
fn describe(e: &AmbientError) -> String {
    crate::http::client::chain_text(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_token_names_the_permission_in_github_actions() {
        let env = |k: &str| (k == "GITHUB_ACTIONS").then(|| "true".to_string());
        let TokenSource::Fetch(fetch) = token_source(&env, reqwest::Client::new()) else {
            panic!("no token was given")
        };
        let err = fetch().await.unwrap_err();
        assert!(err.contains("id-token: write"), "{err}");
        let given = token_source(
            &|k: &str| (k == TOKEN_ENV).then(|| "a.b.c".to_string()),
            reqwest::Client::new(),
        );
        assert!(matches!(given, TokenSource::Given(t) if t.reveal() == "a.b.c"));
    }

    #[test]
    fn a_gitlab_job_needs_its_own_sigstore_token() {
        let pypi_only = |k: &str| match k {
            "GITLAB_CI" => Some("true".to_string()),
            "PYPI_ID_TOKEN" => Some("p.q.r".to_string()),
            _ => None,
        };
        let reason = unavailable(&pypi_only).expect("no Sigstore token");
        assert!(
            reason.contains("`id_tokens:` entry SIGSTORE_ID_TOKEN with `aud: sigstore`"),
            "{reason}"
        );
        let both = |k: &str| match k {
            TOKEN_ENV => Some("a.b.c".to_string()),
            other => pypi_only(other),
        };
        assert_eq!(unavailable(&both), None);
    }
}
