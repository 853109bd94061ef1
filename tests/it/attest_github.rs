//! Issue 22, point 4: one signature in two stores. With `--github-attestations` (the
//! action's `github-attestations`), each uploaded file's PEP 740 attestation goes to PyPI and,
//! as a Sigstore bundle v0.3 of the very same signature, to GitHub's attestation store (here
//! a stand-in on loopback, `common::github_api`). The bundles are verified by the real
//! Python `sigstore` client against the local Sigstore's trust root
//! (`tests/py/verify_bundle.py`), and counted at the Rekor log: one entry per file.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::attest::*;
use common::github_api::GithubApi;
use common::servers::{Sigstore, TestIndex};
use common::{Run, read_expected, run_action, tempdir, venv_bin};

const GH_TOKEN: &str = "ghs_jobTokenNeverPrinted1234";

/// `upload DIR` to the test index with trusted publishing, attestations on and the store
/// on, the stand-in as the GitHub API of `octo-org/demo`.
fn upload(
    tmp: &Path,
    index: &TestIndex,
    sigstore: &Sigstore,
    github: &GithubApi,
    dir: &Path,
    extra: &[&str],
) -> Run {
    let upload_url = index.upload_url();
    let mut args = vec![
        "upload",
        dir.to_str().unwrap(),
        "--repository-url",
        &upload_url,
        "--no-progress",
        "--github-attestations",
    ];
    let tp = tp_on(index);
    args.extend(tp.iter().map(String::as_str));
    args.extend(extra);
    let env = [
        ("GITHUB_REPOSITORY", REPOSITORY),
        ("GITHUB_API_URL", github.url.as_str()),
        ("GITHUB_TOKEN", GH_TOKEN),
        ("PYPI_PUBLISH_RETRY_DELAYS_MS", "10,50"),
    ];
    let token = issuer_token(index, "sigstore", "");
    let out = run(tmp, sigstore, &args, &token, &env);
    assert!(
        !out.all().contains(GH_TOKEN),
        "the token leaked:\n{}",
        out.all()
    );
    out
}

/// The test index, with demo-pkg created by its maintainer with a user token (a trusted
/// publisher only uploads to a project that exists).
fn index_with_project(tmp: &Path) -> TestIndex {
    let index = TestIndex::start(&["--token", "SECRET", "--publisher", PUBLISHER]);
    project_created(&index, tmp);
    index
}

