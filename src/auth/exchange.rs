//! The index's half of trusted publishing (SPEC §3.1, §3.3, §3.6): which audience it wants,
//! an OIDC token traded for a short-lived upload token, and that token burned (revoked)
//! once the run is done with it.
//!
//! The calls are retried on 5xx and transport errors (users see 503s from PyPI here), never
//! on 422: a refusal is about the token or the publisher, and a JWT is single-use anyway.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::http::body::json_message;
use crate::http::retry::{is_transient_status, retry_after};
use crate::http::{Failure, RetryPolicy, SafeUrl, retry};
use crate::secret::Secret;

/// One entry of a 422's `errors` list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct MintRefusal {
    /// `invalid-publisher`, `invalid-token`, …
    pub code: String,
    /// The index's explanation.
    pub description: String,
}

/// An upload token from the exchange.
#[derive(Debug, Clone)]
pub struct Minted {
    /// The token (`pypi-…`).
    pub token: Secret,
    /// When it stops working (unix seconds), if the index said.
    pub expires: Option<u64>,
    /// Its life as minted, if the index said when it expires.
    pub lifetime: Option<Duration>,
}

impl Minted {
    /// Time left before expiry, as of now.
    pub fn remaining(&self) -> Option<Duration> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        self.expires
            .map(|e| Duration::from_secs(e.saturating_sub(now)))
    }
}

/// Why the exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// 404 on the audience endpoint.
    #[error("{host} does not offer trusted publishing (GET /_/oidc/audience answered 404)")]
    Unsupported {
        /// The index host.
        host: String,
    },
    /// 403 on the audience endpoint.
    #[error("trusted publishing is disabled on {host}: {message}")]
    NotEnabled {
        /// The index host.
        host: String,
        /// The index's message.
        message: String,
    },
    /// The index refused the OIDC token.
    #[error("{host} refused the OIDC token: {}", describe(.refusals))]
    Refused {
        /// The index host.
        host: String,
        /// Its reasons.
        refusals: Vec<MintRefusal>,
    },
    /// Any other answer.
    #[error("{what} at {host} answered {status}: {message}")]
    Http {
        /// Which call.
        what: &'static str,
        /// The index host.
        host: String,
        /// HTTP status.
        status: u16,
        /// The index's message.
        message: String,
    },
    /// The index could not be reached (after retries).
    #[error("cannot reach {host} for {what}")]
    Transport {
        /// Which call.
        what: &'static str,
        /// The index host.
        host: String,
        /// The cause (its URL dropped).
        #[source]
        source: reqwest::Error,
    },
    /// No answer within the time given (the burn has a few seconds only).
    #[error("{what} at {host} got no answer within {} s", .after.as_secs())]
    NoAnswer {
        /// Which call.
        what: &'static str,
        /// The index host.
        host: String,
        /// The time given.
        after: Duration,
    },
    /// A 200 without what it should hold.
    #[error("{what} at {host} answered without the expected JSON")]
    Malformed {
        /// Which call.
        what: &'static str,
        /// The index host.
        host: String,
    },
}

