//! PEP 740 attestations end to end with real peers: a local Sigstore built from
//! `@sigstore/mock` (Fulcio + Rekor v1), GitHub-shaped identity tokens from the test index's
//! issuer, PyPI's own verifier (`pypi-attestations` + `sigstore`, `tests/py/verify_attestation.py`)
//! and the test index's Warehouse checks of the `attestations` upload field.

use crate::common;

use std::path::Path;

use common::attest::*;
use common::servers::{Sigstore, TestIndex};
use common::{Run, publish_env, tempdir};

#[test]
fn attest_command_signs_what_pypi_verifies() {
    let tmp = tempdir();
    let dist = tmp.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let wheel = demo_wheel(&dist, "1.0", "");
    let sdist = demo_sdist(&dist, "1.0");
    let index = TestIndex::start(&["--publisher", PUBLISHER]);
    let sigstore = Sigstore::start(tmp.path());
    let token = issuer_token(&index, "sigstore", "");

    // One key and certificate for the whole run, files beside the dists.
    let out = run(tmp.path(), &sigstore, &["attest", "dist"], &token, &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(
        out.stderr
            .contains("Signed 2 of 2 file(s) with 1 certificate(s)"),
        "{}",
        out.stderr
    );
    let (wa, sa) = (attestation_of(&wheel), attestation_of(&sdist));
    let ok = verify(
        &sigstore,
        REPOSITORY,
        WORKFLOW,
        &[(&wheel, &wa), (&sdist, &sa)],
    );
    assert_eq!(ok.code, Some(0), "{}", ok.all());
    assert_eq!(ok.stdout.matches("OK ").count(), 2, "{}", ok.stdout);
    assert!(
        ok.stdout
            .contains("https://docs.pypi.org/attestations/publish/v1")
    );

    // The real verifier rejects another workflow, another repository, other bytes.
    let wrong_workflow = verify(&sigstore, REPOSITORY, "other.yml", &[(&wheel, &wa)]);
    assert_eq!(wrong_workflow.code, Some(1), "{}", wrong_workflow.all());
    assert!(
        wrong_workflow.stdout.contains("Build Config URI"),
        "{}",
        wrong_workflow.stdout
    );
    let wrong_repo = verify(&sigstore, "octo-org/fork", WORKFLOW, &[(&wheel, &wa)]);
    assert_eq!(wrong_repo.code, Some(1), "{}", wrong_repo.all());
    let tampered = tmp.path().join("demo_pkg-1.0-py3-none-any.whl");
    let mut bytes = std::fs::read(&wheel).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&tampered, bytes).unwrap();
    let bad = verify(&sigstore, REPOSITORY, WORKFLOW, &[(&tampered, &wa)]);
    assert_eq!(bad.code, Some(1), "{}", bad.all());
    assert!(bad.stdout.contains("digest"), "{}", bad.stdout);

    // A valid attestation is kept (no new log entry); a stale one is replaced.
    let again = run(tmp.path(), &sigstore, &["attest", "dist"], &token, &[]);
    assert_eq!(again.code, Some(0), "{}", again.all());
    assert!(
        again.stdout.contains("already attested"),
        "{}",
        again.stdout
    );
    assert!(again.stderr.contains("Signed 0 of 2"), "{}", again.stderr);
    let rebuilt = demo_wheel(&dist, "1.0", "# rebuilt\n");
    let replaced = run(tmp.path(), &sigstore, &["attest", "dist"], &token, &[]);
    assert_eq!(replaced.code, Some(0), "{}", replaced.all());
    assert!(
        replaced.stderr.contains("stale, replacing it"),
        "{}",
        replaced.stderr
    );
    let ok = verify(&sigstore, REPOSITORY, WORKFLOW, &[(&rebuilt, &wa)]);
    assert_eq!(ok.code, Some(0), "{}", ok.all());

    // A run that outlives its certificate signs the rest with a new one (forced here by a
    // refresh margin as long as the certificate's life); both still verify.
    let out_dir = tmp.path().join("out");
    let renewed = run(
        tmp.path(),
        &sigstore,
        &["attest", "dist", "--output-dir", "out"],
        &token,
        &[("PYPI_PUBLISH_CERT_REFRESH_MARGIN", "600")],
    );
    assert_eq!(renewed.code, Some(0), "{}", renewed.all());
    assert!(
        renewed.stderr.contains("with 2 certificate(s)"),
        "{}",
        renewed.stderr
    );
    let (wo, so) = (
        out_dir.join("demo_pkg-1.0-py3-none-any.whl.publish.attestation"),
        out_dir.join("demo_pkg-1.0.tar.gz.publish.attestation"),
    );
    let ok = verify(
        &sigstore,
        REPOSITORY,
        WORKFLOW,
        &[(&rebuilt, &wo), (&sdist, &so)],
    );
    assert_eq!(ok.code, Some(0), "{}", ok.all());
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&wo).unwrap()).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&std::fs::read(&so).unwrap()).unwrap();
    assert_ne!(
        a["verification_material"]["certificate"],
        b["verification_material"]["certificate"]
    );
    assert_eq!(
        a["verification_material"]["transparency_entries"][0]["kindVersion"],
        serde_json::json!({"kind": "dsse", "version": "0.0.1"})
    );
}

