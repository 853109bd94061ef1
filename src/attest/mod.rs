//! PEP 740 **publish attestations**: a Sigstore-signed statement, per distribution file,
//! that this file was published from this CI identity. PyPI accepts them only with a
//! trusted-publishing token and verifies them against the project's trusted publisher.
//!
//! [`statement`] builds what is signed, [`signing`] signs it (Fulcio + Rekor v1),
//! [`batch`] signs a release's files together, [`bundle`] converts existing Sigstore
//! bundles (and back, for [`github_store`], GitHub's attestation store), [`file`] reads, checks and writes `<dist>.publish.attestation`, [`identity`] finds the
//! OIDC token, and [`plan`] decides, for the files about to be uploaded, which existing
//! attestation to send and which to sign.

pub mod batch;
pub mod bundle;
pub mod file;
pub mod github_store;
pub mod identity;
pub mod plan;
pub mod signing;
pub mod statement;

use crate::auth::{CredentialSource, Credentials, credentials::TOKEN_USERNAME};

pub use file::Attestation;
pub use plan::{AttestError, ToAttest, prepare};
pub use signing::{Services, Session, SignError, TokenSource};
pub use statement::Statement;

/// Variable that shortens the certificate refresh margin (seconds): tests use it to make
/// every signature need a new certificate, as a run longer than a certificate's life does.
pub const REFRESH_MARGIN_ENV: &str = "PYPI_PUBLISH_CERT_REFRESH_MARGIN";

/// A signing session against `services` over `http`, its identity token found in `env`
/// ([`identity::token_source`]).
pub fn open_session(
    services: Services,
    http: reqwest::Client,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Session, SignError> {
    let tokens = identity::token_source(env, http.clone());
    let mut session = Session::new(services, tokens, http)?;
    session.retry = session.retry.clone().tuned(env);
    if let Some(secs) = env(REFRESH_MARGIN_ENV).and_then(|v| v.parse().ok()) {
        session.refresh_margin = std::time::Duration::from_secs(secs);
    }
    Ok(session)
}

/// `--attestations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Sign and send attestations (trusted publishing required).
    On,
    /// Never send attestations.
    Off,
    /// On when trusted publishing is used against PyPI or TestPyPI.
    Auto,
}

/// What kind of credential an upload uses, as far as attestations care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialKind {
    /// A token minted by trusted publishing.
    TrustedPublishing,
    /// Something PyPI refuses attestations with (the reason, in the user's words).
    Other(&'static str),
    /// A token whose origin cannot be told (e.g. not a PyPI macaroon): the index decides.
    Unknown,
}

/// Classifies `credentials`. PyPI tokens are macaroons whose caveats are readable: a
/// trusted-publishing token carries an `OIDCPublisher` caveat (tag 4), a user token a
/// `RequestUser` (tag 3) or legacy `permissions` caveat.
pub fn classify(credentials: Option<&Credentials>) -> CredentialKind {
    let Some(c) = credentials else {
        return CredentialKind::Other("no credentials");
    };
    if c.source == CredentialSource::TrustedPublishing {
        return CredentialKind::TrustedPublishing;
    }
    if c.username != TOKEN_USERNAME {
        return CredentialKind::Other("a username and password");
    }
    let Some(body) = c.password.reveal().strip_prefix("pypi-") else {
        return CredentialKind::Unknown;
    };
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Ok(bytes) = engine.decode(body.trim_end_matches('=')) else {
        return CredentialKind::Unknown;
    };
    // Macaroon v2 binary format starts with version byte 2.
    if bytes.first() != Some(&2) {
        return CredentialKind::Unknown;
    }
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if has(b"[4,") || has(b"[4, ") {
        CredentialKind::TrustedPublishing
    } else if has(b"[3,") || has(b"[3, ") || has(b"\"permissions\"") {
        CredentialKind::Other("a PyPI API token")
    } else {
        CredentialKind::Unknown
    }
}

/// Whether this upload sends attestations. `Err` when they are asked for with a credential
/// PyPI would refuse them with (checked before anything is signed or uploaded).
pub fn enabled(
    mode: Mode,
    kind: CredentialKind,
    index: crate::known_index::KnownIndex,
) -> Result<bool, AttestError> {
    match mode {
        Mode::Off => Ok(false),
        Mode::Auto => Ok(kind == CredentialKind::TrustedPublishing && index.is_warehouse()),
        Mode::On => match kind {
            CredentialKind::Other(what) => Err(AttestError::NotTrustedPublishing(what)),
            _ => Ok(true),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use base64::Engine;

    fn token(caveat: &[u8]) -> Credentials {
        let mut bytes = vec![2, 1, 8];
        bytes.extend_from_slice(b"pypi.org");
        bytes.extend_from_slice(caveat);
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        Credentials::token(
            Secret::new(format!("pypi-{encoded}")),
            CredentialSource::Flags,
        )
    }

    #[test]
    fn tells_trusted_publishing_tokens_from_user_tokens() {
        assert_eq!(
            classify(Some(&token(b"[4,\"5e0b\"]"))),
            CredentialKind::TrustedPublishing
        );
        assert_eq!(
            classify(Some(&token(b"[3,\"user\"]"))),
            CredentialKind::Other("a PyPI API token")
        );
        let minted = Credentials::token(Secret::new("pypi-0123abcd"), CredentialSource::Flags);
        assert_eq!(classify(Some(&minted)), CredentialKind::Unknown);
        let password = Credentials {
            username: "alice".into(),
            password: Secret::new("pw"),
            source: CredentialSource::Flags,
        };
        assert_eq!(
            classify(Some(&password)),
            CredentialKind::Other("a username and password")
        );
    }

    #[test]
    fn auto_is_on_only_for_trusted_publishing_to_pypi() {
        use crate::known_index::KnownIndex;
        let (pypi, other) = (KnownIndex::Pypi, KnownIndex::Other);
        let tp = Credentials::token(Secret::new("t"), CredentialSource::TrustedPublishing);
        let tp = classify(Some(&tp));
        let user = classify(Some(&token(b"[3,\"u\"]")));
        assert!(enabled(Mode::Auto, tp.clone(), pypi).unwrap());
        assert!(!enabled(Mode::Auto, tp, other).unwrap());
        assert!(!enabled(Mode::Auto, user.clone(), pypi).unwrap());
        assert!(!enabled(Mode::Off, user.clone(), pypi).unwrap());
        let err = enabled(Mode::On, user, pypi).unwrap_err();
        assert!(err.to_string().contains("a PyPI API token"), "{err}");
    }
}
