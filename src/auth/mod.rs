//! Credentials: who the index is told we are.
//!
//! Resolution order is explicit: command-line flags, then `PYPI_PUBLISH_*`, then the
//! `TWINE_USERNAME`/`TWINE_PASSWORD` pair users already have in their CI settings.

pub mod credentials;

pub use credentials::{CredentialSource, Credentials};
