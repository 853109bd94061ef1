//! One resolve step between the front doors and the engine (uv's `PublishSettings`): the
//! CLI's arguments and the action's inputs are handed, raw, to [`RunSettings::resolve`],
//! which checks the URLs, works out which index this is ([`KnownIndex`], a leaf the stages
//! below read too) and returns everything a run needs. Adding an option means one field
//! here and one line in each front door.
//!
//! Where each value comes from, first found wins: **flags, then environment variables,
//! then the files users already keep** — a repository of `~/.pypirc` (`-r NAME`,
//! [`pypirc`]) or an index of the project's `pyproject.toml` (`--index NAME`,
//! [`uv_index`]) —, then the defaults (PyPI). A username and password from `.pypirc` go
//! only to the URL written beside them: when a flag or variable gives another upload URL,
//! they are not used (as twine does).

pub mod pypirc;
pub mod uv_index;

use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use crate::attest;
use crate::auth::exchange::Exchange;
use crate::auth::{Auth, CredentialSource, Credentials, OnMint, TrustedPublishing};
use crate::http::client::ClientError;
use crate::http::{RetryPolicy, SafeUrl};
use crate::index::Index;
use crate::index::url::{self, UrlError};
use crate::known_index::KnownIndex;

/// What a front door was given, before any of it is checked.
#[derive(Debug, Clone)]
pub struct RawSettings {
    /// Distribution files, folders or globs.
    pub paths: Vec<PathBuf>,
    /// The upload URLs as typed, from flags or the environment, in publishing order (one
    /// per destination; none: the named repository or index's, else PyPI).
    pub repository_urls: Vec<String>,
    /// The simple-index URLs as typed, in the same order (missing or empty: the named
    /// index's, else derived).
    pub check_urls: Vec<String>,
    /// `-r NAME`: a repository of `.pypirc`.
    pub repository: Option<String>,
    /// `--config-file`: the `.pypirc` to read (absent: `~/.pypirc`).
    pub config_file: Option<PathBuf>,
    /// `--index NAME`: a `[[tool.uv.index]]` entry of `pyproject.toml`.
    pub index_name: Option<String>,
    /// Where `pyproject.toml` is looked for (absent: the current directory).
    pub project_dir: Option<PathBuf>,
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
    /// `--provenance-check`.
    pub provenance_check: crate::provenance::Check,
    /// `github-attestations` and its token.
    pub github_store: attest::github_store::Requested,
}

/// One index a run publishes to.
#[derive(Debug, Clone)]
pub struct Destination {
    /// Where uploads go.
    pub upload_url: SafeUrl,
    /// Where the upload URL was read, when from a file (`repository 'x' of ~/.pypirc`).
    pub url_origin: Option<String>,
    /// The username and password of the `.pypirc` repository, when it gave the upload URL:
    /// used when no flag or variable gives credentials.
    pub file_credentials: Option<Credentials>,
    /// Where the index is looked at (`None`: unknown layout, no skip-identical).
    pub check_url: Option<SafeUrl>,
    /// Which index this is.
    pub index: KnownIndex,
}

/// Everything a run needs, checked and resolved once.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Distribution files or folders.
    pub paths: Vec<PathBuf>,
    /// Where to publish, in order, each to completion (TestPyPI as a gate before PyPI).
    pub destinations: Vec<Destination>,
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
    /// `--provenance-check`.
    pub provenance_check: crate::provenance::Check,
    /// GitHub's attestation store, when uploaded files' attestations go there too.
    pub github_store: Option<Arc<attest::github_store::GithubStore>>,
}

