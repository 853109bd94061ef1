//! Issue 14, point 4: existing Sigstore bundles beside the dists, made by the real Python
//! `sigstore` client against the local Sigstore, are converted to PEP 740 attestations
//! (as `pypi-attestations convert` does) and sent instead of signing — with no Sigstore
//! identity at all; what the index received passes PyPI's own verifier. A bundle for other
//! bytes, another file or another predicate stops the run before any upload.

use crate::common;

use std::path::Path;

use common::attest::*;
use common::servers::{Sigstore, TestIndex};
use common::{Run, publish_env, read_expected, tempdir};

/// `upload DIR` with a minted trusted-publishing token and `--attestations on`, but no
/// Sigstore identity and a Fulcio/Rekor that cannot be reached: nothing can be signed.
fn upload_unsigned(dir: &Path, index: &TestIndex, extra: &[&str]) -> Run {
    let upload_url = index.upload_url();
    let closed = "http://127.0.0.1:9";
    let mut args = vec![
        "upload",
        dir.to_str().unwrap(),
        "--repository-url",
        &upload_url,
        "--no-progress",
        "--fulcio-url",
        closed,
        "--rekor-url",
        closed,
    ];
    let credentials = tp_on(index);
    args.extend(credentials.iter().map(String::as_str));
    args.extend(extra);
    publish_env(dir, &args, &[])
}

#[test]
fn sigstore_bundles_are_converted_and_sent_instead_of_signing() {
    let tmp = tempdir();
    let index = TestIndex::start(&["--token", "SECRET", "--publisher", PUBLISHER]);
    project_created(&index, tmp.path());
    let sigstore = Sigstore::start(tmp.path());
    let token = issuer_token(&index, "sigstore", "");
    let dist = tmp.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let wheel = demo_wheel(&dist, "1.0", "");
    let sdist = demo_sdist(&dist, "1.0");
    // Both names sigstore clients use: `.sigstore.json` today, `.sigstore` before.
    let wheel_bundle = dist.join("demo_pkg-1.0-py3-none-any.whl.sigstore.json");
    let sdist_bundle = dist.join("demo_pkg-1.0.tar.gz.sigstore");
    make_bundle(&sigstore, &token, &wheel, &wheel_bundle, &[]);
    make_bundle(&sigstore, &token, &sdist, &sdist_bundle, &[]);

    let report = tmp.path().join("report.json");
    let out = upload_unsigned(&dist, &index, &["--json", report.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(
        out.stderr.contains(&format!(
            "demo_pkg-1.0-py3-none-any.whl: using the Sigstore bundle beside it ({}), converted to a PEP 740 attestation",
            wheel_bundle.display()
        )),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains("signed a publish"), "{}", out.all());
    // Nothing signed, nothing written beside the dists.
    assert!(!attestation_of(&wheel).exists() && !attestation_of(&sdist).exists());
    let report: serde_json::Value = serde_json::from_str(&read_expected(&report)).unwrap();
    let rows = report["files"].as_array().unwrap();
    let named: Vec<&str> = rows
        .iter()
        .map(|r| r["attestation"].as_str().unwrap())
        .collect();
    assert_eq!(
        named,
        [
            wheel_bundle.to_str().unwrap(),
            sdist_bundle.to_str().unwrap()
        ],
        "{report}"
    );

    for (dist_file, bundle) in [(&wheel, &wheel_bundle), (&sdist, &sdist_bundle)] {
        let name = dist_file.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            index.stored(name).unwrap()["has_attestations"],
            true,
            "{name}"
        );
        // Exactly what PyPI's own conversion makes of the bundle...
        let sent = sent_attestations(&index, name);
        assert_eq!(sent, vec![convert_bundle(bundle, tmp.path())], "{name}");
        // ...and PyPI's verifier accepts it for this publisher, and no other workflow.
        let received = tmp.path().join(format!("{name}.received"));
        std::fs::write(&received, serde_json::to_vec(&sent[0]).unwrap()).unwrap();
        let ok = verify(&sigstore, REPOSITORY, WORKFLOW, &[(dist_file, &received)]);
        assert_eq!(ok.code, Some(0), "{}", ok.all());
        let other = verify(
            &sigstore,
            REPOSITORY,
            "other.yml",
            &[(dist_file, &received)],
        );
        assert_eq!(other.code, Some(1), "{}", other.all());
    }
}

#[test]
fn a_bundle_for_other_bytes_another_file_or_predicate_stops_the_run() {
    let tmp = tempdir();
    let index = TestIndex::start(&["--publisher", PUBLISHER]);
    let sigstore = Sigstore::start(tmp.path());
    let token = issuer_token(&index, "sigstore", "");
    let slsa = "https://slsa.dev/provenance/v1";
    let other_sha = "0".repeat(64);
    let cases: [(&str, Vec<&str>, String); 3] = [
        (
            "2.0",
            vec!["--sha256", &other_sha],
            format!("attests sha256 {other_sha}, but the file's sha256 is "),
        ),
        (
            "3.0",
            vec!["--predicate-type", slsa],
            format!("predicate type {slsa} is not https://docs.pypi.org/attestations/publish/v1"),
        ),
        (
            "4.0",
            vec!["--name", "demo_pkg-9.9-py3-none-any.whl"],
            "attests 'demo_pkg-9.9-py3-none-any.whl', not 'demo_pkg-4.0-py3-none-any.whl'"
                .to_string(),
        ),
    ];
    for (version, extra, reason) in cases {
        let dist = tmp.path().join(version);
        std::fs::create_dir(&dist).unwrap();
        let wheel = demo_wheel(&dist, version, "");
        demo_sdist(&dist, version);
        let bundle = dist.join(format!("demo_pkg-{version}-py3-none-any.whl.sigstore.json"));
        make_bundle(&sigstore, &token, &wheel, &bundle, &extra);

        let before = index.stats()["upload_requests"].clone();
        let out = upload_unsigned(&dist, &index, &[]);
        assert_eq!(out.code, Some(1), "{version}: {}", out.all());
        let line = format!("{}: {reason}", bundle.display());
        let lines: Vec<&str> = out.stderr.lines().filter(|l| l.contains(&line)).collect();
        assert_eq!(lines.len(), 1, "{version}: {}", out.stderr);
        // Stopped before any upload: not even the sdist, which had nothing wrong.
        assert_eq!(index.stats()["upload_requests"], before, "{version}");
        assert!(
            index
                .stored(&format!("demo_pkg-{version}.tar.gz"))
                .is_none()
        );
    }
}
