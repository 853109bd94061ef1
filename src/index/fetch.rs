//! One GET of a lookup (a simple-index page, a provenance object): redirects followed,
//! credentials sent only within the first URL's origin, a 404 read as "not there", any
//! other answer outside 2xx a [`LookupError::Status`] that a retry may or may not help.
//! What the body means is the caller's to read.

use std::time::Duration;

use super::{LookupError, MAX_REDIRECTS};
use crate::auth::Credentials;
use crate::http::body::message_from_body;
use crate::http::retry::{is_transient_status, retry_after};
use crate::http::{Failure, SafeUrl};

/// A 2xx answer: where the request landed, its content type (lowercase), its body.
pub(super) struct Fetched {
    pub(super) url: SafeUrl,
    pub(super) content_type: String,
    pub(super) body: String,
}

/// One attempt. `Ok(None)`: 404.
pub(super) async fn get(
    client: &reqwest::Client,
    start: &SafeUrl,
    accept: &str,
    timeout: Duration,
    credentials: Option<&Credentials>,
) -> Result<Option<Fetched>, Failure<LookupError>> {
    let mut url = start.clone();
    let mut redirects = 0;
    loop {
        let mut request = client
            .get(url.reveal().clone())
            .header(reqwest::header::ACCEPT, accept)
            .timeout(timeout);
        if let Some(c) = credentials.filter(|_| url.same_origin(start)) {
            request = request.basic_auth(&c.username, Some(c.password.reveal()));
        }
        let transport = |url: &SafeUrl| {
            let url = url.clone();
            move |source| Failure::transient(LookupError::Transport { url, source })
        };
        let response = request.send().await.map_err(transport(&url))?;
        let status = response.status().as_u16();
        if response.status().is_redirection()
            && redirects < MAX_REDIRECTS
            && let Some(next) = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
        {
            redirects += 1;
            url = next;
            continue;
        }
        if status == 404 {
            return Ok(None);
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
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
        return Ok(Some(Fetched {
            url,
            content_type,
            body,
        }));
    }
}
