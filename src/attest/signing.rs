//! **Signing** (Sigstore keyless): one ephemeral P-256 key and one Fulcio certificate for
//! the run, a DSSE signature per statement, and a Rekor **v1** `dsse 0.0.1` entry per
//! signature. Rekor v2 entries carry no integrated time and fail PEP 740 verification, so
//! v1 is the only log this speaks. The certificate lives about ten minutes: when it is about
//! to expire, a new key and certificate are requested (with a fresh identity token when the
//! source can mint one) before the next signature.
//!
//! Every signature is a permanent public log entry: callers sign only what they upload.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sigstore_crypto::KeyPair;
use sigstore_fulcio::FulcioClient;
use sigstore_oidc::IdentityToken;
use sigstore_rekor::{DsseEntry, RekorClient};
use sigstore_types::{
    DerCertificate, DsseEnvelope, DsseSignature, KeyId, KindVersion, PayloadBytes,
};

use super::file::{Attestation, Envelope, VerificationMaterial};
use super::statement::{PAYLOAD_TYPE, Statement, pae};
use crate::http::retry::is_transient_status;
use crate::http::{Failure, RetryPolicy, retry};
use crate::secret::Secret;

/// Public-good Fulcio.
pub const PRODUCTION_FULCIO: &str = "https://fulcio.sigstore.dev";
/// Public-good Rekor (v1 API).
pub const PRODUCTION_REKOR: &str = "https://rekor.sigstore.dev";
/// Staging Fulcio.
pub const STAGING_FULCIO: &str = "https://fulcio.sigstage.dev";
/// Staging Rekor (v1 API).
pub const STAGING_REKOR: &str = "https://rekor.sigstage.dev";

/// The Sigstore instance to sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Services {
    /// Fulcio base URL.
    pub fulcio_url: String,
    /// Rekor v1 base URL.
    pub rekor_url: String,
}

impl Services {
    /// Public-good Sigstore (what PyPI trusts).
    pub fn production() -> Self {
        Self::new(PRODUCTION_FULCIO, PRODUCTION_REKOR)
    }

    /// Sigstore staging (what TestPyPI-style experiments may use).
    pub fn staging() -> Self {
        Self::new(STAGING_FULCIO, STAGING_REKOR)
    }

    /// The services the flags name: the URLs given, else public-good or staging Sigstore.
    pub fn from_flags(fulcio_url: Option<&str>, rekor_url: Option<&str>, staging: bool) -> Self {
        let base = if staging {
            Self::staging()
        } else {
            Self::production()
        };
        Self::new(
            fulcio_url.unwrap_or(&base.fulcio_url),
            rekor_url.unwrap_or(&base.rekor_url),
        )
    }

    /// Explicit URLs.
    pub fn new(fulcio_url: &str, rekor_url: &str) -> Self {
        Self {
            fulcio_url: fulcio_url.trim_end_matches('/').to_string(),
            rekor_url: rekor_url.trim_end_matches('/').to_string(),
        }
    }
}

/// How long [`Session::warm_up`] may hold up the first signature (a Rekor that does not
/// answer is reported by the entries themselves).
const WARM_UP_LIMIT: Duration = Duration::from_secs(3);

/// Mints a fresh identity token (audience `sigstore`) when a new certificate is needed.
pub type TokenFetcher =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Secret, String>> + Send>> + Send + Sync>;

/// Where the identity token comes from.
#[derive(Clone)]
pub enum TokenSource {
    /// A token given once (e.g. `SIGSTORE_ID_TOKEN`): cannot be renewed.
    Given(Secret),
    /// An ambient CI provider that can mint a fresh token each time.
    Fetch(TokenFetcher),
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Given(_) => f.write_str("Given(****)"),
            TokenSource::Fetch(_) => f.write_str("Fetch"),
        }
    }
}

