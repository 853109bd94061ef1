//! Issue 14, point 5: attestations from GitLab CI. A job with GitLab trusted publishing
//! (`PYPI_ID_TOKEN`) and a Sigstore identity (`SIGSTORE_ID_TOKEN`, both `id_tokens:` from
//! the test issuer's GitLab-shaped tokens) uploading to TestPyPI — the real
//! `https://test.pypi.org/legacy/`, reached through an HTTPS proxy and a TLS front that lead
//! to the test index — signs with `--attestations auto`, and PyPI's verifier accepts what
//! arrived for the GitLab publisher (right project and CI file) and refuses another CI file.
//! Without `SIGSTORE_ID_TOKEN`, `auto` uploads without attestations and says why; `on`
//! refuses before any upload.

use crate::common;

use std::path::Path;

use common::attest::*;
use common::servers::{Sigstore, TestIndex};
use common::tls::{ConnectProxy, Pki, TlsFront};
use common::{Run, publish_env, tempdir};

const GITLAB_PUBLISHER: &str = r#"{"project": "demo-pkg", "namespace": "octo-group", "repository": "demo", "workflow_filepath": ".gitlab-ci.yml"}"#;
const PROJECT_PATH: &str = "octo-group/demo";
const TESTPYPI: &str = "https://test.pypi.org/legacy/";

/// The test index as TestPyPI (audience `testpypi`, a GitLab publisher), behind a TLS
/// front for `test.pypi.org` and the proxy that leads there.
struct TestPypi {
    index: TestIndex,
    _front: TlsFront,
    proxy: ConnectProxy,
    ca_bundle: std::path::PathBuf,
}

impl TestPypi {
    fn start(dir: &Path) -> Self {
        let index = TestIndex::start(&[
            "--token",
            "SECRET",
            "--audience",
            "testpypi",
            "--gitlab-publisher",
            GITLAB_PUBLISHER,
        ]);
        let pki = Pki::new(&["test.pypi.org"]);
        let front = TlsFront::start(&pki, &index.server.url);
        let proxy = ConnectProxy::start(&front.url);
        let ca_bundle = dir.join("ca.pem");
        std::fs::write(&ca_bundle, &pki.ca_pem).unwrap();
        TestPypi {
            index,
            _front: front,
            proxy,
            ca_bundle,
        }
    }

    /// A GitLab `id_tokens:` token with audience `aud` (`testpypi` or `sigstore`).
    fn id_token(&self, aud: &str) -> String {
        issuer_token(&self.index, aud, "&shape=gitlab")
    }

    /// `upload DIR` to TestPyPI from a GitLab job whose environment is `env`.
    fn upload(&self, dir: &Path, sigstore: &Sigstore, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let url = sigstore.server.url.as_str();
        let mut args = vec![
            "upload",
            dir.to_str().unwrap(),
            "--repository-url",
            TESTPYPI,
            "--ca-bundle",
            self.ca_bundle.to_str().unwrap(),
            "--no-progress",
            "--fulcio-url",
            url,
            "--rekor-url",
            url,
        ];
        args.extend(extra);
        let mut vars = vec![
            ("GITLAB_CI", "true"),
            ("HTTPS_PROXY", self.proxy.url.as_str()),
            ("NO_PROXY", "localhost"),
        ];
        vars.extend_from_slice(env);
        let out = publish_env(dir, &args, &vars);
        for (name, value) in env {
            if let Some(claims) = value.split('.').nth(1) {
                assert!(!out.all().contains(claims), "{name} leaked:\n{}", out.all());
            }
        }
        out
    }
}

