//! The retry policy: which failures are worth another attempt and how long to wait.
//!
//! The policy only answers "retry after how long?"; whether a retry is *safe* (the file may
//! have landed despite the error) is decided by the upload loop, which looks at the index
//! again first.

use std::time::{Duration, Instant};

/// Retry settings for one file (or one lookup).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// First backoff; doubles each attempt.
    pub base_delay: Duration,
    /// Largest single wait (also caps `Retry-After`).
    pub max_delay: Duration,
    /// Total time after which no new attempt starts.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            budget: Duration::from_secs(300),
        }
    }
}

/// How long to wait for the answer once a whole file is sent (five minutes: PyPI checks
/// large files slowly).
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(300);

/// The `Retry-After` of a response, in its delay-seconds form.
pub fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

impl RetryPolicy {
    /// The policy with the delays shortened by `PYPI_PUBLISH_RETRY_DELAYS_MS=BASE,MAX` (for
    /// fault-injection tests, which would otherwise wait minutes; `MAX` also caps
    /// `Retry-After`). Anything unparsable keeps the defaults.
    pub fn tuned(mut self, env: impl Fn(&str) -> Option<String>) -> Self {
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
}

/// [`RESPONSE_TIMEOUT`], or `PYPI_PUBLISH_RESPONSE_TIMEOUT_MS` (for tests of stalled servers).
pub fn response_timeout(env: impl Fn(&str) -> Option<String>) -> Duration {
    env("PYPI_PUBLISH_RESPONSE_TIMEOUT_MS")
        .and_then(|v| v.trim().parse().ok())
        .map_or(RESPONSE_TIMEOUT, Duration::from_millis)
}

/// Whether an HTTP status is transient.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Parses `Retry-After` in its delay-seconds form (the HTTP-date form falls back to backoff).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 1), or `None` when the
    /// attempts or the time budget are spent.
    pub fn delay(
        &self,
        attempt: u32,
        started: Instant,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let wait = match retry_after {
            Some(d) => d.min(self.max_delay),
            None => {
                // Full jitter: spreads parallel uploads that failed together.
                let cap = self
                    .base_delay
                    .saturating_mul(1 << (attempt - 1).min(16))
                    .min(self.max_delay);
                cap.mul_f64(0.5 + fastrand::f64() * 0.5)
            }
        };
        (started.elapsed() + wait <= self.budget).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_and_stops() {
        let p = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let now = Instant::now();
        let first = p.delay(1, now, None).unwrap();
        assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500));
        let second = p.delay(2, now, None).unwrap();
        assert!(second >= Duration::from_millis(500) && second <= Duration::from_secs(1));
        assert_eq!(p.delay(3, now, None), None);
        assert_eq!(
            p.delay(1, now, Some(Duration::from_secs(99))),
            Some(Duration::from_secs(30))
        );
        let tight = RetryPolicy {
            budget: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        assert_eq!(tight.delay(1, now, Some(Duration::from_secs(1))), None);
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
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
}