/// The file name the bundle's signed statement names.
fn subject(bundle: &serde_json::Value) -> String {
    let payload = STANDARD
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    statement["subject"][0]["name"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `tests/py/verify_bundle.py` on (dist, bundle) pairs.
fn verify_bundles(sigstore: &Sigstore, repository: &str, pairs: &[(&Path, PathBuf)]) -> Run {
    let mut cmd = Command::new(venv_bin("python"));
    cmd.arg(common::repo().join("tests/py/verify_bundle.py"))
        .arg("--trust-root")
        .arg(&sigstore.trust_root)
        .args(["--repository", repository]);
    for (dist, bundle) in pairs {
        cmd.arg(dist).arg(bundle);
    }
    cmd.output().expect("python runs").into()
}

#[test]
fn one_signature_in_two_stores() {
    let tmp = tempdir();
    let dist = tmp.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let wheel = demo_wheel(&dist, "1.0", "");
    let sdist = demo_sdist(&dist, "1.0");
    let index = index_with_project(tmp.path());
    let sigstore = Sigstore::start(tmp.path());
    let github = GithubApi::start(GH_TOKEN);
    let report = tmp.path().join("report.json");

    let out = upload(
        tmp.path(),
        &index,
        &sigstore,
        &github,
        &dist,
        &["--json", report.to_str().unwrap()],
    );
    assert_eq!(out.code, Some(0), "{}", out.all());

    // One signature per file: one certificate, one Rekor entry each, nothing more.
    let stats = sigstore.stats();
    let requests = |service: &str| stats[service]["requests"].as_u64();
    assert_eq!(
        (requests("fulcio"), requests("rekor")),
        (Some(1), Some(2)),
        "{stats}"
    );
    let received = github.received();
    assert_eq!(received.len(), 2, "{received:?}");
    for r in &received {
        assert_eq!(
            (r.method.as_str(), r.path.as_str(), r.status),
            ("POST", "/repos/octo-org/demo/attestations", 201)
        );
        assert_eq!(
            r.authorization.as_deref(),
            Some(&*format!("Bearer {GH_TOKEN}"))
        );
    }

    // Each bundle holds, byte for byte, what PyPI received for that file.
    let stored = github.stored();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let mut pairs = Vec::new();
    for file in [&wheel, &sdist] {
        let name = file.file_name().unwrap().to_str().unwrap();
        let (id, bundle) = stored
            .iter()
            .find(|(_, b)| subject(b) == name)
            .unwrap_or_else(|| panic!("no bundle for {name}: {stored:?}"));
        let sent = sent_attestations(&index, name);
        let [attestation] = sent.as_slice() else {
            panic!("{name}: {sent:?}")
        };
        let material = &attestation["verification_material"];
        assert_eq!(
            bundle["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        let vm = &bundle["verificationMaterial"];
        assert_eq!(vm["certificate"]["rawBytes"], material["certificate"]);
        assert_eq!(vm["tlogEntries"], material["transparency_entries"]);
        let envelope = &bundle["dsseEnvelope"];
        assert_eq!(envelope["payload"], attestation["envelope"]["statement"]);
        assert_eq!(
            envelope["signatures"],
            serde_json::json!([{"sig": attestation["envelope"]["signature"]}])
        );
        // The ids GitHub gave are in the report, by file.
        assert_eq!(report["github_attestations"][name], *id, "{report}");
        assert!(
            out.stderr.contains(&format!(
                "{name}: attestation stored in GitHub's attestation store of octo-org/demo (id {id})"
            )),
            "{}",
            out.stderr
        );
        let path = tmp.path().join(format!("{name}.bundle.json"));
        std::fs::write(&path, bundle.to_string()).unwrap();
        pairs.push((file.as_path(), path));
    }

    // The real sigstore client verifies them as `gh attestation verify --repo` would; it
    // refuses them for another repository or other bytes.
    let ok = verify_bundles(&sigstore, REPOSITORY, &pairs);
    assert_eq!(ok.code, Some(0), "{}", ok.all());
    assert_eq!(ok.stdout.matches("OK ").count(), 2, "{}", ok.stdout);
    let fork = verify_bundles(&sigstore, "octo-org/fork", &pairs[..1]);
    assert_eq!(fork.code, Some(1), "{}", fork.all());
    let swapped = [(pairs[0].0, pairs[1].1.clone())];
    let other_bytes = verify_bundles(&sigstore, REPOSITORY, &swapped);
    assert_eq!(other_bytes.code, Some(1), "{}", other_bytes.all());

    // A re-run uploads nothing, so stores nothing.
    let again = upload(tmp.path(), &index, &sigstore, &github, &dist, &[]);
    assert_eq!(again.code, Some(0), "{}", again.all());
    assert_eq!(github.received().len(), 2);
    assert_eq!(sigstore.stats()["rekor"]["requests"], 2);
}

#[test]
fn a_refused_store_is_a_warning_and_the_files_are_published() {
    let tmp = tempdir();
    let index = index_with_project(tmp.path());
    let sigstore = Sigstore::start(tmp.path());
    let github = GithubApi::start(GH_TOKEN);
    let release = |version: &str| {
        let dir = tmp.path().join(version);
        std::fs::create_dir_all(&dir).unwrap();
        demo_wheel(&dir, version, "");
        demo_sdist(&dir, version);
        dir
    };

    // A job without `attestations: write`: one warning naming it, one request (the rest
    // would meet the same answer), both files on the index, exit 0.
    github.forbid(true);
    let out = upload(tmp.path(), &index, &sigstore, &github, &release("1.0"), &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(
        warnings[0].contains("HTTP 403")
            && warnings[0].contains("Resource not accessible by integration")
            && warnings[0].contains("add `permissions: attestations: write`")
            && warnings[0].contains("2 attestation(s) not stored"),
        "{}",
        warnings[0]
    );
    assert_eq!(github.received().len(), 1);
    for name in ["demo_pkg-1.0-py3-none-any.whl", "demo_pkg-1.0.tar.gz"] {
        assert_eq!(
            index.stored(name).unwrap()["has_attestations"],
            true,
            "{name}"
        );
    }

    // Transient failures go through the one retry driver, and then the bundle is stored.
    github.forbid(false);
    github.fail_next(&[503, 502]);
    let out = upload(tmp.path(), &index, &sigstore, &github, &release("2.0"), &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(!out.stderr.contains("warning:"), "{}", out.stderr);
    let statuses: Vec<u16> = github.received()[1..].iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 502, 201, 201], "{}", out.stderr);

    // A token GitHub does not take: a warning saying so, the release published.
    let upload_url = index.upload_url();
    let dir = release("3.0");
    let mut args = vec![
        "upload",
        dir.to_str().unwrap(),
        "--repository-url",
        &upload_url,
        "--no-progress",
    ];
    let tp = tp_on(&index);
    args.extend(tp.iter().map(String::as_str));
    let env = [
        ("GITHUB_REPOSITORY", REPOSITORY),
        ("GITHUB_API_URL", github.url.as_str()),
        ("GITHUB_TOKEN", "ghs_someOtherToken"),
        ("PYPI_PUBLISH_GITHUB_ATTESTATIONS", "true"),
    ];
    let out = run(
        tmp.path(),
        &sigstore,
        &args,
        &issuer_token(&index, "sigstore", ""),
        &env,
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(
        out.stderr.contains("HTTP 401): Bad credentials")
            && out.stderr.contains("the token was refused"),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains("ghs_someOtherToken"), "{}", out.all());
    assert_eq!(
        index.stored("demo_pkg-3.0.tar.gz").unwrap()["has_attestations"],
        true
    );
}

/// The action: `github-attestations: true` with the job's token as `github-token`. The token
/// is masked before anything else is printed and appears nowhere else; the outputs give
/// the stored ids by file.
#[test]
fn the_action_stores_them_and_outputs_the_ids() {
    let workspace = tempdir();
    let commands = tempdir();
    let dist = workspace.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    demo_wheel(&dist, "1.0", "");
    let index = index_with_project(commands.path());
    let sigstore = Sigstore::start(commands.path());
    let github = GithubApi::start(GH_TOKEN);
    let request_url = format!("{}/_/test-issuer/token?api-version=2.0", index.server.url);
    let upload_url = index.upload_url();
    let out = run_action(
        workspace.path(),
        commands.path(),
        &[
            ("INPUT_REPOSITORY-URL", &upload_url),
            ("INPUT_GITHUB-ATTESTATIONS", "true"),
            ("INPUT_GITHUB-TOKEN", GH_TOKEN),
            ("GITHUB_REPOSITORY", REPOSITORY),
            ("GITHUB_API_URL", &github.url),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", &request_url),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "test-request-token"),
            ("PYPI_PUBLISH_ATTESTATIONS", "on"),
            ("PYPI_PUBLISH_FULCIO_URL", &sigstore.server.url),
            ("PYPI_PUBLISH_REKOR_URL", &sigstore.server.url),
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
    let mask = format!("::add-mask::{GH_TOKEN}");
    assert!(out.stdout.starts_with(&mask), "{}", out.stdout);
    assert_eq!(out.all().matches(GH_TOKEN).count(), 1, "{}", out.all());
    let stored = github.stored();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(sigstore.stats()["rekor"]["requests"], 1);

    let outputs = read_expected(&commands.path().join("set_output"));
    let start = outputs.find("github-attestation-ids<<").expect(&outputs);
    let value: serde_json::Value =
        serde_json::from_str(outputs[start..].lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        value,
        serde_json::json!({"demo_pkg-1.0-py3-none-any.whl": stored[0].0})
    );
    let summary = read_expected(&commands.path().join("step_summary"));
    assert!(!outputs.contains(GH_TOKEN) && !summary.contains(GH_TOKEN));
}
