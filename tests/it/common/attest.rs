//! Helpers for the attestation tests: identity tokens from the test index's issuer, minted
//! trusted-publishing tokens, demo distributions, PyPI's verifier, and runs against the local
//! Sigstore that check the JWT is never printed.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::dists::{metadata, sdist_tar, wheel_members, wheel_owned};
use super::servers::{Sigstore, TestIndex, http};
use super::{Run, publish_env, venv_bin};

pub const PUBLISHER: &str = r#"{"project": "demo-pkg", "repository": "demo", "repository_owner": "octo-org", "repository_owner_id": "4242", "workflow_filename": "release.yml"}"#;
pub const REPOSITORY: &str = "octo-org/demo";
pub const WORKFLOW: &str = "release.yml";

/// A JWT from the test index's GitHub-like issuer (`query` overrides claims).
pub fn issuer_token(index: &TestIndex, audience: &str, query: &str) -> String {
    let (status, body) = http(
        "GET",
        &format!(
            "{}/_/test-issuer/token?api-version=2.0&audience={audience}{query}",
            index.server.url
        ),
        &[("Authorization", "bearer test-request-token")],
        b"",
    );
    assert_eq!(status, 200, "{body}");
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    value["value"].as_str().unwrap().to_string()
}

/// A trusted-publishing upload token, minted from a fresh `pypi`-audience JWT.
pub fn mint(index: &TestIndex) -> String {
    let jwt = issuer_token(index, "pypi", "");
    let (status, body) = http(
        "POST",
        &format!("{}/_/oidc/mint-token", index.server.url),
        &[("Content-Type", "application/json")],
        serde_json::json!({ "token": jwt }).to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    value["token"].as_str().unwrap().to_string()
}

/// A valid wheel of demo-pkg; `salt` changes its bytes, not its name.
pub fn demo_wheel(dir: &Path, version: &str, salt: &str) -> PathBuf {
    let stem = format!("demo_pkg-{version}");
    let mut members = wheel_members(&stem, &metadata("demo-pkg", version, ""));
    members[0].1 = salt.as_bytes().to_vec();
    wheel_owned(dir, &format!("{stem}-py3-none-any.whl"), &members)
}

pub fn demo_sdist(dir: &Path, version: &str) -> PathBuf {
    let top = format!("demo_pkg-{version}");
    let meta = metadata("demo-pkg", version, "");
    sdist_tar(
        dir,
        &format!("{top}.tar.gz"),
        &[
            (&format!("{top}/PKG-INFO"), meta.as_bytes()),
            (&format!("{top}/pyproject.toml"), b"[project]\n"),
        ],
    )
}

pub fn attestation_of(dist: &Path) -> PathBuf {
    PathBuf::from(format!("{}.publish.attestation", dist.display()))
}

/// PyPI's verifier on (dist, attestation) pairs, with a GitHub publisher policy.
pub fn verify(
    sigstore: &Sigstore,
    repository: &str,
    workflow: &str,
    pairs: &[(&Path, &Path)],
) -> Run {
    verify_with(
        sigstore,
        &["--repository", repository, "--workflow", workflow],
        pairs,
    )
}

/// PyPI's verifier with a GitLab publisher policy: `repository` is NAMESPACE/PROJECT,
/// `ci_file` the CI file's path (`.gitlab-ci.yml`).
pub fn verify_gitlab(
    sigstore: &Sigstore,
    repository: &str,
    ci_file: &str,
    pairs: &[(&Path, &Path)],
) -> Run {
    let policy = [
        "--gitlab",
        "--repository",
        repository,
        "--workflow",
        ci_file,
    ];
    verify_with(sigstore, &policy, pairs)
}

fn verify_with(sigstore: &Sigstore, policy: &[&str], pairs: &[(&Path, &Path)]) -> Run {
    let mut cmd = Command::new(venv_bin("python"));
    cmd.arg(super::repo().join("tests/py/verify_attestation.py"))
        .arg("--trust-root")
        .arg(&sigstore.trust_root)
        .args(policy);
    for (dist, attestation) in pairs {
        cmd.arg(dist).arg(attestation);
    }
    cmd.output().expect("python runs").into()
}

/// `pypi-publish <args>` against the local Sigstore, with `SIGSTORE_ID_TOKEN` and `env`.
pub fn run(
    dir: &Path,
    sigstore: &Sigstore,
    args: &[&str],
    token: &str,
    env: &[(&str, &str)],
) -> Run {
    let url = sigstore.server.url.as_str();
    let mut all = args.to_vec();
    all.extend(["--fulcio-url", url, "--rekor-url", url]);
    let mut vars = vec![("SIGSTORE_ID_TOKEN", token)];
    vars.extend_from_slice(env);
    let out = publish_env(dir, &all, &vars);
    // Neither the whole JWT nor its claims segment may ever be printed.
    if let Some(claims) = token.split('.').nth(1) {
        assert!(
            !out.all().contains(claims),
            "the JWT leaked:\n{}",
            out.all()
        );
    }
    out
}

/// Trusted-publishing credentials (a freshly minted token) with `--attestations on`.
pub fn tp_on(index: &TestIndex) -> Vec<String> {
    [
        "-u",
        "__token__",
        "-p",
        &mint(index),
        "--attestations",
        "on",
    ]
    .map(String::from)
    .to_vec()
}

/// A Sigstore bundle for `dist`, written to `bundle` by the real Python `sigstore` client
/// (`tests/py/make_bundle.py`) against the local Sigstore with the identity `token` (passed
/// in the environment). `extra`: `--predicate-type`, `--name`, `--sha256` overrides.
pub fn make_bundle(sigstore: &Sigstore, token: &str, dist: &Path, bundle: &Path, extra: &[&str]) {
    let out: Run = Command::new(venv_bin("python"))
        .arg(super::repo().join("tests/py/make_bundle.py"))
        .arg("--trust-root")
        .arg(&sigstore.trust_root)
        .args([
            "--url",
            &sigstore.server.url,
            "--token-env",
            "TEST_SIGSTORE_TOKEN",
        ])
        .args(extra)
        .arg(dist)
        .arg(bundle)
        .env("TEST_SIGSTORE_TOKEN", token)
        .output()
        .expect("python runs")
        .into();
    assert_eq!(out.code, Some(0), "make_bundle.py failed:\n{}", out.all());
}

/// `pypi-attestations convert BUNDLE`: PyPI's own conversion, as JSON.
pub fn convert_bundle(bundle: &Path, dir: &Path) -> serde_json::Value {
    let name = bundle.file_name().unwrap().to_string_lossy();
    let output = dir.join(format!("{name}.converted"));
    let out: Run = Command::new(venv_bin("python"))
        .args(["-m", "pypi_attestations", "convert", "--output-file"])
        .arg(&output)
        .arg(bundle)
        .output()
        .expect("python runs")
        .into();
    assert_eq!(
        out.code,
        Some(0),
        "pypi-attestations convert failed:\n{}",
        out.all()
    );
    serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap()
}

/// The attestations the index received with `file` (the upload form's `attestations` field).
pub fn sent_attestations(index: &TestIndex, file: &str) -> Vec<serde_json::Value> {
    index
        .form(file)
        .as_array()
        .unwrap()
        .iter()
        .filter(|kv| kv[0] == "attestations")
        .flat_map(|kv| {
            let list: Vec<serde_json::Value> =
                serde_json::from_str(kv[1].as_str().unwrap()).unwrap();
            list
        })
        .collect()
}

/// The project exists (a trusted publisher cannot create it): its 0.1 uploaded with a user
/// token.
pub fn project_created(index: &TestIndex, dir: &Path) {
    let first = dir.join("0.1");
    std::fs::create_dir(&first).unwrap();
    demo_wheel(&first, "0.1", "");
    let upload_url = index.upload_url();
    let args = [
        "upload",
        first.to_str().unwrap(),
        "--repository-url",
        &upload_url,
        "--no-progress",
        "-t",
        "SECRET",
    ];
    let out = publish_env(dir, &args, &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
}
