//! Burning the minted upload tokens when the run ends (issue 22, SPEC §3.6): after a
//! success, a failure, a signal mid-upload; a burned token no longer uploads; a burn the
//! index refuses or never answers is one warning and changes no exit code; the report and
//! the job summary say what was revoked; no token in any output.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{PUBLISHER, REQUEST_TOKEN, assert_no_secrets, github, start_index, upload, wheel};
use crate::common::fault_proxy::{Fault, FaultProxy, Plan};
use crate::common::servers::TestIndex;
use crate::common::{self, Run, read_expected, run_action, tempdir};

/// `(tokens_minted, tokens_burned, burn_requests)` from the index's side.
fn burns(index: &TestIndex) -> (u64, u64, u64) {
    let stats = index.stats();
    let count = |key: &str| stats[key].as_u64().unwrap();
    (
        count("tokens_minted"),
        count("tokens_burned"),
        count("burn_requests"),
    )
}

/// A run of `pypi-publish upload --json` with GitHub's OIDC variables; the report with it.
fn upload_reporting(dir: &std::path::Path, index: &TestIndex) -> (Run, serde_json::Value) {
    let report = dir.join("report.json");
    let report_arg = report.to_str().unwrap().to_string();
    let run = upload(dir, index, &["--json", &report_arg], &github(index, ""));
    let json = serde_json::from_str(&read_expected(&report)).unwrap();
    (run, json)
}

/// The action's run: exit 0, the token revoked, and the same token then refused by the
/// index as an unknown one (a second upload with it is a 403).
#[test]
fn a_published_run_burns_its_token_and_the_token_no_longer_uploads() {
    let index = start_index(&[]);
    let (run, _workspace, commands) = action_publishes_one_wheel(&index);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert_eq!(burns(&index), (1, 1, 1));
    assert!(
        run.stdout
            .contains("Revoked 1 upload token(s) minted by trusted publishing for this run"),
        "{}",
        run.stdout
    );
    let report = read_expected(&commands.path().join("pypi-publish-report.json"));
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        (&report["token_mints"], &report["tokens_revoked"]),
        (&1.into(), &1.into()),
        "{report:#}"
    );
    let summary = read_expected(&commands.path().join("step_summary"));
    assert!(
        summary.contains("Upload token: minted by trusted publishing, revoked when the run ended."),
        "{summary}"
    );
    for (what, text) in [("output", &run.all()), ("summary", &summary)] {
        assert_no_secrets(what, text, &[]);
    }

    // The token, as the action masked it, uploads nothing more.
    let minted = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("::add-mask::"))
        .expect("the minted token is masked")
        .to_string();
    let again = tempdir();
    wheel(again.path(), "tp-demo", "1.1");
    let reuse = upload(again.path(), &index, &["--token", &minted], &[]);
    assert_eq!(reuse.code, Some(1), "{}", reuse.all());
    assert!(
        reuse
            .all()
            .contains("403: Invalid or non-existent authentication information."),
        "{}",
        reuse.all()
    );
    assert!(index.stored("tp_demo-1.1-py3-none-any.whl").is_none());
    assert!(!reuse.all().contains(&minted), "{}", reuse.all());
}

/// A run that fails after the token was minted (the index refuses the file) burns it too,
/// and keeps its exit code.
#[test]
fn a_failed_run_burns_its_token() {
    let index = start_index(&[]);
    let dir = tempdir();
    // The publisher may upload to 'tp-demo' only: a new project is refused (400).
    wheel(dir.path(), "not-mine", "1.0");
    let (run, report) = upload_reporting(dir.path(), &index);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.all()
            .contains("Non-user identities cannot create new projects"),
        "{}",
        run.all()
    );
    assert_eq!(burns(&index), (1, 1, 1));
    assert_eq!(report["tokens_revoked"], 1, "{report:#}");
    assert_no_secrets("output", &run.all(), &[]);
}

