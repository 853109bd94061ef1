//! Issue 22, points 2, 3 and 5: the provenance grade PyPI will give a release, predicted
//! before anything is sent, and `--provenance-check fail`. Real runs of GitHub trusted
//! publishing (the test issuer's tokens through the Actions token endpoint) with attestations
//! signed by the local Sigstore, against the test index, which serves each file's PEP 740
//! provenance as Warehouse does (JSON simple API `provenance`, Integrity API). Every grade
//! is reached by a run; pypiserver and devpi, which keep no provenance, give `unknown` and
//! never refuse.

use crate::common;

use std::path::{Path, PathBuf};

use common::attest::*;
use common::servers::{Sigstore, TestIndex, devpi, http, pypiserver};
use common::{Run, publish, publish_env, tempdir};

/// The same repository's second workflow, registered as a publisher of demo-pkg too.
const PUBLISH_YML: &str = r#"{"project": "demo-pkg", "repository": "demo", "repository_owner": "octo-org", "repository_owner_id": "4242", "workflow_filename": "publish.yml"}"#;
/// The same project on GitLab: another kind of publisher.
const GITLAB: &str = r#"{"project": "demo-pkg", "namespace": "octo-org", "repository": "demo", "workflow_filepath": "release.yml"}"#;

struct Scene {
    tmp: tempfile::TempDir,
    index: TestIndex,
    sigstore: Sigstore,
}

impl Scene {
    fn start() -> Self {
        let tmp = tempdir();
        let index = TestIndex::start(&[
            "--token",
            "SECRET",
            "--existing-project",
            "demo-pkg",
            "--publisher",
            PUBLISHER,
            "--publisher",
            PUBLISH_YML,
            "--gitlab-publisher",
            GITLAB,
        ]);
        let sigstore = Sigstore::start(tmp.path());
        Scene {
            tmp,
            index,
            sigstore,
        }
    }

    /// A fresh folder with `files` of `version` ("wheel", "sdist").
    fn dist(&self, name: &str, version: &str, files: &[&str]) -> PathBuf {
        let dir = self.tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for kind in files {
            match *kind {
                "wheel" => demo_wheel(&dir, version, ""),
                _ => demo_sdist(&dir, version),
            };
        }
        dir
    }

    /// `upload DIR` from a GitLab job (its `id_tokens:` for PyPI and Sigstore) with
    /// attestations on.
    fn upload_gitlab(&self, dir: &Path) -> (Run, serde_json::Value) {
        let pypi = issuer_token(&self.index, "pypi", "&shape=gitlab");
        let sigstore = issuer_token(&self.index, "sigstore", "&shape=gitlab");
        let env = [
            ("GITLAB_CI", "true"),
            ("PYPI_ID_TOKEN", pypi.as_str()),
            ("SIGSTORE_ID_TOKEN", sigstore.as_str()),
        ];
        self.run(dir, &["--attestations", "on"], &env)
    }

    /// `upload DIR` with `args`; `workflow`: from a GitHub job of that workflow (trusted
    /// publishing, attestations on unless `args` say otherwise), `None`: `-t SECRET`.
    /// Returns the run and its JSON report.
    fn upload(
        &self,
        dir: &Path,
        workflow: Option<&str>,
        args: &[&str],
    ) -> (Run, serde_json::Value) {
        let request_url;
        let mut env = vec![];
        let mut all = vec![];
        match workflow {
            Some(workflow) => {
                let workflow_ref =
                    format!("{REPOSITORY}/.github/workflows/{workflow}@refs/heads/main");
                request_url = format!(
                    "{}/_/test-issuer/token?api-version=2.0&workflow_ref={workflow_ref}&job_workflow_ref={workflow_ref}",
                    self.index.server.url
                );
                env.extend([
                    ("GITHUB_ACTIONS", "true"),
                    ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url.as_str()),
                    ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "test-request-token"),
                ]);
                if !args.contains(&"--attestations") {
                    all.extend(["--attestations", "on"]);
                }
            }
            None => all.extend(["-t", "SECRET"]),
        }
        all.extend_from_slice(args);
        self.run(dir, &all, &env)
    }

    /// `upload DIR` to the test index with `args` and `env`, against the local Sigstore;
    /// the run and its JSON report.
    fn run(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Run, serde_json::Value) {
        let report = dir.join("report.json");
        let _ = std::fs::remove_file(&report);
        let url = self.sigstore.server.url.as_str();
        let upload_url = self.index.upload_url();
        let mut all = vec![
            "upload",
            dir.to_str().unwrap(),
            "--repository-url",
            &upload_url,
            "--no-progress",
            "--json",
            report.to_str().unwrap(),
            "--fulcio-url",
            url,
            "--rekor-url",
            url,
        ];
        all.extend_from_slice(args);
        let out = publish_env(self.tmp.path(), &all, env);
        assert!(!out.all().contains("test-request-token"), "{}", out.all());
        for (name, value) in env.iter().filter(|(_, v)| v.starts_with("eyJ")) {
            if let Some(claims) = value.split('.').nth(1) {
                assert!(!out.all().contains(claims), "{name} leaked:\n{}", out.all());
            }
        }
        let report = std::fs::read(&report)
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap_or_default();
        (out, report)
    }

    fn rekor_requests(&self) -> serde_json::Value {
        self.sigstore.stats()["rekor"]["requests"].clone()
    }
}

