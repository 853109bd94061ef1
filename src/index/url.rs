//! The two URLs of an index: where to upload (legacy API) and where to look at what it
//! already has (simple API), and the rules for deriving one from the other.

use crate::http::SafeUrl;
pub use crate::known_index::{KnownIndex, PYPI_UPLOAD, TESTPYPI_UPLOAD};
use crate::secret::redact_str;

/// Why a repository URL cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// Not a URL.
    #[error("'{url}' is not a valid URL")]
    Invalid {
        /// What was given.
        url: String,
        /// The cause.
        #[source]
        source: url::ParseError,
    },
    /// Not http(s).
    #[error("'{0}' is not an http(s) URL")]
    Scheme(String),
    /// Plain http to a host other than loopback.
    #[error("refusing to send credentials over plain http to {0}")]
    PlainHttp(String),
    /// A simple-index URL given as the upload URL.
    #[error("'{given}' looks like a simple-index URL, not an upload URL")]
    SimpleGiven {
        /// What was given.
        given: String,
        /// The probable upload URL.
        suggestion: String,
    },
    /// More check URLs than destinations: which goes with which is unclear.
    #[error(
        "{check_urls} check URLs for {repository_urls} repository URLs: give at most one --check-url per --repository-url, in the same order"
    )]
    MoreCheckUrls {
        /// Check URLs given.
        check_urls: usize,
        /// Repository URLs given.
        repository_urls: usize,
    },
    /// The same upload URL twice.
    #[error("{0} is given twice as a repository URL")]
    SameDestinationTwice(String),
}

impl UrlError {
    /// How to fix it, in the user's words.
    pub fn hint(&self) -> Option<String> {
        match self {
            UrlError::PlainHttp(_) => {
                Some("use https, or pass --allow-http if this network is trusted".into())
            }
            UrlError::SimpleGiven { suggestion, .. } => {
                Some(format!("the upload URL is probably {suggestion}"))
            }
            _ => None,
        }
    }
}

/// Parses and vets an upload URL.
pub fn upload_url(given: &str, allow_http: bool) -> Result<SafeUrl, UrlError> {
    let url = SafeUrl::parse(given).map_err(|source| UrlError::Invalid {
        url: redact_str(given),
        source,
    })?;
    check_scheme(&url, allow_http)?;
    let path = url.path();
    if path.contains("/simple") || path.contains("/+simple") {
        let suggestion = match KnownIndex::of(&url).upload_url() {
            Some(known) => known.to_string(),
            None => {
                let base = path.split("/simple").next().unwrap_or("");
                let base = base
                    .split("/+simple")
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('/');
                let u = url.with_path(&format!("{base}/"));
                if base.is_empty() {
                    // A root simple index: pypiserver takes uploads at `/`, Warehouse at `/legacy/`.
                    format!("{u} (pypiserver) or {u}legacy/ (Warehouse)")
                } else {
                    u.to_string()
                }
            }
        };
        return Err(UrlError::SimpleGiven {
            given: url.to_string(),
            suggestion,
        });
    }
    Ok(url)
}

/// Parses and vets a simple-index URL given by the user (a trailing slash is added).
pub fn check_url(given: &str, allow_http: bool) -> Result<SafeUrl, UrlError> {
    let with_slash = if given.ends_with('/') {
        given.to_string()
    } else {
        format!("{given}/")
    };
    let url = SafeUrl::parse(&with_slash).map_err(|source| UrlError::Invalid {
        url: redact_str(given),
        source,
    })?;
    check_scheme(&url, allow_http)?;
    Ok(url)
}

fn check_scheme(url: &SafeUrl, allow_http: bool) -> Result<(), UrlError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http || is_loopback(url) => Ok(()),
        "http" => Err(UrlError::PlainHttp(
            url.host_str().unwrap_or("").to_string(),
        )),
        _ => Err(UrlError::Scheme(url.to_string())),
    }
}