/// Issue 14, point 7: the Rekor entries of a release are submitted together (at most 10 at
/// once) under one certificate, and come back in the files' order. Counted at the log, not
/// timed: each answer is held 500 ms, so entries sent one after the other are never seen
/// together.
#[test]
fn rekor_entries_are_submitted_together_at_most_ten() {
    let tmp = tempdir();
    let dist = tmp.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let wheels: Vec<_> = (0..12)
        .map(|i| demo_wheel(&dist, &format!("1.{i}"), ""))
        .collect();
    let index = TestIndex::start(&["--publisher", PUBLISHER]);
    let sigstore = Sigstore::start(tmp.path());
    let token = issuer_token(&index, "sigstore", "");
    sigstore.delay("rekor", 500);

    let out = run(tmp.path(), &sigstore, &["attest", "dist"], &token, &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(
        out.stderr
            .contains("Signed 12 of 12 file(s) with 1 certificate(s)"),
        "{}",
        out.stderr
    );
    let stats = sigstore.stats();
    assert_eq!(stats["fulcio"]["requests"], 1, "{stats}");
    assert_eq!(stats["rekor"]["requests"], 12, "{stats}");
    let together = stats["rekor"]["max_in_flight"].as_u64().unwrap();
    assert!((5..=10).contains(&together), "{stats}");
    // Reported in the files' order, whatever order the log answered in.
    let signed: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| {
            l.split(": signed")
                .next()
                .filter(|_| l.contains(": signed"))
        })
        .collect();
    let mut sorted = signed.clone();
    sorted.sort_unstable();
    assert_eq!((signed.len(), &signed), (12, &sorted), "{}", out.stdout);
    let attestations: Vec<_> = wheels.iter().map(|w| attestation_of(w)).collect();
    let pairs: Vec<(&Path, &Path)> = wheels
        .iter()
        .zip(&attestations)
        .map(|(w, a)| (w.as_path(), a.as_path()))
        .collect();
    let ok = verify(&sigstore, REPOSITORY, WORKFLOW, &pairs);
    assert_eq!(ok.code, Some(0), "{}", ok.all());
    assert_eq!(ok.stdout.matches("OK ").count(), 12, "{}", ok.stdout);
}

