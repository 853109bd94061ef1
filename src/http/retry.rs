//! Retries by time: a transient failure (no answer, 408, 429, 5xx) is tried again after a
//! capped exponential backoff with jitter (or the `Retry-After` the server asked for) until
//! the operation's time budget is spent. A brownout of a minute or two then costs a minute
//! or two, not the release.
//!
//! [`retry`] is the one driver every network call goes through. It only answers "again,
//! after how long?"; whether another attempt is *safe* is the caller's to decide (the upload
//! loop first asks the index whether the failed attempt landed).

use std::future::Future;
use std::time::{Duration, Instant};

/// Lookups, OIDC token and exchange calls, Fulcio and Rekor: three minutes.
pub const LOOKUP_BUDGET: Duration = Duration::from_secs(180);
/// One file's upload, attempts and waits included: five minutes.
pub const UPLOAD_BUDGET: Duration = Duration::from_secs(300);

/// How long to wait for the answer once a whole file is sent (five minutes: PyPI checks
/// large files slowly).
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(300);

/// When to try again, for one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First backoff; doubles each attempt.
    pub base_delay: Duration,
    /// Largest single wait (also caps `Retry-After`).
    pub max_delay: Duration,
    /// Time after which no new attempt starts.
    pub budget: Duration,
    /// Attempts in all, the first included (`--attempts`); `None`: as many as the budget allows.
    pub max_attempts: Option<u32>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::lookups()
    }
}

impl RetryPolicy {
    /// The policy of a lookup or token call.
    pub fn lookups() -> Self {
        Self {
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            budget: LOOKUP_BUDGET,
            max_attempts: None,
        }
    }

    /// The policy of one file's upload.
    pub fn uploads() -> Self {
        Self {
            budget: UPLOAD_BUDGET,
            ..Self::lookups()
        }
    }

    /// The policy with the delays shortened by `PYPI_PUBLISH_RETRY_DELAYS_MS=BASE,MAX` and
    /// the budget capped by `PYPI_PUBLISH_RETRY_BUDGET_MS` (for fault-injection tests, which
    /// would otherwise wait minutes; `MAX` also caps `Retry-After`). Anything unparsable
    /// keeps the defaults.
    pub fn tuned(mut self, env: impl Fn(&str) -> Option<String>) -> Self {
        if let Some(ms) = env("PYPI_PUBLISH_RETRY_BUDGET_MS").and_then(|v| v.trim().parse().ok()) {
            self.budget = self.budget.min(Duration::from_millis(ms));
        }
        if let Some((base, max)) = env("PYPI_PUBLISH_RETRY_DELAYS_MS")
            .as_deref()
            .and_then(|v| v.split_once(','))
            .and_then(|(b, m)| Some((b.trim().parse().ok()?, m.trim().parse().ok()?)))
        {
            self.base_delay = Duration::from_millis(base);
            self.max_delay = Duration::from_millis(max);
        }
        self
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1), or `None` when the
    /// attempts or the time budget are spent. The last wait is cut to what the budget has
    /// left, so a server that recovers just before the end is still tried.
    pub fn delay(
        &self,
        attempt: u32,
        started: Instant,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if self.max_attempts.is_some_and(|max| attempt >= max) {
            return None;
        }
        let wait = match retry_after {
            Some(d) => d.min(self.max_delay),
            None => {
                // Full jitter: spreads parallel uploads that failed together.
                let cap = self
                    .base_delay
                    .saturating_mul(1 << (attempt.max(1) - 1).min(16))
                    .min(self.max_delay);
                cap.mul_f64(0.5 + fastrand::f64() * 0.5)
            }
        };
        let left = self.budget.checked_sub(started.elapsed())?;
        (!left.is_zero()).then(|| wait.min(left))
    }
}