fn describe(refusals: &[MintRefusal]) -> String {
    refusals
        .iter()
        .map(|r| format!("{} ({})", r.code, r.description))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The exchange endpoints of one index.
#[derive(Debug, Clone)]
pub struct Exchange {
    client: reqwest::Client,
    origin: SafeUrl,
    retry: RetryPolicy,
}

impl Exchange {
    /// The exchange at the upload URL's origin (`https://upload.pypi.org/_/oidc/…`).
    pub fn new(client: reqwest::Client, upload_url: &SafeUrl, retry: RetryPolicy) -> Self {
        Self {
            client,
            origin: upload_url.with_path("/"),
            retry,
        }
    }

    /// The retry policy of its calls (also used for the OIDC token they need).
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The index's host, for messages.
    pub fn host(&self) -> String {
        self.origin.host_str().unwrap_or("the index").to_string()
    }

    /// `GET /_/oidc/audience`: the `aud` the index wants in OIDC tokens.
    pub async fn audience(&self) -> Result<String, ExchangeError> {
        const WHAT: &str = "the OIDC audience request";
        let url = self.origin.join("_/oidc/audience").expect("valid path");
        let (status, body) = self
            .send(
                &self.retry,
                WHAT,
                || self.client.get(url.reveal().clone()),
                &Secret::new(""),
            )
            .await?;
        match status {
            200 => serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("audience")?.as_str().map(str::to_string))
                .ok_or(ExchangeError::Malformed {
                    what: WHAT,
                    host: self.host(),
                }),
            404 => Err(ExchangeError::Unsupported { host: self.host() }),
            403 => Err(ExchangeError::NotEnabled {
                host: self.host(),
                message: json_message(status, &body),
            }),
            status => Err(ExchangeError::Http {
                what: WHAT,
                host: self.host(),
                status,
                message: json_message(status, &body),
            }),
        }
    }

    /// `POST /_/oidc/mint-token`: an upload token for the OIDC token `jwt`.
    pub async fn mint(&self, jwt: &Secret) -> Result<Minted, ExchangeError> {
        const WHAT: &str = "the token exchange";
        let (status, answer) = self
            .post_token("_/oidc/mint-token", WHAT, jwt, &self.retry)
            .await?;
        let json: Option<serde_json::Value> = serde_json::from_str(&answer).ok();
        match status {
            200 => {
                let token = json
                    .as_ref()
                    .and_then(|v| v.get("token")?.as_str())
                    .filter(|t| !t.is_empty())
                    .ok_or(ExchangeError::Malformed {
                        what: WHAT,
                        host: self.host(),
                    })?;
                let expires = json.as_ref().and_then(|v| v.get("expires")?.as_u64());
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                Ok(Minted {
                    token: Secret::new(token),
                    expires,
                    lifetime: expires.map(|e| Duration::from_secs(e.saturating_sub(now))),
                })
            }
            422 => {
                let refusals: Vec<MintRefusal> = json
                    .and_then(|v| serde_json::from_value(v.get("errors")?.clone()).ok())
                    .unwrap_or_default();
                let refusals = refusals
                    .into_iter()
                    .map(|r| MintRefusal {
                        code: r.code,
                        description: jwt.scrub(&r.description),
                    })
                    .collect();
                Err(ExchangeError::Refused {
                    host: self.host(),
                    refusals,
                })
            }
            status => Err(ExchangeError::Http {
                what: WHAT,
                host: self.host(),
                status,
                message: jwt.scrub(&json_message(status, &answer)),
            }),
        }
    }

    /// `POST /_/oidc/burn-token`: revokes the upload token `token` (warehouse#20197, Warehouse's
    /// `burn_oidc_issued_token`). PyPI answers every burn 202, which says receipt, not
    /// outcome; any other answer (a 404 from an index without the endpoint) is an error.
    /// Retried like the other calls, within `policy`'s budget.
    pub async fn burn(&self, token: &Secret, policy: &RetryPolicy) -> Result<(), ExchangeError> {
        const WHAT: &str = "the token burn";
        let (status, answer) = self
            .post_token("_/oidc/burn-token", WHAT, token, policy)
            .await?;
        match status {
            200..=299 => Ok(()),
            status => Err(ExchangeError::Http {
                what: WHAT,
                host: self.host(),
                status,
                message: token.scrub(&json_message(status, &answer)),
            }),
        }
    }

    /// Sends with retries on 5xx/429/transport errors, as `policy` allows; returns the final
    /// status and body.
    /// `POST <path>` with `{"token": …}`, the body both the mint and the burn take.
    async fn post_token(
        &self,
        path: &str,
        what: &'static str,
        token: &Secret,
        policy: &RetryPolicy,
    ) -> Result<(u16, String), ExchangeError> {
        let url = self.origin.join(path).expect("valid path");
        let body = serde_json::json!({ "token": token.reveal() }).to_string();
        self.send(
            policy,
            what,
            || {
                self.client
                    .post(url.reveal().clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            },
            token,
        )
        .await
    }

    async fn send(
        &self,
        policy: &RetryPolicy,
        what: &'static str,
        request: impl Fn() -> reqwest::RequestBuilder,
        secret: &Secret,
    ) -> Result<(u16, String), ExchangeError> {
        retry(policy, |_| async {
            let response = request().send().await.map_err(|e| {
                Failure::transient(ExchangeError::Transport {
                    what,
                    host: self.host(),
                    source: e.without_url(),
                })
            })?;
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let body = response.text().await.unwrap_or_default();
            if !is_transient_status(status) {
                return Ok((status, body));
            }
            Err(Failure::Transient {
                error: ExchangeError::Http {
                    what,
                    host: self.host(),
                    status,
                    message: secret.scrub(&json_message(status, &body)),
                },
                retry_after,
            })
        })
        .await
    }
}