impl RunSettings {
    /// Resolves what a front door was given; `env` reads the environment (CA bundle, test
    /// knobs of the retry policy, `$HOME` for `~/.pypirc`).
    pub fn resolve(
        raw: RawSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let named = Named::read(&raw, env)?;
        let given: Vec<&str> = raw
            .repository_urls
            .iter()
            .map(|u| u.trim())
            .filter(|u| !u.is_empty())
            .collect();
        if raw.check_urls.len() > given.len().max(1) {
            return Err(UrlError::MoreCheckUrls {
                check_urls: raw.check_urls.len(),
                repository_urls: given.len().max(1),
            }
            .into());
        }
        let from_file = given.is_empty() && named.is_some();
        let urls: Vec<String> = match (&named, given.is_empty()) {
            (_, false) => given.iter().map(|u| u.to_string()).collect(),
            (Some(named), true) => vec![named.upload_url().to_string()],
            (None, true) => vec![url::PYPI_UPLOAD.to_string()],
        };
        let named_check = match &named {
            Some(Named::Index(index)) if from_file => index.url.as_deref(),
            _ => None,
        };
        let mut destinations: Vec<Destination> = Vec::with_capacity(urls.len());
        for (i, given) in urls.iter().enumerate() {
            let upload_url = url::upload_url(given, raw.allow_http)?;
            let check_url = match raw.check_urls.get(i).filter(|c| !c.trim().is_empty()) {
                Some(given) => Some(url::check_url(given, raw.allow_http)?),
                None => match named_check {
                    Some(from_file) => Some(url::check_url(from_file, raw.allow_http)?),
                    None => url::derive_check_url(&upload_url),
                },
            };
            if destinations.iter().any(|d| d.upload_url == upload_url) {
                return Err(UrlError::SameDestinationTwice(upload_url.to_string()).into());
            }
            let index = KnownIndex::of(&upload_url);
            destinations.push(Destination {
                upload_url,
                url_origin: None,
                file_credentials: None,
                check_url,
                index,
            });
        }
        let capped = |policy: RetryPolicy| RetryPolicy {
            max_attempts: raw.attempts,
            ..policy.tuned(env)
        };
        let sigstore = crate::attest::Services::from_flags(
            raw.fulcio_url.as_deref(),
            raw.rekor_url.as_deref(),
            raw.sigstore_staging,
        );
        // The file's credentials and CA only with the file's URL.
        let repository = match named {
            Some(Named::Repository(r)) if from_file => Some(r),
            _ => None,
        };
        let url_origin = match (&repository, from_file) {
            (Some(r), _) => Some(match &r.file {
                Some(file) => format!("repository '{}' of {}", r.name, file.display()),
                None => format!("built-in repository '{}'", r.name),
            }),
            (None, true) => raw
                .index_name
                .as_deref()
                .map(|name| format!("index '{name}' of pyproject.toml")),
            (None, false) => None,
        };
        let file_credentials = repository.as_ref().and_then(|r| {
            Some(Credentials {
                username: r
                    .username
                    .clone()
                    .unwrap_or_else(|| crate::auth::credentials::TOKEN_USERNAME.into()),
                password: r.password.clone()?,
                source: CredentialSource::ConfigFile,
            })
        });
        if let [only] = destinations.as_mut_slice() {
            only.url_origin = url_origin;
            only.file_credentials = file_credentials;
        }
        let ca_bundle = raw
            .ca_bundle
            .or_else(|| crate::http::client::ca_bundle_from_env(env))
            .or_else(|| repository.and_then(|r| r.ca_cert));
        let github_store = attest::github_store::GithubStore::resolve(
            raw.github_store,
            raw.attestations == attest::Mode::Off,
            ca_bundle.as_deref(),
            env,
        )?;
        Ok(Self {
            paths: raw.paths,
            destinations,
            ca_bundle,
            concurrency: raw.concurrency.max(1),
            dry_run: raw.dry_run,
            verify_metadata: raw.verify_metadata,
            upload_retry: capped(RetryPolicy::uploads()),
            lookup_retry: capped(RetryPolicy::lookups()),
            stall_timeout: raw.stall_timeout.max(Duration::from_secs(1)),
            attestations: raw.attestations,
            sigstore,
            provenance_check: raw.provenance_check,
            github_store: github_store.map(Arc::new),
        })
    }

