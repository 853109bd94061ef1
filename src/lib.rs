//! rust-pypi-publish: publish Python distributions to PyPI, TestPyPI or any index that speaks
//! the legacy upload API — strict before upload, skip-identical, retries, trusted publishing.
//!
//! The folders follow a publish: [`dist`] (find, parse, check, hash) → [`auth`]
//! (credentials) → [`attest`] (PEP 740) → [`index`] (look, upload) → [`publish`] (the orchestration) → [`report`];
//! [`http`] is the client, retry driver and safe URL they all talk through, and
//! [`known_index`] says, from the host alone, which index a URL is (PyPI, TestPyPI, other).
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr, unreachable_pub)]

pub mod attest;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod dist;
pub mod error;
pub mod events;
pub mod github;
pub mod http;
pub mod index;
pub mod interrupt;
pub mod known_index;
pub mod provenance;
pub mod publish;
pub mod report;
pub mod secret;
pub mod settings;
