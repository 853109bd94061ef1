//! Who is uploading. Warehouse runs three security policies in turn: HTTP Basic with
//! a username other than `__token__` is refused outright; otherwise the macaroon
//! policy reads the token from `Basic __token__:<t>`, `Bearer <t>` or `Token <t>`.
//! An unknown token is no identity at all (403 "Invalid or non-existent
//! authentication information"); a known token may still be denied for a project by
//! its caveats, which is checked once the project is known (`permits`).

use std::collections::HashMap;
use std::fmt;

use axum::http::{HeaderMap, header};
use base64::Engine;

use crate::config::TokenSpec;
use crate::httpexc::HttpException;
use crate::pyfmt::repr;

/// Warehouse's help page, used in many messages.
pub const HELP_URL: &str = "https://pypi.org/help/";

/// An API token value; never printed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// A token minted by trusted publishing (Warehouse's OIDC macaroon).
#[derive(Debug, Clone)]
pub struct MintedToken {
    /// Normalized names of the publisher's projects (`ProjectID` caveat).
    pub projects: Vec<String>,
    pub not_before: u64,
    pub expires_at: u64,
    /// The publisher that minted it, as its provenance objects name it (Warehouse
    /// `OIDCPublisher.attestation_identity`).
    pub publisher: serde_json::Value,
}

/// The authenticated identity of an upload.
#[derive(Debug, Clone)]
pub enum Identity {
    /// A user's API token; `projects` is the `ProjectName` caveat of a scoped token.
    User { projects: Option<Vec<String>> },
    /// A trusted publisher's short-lived token.
    Publisher(MintedToken),
}

impl Identity {
    /// Warehouse's `request.user` is set (as opposed to an OIDC identity).
    pub fn is_user(&self) -> bool {
        matches!(self, Identity::User { .. })
    }

    /// Warehouse's `MacaroonSecurityPolicy.permits` for `ProjectsUpload` on a project:
    /// the caveats in the order they were issued, first failure wins.
    pub fn permits(
        &self,
        normalized: &str,
        display_name: &str,
        now: u64,
    ) -> Result<(), HttpException> {
        let failure = match self {
            Identity::User { projects: None } => None,
            Identity::User {
                projects: Some(projects),
            } => (!projects.iter().any(|p| p == normalized)).then(|| {
                format!(
                    "project-scoped token is not valid for project: {}",
                    repr(display_name)
                )
            }),
            Identity::Publisher(token) => {
                if !token.projects.iter().any(|p| p == normalized) {
                    // `OIDCPublisher` caveat comes first and already fails here.
                    Some(format!(
                        "OIDC scoped token is not valid for project '{display_name}'"
                    ))
                } else if now < token.not_before || now >= token.expires_at {
                    Some("token is expired".to_owned())
                } else {
                    None
                }
            }
        };
        match failure {
            Some(reason) => Err(HttpException::forbidden(format!(
                "Invalid API Token: {reason}"
            ))),
            None => Ok(()),
        }
    }
}

/// The tokens the index knows.
#[derive(Debug, Default)]
pub struct TokenTable {
    users: HashMap<Secret, Option<Vec<String>>>,
    minted: HashMap<Secret, MintedToken>,
}

impl TokenTable {
    pub fn new(specs: &[TokenSpec]) -> Self {
        TokenTable {
            users: specs
                .iter()
                .map(|s| (Secret::new(s.secret.clone()), s.projects.clone()))
                .collect(),
            minted: HashMap::new(),
        }
    }

    /// Registers a token minted by trusted publishing.
    pub fn add_minted(&mut self, secret: Secret, token: MintedToken) {
        self.minted.insert(secret, token);
    }

    /// Forgets a token minted by trusted publishing, as Warehouse's burn deletes its
    /// macaroon: it is then unknown, refused like any (403 [`no_identity`]). A user's token
    /// is never revoked this way. Whether a minted token was revoked.
    pub fn revoke_minted(&mut self, raw: &str) -> bool {
        self.minted.remove(&Secret::new(raw)).is_some()
    }

    fn lookup(&self, raw: &str) -> Option<Identity> {
        let key = Secret::new(raw);
        if let Some(projects) = self.users.get(&key) {
            return Some(Identity::User {
                projects: projects.clone(),
            });
        }
        self.minted.get(&key).cloned().map(Identity::Publisher)
    }

    /// Resolves the request's identity the way Warehouse's policies do. `Err` is the
    /// Basic-auth refusal; `Ok(None)` means no identity.
    pub fn identify(&self, headers: &HeaderMap) -> Result<Option<Identity>, HttpException> {
        let Some(authorization) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Ok(None);
        };
        let Some((method, rest)) = authorization.split_once(' ') else {
            return Ok(None);
        };
        match method.to_ascii_lowercase().as_str() {
            "basic" => {
                let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest.trim())
                else {
                    return Ok(None);
                };
                let text = match String::from_utf8(decoded) {
                    Ok(text) => text,
                    // Pyramid falls back to latin-1.
                    Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
                };
                let Some((username, password)) = text.split_once(':') else {
                    return Ok(None);
                };
                if username != "__token__" {
                    return Err(HttpException::forbidden(format!(
                        "Username/Password authentication is no longer supported. \
                         Migrate to API Tokens or Trusted Publishers instead. \
                         See {HELP_URL}#apitoken and {HELP_URL}#trusted-publishers"
                    )));
                }
                Ok(self.lookup(password.trim()))
            }
            "token" | "bearer" => Ok(self.lookup(rest)),
            _ => Ok(None),
        }
    }
}

/// `ensure_uploads_allowed`: the 403 for a request without identity.
pub fn no_identity() -> HttpException {
    HttpException::forbidden(format!(
        "Invalid or non-existent authentication information. See {HELP_URL}#invalid-auth for more information."
    ))
}
