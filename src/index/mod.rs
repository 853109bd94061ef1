//! The package index, as this tool talks to it: the legacy upload API to send files and the
//! simple API to see what is already there.

pub mod client;
pub mod form;
pub mod response;
pub mod retry;
pub mod simple;
pub mod upload;
pub mod url;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use self::response::{Answer, Refusal, RefusalKind};
pub use self::retry::RetryPolicy;
pub use self::simple::{LookupError, ProjectFiles};
pub use self::upload::{UploadError, UploadOutcome};

use crate::auth::Credentials;

/// Simple-API lookups in flight at once while planning. Lookups are small GETs (a CDN
/// answers them on PyPI, over one HTTP/2 connection): 20 projects over a 50 ms round trip
/// take one round instead of five at 4 (benchmarks, issue 7).
pub const LOOKUPS_IN_FLIGHT: usize = 32;

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
    upload_url: Mutex<::url::Url>,
    check_url: Option<::url::Url>,
    credentials: Option<Credentials>,
    /// Retry policy for uploads and lookups.
    pub retry: RetryPolicy,
    /// How long an upload may make no progress before it is abandoned as stalled.
    pub stall_timeout: Duration,
    /// How long to wait for the answer once the whole file is sent.
    pub response_timeout: Duration,
    /// What was sent.
    pub traffic: Traffic,
}

impl Index {
    /// An index at `upload_url`, looked at through `check_url` when known.
    pub fn new(
        client: reqwest::Client,
        upload_url: ::url::Url,
        check_url: Option<::url::Url>,
        credentials: Option<Credentials>,
    ) -> Self {
        Self {
            client,
            upload_url: Mutex::new(upload_url),
            check_url,
            credentials,
            retry: RetryPolicy::default(),
            stall_timeout: Duration::from_secs(60),
            response_timeout: Duration::from_secs(300),
            traffic: Traffic::default(),
        }
    }

    /// Where uploads go now (a same-origin 307/308 moves it).
    pub fn upload_url(&self) -> ::url::Url {
        self.upload_url.lock().expect("not poisoned").clone()
    }

    /// The simple index, when known.
    pub fn check_url(&self) -> Option<&::url::Url> {
        self.check_url.as_ref()
    }

    /// The credentials in use.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// What the index has for a project (`Ok(None)`: it does not know the project, or no
    /// simple index is known — see [`Index::check_url`]).
    pub async fn lookup(&self, normalized_name: &str) -> Result<Option<ProjectFiles>, LookupError> {
        let Some(check_url) = &self.check_url else {
            return Ok(None);
        };
        self.traffic.lookups.fetch_add(1, Ordering::Relaxed);
        // Credentials are only sent when the simple index shares the upload URL's origin.
        let creds = self
            .credentials
            .as_ref()
            .filter(|_| check_url.origin() == self.upload_url().origin());
        simple::lookup(&self.client, check_url, normalized_name, creds, &self.retry).await
    }
}
