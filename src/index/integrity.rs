//! A file's provenance object (PEP 740), read from the URL the JSON simple API lists for it:
//! on PyPI, the Integrity API on the web host
//! (`GET /integrity/<project>/<version>/<filename>/provenance`, `warehouse/api/integrity.py`),
//! 404 for a file without one. Public data: no credentials are sent.

use std::time::Duration;

use super::{Index, LookupError, fetch};
use crate::http::{Failure, RetryPolicy, SafeUrl, retry};

/// Warehouse offers these two, its own first.
const ACCEPT: &str = "application/vnd.pypi.integrity.v1+json, application/json;q=0.9";
const TIMEOUT: Duration = Duration::from_secs(30);
/// Retries of one object stop after this: a grade is advice, and an object that will not
/// come makes it `unknown` rather than holding the release back for a lookup's 3 minutes.
const BUDGET: Duration = Duration::from_secs(20);

impl Index {
    /// The provenance object at `url` (`Ok(None)`: 404, the file has none).
    pub async fn provenance(&self, url: &str) -> Result<Option<serde_json::Value>, LookupError> {
        let start = SafeUrl::parse(url).map_err(|e| LookupError::Parse {
            url: self.upload_url(),
            reason: format!("provenance URL '{url}': {e}"),
        })?;
        let policy = RetryPolicy {
            budget: self.lookup_retry.budget.min(BUDGET),
            ..self.lookup_retry.clone()
        };
        let fetch = retry(&policy, |_| get(&self.client, &start));
        tokio::select! {
            got = fetch => got,
            () = self.cancel.cancelled() => Err(LookupError::Interrupted),
        }
    }
}

/// One attempt: the GET ([`super::fetch`]; no credentials: provenance is public), then the
/// object read as JSON.
async fn get(
    client: &reqwest::Client,
    start: &SafeUrl,
) -> Result<Option<serde_json::Value>, Failure<LookupError>> {
    let Some(object) = fetch::get(client, start, ACCEPT, TIMEOUT, None).await? else {
        return Ok(None);
    };
    serde_json::from_str(&object.body).map(Some).map_err(|e| {
        Failure::Final(LookupError::Parse {
            url: object.url,
            reason: format!("not a provenance object: {e}"),
        })
    })
}
