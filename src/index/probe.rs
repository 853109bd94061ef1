//! A dry run's proof that the upload endpoint takes the run's credentials, without sending
//! a file: a POST with the credentials, `:action=file_upload` and a protocol version no
//! index speaks. Warehouse checks the identity first (`ensure_uploads_allowed`: 403
//! "Invalid or non-existent authentication information") and then answers 400 "Unknown
//! protocol version." before it reads a form field (`forklift/legacy.py`); pypiserver and
//! devpi check the credentials, then answer 400 for the missing `content`. A refusal of the
//! URL or the credentials is the same [`Refusal`] a real upload meets, with the same hint.

use super::Index;
use super::response::{Answer, Refusal, classify};
use crate::auth::TrustedPublishingError;
use crate::http::{Failure, retry};

/// Why the probe could not vouch for the run.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The index refused the URL or the credentials, as it would refuse every upload.
    #[error("{} {}", .0.status, .0.message)]
    Refused(Refusal),
    /// Trusted publishing gave no token.
    #[error(transparent)]
    Credentials(#[from] TrustedPublishingError),
    /// No usable answer within the retry budget.
    #[error("the upload endpoint gave no answer: {0}")]
    Unanswered(String),
}

/// What the upload endpoint answered a probe it did not refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeAnswer {
    /// HTTP status (400 from an index that checked the credentials and then the form).
    pub status: u16,
    /// The index's message.
    pub message: String,
}

impl Index {
    /// Sends the probe (retrying transient answers like a lookup, following same-origin
    /// 307/308 like an upload) and says whether the index would take an upload.
    pub async fn probe(&self) -> Result<ProbeAnswer, ProbeError> {
        retry(&self.lookup_retry, |_| self.probe_once()).await
    }

    async fn probe_once(&self) -> Result<ProbeAnswer, Failure<ProbeError>> {
        let mut redirects = 0;
        loop {
            let credentials = self.upload_credentials().await.map_err(ProbeError::from)?;
            let form = reqwest::multipart::Form::new()
                .text(":action", "file_upload")
                .text("protocol_version", "0");
            let mut request = self
                .client
                .post(self.upload_url().reveal().clone())
                .timeout(self.response_timeout)
                .multipart(form);
            if let Some(c) = &credentials {
                request = request.basic_auth(&c.username, Some(c.password.reveal()));
            }
            let response = request.send().await.map_err(|e| {
                Failure::transient(ProbeError::Unanswered(crate::http::client::chain_text(&e)))
            })?;
            let status = response.status().as_u16();
            let (location, retry_after) = crate::http::body::location_and_retry_after(&response);
            let body = self.scrub(&response.text().await.unwrap_or_default());
            if (300..400).contains(&status) {
                let next = self
                    .redirect("", status, location.as_deref(), redirects)
                    .map_err(|e| ProbeError::Unanswered(e.reason()))?;
                *self.upload_url.lock().expect("not poisoned") = next;
                redirects += 1;
                continue;
            }
            return match classify(status, retry_after.as_deref(), &body) {
                Answer::Refused(refusal) if refusal.stops_the_run() => {
                    Err(Failure::Final(ProbeError::Refused(refusal)))
                }
                // An index that fails on a form without a file (a 500 from a registry whose
                // upload handler assumes one) got past its credential check: not a refusal.
                Answer::Transient {
                    status: 500,
                    message,
                    ..
                } => Ok(ProbeAnswer {
                    status: 500,
                    message,
                }),
                Answer::Transient {
                    status,
                    message,
                    retry_after,
                } => Err(Failure::Transient {
                    error: ProbeError::Unanswered(format!("{status} {message}")),
                    retry_after,
                }),
                Answer::Accepted | Answer::FileExists(_) | Answer::Refused(_) => Ok(ProbeAnswer {
                    status,
                    message: crate::http::body::message_from_body(status, &body),
                }),
            };
        }
    }
}