/// The project exists on "TestPyPI" (its maintainer uploaded 0.1 with a user token).
fn project_created(testpypi: &TestPypi, dir: &Path) {
    let first = dir.join("0.1");
    std::fs::create_dir(&first).unwrap();
    demo_wheel(&first, "0.1", "");
    let url = testpypi.index.upload_url();
    let args = [
        "upload",
        first.to_str().unwrap(),
        "--repository-url",
        &url,
        "-t",
        "SECRET",
    ];
    let out = publish_env(dir, &args, &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
}

#[test]
fn gitlab_trusted_publishing_signs_attestations_pypi_verifies() {
    let tmp = tempdir();
    let testpypi = TestPypi::start(tmp.path());
    let sigstore = Sigstore::start(tmp.path());
    project_created(&testpypi, tmp.path());
    let dist = tmp.path().join("1.0");
    std::fs::create_dir(&dist).unwrap();
    let wheel = demo_wheel(&dist, "1.0", "");
    let sdist = demo_sdist(&dist, "1.0");

    // `--attestations auto` (the default), both tokens from `id_tokens:`.
    let (pypi_token, sigstore_token) =
        (testpypi.id_token("testpypi"), testpypi.id_token("sigstore"));
    let env = [
        ("PYPI_ID_TOKEN", pypi_token.as_str()),
        ("SIGSTORE_ID_TOKEN", sigstore_token.as_str()),
    ];
    let out = testpypi.upload(&dist, &sigstore, &[], &env);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(
        testpypi
            .proxy
            .hosts()
            .iter()
            .all(|h| h == "test.pypi.org:443")
    );
    assert!(!testpypi.proxy.hosts().is_empty());
    assert_eq!(sigstore.stats()["fulcio"]["requests"], 1);
    for file in [&wheel, &sdist] {
        let name = file.file_name().unwrap().to_str().unwrap();
        let stored = testpypi.index.stored(name).unwrap();
        assert_eq!(stored["via_trusted_publishing"], true, "{name}");
        assert_eq!(stored["has_attestations"], true, "{name}");
        // What arrived is what was written beside the dist.
        let on_disk: serde_json::Value =
            serde_json::from_slice(&std::fs::read(attestation_of(file)).unwrap()).unwrap();
        assert_eq!(
            sent_attestations(&testpypi.index, name),
            vec![on_disk],
            "{name}"
        );
    }

    // PyPI's verifier, with the GitLab publisher's policy: this project and CI file pass...
    let pairs = [
        (wheel.as_path(), attestation_of(&wheel)),
        (sdist.as_path(), attestation_of(&sdist)),
    ];
    let pairs: Vec<(&Path, &Path)> = pairs.iter().map(|(d, a)| (*d, a.as_path())).collect();
    let ok = verify_gitlab(&sigstore, PROJECT_PATH, ".gitlab-ci.yml", &pairs);
    assert_eq!(ok.code, Some(0), "{}", ok.all());
    assert_eq!(ok.stdout.matches("OK ").count(), 2, "{}", ok.stdout);
    // ...another CI file, another project, or a GitHub publisher do not.
    let other_file = verify_gitlab(&sigstore, PROJECT_PATH, "ci/release.yml", &pairs[..1]);
    assert_eq!(other_file.code, Some(1), "{}", other_file.all());
    assert!(
        other_file.stdout.contains("Build Config URI"),
        "{}",
        other_file.stdout
    );
    let other_project = verify_gitlab(&sigstore, "octo-group/fork", ".gitlab-ci.yml", &pairs[..1]);
    assert_eq!(other_project.code, Some(1), "{}", other_project.all());
    let github = verify(&sigstore, PROJECT_PATH, "release.yml", &pairs[..1]);
    assert_eq!(github.code, Some(1), "{}", github.all());
}

#[test]
fn a_gitlab_job_without_a_sigstore_token() {
    let tmp = tempdir();
    let testpypi = TestPypi::start(tmp.path());
    let sigstore = Sigstore::start(tmp.path());
    project_created(&testpypi, tmp.path());

    // `on` refuses before anything is uploaded, naming the `id_tokens:` entry to add.
    let v1 = tmp.path().join("1.0");
    std::fs::create_dir(&v1).unwrap();
    let wheel1 = demo_wheel(&v1, "1.0", "");
    let pypi_token = testpypi.id_token("testpypi");
    let env = [("PYPI_ID_TOKEN", pypi_token.as_str())];
    let out = testpypi.upload(&v1, &sigstore, &["--attestations", "on"], &env);
    assert_eq!(out.code, Some(1), "{}", out.all());
    assert!(
        out.stderr
            .contains("declare an `id_tokens:` entry SIGSTORE_ID_TOKEN with `aud: sigstore`"),
        "{}",
        out.stderr
    );
    assert!(
        testpypi
            .index
            .stored("demo_pkg-1.0-py3-none-any.whl")
            .is_none()
    );
    assert!(!attestation_of(&wheel1).exists());

    // `auto` uploads without attestations and says why, once.
    let pypi_token = testpypi.id_token("testpypi");
    let env = [("PYPI_ID_TOKEN", pypi_token.as_str())];
    let out = testpypi.upload(&v1, &sigstore, &[], &env);
    assert_eq!(out.code, Some(0), "{}", out.all());
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("sent without a PEP 740 attestation"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(
        warnings[0].contains("demo_pkg-1.0-py3-none-any.whl"),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].contains("SIGSTORE_ID_TOKEN"), "{}", warnings[0]);
    let stored = testpypi
        .index
        .stored("demo_pkg-1.0-py3-none-any.whl")
        .unwrap();
    assert_eq!(
        (
            stored["via_trusted_publishing"].clone(),
            stored["has_attestations"].clone()
        ),
        (true.into(), false.into())
    );
    assert_eq!(sigstore.stats()["fulcio"]["requests"], 0);
}
