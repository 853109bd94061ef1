//! The burn list: every upload token trusted publishing minted for a run — renewed ones
//! included — kept in one place until the run ends, then burned (revoked) at the index that
//! minted them (SPEC §3.6, warehouse#20197). A minted token lives 900 s; burned, one leaked
//! from a log or a runner's memory dies with the run instead of up to 15 minutes later.
//!
//! A burn that fails costs the run nothing: the token expires by itself, and the run says so
//! in one warning. The tokens stay in the list after their burn, so answers can still be
//! scrubbed of them.

use std::sync::Mutex;
use std::time::Duration;

use super::exchange::ExchangeError;
use crate::secret::Secret;

/// How long a burn may take, all tokens at once, retries included: on a signal it runs
/// alongside the look at abandoned uploads (also 4 s), inside the 7.5 s a GitHub runner
/// allows between SIGINT and SIGTERM.
pub const BURN_BUDGET: Duration = Duration::from_secs(4);

/// The tokens minted so far, and how many of them were handed to a burn.
#[derive(Debug, Default)]
pub struct BurnList {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tokens: Vec<Secret>,
    burned: usize,
}

impl BurnList {
    /// Adds a token just minted.
    pub fn push(&self, token: Secret) {
        self.lock().tokens.push(token);
    }

    /// Tokens minted so far.
    pub fn len(&self) -> usize {
        self.lock().tokens.len()
    }

    /// Whether none was minted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tokens no burn has been given yet; from now on they count as given one.
    pub fn take_unburned(&self) -> Vec<Secret> {
        let mut inner = self.lock();
        let fresh = inner.tokens[inner.burned..].to_vec();
        inner.burned = inner.tokens.len();
        fresh
    }

    /// `text` with every token minted so far masked (in the forms a server could echo).
    pub fn scrub(&self, text: &str) -> String {
        self.lock()
            .tokens
            .iter()
            .fold(text.to_string(), |out, token| {
                crate::secret::scrub(&out, super::credentials::TOKEN_USERNAME, token)
            })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("not poisoned")
    }
}

/// What the burns of a run did.
#[derive(Debug, Default)]
pub struct Burned {
    /// Tokens the index took to revoke (PyPI's 202).
    pub revoked: u32,
    /// Why the others were not, one per token (no token in them).
    pub failures: Vec<ExchangeError>,
}

impl Burned {
    /// Adds a later burn's results.
    pub fn add(&mut self, later: Burned) {
        self.revoked += later.revoked;
        self.failures.extend(later.failures);
    }

    /// The one warning line for the tokens left unrevoked, if any.
    pub fn warning(&self) -> Option<String> {
        let first = self.failures.first()?;
        let failed = self.failures.len();
        let total = failed + self.revoked as usize;
        Some(format!(
            "{failed} of {total} upload token(s) minted by trusted publishing not revoked ({first}); unrevoked, a token expires 15 minutes after it was minted"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_is_handed_to_one_burn_and_scrubbed_after() {
        let list = BurnList::default();
        list.push(Secret::new("pypi-first-token"));
        assert_eq!(list.take_unburned(), [Secret::new("pypi-first-token")]);
        assert_eq!(list.take_unburned(), []);
        list.push(Secret::new("pypi-renewed-token"));
        assert_eq!(list.take_unburned(), [Secret::new("pypi-renewed-token")]);
        assert_eq!(list.len(), 2);
        assert_eq!(
            list.scrub("pypi-first-token and pypi-renewed-token"),
            "**** and ****"
        );
    }

    #[test]
    fn one_line_for_the_tokens_left_unrevoked() {
        let mut burned = Burned {
            revoked: 1,
            failures: Vec::new(),
        };
        assert_eq!(burned.warning(), None);
        burned.add(Burned {
            revoked: 0,
            failures: vec![ExchangeError::NoAnswer {
                what: "the token burn",
                host: "upload.pypi.org".into(),
                after: BURN_BUDGET,
            }],
        });
        assert_eq!(
            burned.warning().unwrap(),
            "1 of 2 upload token(s) minted by trusted publishing not revoked (the token burn at upload.pypi.org got no answer within 4 s); unrevoked, a token expires 15 minutes after it was minted"
        );
    }
}
