//! Trusted publishing for a run: ask the index for its audience, get the job's OIDC token,
//! trade it for an upload token, and trade a fresh one again before that token expires
//! (tokens live 900 s and each OIDC token is single-use, so a long run needs both). When
//! the run ends, every token it minted is burned.

use std::time::Duration;

use tokio::sync::Mutex;

use super::ambient::{AmbientError, IdentitySource};
use super::burn::{BURN_BUDGET, BurnList, Burned};
use super::claims::Claims;
use super::credentials::{CredentialSource, Credentials};
use super::diagnose::{self, Context};
use super::exchange::{Exchange, ExchangeError, Minted};
use crate::http::RetryPolicy;

/// `--trusted-publishing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Use it when no password or token is given (the reference action's rule).
    #[default]
    Auto,
    /// Use it, and refuse other credentials.
    Always,
    /// Never use it.
    Never,
}

/// Why trusted publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum TrustedPublishingError {
    /// No OIDC token.
    #[error("trusted publishing: the job has no OIDC token for the audience '{audience}'")]
    Identity {
        /// The cause.
        #[source]
        source: AmbientError,
        /// The audience it was for.
        audience: String,
    },
    /// The index would not trade it.
    #[error("trusted publishing: the index did not trade the OIDC token for an upload token")]
    Exchange {
        /// The cause.
        #[source]
        source: ExchangeError,
        /// The token's claims, for the diagnosis.
        claims: Option<Box<Claims>>,
        /// The audience the index asked for.
        audience: Option<String>,
    },
    /// The minted token expired and the identity cannot give a fresh OIDC token.
    #[error(
        "trusted publishing: the upload token expired and {0} holds a single-use OIDC token that cannot be exchanged again"
    )]
    NotRenewable(String),
}

impl TrustedPublishingError {
    /// The cause and the fix, over several lines.
    pub fn hint(&self, ctx: &Context) -> Option<String> {
        match self {
            TrustedPublishingError::Identity { source, audience } => source.hint(audience),
            TrustedPublishingError::Exchange {
                source,
                claims,
                audience,
            } => match source {
                ExchangeError::Refused { refusals, .. } => {
                    let ctx = Context {
                        audience: audience.clone(),
                        ..ctx.clone()
                    };
                    Some(diagnose::refusal(refusals, claims.as_deref(), &ctx))
                }
                ExchangeError::Unsupported { .. } => Some(
                    "this index has no trusted publishing: use an API token (--token), or --trusted-publishing never".into(),
                ),
                ExchangeError::NotEnabled { .. } => Some(
                    "the index has turned trusted publishing off (PyPI does this during incidents): retry later, or publish with an API token".into(),
                ),
                _ => None,
            },
            TrustedPublishingError::NotRenewable(_) => Some(
                "split the upload over several jobs, or use an API token for very long uploads".into(),
            ),
        }
    }
}

struct State {
    audience: Option<String>,
    minted: Option<Minted>,
}

/// Called with every minted upload token (the action masks it in the log).
pub type OnMint = Box<dyn Fn(&Credentials) + Send + Sync>;

/// Trusted publishing against one index, minting lazily and again before expiry.
pub struct TrustedPublishing {
    exchange: Exchange,
    client: reqwest::Client,
    identity: IdentitySource,
    on_mint: OnMint,
    state: Mutex<State>,
    /// Every token minted: to burn when the run ends, and to scrub answers of (without
    /// waiting on `state`).
    minted: BurnList,
    /// The claims of the OIDC token behind the last minted one: who the run publishes as.
    claims: std::sync::Mutex<Option<Claims>>,
}

impl std::fmt::Debug for TrustedPublishing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedPublishing")
            .field("identity", &self.identity.describe())
            .finish_non_exhaustive()
    }
}

impl TrustedPublishing {
    /// Trusted publishing at `exchange` with `identity`. `on_mint` sees every new token
    /// first (to mask it in the CI log before anything else is printed).
    pub fn new(
        exchange: Exchange,
        client: reqwest::Client,
        identity: IdentitySource,
        on_mint: OnMint,
    ) -> Self {
        Self {
            exchange,
            client,
            identity,
            on_mint,
            state: Mutex::new(State {
                audience: None,
                minted: None,
            }),
            minted: BurnList::default(),
            claims: std::sync::Mutex::new(None),
        }
    }

    /// The claims of the OIDC token the last upload token was minted from (unverified: the
    /// index verified them; read to predict the publisher PyPI records).
    pub fn claims(&self) -> Option<Claims> {
        self.claims.lock().expect("not poisoned").clone()
    }

