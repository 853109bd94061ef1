//! The package index, as this tool talks to it: the legacy upload API to send files and the
//! simple API to see what is already there.

mod fetch;
pub mod form;
mod integrity;
mod outcome;
pub mod probe;
pub mod response;
pub mod simple;
pub mod upload;
pub mod url;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use self::response::{Answer, Refusal, RefusalKind};
pub use self::simple::{Listed, LookupError, ProjectFiles, ProvenanceLink};
pub use self::upload::{AttemptError, UploadError, UploadErrorKind, UploadOutcome};

use std::sync::Arc;

use crate::auth::{Credentials, TrustedPublishing, TrustedPublishingError};
use crate::http::{RetryPolicy, SafeUrl, retry};
use crate::known_index::KnownIndex;

/// Reads the process environment (the timing knobs of [`retry::response_timeout`]).
fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Simple-API lookups in flight at once while planning, apart from the upload concurrency.
/// Lookups are small GETs (a CDN answers them on PyPI, over one HTTP/2 connection): 20
/// projects over a 50 ms round trip take one round instead of five at 4 (benchmarks, issue
/// 7); the re-run of a 1,000-project release takes 16 rounds, 1.2 s, instead of 32 at 32
/// (issue 23; at the upload concurrency of 8 it would be 125 rounds, over 6 s).
pub const LOOKUPS_IN_FLIGHT: usize = 64;

/// Redirects followed in a row, for an upload, a probe or a lookup; one more is a loop.
pub(crate) const MAX_REDIRECTS: u32 = 5;

/// Counters for the report (and the benchmark's "zero upload requests" check).
#[derive(Debug, Default)]
pub struct Traffic {
    /// Upload POSTs sent.
    pub upload_requests: AtomicU64,
    /// Simple-API lookups made.
    pub lookups: AtomicU64,
}

/// One index: its URLs, the client that talks to it, and the credentials it is given.
#[derive(Debug)]
pub struct Index {
    client: reqwest::Client,
    upload_url: Mutex<SafeUrl>,
    check_url: Option<SafeUrl>,
    known: KnownIndex,
    credentials: Option<Credentials>,
    trusted: Option<Arc<TrustedPublishing>>,
    /// Retry policy of one file's upload.
    pub retry: RetryPolicy,
    /// Retry policy of one lookup.
    pub lookup_retry: RetryPolicy,
    /// How long an upload may make no progress before it is abandoned as stalled.
    pub stall_timeout: Duration,
    /// How long to wait for the answer once the whole file is sent.
    pub response_timeout: Duration,
    /// What was sent.
    pub traffic: Traffic,
    /// Stops uploads and lookups (by default the process's SIGINT/SIGTERM token).
    pub cancel: tokio_util::sync::CancellationToken,
}

impl Index {
    /// An index at `upload_url`, looked at through `check_url` when known.
    pub fn new(
        client: reqwest::Client,
        upload_url: SafeUrl,
        check_url: Option<SafeUrl>,
        credentials: Option<Credentials>,
    ) -> Self {
        Self {
            client,
            known: KnownIndex::of(&upload_url),
            upload_url: Mutex::new(upload_url),
            check_url,
            credentials,
            trusted: None,
            retry: RetryPolicy::uploads().tuned(env),
            lookup_retry: RetryPolicy::lookups().tuned(env),
            stall_timeout: Duration::from_secs(60),
            response_timeout: retry::response_timeout(env),
            traffic: Traffic::default(),
            cancel: crate::interrupt::token(),
        }
    }

    /// Where uploads go now (a same-origin 307/308 moves it).
    pub fn upload_url(&self) -> SafeUrl {
        self.upload_url.lock().expect("not poisoned").clone()
    }

    /// Which index this is (decided from the URL it was given, not where a redirect led).
    pub fn known(&self) -> KnownIndex {
        self.known
    }

    /// The simple index, when known.
    pub fn check_url(&self) -> Option<&SafeUrl> {
        self.check_url.as_ref()
    }

    /// `text` (an answer from the index) with every credential of this index masked: the
    /// ones given, and any in a URL's userinfo.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = match &self.credentials {
            Some(c) => crate::secret::scrub(text, &c.username, &c.password),
            None => text.to_string(),
        };
        if let Some(trusted) = &self.trusted {
            out = trusted.scrub(&out);
        }
        for url in [Some(self.upload_url()), self.check_url.clone()]
            .into_iter()
            .flatten()
        {
            if let Some(password) = url.password() {
                let user = crate::secret::percent_decode(url.username());
                let password = crate::secret::Secret::new(crate::secret::percent_decode(password));
                out = crate::secret::scrub(&out, &user, &password);
            }
        }
        out
    }

    /// The fixed credentials in use (none with trusted publishing).
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Uploads with tokens minted by trusted publishing instead of fixed credentials.
    pub fn with_trusted_publishing(mut self, trusted: Arc<TrustedPublishing>) -> Self {
        self.credentials = None;
        self.trusted = Some(trusted);
        self
    }

    /// Trusted publishing, when the run uses it.
    pub fn trusted_publishing(&self) -> Option<&Arc<TrustedPublishing>> {
        self.trusted.as_ref()
    }

    /// After a 403 with a minted token: drops that token so the next request gets a new
    /// one. `false` when the credentials are fixed (a 403 then is final).
    pub async fn renew(&self, used: &Option<Credentials>) -> bool {
        match (&self.trusted, used) {
            (Some(trusted), Some(used)) => trusted.discard(&used.password).await,
            _ => false,
        }
    }

    /// The credentials for the next upload request: a minted token (renewed before it
    /// expires) or the fixed credentials.
    pub async fn upload_credentials(&self) -> Result<Option<Credentials>, TrustedPublishingError> {
        match &self.trusted {
            Some(trusted) => trusted.credentials().await.map(Some),
            None => Ok(self.credentials.clone()),
        }
    }

    /// What the index has for a project (`Ok(None)`: it does not know the project, or no
    /// simple index is known — see [`Index::check_url`]).
    pub async fn lookup(&self, normalized_name: &str) -> Result<Option<ProjectFiles>, LookupError> {
        tokio::select! {
            files = self.fetch(normalized_name) => files,
            () = self.cancel.cancelled() => Err(LookupError::Interrupted),
        }
    }

    /// [`Index::lookup`], deaf to cancellation (to look after an interruption).
    async fn fetch(&self, normalized_name: &str) -> Result<Option<ProjectFiles>, LookupError> {
        let Some(check_url) = &self.check_url else {
            return Ok(None);
        };
        self.traffic.lookups.fetch_add(1, Ordering::Relaxed);
        // Credentials are only sent when the simple index shares the upload URL's origin.
        let creds = self
            .credentials
            .as_ref()
            .filter(|_| check_url.same_origin(&self.upload_url()));
        simple::lookup(
            &self.client,
            check_url,
            normalized_name,
            creds,
            &self.lookup_retry,
        )
        .await
        .map_err(|e| match e {
            LookupError::Status {
                url,
                status,
                message,
            } => LookupError::Status {
                url,
                status,
                message: self.scrub(&message),
            },
            other => other,
        })
    }
}
