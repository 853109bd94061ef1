//! Secrets (API tokens, passwords, OIDC JWTs, minted tokens) in a type that cannot leak by
//! accident: `Debug` and `Display` print `****`; the value comes out only through
//! [`Secret::reveal`], at the one place it goes on the wire.

use std::fmt;

/// A credential or token.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the request that needs it and nothing else.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret replaced by `****`: for messages from
    /// servers, which may echo what they were sent.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_string();
        }
        text.replace(&self.0, "****")
    }

    /// Whether it is empty (an empty input counts as "not given").
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// A URL for display: any userinfo (credentials) replaced by `****`.
pub fn redact_url(url: &url::Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    let _ = shown.set_username("****");
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("pypi-AgEIcHlwaS5vcmc");
        assert_eq!(format!("{s} {s:?}"), "**** Secret(****)");
        let u = url::Url::parse("https://user:pw@example.org/legacy/").unwrap();
        assert_eq!(redact_url(&u), "https://****@example.org/legacy/");
    }
}