    /// The index for this run: the HTTP client, the URLs, and the credentials (fixed, or
    /// minted by trusted publishing; `on_mint` sees every minted token before it is used,
    /// so that the action can mask it).
    pub fn connect(
        &self,
        destination: &Destination,
        auth: Auth,
        on_mint: OnMint,
    ) -> Result<Index, ClientError> {
        let connections = self.concurrency.max(crate::index::LOOKUPS_IN_FLIGHT);
        let http = crate::http::client::build(self.ca_bundle.as_deref(), connections)?;
        let (upload_url, check_url) = (
            destination.upload_url.clone(),
            destination.check_url.clone(),
        );
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

    /// Connects every destination, in order, with the credentials `auth_for` gives each
    /// (`None`: it reported why there are none, and the run stops before anything is sent),
    /// and opens a signing session where attestations are on.
    pub fn connect_all(
        &self,
        mut auth_for: impl FnMut(usize, &Destination) -> Option<Auth>,
        on_mint: impl Fn() -> OnMint,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Vec<crate::publish::Connected>>, AttestSetupError> {
        let mut connected = Vec::with_capacity(self.destinations.len());
        for (i, destination) in self.destinations.iter().enumerate() {
            let Some(auth) = auth_for(i, destination) else {
                return Ok(None);
            };
            let index = self.connect(destination, auth, on_mint())?;
            let attestations = self.attestation_session(&index, env)?;
            connected.push(crate::publish::Connected {
                index,
                attestations,
            });
        }
        Ok(Some(connected))
    }

    /// The upload URLs after the first `reached` destinations: where a failed run did not go.
    pub fn not_reached(&self, reached: usize) -> Vec<String> {
        self.destinations
            .iter()
            .skip(reached)
            .map(|d| d.upload_url.to_string())
            .collect()
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
        if !attest::enabled(self.attestations, kind, index.known())? {
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
            preflight_target: None,
            provenance_check: self.provenance_check,
            github_store: self.github_store.clone(),
        }
    }
}

/// A destination named in a file users keep.
enum Named {
    /// `-r NAME`.
    Repository(pypirc::Repository),
    /// `--index NAME`.
    Index(uv_index::UvIndex),
}

impl Named {
    fn read(
        raw: &RawSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, SettingsError> {
        if let Some(name) = raw.repository.as_deref().filter(|n| !n.is_empty()) {
            let repository = pypirc::lookup(name, raw.config_file.as_deref(), env)?;
            return Ok(Some(Named::Repository(repository)));
        }
        if let Some(name) = raw.index_name.as_deref().filter(|n| !n.is_empty()) {
            let dir = match &raw.project_dir {
                Some(dir) => dir.clone(),
                None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            };
            return Ok(Some(Named::Index(uv_index::lookup(name, &dir)?)));
        }
        Ok(None)
    }

    fn upload_url(&self) -> &str {
        match self {
            Named::Repository(r) => &r.url,
            Named::Index(i) => &i.publish_url,
        }
    }
}

/// Why the settings cannot be resolved.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// An upload or check URL that cannot be used.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// `-r NAME` and `.pypirc`.
    #[error(transparent)]
    Pypirc(#[from] pypirc::PypircError),
    /// `--index NAME` and `pyproject.toml`.
    #[error(transparent)]
    UvIndex(#[from] uv_index::UvIndexError),
    /// `github-attestations`.
    #[error(transparent)]
    GithubStore(#[from] attest::github_store::SetupError),
}

impl SettingsError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            SettingsError::Url(e) => e.hint(),
            SettingsError::Pypirc(e) => e.hint(),
            SettingsError::UvIndex(e) => e.hint(),
            SettingsError::GithubStore(e) => e.hint(),
        }
    }
}

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
mod tests;