/// Why an attempt failed, as the driver needs to know it.
#[derive(Debug)]
pub enum Failure<E> {
    /// Worth another attempt (after `retry_after` when the server said).
    Transient {
        /// What went wrong, returned when the budget is spent.
        error: E,
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// Final: returned at once.
    Final(E),
}

impl<E> Failure<E> {
    /// A transient failure without a server-given wait.
    pub fn transient(error: E) -> Self {
        Failure::Transient {
            error,
            retry_after: None,
        }
    }
}

impl<E> From<E> for Failure<E> {
    fn from(error: E) -> Self {
        Failure::Final(error)
    }
}

/// Runs `attempt(n)` (n from 1) until it succeeds, fails for good, or `policy` says stop;
/// returns the last failure then. Sleeps between attempts; the caller's attempt decides
/// what happens before sending again.
pub async fn retry<T, E, F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Result<T, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Failure<E>>>,
{
    let started = Instant::now();
    let mut n = 0;
    loop {
        n += 1;
        match attempt(n).await {
            Ok(value) => return Ok(value),
            Err(Failure::Final(error)) => return Err(error),
            Err(Failure::Transient { error, retry_after }) => {
                match policy.delay(n, started, retry_after) {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => return Err(error),
                }
            }
        }
    }
}

/// [`RESPONSE_TIMEOUT`], or `PYPI_PUBLISH_RESPONSE_TIMEOUT_MS` (for tests of stalled servers).
pub fn response_timeout(env: impl Fn(&str) -> Option<String>) -> Duration {
    env("PYPI_PUBLISH_RESPONSE_TIMEOUT_MS")
        .and_then(|v| v.trim().parse().ok())
        .map_or(RESPONSE_TIMEOUT, Duration::from_millis)
}

/// Whether an HTTP status is transient.
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// The `Retry-After` of a response: delay-seconds, or an HTTP date (RFC 9110 §10.2.3).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

/// Parses a `Retry-After` value; a date in the past means "now".
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let ahead = date.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(ahead).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_within_the_budget() {
        let p = RetryPolicy::lookups();
        let now = Instant::now();
        let first = p.delay(1, now, None).unwrap();
        assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500));
        let second = p.delay(2, now, None).unwrap();
        assert!(second >= Duration::from_millis(500) && second <= Duration::from_secs(1));
        // No attempt cap by default: only time stops a lookup.
        assert!(p.delay(40, now, None).unwrap() <= Duration::from_secs(30));
        assert_eq!(
            p.delay(1, now, Some(Duration::from_secs(99))),
            Some(Duration::from_secs(30))
        );
        let capped = RetryPolicy {
            max_attempts: Some(3),
            ..RetryPolicy::uploads()
        };
        assert_eq!(capped.delay(3, now, None), None);
        let tight = RetryPolicy {
            budget: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        assert!(tight.delay(1, now, Some(Duration::from_secs(1))).unwrap() <= tight.budget);
        let spent = Instant::now() - Duration::from_millis(200);
        assert_eq!(tight.delay(1, spent, None), None);
    }

    #[test]
    fn reads_retry_after_both_ways() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn tuned_by_the_environment() {
        let env = |k: &str| (k == "PYPI_PUBLISH_RETRY_DELAYS_MS").then(|| "10, 200".to_string());
        let fast = RetryPolicy::default().tuned(env);
        assert_eq!(
            (fast.base_delay, fast.max_delay),
            (Duration::from_millis(10), Duration::from_millis(200))
        );
        let bad = |_: &str| Some("fast".to_string());
        assert_eq!(
            RetryPolicy::default().tuned(bad).base_delay,
            Duration::from_millis(500)
        );
        assert_eq!(response_timeout(|_| None), RESPONSE_TIMEOUT);
    }

    #[tokio::test]
    async fn the_driver_stops_on_final_and_when_spent() {
        let fast = RetryPolicy {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            budget: Duration::from_millis(50),
            max_attempts: None,
        };
        let mut seen = 0;
        let r: Result<(), &str> = retry(&fast, |_| {
            seen += 1;
            async { Err(Failure::transient("down")) }
        })
        .await;
        assert_eq!(r, Err("down"));
        assert!(seen > 3, "{seen}");
        let r: Result<u32, &str> = retry(&fast, |n| async move {
            match n {
                1 => Err(Failure::transient("502")),
                _ => Ok(n),
            }
        })
        .await;
        assert_eq!(r, Ok(2));
        let r: Result<(), &str> = retry(&fast, |_| async { Err(Failure::Final("405")) }).await;
        assert_eq!(r, Err("405"));
    }
}
