//! Credentials: who the index is told we are.
//!
//! Resolution order is explicit: command-line flags, then `PYPI_PUBLISH_*`, then the
//! `TWINE_USERNAME`/`TWINE_PASSWORD` pair users already have in their CI settings; with none
//! of those, trusted publishing trades the CI job's OIDC identity for a short-lived token.

pub mod ambient;
pub mod burn;
pub mod choose;
pub mod claims;
pub mod credentials;
pub mod diagnose;
pub mod exchange;
pub mod trusted;

pub use choose::{Auth, ChooseError, choose};
pub use credentials::{CredentialSource, Credentials};
pub use trusted::{
    Mode as TrustedPublishingMode, OnMint, TrustedPublishing, TrustedPublishingError,
};