/// A burn the index does not take — no endpoint (an older Warehouse), a 500, no answer —
/// is one warning line, the exit code stays 0, and the report and summary say the token
/// was not revoked. No answer costs the 4 s budget, no more.
#[test]
fn a_burn_that_fails_is_one_warning_and_no_failure() {
    let warning = "1 of 1 upload token(s) minted by trusted publishing not revoked (";
    for (flags, cause) in [
        (
            ["--burn-token-status", "404"],
            "the token burn at 127.0.0.1 answered 404: Not Found",
        ),
        (
            ["--burn-token-delay-ms", "30000"],
            "the token burn at 127.0.0.1 got no answer within 4 s",
        ),
    ] {
        let index = start_index(&flags);
        let dir = tempdir();
        wheel(dir.path(), "tp-demo", "1.0");
        let started = Instant::now();
        let (run, report) = upload_reporting(dir.path(), &index);
        let took = started.elapsed();
        assert_eq!(run.code, Some(0), "{}", run.all());
        let lines: Vec<&str> = run.stderr.lines().filter(|l| l.contains(warning)).collect();
        assert_eq!(lines.len(), 1, "{}", run.stderr);
        assert!(lines[0].starts_with("warning: "), "{}", lines[0]);
        assert!(lines[0].contains(cause), "{}", lines[0]);
        assert!(!run.all().contains("Revoked"), "{}", run.all());
        assert_eq!(
            (&report["token_mints"], &report["tokens_revoked"]),
            (&1.into(), &0.into()),
            "{report:#}"
        );
        // The token was offered once and is alive.
        assert_eq!(burns(&index), (1, 0, 1));
        // Without its budget the burn would wait the index's 30 s.
        assert!(took < Duration::from_secs(10), "{took:?}");
        assert_no_secrets("output", &run.all(), &[]);
    }

    // In the action: a `::warning` annotation, and the summary says so.
    let index = start_index(&["--burn-token-status", "500"]);
    let (run, _workspace, commands) = action_publishes_one_wheel(&index);
    assert_eq!(run.code, Some(0), "{}", run.all());
    let annotations: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning ") && l.contains(warning))
        .collect();
    assert_eq!(annotations.len(), 1, "{}", run.stdout);
    let summary = read_expected(&commands.path().join("step_summary"));
    assert!(
        summary.contains("0 revoked when the run ended; **1 not revoked**"),
        "{summary}"
    );
    let (minted, burned, requests) = burns(&index);
    assert_eq!((minted, burned), (1, 0));
    assert!(requests >= 1, "a 500 may be retried within the budget");
    assert_no_secrets("output", &run.all(), &[]);
    assert_no_secrets("summary", &summary, &[]);
}

/// SIGINT mid-upload: the burn starts with the signal, not after the run's look at the
/// abandoned upload (here held the whole 4 s by 503s), so it lands within the runner's
/// grace period; the run exits 130 and its report counts the token revoked.
#[test]
fn an_interrupted_run_burns_its_token_at_the_signal() {
    // Uploads are read, then answered a minute late: one is in flight when the signal comes
    // (the project exists from the start: no seed upload to wait for).
    let index = TestIndex::start(&[
        "--publisher",
        PUBLISHER,
        "--issuer-request-token",
        REQUEST_TOKEN,
        "--existing-project",
        "tp-demo",
        "--upload-delay-ms",
        "60000",
    ]);
    // Lookups go through the proxy, which answers 503 to every one after the signal.
    let proxy = FaultProxy::start(&index.server.url, Plan::none());
    let (dir, out) = (tempdir(), tempdir());
    wheel(dir.path(), "tp-demo", "1.0");
    let report = out.path().join("report.json");
    let check_url = format!("{}/simple/", proxy.url);
    let mut command = Command::new(common::bin());
    command
        .args(["upload", ".", "--repository-url", &index.upload_url()])
        .args(["--check-url", &check_url, "--no-progress", "--json"])
        .arg(&report)
        .current_dir(dir.path())
        .env("NO_PROXY", "*")
        .env_remove("PYPI_PUBLISH_TOKEN")
        .env_remove("TWINE_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in github(&index, "") {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while index.stats()["files_received"] != 1 {
        assert!(Instant::now() < deadline, "the upload never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    proxy.set_plan(Plan {
        rate: 1.0,
        kinds: vec![Fault::Burst503],
        on_gets: true,
        ..Plan::none()
    });
    assert_eq!(burns(&index), (1, 0, 0));
    let signalled = Instant::now();
    // SAFETY: the pid is our own child's, still running (it is waited for below).
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let mut burned_after = None;
    while child.try_wait().unwrap().is_none() {
        if burned_after.is_none() && burns(&index).1 == 1 {
            burned_after = Some(signalled.elapsed());
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(20),
            "no exit within 20 s of the signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let exited_after = signalled.elapsed();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130), "{stderr}");
    let burned_after = burned_after.expect("burned before the run exited");
    assert!(burned_after < Duration::from_secs(2), "{burned_after:?}");
    // The look after the signal met 503s until its 4 s were up: the burn did not wait.
    assert!(
        proxy
            .tally()
            .injected
            .get(&Fault::Burst503)
            .is_some_and(|n| *n > 0),
        "{:?}",
        proxy.tally().log
    );
    assert!(
        exited_after > burned_after + Duration::from_secs(1),
        "burned {burned_after:?}, exited {exited_after:?} after the signal"
    );
    assert_eq!(burns(&index), (1, 1, 1));
    let report: serde_json::Value = serde_json::from_str(&read_expected(&report)).unwrap();
    assert_eq!(report["tokens_revoked"], 1, "{report:#}");
    assert!(stderr.contains("Revoked 1 upload token(s)"), "{stderr}");
    assert_no_secrets("output", &stderr, &[]);
}

/// The action, run by trusted publishing against `index`, publishing one wheel; its
/// workspace and file-commands folders are kept for the caller to read.
fn action_publishes_one_wheel(index: &TestIndex) -> (Run, tempfile::TempDir, tempfile::TempDir) {
    let (workspace, commands) = (tempdir(), tempdir());
    let dist = workspace.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    wheel(&dist, "tp-demo", "1.0");
    let mut inputs = github(index, "");
    inputs.push(("INPUT_REPOSITORY-URL".into(), index.upload_url()));
    let inputs: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let run = run_action(workspace.path(), commands.path(), &inputs);
    (run, workspace, commands)
}