/// Why signing failed. Messages never contain the identity token.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// No identity token could be had.
    #[error("no Sigstore identity token: {0}")]
    NoToken(String),
    /// The token is not a JWT.
    #[error("the Sigstore identity token is not a JWT ({0})")]
    BadToken(String),
    /// The given token has expired and cannot be renewed.
    #[error("the Sigstore identity token expired at {0}")]
    TokenExpired(String),
    /// Fulcio or Rekor could not be reached.
    #[error("{service} at {url} is unreachable: {message}")]
    Unreachable {
        /// "Fulcio" or "Rekor".
        service: &'static str,
        /// Base URL.
        url: String,
        /// Transport error.
        message: String,
    },
    /// Fulcio or Rekor answered with an error status.
    #[error("{service} at {url} refused the request (HTTP {status}): {message}")]
    Refused {
        /// "Fulcio" or "Rekor".
        service: &'static str,
        /// Base URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The service's message.
        message: String,
    },
    /// A local step failed: a client, key, entry or certificate could not be made or read.
    #[error("{what}")]
    Local {
        /// The step, in words.
        what: &'static str,
        /// The cause (no token in it: these steps never see one).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A service answered something that cannot be used (its words, scrubbed of the token).
    #[error("{0}")]
    Other(String),
}

impl SignError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            SignError::NoToken(_) => Some(
                "in GitHub Actions the job needs `permissions: id-token: write`; elsewhere set SIGSTORE_ID_TOKEN to an OIDC token with audience `sigstore`".into(),
            ),
            SignError::TokenExpired(_) => Some(
                "identity tokens live a few minutes: mint one right before signing".into(),
            ),
            SignError::Refused { service: "Fulcio", status: 400..=499, .. } => Some(
                "Fulcio did not accept the identity token: is its audience `sigstore`, is it unexpired, and is its issuer one Fulcio trusts?".into(),
            ),
            SignError::Unreachable { .. } | SignError::Refused { status: 500.., .. } => {
                Some("a transient outage: re-run; files already uploaded are skipped".into())
            }
            _ => None,
        }
    }
}

/// The key and certificate in use.
struct SigningIdentity {
    key: KeyPair,
    certificate: DerCertificate,
    /// Unix seconds.
    not_after: u64,
    /// Whether a signature was made with it: a certificate is always used once, however
    /// short the refresh margin (else a margin longer than its life would loop).
    used: AtomicBool,
}

/// A signing session: the services, the token source, and the current key + certificate.
pub struct Session {
    services: Services,
    fulcio: FulcioClient,
    rekor: RekorClient,
    http: reqwest::Client,
    tokens: TokenSource,
    current: tokio::sync::Mutex<Option<Arc<SigningIdentity>>>,
    /// A certificate with less than this left is replaced before signing.
    pub refresh_margin: Duration,
    /// Retries of Fulcio and Rekor calls (5xx, 429 and transport failures).
    pub retry: RetryPolicy,
    /// Set when signing is optional (`--attestations auto`) and no identity token can be
    /// had: files with no attestation or bundle beside them go without one, and this says
    /// why (e.g. a GitLab job without a `sigstore` `id_tokens:` entry).
    pub cannot_sign: Option<String>,
    certificates: AtomicU32,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("services", &self.services)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session against `services`, over `http` (our client: proxies, extra CAs).
    pub fn new(
        services: Services,
        tokens: TokenSource,
        http: reqwest::Client,
    ) -> Result<Self, SignError> {
        let fulcio = FulcioClient::builder(&services.fulcio_url)
            .with_http_client(http.clone())
            .build()
            .map_err(|e| local("cannot set up the Fulcio client", e))?;
        let rekor = RekorClient::builder(&services.rekor_url)
            .with_http_client(http.clone())
            .build()
            .map_err(|e| local("cannot set up the Rekor client", e))?;
        Ok(Self {
            services,
            fulcio,
            rekor,
            http,
            tokens,
            current: tokio::sync::Mutex::new(None),
            refresh_margin: Duration::from_secs(60),
            retry: RetryPolicy::lookups(),
            cannot_sign: None,
            certificates: AtomicU32::new(0),
        })
    }

    /// The services in use.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Where the identity token comes from (a dry run checks it without signing).
    pub fn tokens(&self) -> &TokenSource {
        &self.tokens
    }

    /// Certificates requested so far (one per run unless a long run outlived one).
    pub fn certificates_issued(&self) -> u32 {
        self.certificates.load(Ordering::Relaxed)
    }

