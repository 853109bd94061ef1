//! One resolve step between the front doors and the engine (uv's `PublishSettings`): the
//! CLI's arguments and the action's inputs are handed, raw, to [`RunSettings::resolve`],
//! which checks the URLs, works out which index this is ([`KnownIndex`], decided here and
//! nowhere else) and returns everything a run needs. Adding an option means one field here
//! and one line in each front door.

use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use crate::attest;
use crate::auth::exchange::Exchange;
use crate::auth::{Auth, Credentials, TrustedPublishing};
use crate::http::client::ClientError;
use crate::http::{RetryPolicy, SafeUrl};
use crate::index::Index;
use crate::index::url::{self, UrlError};

/// PyPI, TestPyPI, or another index: the one place the host decides which rules, links,
/// audiences and diagnoses apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownIndex {
    /// pypi.org (uploads at upload.pypi.org).
    Pypi,
    /// test.pypi.org.
    TestPypi,
    /// Anything else (devpi, pypiserver, Artifactory, a test index…).
    Other,
}

impl KnownIndex {
    /// The index an upload (or simple-index) URL belongs to.
    pub fn of(url: &::url::Url) -> Self {
        match url.host_str() {
            Some("upload.pypi.org" | "pypi.org") => KnownIndex::Pypi,
            Some("test.pypi.org") => KnownIndex::TestPypi,
            _ => KnownIndex::Other,
        }
    }

    /// The host of its web pages (project and settings pages).
    pub fn web_host(self) -> Option<&'static str> {
        match self {
            KnownIndex::Pypi => Some("pypi.org"),
            KnownIndex::TestPypi => Some("test.pypi.org"),
            KnownIndex::Other => None,
        }
    }

    /// Its simple index.
    pub fn simple_url(self) -> Option<&'static str> {
        match self {
            KnownIndex::Pypi => Some("https://pypi.org/simple/"),
            KnownIndex::TestPypi => Some("https://test.pypi.org/simple/"),
            KnownIndex::Other => None,
        }
    }

    /// Its upload endpoint.
    pub fn upload_url(self) -> Option<&'static str> {
        match self {
            KnownIndex::Pypi => Some(url::PYPI_UPLOAD),
            KnownIndex::TestPypi => Some(url::TESTPYPI_UPLOAD),
            KnownIndex::Other => None,
        }
    }

    /// The OIDC audience it expects (known before asking it: for messages).
    pub fn audience(self) -> &'static str {
        match self {
            KnownIndex::TestPypi => "testpypi",
            _ => "pypi",
        }
    }

    /// Whether it is PyPI or TestPyPI (Warehouse's rules, PEP 740 attestations).
    pub fn is_warehouse(self) -> bool {
        self != KnownIndex::Other
    }
}

impl From<KnownIndex> for crate::dist::Target {
    fn from(index: KnownIndex) -> Self {
        if index.is_warehouse() {
            crate::dist::Target::Pypi
        } else {
            crate::dist::Target::Other
        }
    }
}

/// What a front door was given, before any of it is checked.
#[derive(Debug, Clone)]
pub struct RawSettings {
    /// Distribution files or folders.
    pub paths: Vec<PathBuf>,
    /// The upload URL as typed.
    pub repository_url: String,
    /// The simple-index URL as typed (empty or absent: derived).
    pub check_url: Option<String>,
    /// Plain http to hosts other than this machine.
    pub allow_http: bool,
    /// Extra CA certificates, when given (else the environment's).
    pub ca_bundle: Option<PathBuf>,
    /// Uploads in flight at once.
    pub concurrency: usize,
    /// Everything but the uploads.
    pub dry_run: bool,
    /// Run the metadata rules.
    pub verify_metadata: bool,
    /// `--attempts`: a cap on attempts (the time budget applies either way).
    pub attempts: Option<u32>,
    /// Abandon an upload without progress for this long.
    pub stall_timeout: Duration,
    /// PEP 740 attestations: off, auto or on.
    pub attestations: crate::attest::Mode,
    /// Fulcio URL override.
    pub fulcio_url: Option<String>,
    /// Rekor URL override.
    pub rekor_url: Option<String>,
    /// Sigstore's staging instance.
    pub sigstore_staging: bool,
}

/// Everything a run needs, checked and resolved once.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Distribution files or folders.
    pub paths: Vec<PathBuf>,
    /// Where uploads go.
    pub upload_url: SafeUrl,
    /// Where the index is looked at (`None`: unknown layout, no skip-identical).
    pub check_url: Option<SafeUrl>,
    /// Which index this is.
    pub index: KnownIndex,
    /// Extra CA certificates.
    pub ca_bundle: Option<PathBuf>,
    /// Uploads in flight at once.
    pub concurrency: usize,
    /// Everything but the uploads.
    pub dry_run: bool,
    /// Run the metadata rules.
    pub verify_metadata: bool,
    /// Retries of one file's upload.
    pub upload_retry: RetryPolicy,
    /// Retries of one lookup or token request.
    pub lookup_retry: RetryPolicy,
    /// Abandon an upload without progress for this long.
    pub stall_timeout: Duration,
    /// PEP 740 attestations: off, auto or on.
    pub attestations: crate::attest::Mode,
    /// Where attestations are signed.
    pub sigstore: crate::attest::Services,
}

