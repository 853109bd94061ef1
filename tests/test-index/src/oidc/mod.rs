//! Trusted publishing (`--oidc`): the index side (`/_/oidc/audience`,
//! `/_/oidc/mint-token`, `/_/oidc/burn-token`, GitHub and GitLab publisher matching) and a
//! built-in GitHub-like OIDC issuer (`/.well-known/*`, `/_/test-issuer/token`;
//! GitLab-shaped tokens with `shape=gitlab`) whose tokens the index trusts.

mod gitlab;
mod issuer;
mod jwt;
mod mint;
mod publisher;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_lc_rs::rand::SecureRandom;
use axum::Router;
use axum::routing::{get, post};

use crate::app::AppState;
use crate::config::Config;
use publisher::Publisher;

/// Default bearer token of the issuer's token endpoint
/// (`ACTIONS_ID_TOKEN_REQUEST_TOKEN` in a workflow).
pub const DEFAULT_REQUEST_TOKEN: &str = "test-request-token";

/// The trusted-publishing state.
pub struct Oidc {
    key: jwt::SigningKey,
    publishers: Mutex<Vec<Publisher>>,
    gitlab_publishers: Vec<gitlab::GitLabPublisher>,
    /// `jti`s already exchanged (Warehouse keeps them until the JWT expires).
    used_jtis: Mutex<HashSet<String>>,
    request_token: String,
    jti_counter: AtomicU64,
    rng: aws_lc_rs::rand::SystemRandom,
}

impl Oidc {
    pub fn new(config: &Config) -> Result<Oidc, String> {
        Ok(Oidc {
            key: jwt::SigningKey::generate()?,
            publishers: Mutex::new(Publisher::from_specs(&config.publishers)),
            gitlab_publishers: gitlab::GitLabPublisher::from_specs(&config.gitlab_publishers),
            used_jtis: Mutex::new(HashSet::new()),
            request_token: config.issuer_request_token.clone(),
            jti_counter: AtomicU64::new(0),
            rng: aws_lc_rs::rand::SystemRandom::new(),
        })
    }

    fn random_hex(&self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        self.rng.fill(&mut buf).expect("system randomness");
        hex::encode(buf)
    }

    /// A unique `jti` in GitHub's UUID shape.
    fn next_jti(&self) -> String {
        let n = self.jti_counter.fetch_add(1, Ordering::Relaxed);
        let r = self.random_hex(10);
        format!(
            "{}-{}-{}-{}-{:012x}",
            &r[..8],
            &r[8..12],
            &r[12..16],
            &r[16..20],
            n
        )
    }
}

/// Adds the trusted-publishing and issuer routes.
pub fn routes(router: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    router
        .route("/_/oidc/audience", get(mint::audience))
        .route("/_/oidc/mint-token", post(mint::mint_token))
        .route("/_/oidc/github/mint-token", post(mint::mint_token))
        .route("/_/oidc/burn-token", post(mint::burn_token))
        .route("/.well-known/openid-configuration", get(issuer::discovery))
        .route("/.well-known/jwks", get(issuer::jwks))
        .route("/_/test-issuer/token", get(issuer::token))
}
