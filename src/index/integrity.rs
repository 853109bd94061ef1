//! A file's provenance object (PEP 740), read from the URL the JSON simple API lists for it:
//! on PyPI, the Integrity API on the web host
//! (`GET /integrity/<project>/<version>/<filename>/provenance`, `warehouse/api/integrity.py`),
//! 404 for a file without one. Public data: no credentials are sent.

use std::time::Duration;

use super::{Index, LookupError, MAX_REDIRECTS};
use crate::http::body::message_from_body;
use crate::http::retry::{is_transient_status, retry_after};
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

async fn get(
    client: &reqwest::Client,
    start: &SafeUrl,
) -> Result<Option<serde_json::Value>, Failure<LookupError>> {
    let mut url = start.clone();
    for redirects in 0..=MAX_REDIRECTS {
        let transport = |url: &SafeUrl| {
            let url = url.clone();
            move |source| Failure::transient(LookupError::Transport { url, source })
        };
        let response = client
            .get(url.reveal().clone())
            .header(reqwest::header::ACCEPT, ACCEPT)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(transport(&url))?;
        let status = response.status().as_u16();
        let next = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url.join(l).ok());
        if let (true, Some(next)) = (response.status().is_redirection(), next)
            && redirects < MAX_REDIRECTS
        {
            url = next;
            continue;
        }
        if status == 404 {
            return Ok(None);
        }
        let retry_after = retry_after(response.headers());
        let body = response.text().await.map_err(transport(&url))?;
        if !(200..300).contains(&status) {
            let error = LookupError::Status {
                url,
                status,
                message: message_from_body(status, &body),
            };
            return Err(if is_transient_status(status) {
                Failure::Transient { error, retry_after }
            } else {
                Failure::Final(error)
            });
        }
        return serde_json::from_str(&body).map(Some).map_err(|e| {
            Failure::Final(LookupError::Parse {
                url,
                reason: format!("not a provenance object: {e}"),
            })
        });
    }
    unreachable!("the last redirect is not followed")
}