impl RunSettings {
    /// Resolves what a front door was given; `env` reads the environment (CA bundle, test
    /// knobs of the retry policy).
    pub fn resolve(
        raw: RawSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, UrlError> {
        let upload_url = url::upload_url(&raw.repository_url, raw.allow_http)?;
        let check_url = match raw.check_url.as_deref().filter(|c| !c.is_empty()) {
            Some(given) => Some(url::check_url(given, raw.allow_http)?),
            None => url::derive_check_url(&upload_url),
        };
        let index = KnownIndex::of(&upload_url);
        let capped = |policy: RetryPolicy| RetryPolicy {
            max_attempts: raw.attempts,
            ..policy.tuned(env)
        };
        let sigstore = crate::attest::Services::from_flags(
            raw.fulcio_url.as_deref(),
            raw.rekor_url.as_deref(),
            raw.sigstore_staging,
        );
        Ok(Self {
            paths: raw.paths,
            upload_url,
            check_url,
            index,
            ca_bundle: raw
                .ca_bundle
                .or_else(|| crate::http::client::ca_bundle_from_env(env)),
            concurrency: raw.concurrency.max(1),
            dry_run: raw.dry_run,
            verify_metadata: raw.verify_metadata,
            upload_retry: capped(RetryPolicy::uploads()),
            lookup_retry: capped(RetryPolicy::lookups()),
            stall_timeout: raw.stall_timeout.max(Duration::from_secs(1)),
            attestations: raw.attestations,
            sigstore,
        })
    }

    /// The index for this run: the HTTP client, the URLs, and the credentials (fixed, or
    /// minted by trusted publishing; `on_mint` sees every minted token before it is used,
    /// so that the action can mask it).
    pub fn connect(&self, auth: Auth, on_mint: OnMint) -> Result<Index, ClientError> {
        let connections = self.concurrency.max(crate::index::LOOKUPS_IN_FLIGHT);
        let http = crate::http::client::build(self.ca_bundle.as_deref(), connections)?;
        let (upload_url, check_url) = (self.upload_url.clone(), self.check_url.clone());
        let mut index = match auth {
            Auth::Fixed(credentials) => Index::new(http, upload_url, check_url, credentials),
            Auth::Trusted(identity) => {
                let exchange = Exchange::new(http.clone(), &upload_url, self.lookup_retry.clone());
                let trusted = TrustedPublishing::new(exchange, http.clone(), identity, on_mint);
                Index::new(http, upload_url, check_url, None)
                    .with_trusted_publishing(Arc::new(trusted))
            }
        };
        index.retry = self.upload_retry.clone();
        index.lookup_retry = self.lookup_retry.clone();
        index.stall_timeout = self.stall_timeout;
        Ok(index)
    }

    /// The signing session when attestations are on for this upload, `None` when off.
    /// `Err` when they are asked for with a credential PyPI refuses them with (before
    /// anything is signed or uploaded).
    pub fn attestation_session(
        &self,
        index: &Index,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Arc<crate::attest::Session>>, AttestSetupError> {
        // Trusted publishing mints its tokens later; its presence is what counts here.
        let kind = match index.trusted_publishing() {
            Some(_) => attest::CredentialKind::TrustedPublishing,
            None => attest::classify(index.credentials()),
        };
        if !attest::enabled(self.attestations, kind, self.index)? {
            return Ok(None);
        }
        let http = crate::http::client::build(self.ca_bundle.as_deref(), attest::batch::IN_FLIGHT)?;
        let mut session = attest::open_session(self.sigstore.clone(), http, env)?;
        // `auto` signs when the job can: without a Sigstore identity (a GitLab job that
        // declared only PYPI_ID_TOKEN) the files go without attestations, with a warning.
        if self.attestations == attest::Mode::Auto {
            session.cannot_sign = attest::identity::unavailable(env);
        }
        Ok(Some(Arc::new(session)))
    }

    /// What [`crate::publish::publish`] is asked to do.
    pub fn publish_options(
        &self,
        attestations: Option<Arc<crate::attest::Session>>,
    ) -> crate::publish::PublishOptions {
        crate::publish::PublishOptions {
            paths: self.paths.clone(),
            concurrency: self.concurrency,
            dry_run: self.dry_run,
            verify_metadata: self.verify_metadata,
            attestations,
        }
    }
}

/// Called with every minted upload token.
pub type OnMint = Box<dyn Fn(&Credentials) + Send + Sync>;

/// Why attestations cannot be set up for an upload.
#[derive(Debug, thiserror::Error)]
pub enum AttestSetupError {
    /// Asked for with a credential PyPI refuses them with.
    #[error(transparent)]
    Refused(#[from] attest::AttestError),
    /// The client for Sigstore could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The signing session could not be opened.
    #[error(transparent)]
    Session(#[from] attest::SignError),
}

impl AttestSetupError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            AttestSetupError::Refused(e) => e.hint(),
            AttestSetupError::Session(e) => e.hint(),
            AttestSetupError::Client(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_decides_the_index_once() {
        let of = |u: &str| KnownIndex::of(&::url::Url::parse(u).unwrap());
        assert_eq!(of(url::PYPI_UPLOAD), KnownIndex::Pypi);
        assert_eq!(of("https://pypi.org/simple/"), KnownIndex::Pypi);
        assert_eq!(of(url::TESTPYPI_UPLOAD), KnownIndex::TestPypi);
        assert_eq!(of("http://127.0.0.1:8080/legacy/"), KnownIndex::Other);
        assert_eq!(KnownIndex::TestPypi.audience(), "testpypi");
        assert_eq!(KnownIndex::Pypi.web_host(), Some("pypi.org"));
    }
}
