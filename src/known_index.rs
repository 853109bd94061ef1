//! Which index an upload goes to: PyPI, TestPyPI, or another one. The host alone decides,
//! once, which rules (Warehouse's or the general ones), links, OIDC audience and diagnoses
//! apply.
//!
//! It sits below every stage (`dist`'s rules, `auth`'s hints, `attest`'s switch, `index`'s
//! URLs all ask it) and imports none of them: `settings` resolves a run with it, the stages
//! read it, and no stage reaches back up to `settings` for it (issue 23).

/// PyPI's upload endpoint.
pub const PYPI_UPLOAD: &str = "https://upload.pypi.org/legacy/";
/// TestPyPI's upload endpoint.
pub const TESTPYPI_UPLOAD: &str = "https://test.pypi.org/legacy/";

/// PyPI, TestPyPI, or another index: the one place the host decides which rules, links,
/// audiences and diagnoses apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownIndex {
    /// pypi.org (uploads at upload.pypi.org).
    Pypi,
    /// test.pypi.org.
    TestPypi,
    /// Anything else (devpi, pypiserver, Artifactory, a test index…).
    Other,
}

impl KnownIndex {
    /// The index an upload (or simple-index) URL belongs to.
    pub fn of(url: &url::Url) -> Self {
        match url.host_str() {
            Some("upload.pypi.org" | "pypi.org") => KnownIndex::Pypi,
            Some("test.pypi.org") => KnownIndex::TestPypi,
            _ => KnownIndex::Other,
        }
    }

    /// The host of its web pages (project and settings pages).
    pub fn web_host(self) -> Option<&'static str> {
        match self {
            KnownIndex::Pypi => Some("pypi.org"),
            KnownIndex::TestPypi => Some("test.pypi.org"),
            KnownIndex::Other => None,
        }
    }

    /// Its simple index.
    pub fn simple_url(self) -> Option<&'static str> {
        match self {
            KnownIndex::Pypi => Some("https://pypi.org/simple/"),
            KnownIndex::TestPypi => Some("https://test.pypi.org/simple/"),
            KnownIndex::Other => None,
        }
    }

    /// Its upload endpoint.
    pub fn upload_url(self) -> Option<&'static str> {
        match self {
            KnownIndex::Pypi => Some(PYPI_UPLOAD),
            KnownIndex::TestPypi => Some(TESTPYPI_UPLOAD),
            KnownIndex::Other => None,
        }
    }

    /// The OIDC audience it expects (known before asking it: for messages).
    pub fn audience(self) -> &'static str {
        match self {
            KnownIndex::TestPypi => "testpypi",
            _ => "pypi",
        }
    }

    /// Whether it is PyPI or TestPyPI (Warehouse's rules, PEP 740 attestations).
    pub fn is_warehouse(self) -> bool {
        self != KnownIndex::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_decides_the_index_once() {
        let of = |u: &str| KnownIndex::of(&url::Url::parse(u).unwrap());
        assert_eq!(of(PYPI_UPLOAD), KnownIndex::Pypi);
        assert_eq!(of("https://pypi.org/simple/"), KnownIndex::Pypi);
        assert_eq!(of(TESTPYPI_UPLOAD), KnownIndex::TestPypi);
        assert_eq!(of("http://127.0.0.1:8080/legacy/"), KnownIndex::Other);
        assert_eq!(KnownIndex::TestPypi.audience(), "testpypi");
        assert_eq!(KnownIndex::Pypi.web_host(), Some("pypi.org"));
        assert_eq!(KnownIndex::TestPypi.upload_url(), Some(TESTPYPI_UPLOAD));
        assert!(!KnownIndex::Other.is_warehouse());
    }
}