    /// Signs `statement` and logs it in Rekor; returns the PEP 740 attestation. Several
    /// calls may run at once ([`super::batch`]): they share the key and certificate, and
    /// only the certificate request is done by one at a time.
    pub async fn sign(&self, statement: &Statement) -> Result<Attestation, SignError> {
        let payload = statement.to_bytes();
        let identity = self.identity().await?;
        let signature = identity
            .key
            .sign(&pae(PAYLOAD_TYPE, &payload))
            .map_err(|e| local("signing failed", e))?;
        let envelope = DsseEnvelope::new(
            PAYLOAD_TYPE,
            PayloadBytes::from_bytes(&payload),
            DsseSignature::new(signature.clone(), KeyId::default()),
        );
        let entry = DsseEntry::new(&envelope, &identity.certificate)
            .map_err(|e| local("cannot make the Rekor entry", e))?;
        // A retried entry after a lost answer may meet Rekor's 409 (already logged): that
        // refusal is then reported, never a second signature.
        let logged = retry(&self.retry, |_| async {
            self.rekor
                .create_dsse_entry(entry.clone())
                .await
                .map_err(|e| transient_if(self.rekor_error(e)))
        })
        .await?;
        if logged.integrated_time.is_none() {
            return Err(SignError::Other(format!(
                "Rekor at {} returned an entry without an integrated time (is it a v2 log?)",
                self.services.rekor_url
            )));
        }
        let tlog_entry = logged
            .to_bundle_entry(KindVersion::DsseV001)
            .map_err(|e| local("the Rekor entry is unusable", e))?;
        Ok(Attestation {
            version: 1,
            verification_material: VerificationMaterial {
                certificate: STANDARD.encode(identity.certificate.as_bytes()),
                transparency_entries: vec![
                    serde_json::to_value(&tlog_entry)
                        .map_err(|e| local("cannot write the transparency entry", e))?,
                ],
            },
            envelope: Envelope {
                statement: STANDARD.encode(&payload),
                signature: STANDARD.encode(signature.as_bytes()),
            },
        })
    }

    /// Gets the key and certificate now (see [`Session::identity`]), so that signatures can
    /// then start together; the next signature uses them whatever the refresh margin.
    pub async fn ready(&self) -> Result<(), SignError> {
        let id = self.identity().await?;
        id.used.store(false, Ordering::Relaxed);
        Ok(())
    }

    /// Opens up to `connections` connections to Rekor, best effort, while the certificate
    /// is being requested: the entries that follow then find them open instead of each
    /// paying a TCP (and TLS) handshake first — one round trip saved per connection. The
    /// request is Rekor v1's log info (`GET /api/v1/log`), the cheapest one it serves;
    /// its answer is read and dropped. Failures are ignored: the entries will meet them.
    pub async fn warm_up(&self, connections: usize) {
        let url = format!("{}/api/v1/log", self.services.rekor_url);
        let opens = (0..connections).map(|_| async {
            if let Ok(response) = self.http.get(&url).send().await {
                let _ = response.bytes().await;
            }
        });
        let _ = tokio::time::timeout(WARM_UP_LIMIT, futures_util::future::join_all(opens)).await;
    }

    /// The key and certificate to sign with: the current ones, or new ones when there are
    /// none yet or they are about to expire. The lock is held only here, so a certificate
    /// is requested once however many signatures wait for it, and never while an entry is
    /// being logged.
    async fn identity(&self) -> Result<Arc<SigningIdentity>, SignError> {
        let mut current = self.current.lock().await;
        let usable = |id: &SigningIdentity| {
            !id.used.swap(true, Ordering::Relaxed)
                || unix_now() + self.refresh_margin.as_secs() < id.not_after
        };
        if let Some(id) = current.as_ref().filter(|id| usable(id)) {
            return Ok(id.clone());
        }
        let id = Arc::new(self.new_identity().await?);
        id.used.store(true, Ordering::Relaxed);
        *current = Some(id.clone());
        Ok(id)
    }

