//! Sending one file, safely: retries only after looking at the index again, because a
//! failed or lost response does not mean the file did not land.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub use super::outcome::{AttemptError, Interruption, UploadError, UploadErrorKind, UploadOutcome};

use super::form::{self, Progress};
use super::response::{Answer, Refusal, RefusalKind, classify};
use super::simple::LookupError;
use super::{Index, MAX_REDIRECTS};
use crate::dist::{Digests, Distribution};
use crate::http::{Failure, SafeUrl, retry};

/// How long an interrupted run may spend asking the index about files it abandoned (a
/// runner allows 7.5 s between SIGINT and SIGTERM).
const AFTER_INTERRUPT: Duration = Duration::from_secs(4);

/// Milliseconds since the first call: the clock of the stall watchdog.
pub fn clock_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// Whether the index has the file, by hash.
enum Presence {
    Identical,
    Different(String),
    Absent,
}

impl Index {
    /// Uploads one file, retrying transient failures. `attestations` is the JSON array for
    /// the `attestations` field.
    pub async fn upload(
        &self,
        dist: &Distribution,
        digests: &Digests,
        attestations: Option<&str>,
        progress: Arc<Progress>,
    ) -> Result<UploadOutcome, UploadError> {
        let file = dist.file_name();
        let interrupted = |state| UploadError::new(file, UploadErrorKind::Interrupted(state));
        if self.cancel.is_cancelled() {
            return Err(interrupted(Interruption::NotStarted));
        }
        let attempts = AtomicU32::new(0);
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => {
                let attempts = attempts.load(Ordering::SeqCst);
                if attempts == 0 {
                    return Err(interrupted(Interruption::NotStarted));
                }
                // The abandoned request may have landed: ask, briefly, before reporting.
                let presence = self.presence(dist, digests, false);
                match tokio::time::timeout(AFTER_INTERRUPT, presence).await {
                    Ok(Ok(Presence::Identical)) => Ok(UploadOutcome::Uploaded { attempts }),
                    Ok(Ok(Presence::Absent)) => Err(interrupted(Interruption::NotOnIndex)),
                    Ok(Ok(Presence::Different(index))) => Err(conflict(dist, digests, index)),
                    Ok(Err(_)) | Err(_) => Err(interrupted(Interruption::Unknown)),
                }
            }
            result = self.send(dist, digests, attestations, progress, &attempts) => result,
        }
    }

    /// The attempts, through the retry driver; `attempts` counts requests sent. The driver
    /// says when to try again; whether it is safe is decided here: before sending again,
    /// the index is asked whether the failed attempt landed after all.
    async fn send(
        &self,
        dist: &Distribution,
        digests: &Digests,
        attestations: Option<&str>,
        progress: Arc<Progress>,
        attempts: &AtomicU32,
    ) -> Result<UploadOutcome, UploadError> {
        let file = dist.file_name();
        let fields = form::fields(dist, digests, attestations);
        let renewed = AtomicBool::new(false);
        let result = retry(&self.retry, |attempt| {
            let (fields, progress, renewed) = (&fields, progress.clone(), &renewed);
            async move {
                if attempt > 1 {
                    match self.presence(dist, digests, true).await {
                        Ok(Presence::Identical) => {
                            return Ok(UploadOutcome::Uploaded {
                                attempts: attempt - 1,
                            });
                        }
                        Ok(Presence::Different(index)) => {
                            return Err(Failure::Final(conflict(dist, digests, index)));
                        }
                        Ok(Presence::Absent) => {}
                        // Unknown is not absent: a re-send after a lost answer could be a
                        // duplicate the index refuses (pypiserver's 409). Wait and look again.
                        Err(source) => {
                            let transient = source.is_transient();
                            let error = UploadError::new(file, UploadErrorKind::Recheck(source));
                            return Err(if transient {
                                Failure::transient(error)
                            } else {
                                Failure::Final(error)
                            });
                        }
                    }
                }
                attempts.fetch_add(1, Ordering::SeqCst);
                self.attempt((dist, digests), fields, progress, renewed, attempt)
                    .await
            }
        })
        .await;
        match result {
            // Out of time or attempts: one last look, the last attempt may have landed.
            Err(
                exhausted @ UploadError {
                    kind: UploadErrorKind::Exhausted { .. },
                    ..
                },
            ) => match self.presence(dist, digests, true).await {
                Ok(Presence::Identical) => Ok(UploadOutcome::Uploaded {
                    attempts: attempts.load(Ordering::SeqCst),
                }),
                Ok(Presence::Different(index)) => Err(conflict(dist, digests, index)),
                Ok(Presence::Absent) | Err(_) => Err(exhausted),
            },
            other => other,
        }
    }

    /// One attempt (the `attempt`-th): the POST, again after a same-origin 307/308 or with
    /// a new token after a minted one expired on the wire, and what its answer means.
    async fn attempt(
        &self,
        (dist, digests): (&Distribution, &Digests),
        fields: &[(&'static str, String)],
        progress: Arc<Progress>,
        renewed: &AtomicBool,
        attempt: u32,
    ) -> Result<UploadOutcome, Failure<UploadError>> {
        let file = dist.file_name();
        let lost = |last: AttemptError, retry_after| Failure::Transient {
            error: UploadError::new(
                file,
                UploadErrorKind::Exhausted {
                    attempts: attempt,
                    last,
                },
            ),
            retry_after,
        };
        let mut redirects = 0;
        loop {
            let credentials = self.upload_credentials().await.map_err(|source| {
                UploadError::new(file, UploadErrorKind::Credentials(Box::new(source)))
            })?;
            let sent = self
                .post(dist, fields, credentials.as_ref(), progress.clone())
                .await?;
            let (status, location, retry_after, body) = match sent {
                Sent::Answer {
                    status,
                    location,
                    retry_after,
                    body,
                } => (status, location, retry_after, body),
                Sent::Lost(why) => return Err(lost(why, None)),
            };
            if (300..400).contains(&status) {
                let next = self.redirect(file, status, location.as_deref(), redirects)?;
                *self.upload_url.lock().expect("not poisoned") = next;
                redirects += 1;
                continue;
            }
            return match classify(status, retry_after.as_deref(), &body) {
                Answer::Accepted => Ok(UploadOutcome::Uploaded { attempts: attempt }),
                Answer::FileExists(message) => {
                    Ok(self.after_exists(dist, digests, message).await?)
                }
                // A minted token can expire while a long upload is on the wire (the index
                // checks it once the body is in): one retry with a new token.
                Answer::Refused(refusal)
                    if refusal.status == 403
                        && !renewed.swap(true, Ordering::SeqCst)
                        && self.renew(&credentials).await =>
                {
                    continue;
                }
                // Expired on the wire, and no new token can be had: say why, as the next
                // file would (the index's "token is expired" alone does not).
                Answer::Refused(refusal)
                    if refusal.token_expired()
                        && let Some(e) =
                            self.trusted_publishing().and_then(|t| t.not_renewable()) =>
                {
                    Err(Failure::Final(UploadError::new(
                        file,
                        UploadErrorKind::Credentials(Box::new(e)),
                    )))
                }
                Answer::Refused(refusal) => Err(Failure::Final(UploadError::new(
                    file,
                    UploadErrorKind::Refused(refusal),
                ))),
                Answer::Transient {
                    status,
                    message,
                    retry_after,
                } => Err(lost(AttemptError::Status { status, message }, retry_after)),
            };
        }
    }

    /// Where a 3xx sends the upload: same origin, a 307/308 (which keep the method and
    /// body) and fewer than five hops; anything else would need credentials sent elsewhere.
    pub(super) fn redirect(
        &self,
        file: &str,
        status: u16,
        location: Option<&str>,
        hops: u32,
    ) -> Result<SafeUrl, UploadError> {
        let url = self.upload_url();
        let next = location.and_then(|l| url.join(l).ok());
        match next {
            Some(next)
                if matches!(status, 307 | 308)
                    && hops < MAX_REDIRECTS
                    && next.same_origin(&url) =>
            {
                Ok(next)
            }
            next => Err(UploadError::new(
                file,
                UploadErrorKind::Redirected {
                    status,
                    location: next.map(|n| n.to_string()).unwrap_or_default(),
                    hops,
                },
            )),
        }
    }

    async fn after_exists(
        &self,
        dist: &Distribution,
        digests: &Digests,
        message: String,
    ) -> Result<UploadOutcome, UploadError> {
        let file = dist.file_name().to_string();
        if self.check_url().is_none() {
            return Err(UploadError::new(
                file,
                UploadErrorKind::ExistsUnverified(message),
            ));
        }
        match self.presence(dist, digests, true).await {
            Ok(Presence::Identical) => Ok(UploadOutcome::AlreadyPresent),
            Ok(Presence::Different(index)) => Err(conflict(dist, digests, index)),
            // The index says "exists" but does not list it (e.g. a blake2 collision with a
            // file of another name, or a deleted filename): report the index's own words.
            Ok(Presence::Absent) => Err(UploadError::new(
                file,
                UploadErrorKind::Refused(Refusal {
                    status: 400,
                    message,
                    kind: RefusalKind::Invalid,
                }),
            )),
            Err(source) => Err(UploadError::new(file, UploadErrorKind::Recheck(source))),
        }
    }

    /// Whether the index has the file; `cancellable`: give up when the run is interrupted.
    async fn presence(
        &self,
        dist: &Distribution,
        digests: &Digests,
        cancellable: bool,
    ) -> Result<Presence, LookupError> {
        let name = dist.filename.normalized_name();
        let files = if cancellable {
            self.lookup(&name).await?
        } else {
            self.fetch(&name).await?
        };
        let listed = files.as_ref().and_then(|f| f.get(dist.file_name()));
        Ok(match listed.map(|l| &l.sha256) {
            None => Presence::Absent,
            Some(Some(sha)) if *sha == digests.sha256 => Presence::Identical,
            Some(Some(sha)) => Presence::Different(sha.to_string()),
            Some(None) => Presence::Different("unknown (the index lists no sha256)".into()),
        })
    }

    /// Sends the form once.
    async fn post(
        &self,
        dist: &Distribution,
        fields: &[(&'static str, String)],
        credentials: Option<&crate::auth::Credentials>,
        progress: Arc<Progress>,
    ) -> Result<Sent, UploadError> {
        let file = dist.file_name();
        let io = |source| UploadError::new(file, UploadErrorKind::Io(source));
        progress.reset(clock_ms());
        let form = form::multipart(
            fields,
            &dist.path,
            file,
            dist.size,
            progress.clone(),
            clock_ms,
        )
        .await
        .map_err(io)?;
        let mut request = self
            .client
            .post(self.upload_url().reveal().clone())
            .multipart(form);
        if let Some(c) = credentials {
            request = request.basic_auth(&c.username, Some(c.password.reveal()));
        }
        self.traffic.upload_requests.fetch_add(1, Ordering::Relaxed);
        let response = match self.watch(request.send(), &progress, dist.size).await {
            Ok(r) => r,
            Err(why) => return Ok(Sent::Lost(why)),
        };
        let status = response.status().as_u16();
        let (location, retry_after) = crate::http::body::location_and_retry_after(&response);
        let body = match tokio::time::timeout(self.response_timeout, response.text()).await {
            // Some servers echo the request (Authorization included) in error pages.
            Ok(Ok(body)) => self.scrub(&body),
            // The index said yes; a broken body after that does not undo it.
            Ok(Err(_)) if (200..300).contains(&status) => String::new(),
            Ok(Err(e)) => {
                let source = e.without_url();
                return Ok(Sent::Lost(AttemptError::UnreadableBody { status, source }));
            }
            Err(_) => {
                let secs = self.response_timeout.as_secs();
                return Ok(Sent::Lost(AttemptError::BodyTimeout { status, secs }));
            }
        };
        Ok(Sent::Answer {
            status,
            location,
            retry_after,
            body,
        })
    }

    /// Runs the request, abandoning it when the body stops moving (or, once sent, when the
    /// answer does not come): a stalled transfer is detected instead of a blanket timeout.
    async fn watch(
        &self,
        send: impl Future<Output = reqwest::Result<reqwest::Response>>,
        progress: &Progress,
        size: u64,
    ) -> Result<reqwest::Response, AttemptError> {
        tokio::pin!(send);
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                result = &mut send => return result.map_err(AttemptError::transport),
                _ = tick.tick() => {
                    let idle = Duration::from_millis(clock_ms().saturating_sub(progress.last_change_ms()));
                    let (idle_secs, sent) = (idle.as_secs(), progress.sent());
                    if sent >= size && idle > self.response_timeout {
                        return Err(AttemptError::NoAnswer { idle_secs });
                    }
                    if sent < size && idle > self.stall_timeout {
                        return Err(AttemptError::Stalled { idle_secs, sent, size });
                    }
                }
            }
        }
    }
}

enum Sent {
    Answer {
        status: u16,
        location: Option<String>,
        retry_after: Option<String>,
        body: String,
    },
    Lost(AttemptError),
}

/// Same name on the index, other bytes.
fn conflict(dist: &Distribution, digests: &Digests, index: String) -> UploadError {
    UploadError::new(
        dist.file_name(),
        UploadErrorKind::Conflict {
            local: digests.sha256.to_string(),
            index,
        },
    )
}
