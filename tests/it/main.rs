//! The integration tests: one binary (one link, like ripgrep's `tests/integration`), one
//! module per capability, each running the real `pypi-publish` binary against servers the
//! test starts on loopback. Filter by module: `cargo test --test it faults::`.
//!
//! - `common`: the helpers every module shares — temp dirs, the built binaries, the Python
//!   venv, the test index, pypiserver and devpi, the fault proxy, the TLS front, the
//!   Sigstore stand-in.
//! - `check`: the preflight on good and bad corpora and hostile archives; versions,
//!   specifiers and requirements judged as the real `packaging` judges them; `.tar.gz`
//!   sdists built byte by byte and judged as PyPI's `tarfile` reads them; wheels written
//!   record by record, one per rule of PyPI's ZIP walk, judged with Python's `zipfile`;
//!   `entry_points.txt` and `RECORD` judged against the real `configparser` and `csv`.
//! - `real_corpus`: `check` against 560 real files PyPI accepted or refused (352 of them
//!   uploaded since 2026-08-20, under PyPI's 2025–26 archive rules).
//! - `rst_corpus`: the reStructuredText validator against the real `readme_renderer`.
//! - `properties`: parsers and archive readers under proptest: no panic, bounded time.
//! - `upload_test_index`: uploads to the Warehouse-faithful test index (form, order,
//!   dry run, 14-day rule, globs, `.pypirc` and `[[tool.uv.index]]`).
//! - `upload_real_indexes`: uploads to real pypiserver and devpi, proven with `pip`;
//!   several destinations in one step.
//! - `scale`: a 2,000-file release: every file lands, one lookup per project, peak RSS
//!   ≤ 64 MB, a job summary collapsed under GitHub's 1 MiB limit, a re-run that sends nothing.
//! - `refusals`: configuration-class refusals stop the run at the first; a file that breaks
//!   PyPI's archive rules fails alone, in the index's words.
//! - `faults`: seeded fault rounds, brownouts and signals.
//! - `security`: no secret in any output, no credential across origins, TLS.
//! - `trusted_publishing`: the OIDC exchange and every diagnosis; the dry run's proofs;
//!   minted tokens burned when the run ends, however it ends.
//! - `attest`: PEP 740 attestations with a local Sigstore and PyPI's verifier; Rekor
//!   entries submitted together.
//! - `attest_bundles`: existing Sigstore bundles (made by the Python `sigstore` client)
//!   converted to PEP 740 attestations and sent instead of signing.
//! - `attest_github`: one signature in two stores: attestations also stored in GitHub's
//!   attestation store (a loopback stand-in), verified by the Python `sigstore` client.
//! - `attest_gitlab`: attestations from GitLab CI, verified with a GitLab publisher policy.
//! - `provenance`: the provenance grade PyPI will give a release, reached by real runs of
//!   trusted publishing against the test index's Integrity API; `--provenance-check fail`.
//! - `action_contract`: the binary run as the GitHub runner runs the container.
//! - `container`: the image itself, run by podman.
//! - `composite`: the composite action (macOS and Windows runners): its inputs and outputs
//!   against action.yml's, its steps run with bash against a local release download.
//!
//! Unix only: the tests drive Unix tools (bash, podman, the venv's `bin/`) and measure
//! children through `libc`; on Windows this crate compiles to nothing, and `cargo check
//! --target x86_64-pc-windows-gnu` (scripts/test) holds the library and binary to Windows.
#![cfg(unix)]

mod common;

mod action_contract;
mod attest;
mod attest_bundles;
mod attest_github;
mod attest_gitlab;
mod check;
mod composite;
mod container;
mod faults;
mod properties;
mod provenance;
mod real_corpus;
mod refusals;
mod rst_corpus;
mod scale;
mod security;
mod trusted_publishing;
mod upload_real_indexes;
mod upload_test_index;