    async fn new_identity(&self) -> Result<SigningIdentity, SignError> {
        let token = match &self.tokens {
            TokenSource::Given(token) => token.clone(),
            TokenSource::Fetch(fetch) => fetch().await.map_err(SignError::NoToken)?,
        };
        let parsed = IdentityToken::from_jwt(token.reveal())
            .map_err(|e| SignError::BadToken(scrub(&e.to_string(), &token)))?;
        if parsed.is_expired() {
            return Err(SignError::TokenExpired(parsed.expiration().to_string()));
        }
        let key =
            KeyPair::generate_ecdsa_p256().map_err(|e| local("cannot make a signing key", e))?;
        let issued = retry(&self.retry, |_| async {
            self.fulcio
                .create_signing_certificate(&parsed, &key)
                .await
                .map_err(|e| transient_if(self.fulcio_error(e, &token)))
        })
        .await?;
        let certificate = issued.leaf_certificate().clone();
        let info = sigstore_crypto::parse_certificate_info(&certificate)
            .map_err(|e| local("Fulcio returned an unreadable certificate", e))?;
        self.certificates.fetch_add(1, Ordering::Relaxed);
        Ok(SigningIdentity {
            key,
            certificate,
            not_after: u64::try_from(info.not_after.as_second()).unwrap_or(0),
            used: AtomicBool::new(false),
        })
    }

    fn fulcio_error(&self, e: sigstore_fulcio::Error, token: &Secret) -> SignError {
        let url = self.services.fulcio_url.clone();
        match e {
            sigstore_fulcio::Error::Status { status, message } => SignError::Refused {
                service: "Fulcio",
                url,
                status,
                message: one_line(&scrub(&message, token)),
            },
            sigstore_fulcio::Error::Http(message) => SignError::Unreachable {
                service: "Fulcio",
                url,
                message: one_line(&scrub(&message, token)),
            },
            other => SignError::Other(format!(
                "Fulcio at {url}: {}",
                one_line(&scrub(&other.to_string(), token))
            )),
        }
    }

    fn rekor_error(&self, e: sigstore_rekor::Error) -> SignError {
        let url = self.services.rekor_url.clone();
        match e {
            sigstore_rekor::Error::Status { status, message } => SignError::Refused {
                service: "Rekor",
                url,
                status,
                message: one_line(&message),
            },
            sigstore_rekor::Error::Http(message) => SignError::Unreachable {
                service: "Rekor",
                url,
                message: one_line(&message),
            },
            other => SignError::Other(format!("Rekor at {url}: {}", one_line(&other.to_string()))),
        }
    }
}

/// A local step's failure, its cause kept as the source.
fn local(what: &'static str, source: impl std::error::Error + Send + Sync + 'static) -> SignError {
    SignError::Local {
        what,
        source: Box::new(source),
    }
}

/// Unreachable services and their 5xx/429 answers are worth another attempt.
fn transient_if(error: SignError) -> Failure<SignError> {
    match &error {
        SignError::Unreachable { .. } => Failure::transient(error),
        SignError::Refused { status, .. } if is_transient_status(*status) => {
            Failure::transient(error)
        }
        _ => Failure::Final(error),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Removes the token from a message a service or library produced (belt and braces: none
/// is known to echo it).
fn scrub(message: &str, token: &Secret) -> String {
    if token.is_empty() {
        return message.to_string();
    }
    message.replace(token.reveal(), "****")
}

/// Service bodies can be multi-line HTML; errors are one line.
fn one_line(message: &str) -> String {
    let joined = message.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_never_carries_the_token() {
        let token = Secret::new("eyJ.secret.sig");
        assert_eq!(
            scrub("bad token eyJ.secret.sig here", &token),
            "bad token **** here"
        );
        assert_eq!(one_line("a\n  b\tc"), "a b c");
    }

    #[test]
    fn services_trim_trailing_slashes() {
        let s = Services::new("http://127.0.0.1:1/", "http://127.0.0.1:2//");
        assert_eq!(
            (s.fulcio_url.as_str(), s.rekor_url.as_str()),
            ("http://127.0.0.1:1", "http://127.0.0.1:2")
        );
    }
}
