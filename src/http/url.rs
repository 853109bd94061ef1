//! A URL that cannot leak: [`SafeUrl`] shows itself without its credentials whenever it is
//! displayed or debugged, so a message built from it is safe without anyone remembering to
//! redact (uv's `DisplaySafeUrl`). Whether credentials may follow a request to another URL
//! is answered on the type too ([`SafeUrl::same_origin`], uv's `Realm`).

use std::fmt;
use std::ops::Deref;

use url::Url;

/// A URL whose userinfo is shown as `****`. Boxed: errors carry it, and stay small.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SafeUrl(Box<Url>);

impl SafeUrl {
    /// Parses a URL.
    pub fn parse(given: &str) -> Result<Self, url::ParseError> {
        Url::parse(given).map(Self::from)
    }

    /// The URL as it goes on the wire, credentials included: for the request only.
    pub fn reveal(&self) -> &Url {
        &self.0
    }

    /// `relative` resolved against this URL.
    pub fn join(&self, relative: &str) -> Result<Self, url::ParseError> {
        self.0.join(relative).map(Self::from)
    }

    /// Whether both URLs have the same scheme, host and port: credentials given for one
    /// may be sent to the other.
    pub fn same_origin(&self, other: &SafeUrl) -> bool {
        self.0.origin() == other.0.origin()
    }

    /// The URL with its path set to `path` and no query, fragment or credentials.
    pub fn with_path(&self, path: &str) -> Self {
        let mut url = (*self.0).clone();
        url.set_path(path);
        url.set_query(None);
        url.set_fragment(None);
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Self::from(url)
    }

    /// Sets the path (keeps everything else).
    pub fn set_path(&mut self, path: &str) {
        self.0.set_path(path);
    }

    /// Sets or removes the query.
    pub fn set_query(&mut self, query: Option<&str>) {
        self.0.set_query(query);
    }

    fn shown(&self) -> std::borrow::Cow<'_, str> {
        if self.0.username().is_empty() && self.0.password().is_none() {
            return self.0.as_str().into();
        }
        let mut shown = (*self.0).clone();
        let _ = shown.set_username("****");
        let _ = shown.set_password(None);
        String::from(shown).into()
    }
}

impl From<Url> for SafeUrl {
    fn from(url: Url) -> Self {
        Self(Box::new(url))
    }
}

/// Read-only access to the parts (host, path, …); the whole URL comes out only through
/// [`SafeUrl::reveal`] or, redacted, through `Display`.
impl Deref for SafeUrl {
    type Target = Url;

    fn deref(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

impl fmt::Debug for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafeUrl({:?})", self.shown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_credentials() {
        let url = SafeUrl::parse("https://alice:hunter22@example.org/legacy/").unwrap();
        assert_eq!(url.to_string(), "https://****@example.org/legacy/");
        assert!(!format!("{url:?}").contains("hunter22"));
        assert_eq!(url.reveal().password(), Some("hunter22"));
        let plain = SafeUrl::parse("https://example.org/simple/").unwrap();
        assert_eq!(plain.to_string(), "https://example.org/simple/");
        assert!(url.same_origin(&plain));
        assert!(!url.same_origin(&SafeUrl::parse("https://example.org:8443/").unwrap()));
        assert_eq!(url.with_path("/").to_string(), "https://example.org/");
    }
}