    /// Upload tokens minted so far.
    pub fn mints(&self) -> u32 {
        self.minted.len() as u32
    }

    /// Burns every token minted since the last burn, all at once, within [`BURN_BUDGET`]
    /// (retries included) at the index that minted them. A token minted after this (a run
    /// that goes on after a signal) waits for the next burn.
    pub async fn burn(&self) -> Burned {
        let retry = self.exchange.retry();
        let policy = RetryPolicy {
            budget: retry.budget.min(BURN_BUDGET),
            ..retry.clone()
        };
        let tokens = self.minted.take_unburned();
        let burns = tokens.iter().map(|token| async {
            let burn = self.exchange.burn(token, &policy);
            match tokio::time::timeout(BURN_BUDGET, burn).await {
                Ok(result) => result,
                Err(_) => Err(ExchangeError::NoAnswer {
                    what: "the token burn",
                    host: self.exchange.host(),
                    after: BURN_BUDGET,
                }),
            }
        });
        let mut burned = Burned::default();
        for result in futures_util::future::join_all(burns).await {
            match result {
                Ok(()) => burned.revoked += 1,
                Err(e) => burned.failures.push(e),
            }
        }
        burned
    }

    /// How long the current upload token stays valid, when the index said.
    pub async fn validity(&self) -> Option<Duration> {
        self.state.lock().await.minted.as_ref()?.remaining()
    }

    /// `text` with every token minted so far masked (in the forms a server could echo).
    pub fn scrub(&self, text: &str) -> String {
        self.minted.scrub(text)
    }

    /// Why an expired upload token cannot be replaced, when it cannot: the identity holds a
    /// single-use OIDC token (GitLab's `id_tokens:`, a variable) that was spent on the first.
    pub fn not_renewable(&self) -> Option<TrustedPublishingError> {
        (!self.identity.renewable())
            .then(|| TrustedPublishingError::NotRenewable(self.identity.describe()))
    }

    /// Forgets `token` if it is the current one (the index refused it, e.g. expired during
    /// a long upload), so the next request mints anew. Whether a new token can be had.
    pub async fn discard(&self, token: &crate::secret::Secret) -> bool {
        let mut state = self.state.lock().await;
        if !self.identity.renewable() {
            return false;
        }
        if state.minted.as_ref().is_some_and(|m| &m.token == token) {
            state.minted = None;
        }
        true
    }

    /// Credentials for the next request: the current upload token, or a new one when it
    /// has less than a quarter of its life (at most two minutes) left.
    pub async fn credentials(&self) -> Result<Credentials, TrustedPublishingError> {
        let mut state = self.state.lock().await;
        if let Some(minted) = &state.minted
            && minted
                .remaining()
                .is_none_or(|left| left > renew_margin(minted))
        {
            return Ok(Credentials::token(
                minted.token.clone(),
                CredentialSource::TrustedPublishing,
            ));
        }
        if state.minted.is_some() && !self.identity.renewable() {
            return Err(TrustedPublishingError::NotRenewable(
                self.identity.describe(),
            ));
        }
        let audience = match &state.audience {
            Some(a) => a.clone(),
            None => {
                let a = self.exchange.audience().await.map_err(|source| {
                    TrustedPublishingError::Exchange {
                        source,
                        claims: None,
                        audience: None,
                    }
                })?;
                state.audience = Some(a.clone());
                a
            }
        };
        let jwt = self
            .identity
            .token(&self.client, &audience, self.exchange.retry())
            .await
            .map_err(|source| TrustedPublishingError::Identity {
                source,
                audience: audience.clone(),
            })?;
        let minted =
            self.exchange
                .mint(&jwt)
                .await
                .map_err(|source| TrustedPublishingError::Exchange {
                    source,
                    claims: Claims::decode(&jwt).map(Box::new),
                    audience: Some(audience.clone()),
                })?;
        let credentials =
            Credentials::token(minted.token.clone(), CredentialSource::TrustedPublishing);
        (self.on_mint)(&credentials);
        self.minted.push(minted.token.clone());
        *self.claims.lock().expect("not poisoned") = Claims::decode(&jwt);
        state.minted = Some(minted);
        Ok(credentials)
    }
}

/// How long before expiry a token is replaced: a quarter of its 900 s life is more than
/// any single upload attempt should need, capped at two minutes.
fn renew_margin(minted: &Minted) -> Duration {
    let life = minted
        .lifetime
        .unwrap_or(Duration::from_secs(900))
        .min(Duration::from_secs(900));
    (life / 4).min(Duration::from_secs(120))
}
