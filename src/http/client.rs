//! The HTTP client: rustls, connection reuse, HTTP/2 where the index offers it, proxies from
//! the environment, no automatic redirects (we decide per request what may follow one).

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The CA bundle could not be read.
    #[error("cannot read CA bundle {}", path.display())]
    CaBundle {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The CA bundle holds no usable certificate.
    #[error("CA bundle {} holds no PEM certificate", .0.display())]
    CaBundleEmpty(PathBuf),
    /// reqwest refused the configuration.
    #[error("cannot set up the HTTP client")]
    Build(#[source] reqwest::Error),
}

/// The user agent every request carries.
pub const USER_AGENT: &str = concat!("pypi-publish/", env!("CARGO_PKG_VERSION"));

/// Builds the client. `ca_bundle` adds trust anchors (an internal CA) to the system's;
/// `connections`: how many to keep open per host (the most requests in flight at once).
pub fn build(ca_bundle: Option<&Path>, connections: usize) -> Result<reqwest::Client, ClientError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(30))
        // Keep every connection the lookups and uploads opened: a smaller pool closes
        // some after each round and the next request pays a new handshake (measured: 13
        // connections for 40 uploads at concurrency 1, issue 7).
        .pool_max_idle_per_host(connections)
        .tcp_nodelay(true);
    if let Some(path) = ca_bundle {
        let pem = std::fs::read(path).map_err(|source| ClientError::CaBundle {
            path: path.to_path_buf(),
            source,
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(ClientError::Build)?;
        if certs.is_empty() {
            return Err(ClientError::CaBundleEmpty(path.to_path_buf()));
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(ClientError::Build)
}

/// The CA bundle named by the environment, like requests and OpenSSL-based tools read it.
pub fn ca_bundle_from_env(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"]
        .iter()
        .find_map(|k| env(k).filter(|v| !v.is_empty()).map(PathBuf::from))
}

/// The hint for a TLS failure, read from an error's text (rustls says "invalid peer
/// certificate: UnknownIssuer", "… NotValidForName", …).
pub fn tls_hint(text: &str) -> Option<&'static str> {
    if text.contains("NotValidForName") || text.contains("not valid for name") {
        Some("the server's TLS certificate is for another host name: check the URL's host")
    } else if text.contains("certificate") {
        Some(
            "the server's TLS certificate is not trusted: if an internal CA signed it, pass --ca-bundle FILE (or set SSL_CERT_FILE); verification cannot be turned off",
        )
    } else {
        None
    }
}

/// An error and its causes, as one line of text.
pub fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    for cause in crate::error::causes(error) {
        text.push_str(": ");
        text.push_str(&cause.to_string());
    }
    text
}