/// The report's prediction for `version`: (grade, states, reason).
fn predicted(report: &serde_json::Value, version: &str) -> (String, Vec<String>, String) {
    let release = report["provenance"]["releases"]
        .as_array()
        .unwrap_or_else(|| panic!("no provenance in {report}"))
        .iter()
        .find(|r| r["version"] == version)
        .unwrap_or_else(|| panic!("no {version} in {report}"))
        .clone();
    let states = release["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    (
        release["grade"].as_str().unwrap().to_string(),
        states,
        release["reason"].as_str().unwrap().to_string(),
    )
}

fn states(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_grade_is_reached_by_a_real_run() {
    let s = Scene::start();
    let (release, publish_yml) = (Some("release.yml"), Some("publish.yml"));
    let ok = |out: &Run| assert_eq!(out.code, Some(0), "{}", out.all());

    // The project's first file, with a user token: an empty project tells nothing.
    let (out, report) = s.upload(
        &s.dist("0.1", "0.1", &["wheel"]),
        None,
        &["--provenance-check", "fail"],
    );
    ok(&out);
    let (grade, _, reason) = predicted(&report, "0.1");
    assert_eq!(grade, "unknown", "{reason}");
    assert!(
        reason.contains("this index lists no provenance"),
        "{reason}"
    );

    // The same publisher twice: full; the second compared with the first.
    let (out, report) = s.upload(&s.dist("1.0", "1.0", &["wheel", "sdist"]), release, &[]);
    ok(&out);
    let (grade, _, reason) = predicted(&report, "1.0");
    assert_eq!(
        (grade.as_str(), reason.as_str()),
        (
            "full",
            "full: every file of 1.0 would be attested by octo-org/demo release.yml"
        )
    );
    assert!(
        out.stderr
            .contains("provenance of demo-pkg 1.0: full: every file of 1.0"),
        "{}",
        out.stderr
    );
    assert_eq!(
        report["provenance"]["publisher"],
        serde_json::json!({"kind": "GitHub", "repository": "octo-org/demo", "workflow": "release.yml", "environment": null})
    );
    let v11 = s.dist("1.1", "1.1", &["wheel"]);
    let (dry, report) = s.upload(&v11, release, &["--dry-run"]);
    ok(&dry);
    let proven = report["proven"].to_string();
    assert!(
        proven.contains("dry run: provenance of demo-pkg 1.1: full: every file of 1.1"),
        "{proven}"
    );
    assert_eq!(report["provenance"]["releases"][0]["compared_with"], "1.0");
    // 1.0's two objects: only the release compared with is read.
    assert_eq!(report["provenance"]["objects_read"], 2);
    let (out, _) = s.upload(&v11, release, &[]);
    ok(&out);

    // One file with attestations, then one without: partial.
    let (out, _) = s.upload(&s.dist("1.2w", "1.2", &["wheel"]), release, &[]);
    ok(&out);
    let (out, report) = s.upload(
        &s.dist("1.2s", "1.2", &["sdist"]),
        release,
        &["--attestations", "off"],
    );
    ok(&out);
    assert_eq!(
        predicted(&report, "1.2"),
        (
            "partial".into(),
            states(&["partial"]),
            "partial: 1 of the 2 files of 1.2 would have attestations".into()
        )
    );

    // A renamed workflow: changed. `fail` stops it before any signature or upload.
    let v13 = s.dist("1.3w", "1.3", &["wheel"]);
    let (rekor, uploads) = (
        s.rekor_requests(),
        s.index.stats()["upload_requests"].clone(),
    );
    let (out, report) = s.upload(&v13, publish_yml, &["--provenance-check", "fail"]);
    assert_eq!(out.code, Some(1), "{}", out.all());
    let changed = "changed: 1.2 was published by octo-org/demo release.yml, this run is octo-org/demo publish.yml";
    assert!(
        out.stderr.contains(&format!(
            "error: provenance-check: demo-pkg 1.3: {changed}; nothing was signed or uploaded"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("add it as this project's trusted publisher")
            && out.stderr.contains("set `provenance-check: warn`"),
        "{}",
        out.stderr
    );
    assert_eq!(predicted(&report, "1.3").1, states(&["changed", "full"]));
    assert_eq!(s.rekor_requests(), rekor, "a signature was logged");
    assert_eq!(s.index.stats()["upload_requests"], uploads);
    assert!(s.index.stored("demo_pkg-1.3-py3-none-any.whl").is_none());
    assert!(!attestation_of(&v13.join("demo_pkg-1.3-py3-none-any.whl")).exists());
    // `warn` (the default) publishes, with a warning.
    let (out, _) = s.upload(&v13, publish_yml, &[]);
    ok(&out);
    assert!(
        out.stderr
            .contains(&format!("warning: provenance of demo-pkg 1.3: {changed}")),
        "{}",
        out.stderr
    );

    // What the index serves for it: Warehouse's provenance object, the publisher that
    // uploaded it, and the attestation sent.
    let simple: serde_json::Value = {
        let (status, body) = http(
            "GET",
            &format!("{}demo-pkg/", s.index.simple_url()),
            &[("Accept", "application/vnd.pypi.simple.v1+json")],
            b"",
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let listed = |name: &str| {
        simple["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["filename"] == name)
            .unwrap()["provenance"]
            .clone()
    };
    let wheel = "demo_pkg-1.3-py3-none-any.whl";
    let url = format!(
        "{}/integrity/demo-pkg/1.3/{wheel}/provenance",
        s.index.server.url
    );
    assert_eq!(listed(wheel), url);
    assert_eq!(listed("demo_pkg-1.2.tar.gz"), serde_json::Value::Null);
    let (status, body) = http("GET", &url, &[], b"");
    assert_eq!(status, 200, "{body}");
    let object: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        object["attestation_bundles"][0]["publisher"],
        serde_json::json!({"kind": "GitHub", "repository": "octo-org/demo", "workflow": "publish.yml", "environment": null})
    );
    assert_eq!(
        object["attestation_bundles"][0]["attestations"],
        serde_json::json!(sent_attestations(&s.index, wheel))
    );
    let none = format!(
        "{}/integrity/demo-pkg/1.2/demo_pkg-1.2.tar.gz/provenance",
        s.index.server.url
    );
    let (status, body) = http("GET", &none, &[], b"");
    assert_eq!(
        (status, body.as_str()),
        (
            404,
            r#"{"message":"No provenance available for demo_pkg-1.2.tar.gz"}"#
        )
    );

    // Two workflows in one release: inconsistent (with nothing else to compare against).
    for old in ["1.0", "1.1", "1.2"] {
        s.index.age_release("demo-pkg", old, 15);
    }
    let v13s = s.dist("1.3s", "1.3", &["sdist"]);
    let (out, report) = s.upload(&v13s, release, &["--provenance-check", "fail"]);
    assert_eq!(out.code, Some(1), "{}", out.all());
    let inconsistent = "inconsistent: the files of 1.3 would come from octo-org/demo publish.yml and octo-org/demo release.yml";
    assert!(out.stderr.contains(inconsistent), "{}", out.stderr);
    assert!(out.stderr.contains("from one workflow"), "{}", out.stderr);
    assert_eq!(
        predicted(&report, "1.3").1,
        states(&["inconsistent", "full"])
    );
    let (out, _) = s.upload(&v13s, release, &[]);
    ok(&out);

    // Attestations turned off after a release that had them: lost.
    let v14 = s.dist("1.4", "1.4", &["wheel"]);
    let uploads = s.index.stats()["upload_requests"].clone();
    let (out, report) = s.upload(
        &v14,
        release,
        &["--attestations", "off", "--provenance-check", "fail"],
    );
    assert_eq!(out.code, Some(1), "{}", out.all());
    let lost = "lost: 1.3 was published with attestations by octo-org/demo publish.yml and octo-org/demo release.yml, this run sends none";
    assert_eq!(predicted(&report, "1.4").2, lost);
    assert!(
        out.stderr.contains("keep attestations on"),
        "{}",
        out.stderr
    );
    assert_eq!(s.index.stats()["upload_requests"], uploads);
    let (out, _) = s.upload(&v14, release, &["--attestations", "off"]);
    ok(&out);

    // A password after trusted publishing: lost while 1.3 is within 14 days, none after.
    let (out, report) = s.upload(&s.dist("1.5", "1.5", &["wheel"]), None, &[]);
    ok(&out);
    let (grade, _, reason) = predicted(&report, "1.5");
    assert_eq!(grade, "lost");
    assert!(
        reason.ends_with("(PyPI records provenance only for uploads by a trusted publisher)"),
        "{reason}"
    );
    for old in ["1.3", "1.4", "1.5"] {
        s.index.age_release("demo-pkg", old, 15);
    }
    let (out, report) = s.upload(
        &s.dist("1.6", "1.6", &["wheel"]),
        None,
        &["--provenance-check", "fail"],
    );
    ok(&out);
    assert_eq!(
        predicted(&report, "1.6"),
        (
            "none".into(),
            states(&["none"]),
            "none: no file of 1.6 would have attestations".into()
        )
    );

    // `off` does not look.
    let (out, report) = s.upload(
        &s.dist("1.7", "1.7", &["wheel"]),
        None,
        &["--provenance-check", "off"],
    );
    ok(&out);
    assert!(report.get("provenance").is_none(), "{report}");
    assert!(!out.stderr.contains("provenance of"), "{}", out.stderr);
}

/// A GitLab job after a GitHub one: another kind of publisher, so changed, though the path
/// and the workflow file are the same; the next GitLab release is full again.
#[test]
fn a_gitlab_publisher_after_a_github_one_is_a_change() {
    let s = Scene::start();
    let (out, _) = s.upload(&s.dist("0.1", "0.1", &["wheel"]), None, &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    let (out, _) = s.upload(&s.dist("1.0", "1.0", &["wheel"]), Some("release.yml"), &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    let (out, report) = s.upload_gitlab(&s.dist("1.1", "1.1", &["wheel"]));
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(
        predicted(&report, "1.1"),
        (
            "changed".into(),
            states(&["changed", "full"]),
            "changed: 1.0 was published by octo-org/demo release.yml, this run is GitLab octo-org/demo release.yml".into()
        )
    );
    let object = s.index.stored("demo_pkg-1.1-py3-none-any.whl").unwrap()["provenance"].clone();
    assert_eq!(
        object["attestation_bundles"][0]["publisher"],
        serde_json::json!({"kind": "GitLab", "repository": "octo-org/demo", "workflow_filepath": "release.yml", "environment": null})
    );
    let (out, report) = s.upload_gitlab(&s.dist("1.2", "1.2", &["wheel"]));
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(predicted(&report, "1.2").1, states(&["full"]));
}

/// Indexes that keep no provenance: the grade is unknown, and `fail` never refuses.
#[test]
fn pypiserver_and_devpi_are_unknown_never_refused() {
    let dir = tempdir();
    let pypiserver = pypiserver(&dir.path().join("pypiserver"), "pw");
    let devpi = devpi(&dir.path().join("devpi"), "pw");
    let work = tempdir();
    let indexes = [
        (
            format!("{}/", pypiserver.url),
            format!("{}/simple/", pypiserver.url),
            "__token__",
        ),
        (
            format!("{}/alice/stable/", devpi.url),
            format!("{}/alice/stable/+simple/", devpi.url),
            "alice",
        ),
    ];
    for (upload, simple, user) in &indexes {
        for version in ["1.0", "1.1"] {
            let dir = work.path().join(format!("{user}-{version}"));
            std::fs::create_dir_all(&dir).unwrap();
            demo_wheel(&dir, version, "");
            let report = dir.join("report.json");
            let out = publish(
                work.path(),
                &[
                    "upload",
                    dir.to_str().unwrap(),
                    "--repository-url",
                    upload,
                    "--check-url",
                    simple,
                    "-u",
                    user,
                    "-p",
                    "pw",
                    "--no-progress",
                    "--provenance-check",
                    "fail",
                    "--json",
                    report.to_str().unwrap(),
                ],
            );
            assert_eq!(out.code, Some(0), "{upload} {version}: {}", out.all());
            let report: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
            let (grade, _, reason) = predicted(&report, version);
            assert_eq!(grade, "unknown", "{upload}: {reason}");
            assert!(reason.contains("lists no provenance"), "{reason}");
        }
    }
}