/// Whether the URL's host is this machine.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The simple-index URL for an upload URL, for the indexes whose layout is known:
/// PyPI, TestPyPI, Warehouse-like `/legacy/`, devpi `/<user>/<index>/` and pypiserver `/`.
pub fn derive_check_url(upload: &SafeUrl) -> Option<SafeUrl> {
    if let Some(known) = KnownIndex::of(upload).simple_url() {
        return SafeUrl::parse(known).ok();
    }
    let segments: Vec<&str> = upload.path_segments()?.filter(|s| !s.is_empty()).collect();
    let path = match segments.as_slice() {
        [] => "/simple/".to_string(),
        // Warehouse layout (and this project's test index): `/legacy/` beside `/simple/`.
        [prefix @ .., "legacy"] => format!(
            "/{}simple/",
            prefix.iter().map(|s| format!("{s}/")).collect::<String>()
        ),
        [user, index] => format!("/{user}/{index}/+simple/"),
        _ => return None,
    };
    let mut url = upload.clone();
    url.set_path(&path);
    url.set_query(None);
    Some(url)
}

/// A release's page, on PyPI and TestPyPI (the only indexes whose pages are known).
pub fn release_page(index: KnownIndex, project: &str, version: &str) -> Option<String> {
    let host = index.web_host()?;
    Some(format!("https://{host}/project/{project}/{version}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derive(u: &str) -> Option<String> {
        derive_check_url(&SafeUrl::parse(u).unwrap()).map(|u| u.to_string())
    }

    #[test]
    fn derives_simple_urls_for_known_layouts() {
        assert_eq!(
            derive(PYPI_UPLOAD).as_deref(),
            Some("https://pypi.org/simple/")
        );
        assert_eq!(
            derive(TESTPYPI_UPLOAD).as_deref(),
            Some("https://test.pypi.org/simple/")
        );
        assert_eq!(
            derive("http://127.0.0.1:3141/alice/stable/").as_deref(),
            Some("http://127.0.0.1:3141/alice/stable/+simple/")
        );
        assert_eq!(
            derive("http://127.0.0.1:8080/").as_deref(),
            Some("http://127.0.0.1:8080/simple/")
        );
        assert_eq!(
            derive("http://127.0.0.1:8080/legacy/").as_deref(),
            Some("http://127.0.0.1:8080/simple/")
        );
        assert_eq!(
            derive("https://gitlab.example/api/v4/projects/1/packages/pypi"),
            None
        );
    }

    #[test]
    fn refuses_plain_http_and_simple_urls() {
        assert!(matches!(
            upload_url("http://example.org/legacy/", false),
            Err(UrlError::PlainHttp(_))
        ));
        assert!(upload_url("http://example.org/legacy/", true).is_ok());
        assert!(upload_url("http://127.0.0.1:1/legacy/", false).is_ok());
        // Issue 8: a URL's credentials never reach an error message.
        for bad in [
            "https://alice:hunter22@example.org:99999/legacy/",
            "ftp://alice:hunter22@example.org/",
            "https://alice:hunter22@example.org/simple/",
        ] {
            let e = upload_url(bad, false).unwrap_err();
            let shown = format!("{e} {}", e.hint().unwrap_or_default());
            assert!(
                !shown.contains("hunter22") && !shown.contains("alice"),
                "{shown}"
            );
        }
        let e = upload_url("https://pypi.org/simple/", false).unwrap_err();
        assert_eq!(
            e.hint().unwrap(),
            "the upload URL is probably https://upload.pypi.org/legacy/"
        );
    }

    #[test]
    fn release_pages_are_known_on_pypi_and_testpypi_only() {
        assert_eq!(
            release_page(KnownIndex::Pypi, "demo", "1.0").as_deref(),
            Some("https://pypi.org/project/demo/1.0/")
        );
        assert_eq!(
            release_page(KnownIndex::TestPypi, "demo", "1.0").as_deref(),
            Some("https://test.pypi.org/project/demo/1.0/")
        );
        assert_eq!(release_page(KnownIndex::Other, "demo", "1.0"), None);
    }
}