#[test]
fn signing_failures_are_named_and_one_line() {
    let tmp = tempdir();
    let dist = tmp.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    demo_wheel(&dist, "1.0", "");
    let index = TestIndex::start(&["--publisher", PUBLISHER]);
    let sigstore = Sigstore::start(tmp.path());
    let token = issuer_token(&index, "sigstore", "");
    let error_line = |r: &Run| {
        r.stderr
            .lines()
            .find(|l| l.starts_with("error:"))
            .unwrap_or_default()
            .to_string()
    };

    let none = publish_env(
        tmp.path(),
        &[
            "attest",
            "dist",
            "--fulcio-url",
            &sigstore.server.url,
            "--rekor-url",
            &sigstore.server.url,
        ],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(none.code, Some(1), "{}", none.all());
    assert!(
        error_line(&none).contains("no Sigstore identity token"),
        "{}",
        none.stderr
    );
    assert!(none.stderr.contains("id-token: write"), "{}", none.stderr);

    let expired = issuer_token(&index, "sigstore", "&lifetime=-120");
    let out = run(tmp.path(), &sigstore, &["attest", "dist"], &expired, &[]);
    assert_eq!(out.code, Some(1), "{}", out.all());
    assert!(
        error_line(&out).contains("identity token expired"),
        "{}",
        out.stderr
    );

    // Sigstore calls are retried until a time budget is spent: a short one here.
    let brief = [
        ("PYPI_PUBLISH_RETRY_BUDGET_MS", "300"),
        ("PYPI_PUBLISH_RETRY_DELAYS_MS", "10,50"),
    ];
    sigstore.fault("fulcio", 503, 1000);
    let out = run(tmp.path(), &sigstore, &["attest", "dist"], &token, &brief);
    assert_eq!(out.code, Some(1), "{}", out.all());
    let expected = format!(
        "error: demo_pkg-1.0-py3-none-any.whl: Fulcio at {} refused the request (HTTP 503)",
        sigstore.server.url
    );
    assert!(error_line(&out).starts_with(&expected), "{}", out.stderr);

    sigstore.fault("fulcio", 0, 0);
    sigstore.fault("rekor", 500, 1000);
    let out = run(tmp.path(), &sigstore, &["attest", "dist"], &token, &brief);
    assert_eq!(out.code, Some(1), "{}", out.all());
    assert!(error_line(&out).contains("Rekor at"), "{}", out.stderr);
    assert!(error_line(&out).contains("(HTTP 500)"), "{}", out.stderr);

    let closed = "http://127.0.0.1:9";
    let out = publish_env(
        tmp.path(),
        &[
            "attest",
            "dist",
            "--fulcio-url",
            closed,
            "--rekor-url",
            closed,
        ],
        &[("SIGSTORE_ID_TOKEN", &token), brief[0], brief[1]],
    );
    assert_eq!(out.code, Some(1), "{}", out.all());
    assert!(
        error_line(&out).contains("Fulcio at http://127.0.0.1:9 is unreachable"),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains(token.split('.').nth(1).unwrap()));
    // Nothing was written by the failed runs.
    assert!(!attestation_of(&dist.join("demo_pkg-1.0-py3-none-any.whl")).exists());

    // Issue 13: a brief Fulcio or Rekor outage is retried, not fatal.
    sigstore.fault("rekor", 0, 0);
    sigstore.fault("fulcio", 503, 2);
    sigstore.fault("rekor", 502, 1);
    let out = run(
        tmp.path(),
        &sigstore,
        &["attest", "dist"],
        &token,
        &[brief[1]],
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(attestation_of(&dist.join("demo_pkg-1.0-py3-none-any.whl")).exists());
}

#[test]
fn upload_with_attestations() {
    let tmp = tempdir();
    let index = TestIndex::start(&["--token", "SECRET", "--publisher", PUBLISHER]);
    let sigstore = Sigstore::start(tmp.path());
    let token = issuer_token(&index, "sigstore", "");
    let upload_url = index.upload_url();
    let release = |version: &str| {
        let dir = tmp.path().join(version);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    };
    let upload = |dir: &Path, credentials: &[String], env: &[(&str, &str)]| {
        let mut args = vec![
            "upload",
            dir.to_str().unwrap(),
            "--repository-url",
            &upload_url,
        ];
        args.extend(credentials.iter().map(String::as_str));
        args.push("--no-progress");
        run(tmp.path(), &sigstore, &args, &token, env)
    };
    let stats_file = |name: &str| index.stored(name);

    // The maintainer creates the project with a user token: `auto` sends no attestations.
    let first = release("0.1");
    demo_wheel(&first, "0.1", "");
    let out = upload(&first, &["-t".into(), "SECRET".into()], &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(
        stats_file("demo_pkg-0.1-py3-none-any.whl").unwrap()["has_attestations"],
        false
    );

    // Trusted publishing with attestations on: both files signed, sent, and kept beside them.
    let v1 = release("1.0");
    let wheel = demo_wheel(&v1, "1.0", "");
    let sdist = demo_sdist(&v1, "1.0");
    let report_path = tmp.path().join("v1-report.json");
    let mut args = tp_on(&index);
    args.extend(["--json".to_string(), report_path.display().to_string()]);
    let out = upload(&v1, &args, &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    // The report names the attestation sent with each file.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    for row in report["files"].as_array().unwrap() {
        let dist = row["path"].as_str().unwrap();
        assert_eq!(
            row["attestation"].as_str(),
            Some(format!("{dist}.publish.attestation").as_str()),
            "{row}"
        );
    }
    for dist in [&wheel, &sdist] {
        let name = dist.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            stats_file(name).unwrap()["has_attestations"],
            true,
            "{name}"
        );
        let sent: Vec<serde_json::Value> = index
            .form(name)
            .as_array()
            .unwrap()
            .iter()
            .filter(|kv| kv[0] == "attestations")
            .map(|kv| serde_json::from_str(kv[1].as_str().unwrap()).unwrap())
            .collect();
        let on_disk: serde_json::Value =
            serde_json::from_slice(&std::fs::read(attestation_of(dist)).unwrap()).unwrap();
        assert_eq!(sent, vec![serde_json::json!([on_disk])], "{name}");
    }
    let ok = verify(
        &sigstore,
        REPOSITORY,
        WORKFLOW,
        &[
            (&wheel, &attestation_of(&wheel)),
            (&sdist, &attestation_of(&sdist)),
        ],
    );
    assert_eq!(ok.code, Some(0), "{}", ok.all());

    // An attestation made elsewhere for this exact file is sent as it is.
    let v2 = release("2.0");
    demo_wheel(&v2, "2.0", "");
    let elsewhere = run(
        tmp.path(),
        &sigstore,
        &["attest", v2.to_str().unwrap()],
        &token,
        &[],
    );
    assert_eq!(elsewhere.code, Some(0), "{}", elsewhere.all());

    // With Fulcio down, nothing can be signed: files already on the index (v1) and files
    // with a valid attestation (v2) still go through, so neither was signed again.
    sigstore.fault("fulcio", 503, 5);
    let out = upload(&v1, &tp_on(&index), &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(!out.stderr.contains("signed a publish"), "{}", out.stderr);
    let out = upload(&v2, &tp_on(&index), &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(
        out.stderr.contains("using the attestation beside it"),
        "{}",
        out.stderr
    );
    assert_eq!(
        stats_file("demo_pkg-2.0-py3-none-any.whl").unwrap()["has_attestations"],
        true
    );
    sigstore.fault("fulcio", 0, 0);

    // A stale attestation (the wheel was rebuilt after signing) is replaced.
    let v3 = release("3.0");
    demo_wheel(&v3, "3.0", "");
    let signed = run(
        tmp.path(),
        &sigstore,
        &["attest", v3.to_str().unwrap()],
        &token,
        &[],
    );
    assert_eq!(signed.code, Some(0), "{}", signed.all());
    let wheel3 = demo_wheel(&v3, "3.0", "# rebuilt\n");
    let out = upload(&v3, &tp_on(&index), &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(out.stderr.contains("stale, replacing it"), "{}", out.stderr);
    let ok = verify(
        &sigstore,
        REPOSITORY,
        WORKFLOW,
        &[(&wheel3, &attestation_of(&wheel3))],
    );
    assert_eq!(ok.code, Some(0), "{}", ok.all());

    // An attestation for another file is refused before anything is signed or sent.
    let v4 = release("4.0");
    let wheel4 = demo_wheel(&v4, "4.0", "");
    let wheel2 = v2.join("demo_pkg-2.0-py3-none-any.whl");
    std::fs::copy(attestation_of(&wheel2), attestation_of(&wheel4)).unwrap();
    let before = index.stats()["upload_requests"].clone();
    let out = upload(&v4, &tp_on(&index), &[]);
    assert_eq!(out.code, Some(1), "{}", out.all());
    let line = format!(
        "{}: attests 'demo_pkg-2.0-py3-none-any.whl', not 'demo_pkg-4.0-py3-none-any.whl'",
        attestation_of(&wheel4).display()
    );
    assert!(out.stderr.contains(&line), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "hint: delete the attestation or bundle files that do not belong to these distributions"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(index.stats()["upload_requests"], before);

    // Attestations asked for with a credential PyPI refuses them with: one line, no upload.
    std::fs::remove_file(attestation_of(&wheel4)).unwrap();
    let password = ["-u", "alice", "-p", "pw", "--attestations", "on"].map(String::from);
    let out = upload(&v4, &password, &[]);
    assert_eq!(out.code, Some(1), "{}", out.all());
    assert!(
        out.stderr.contains("error: attestations need trusted publishing, but this upload uses a username and password"),
        "{}",
        out.stderr
    );
    assert_eq!(index.stats()["upload_requests"], before);
    assert!(!attestation_of(&wheel4).exists());

    // Trusted publishing from the job's ambient identity (GitHub Actions' token endpoint,
    // here the test issuer): the upload token and the Sigstore token both come from it.
    let request_url = format!("{}/_/test-issuer/token?api-version=2.0", index.server.url);
    let github = [
        ("GITHUB_ACTIONS", "true"),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url.as_str()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "test-request-token"),
    ];
    let ambient = |dir: &Path, mode: &str| {
        let url = sigstore.server.url.as_str();
        let args = [
            "upload",
            dir.to_str().unwrap(),
            "--repository-url",
            &upload_url,
            "--no-progress",
            "--attestations",
            mode,
            "--fulcio-url",
            url,
            "--rekor-url",
            url,
        ];
        let out = publish_env(tmp.path(), &args, &github);
        assert!(!out.all().contains("test-request-token"), "{}", out.all());
        out
    };
    // `auto` signs only for PyPI and TestPyPI: not for this index.
    let v5 = release("5.0");
    demo_wheel(&v5, "5.0", "");
    let out = ambient(&v5, "auto");
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(
        stats_file("demo_pkg-5.0-py3-none-any.whl").unwrap()["has_attestations"],
        false
    );
    let v6 = release("6.0");
    let wheel6 = demo_wheel(&v6, "6.0", "");
    let out = ambient(&v6, "on");
    assert_eq!(out.code, Some(0), "{}", out.all());
    let stored = stats_file("demo_pkg-6.0-py3-none-any.whl").unwrap();
    assert_eq!(
        (
            stored["via_trusted_publishing"].clone(),
            stored["has_attestations"].clone()
        ),
        (true.into(), true.into())
    );
    let ok = verify(
        &sigstore,
        REPOSITORY,
        WORKFLOW,
        &[(&wheel6, &attestation_of(&wheel6))],
    );
    assert_eq!(ok.code, Some(0), "{}", ok.all());
}
