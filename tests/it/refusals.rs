//! Issue 13: refusals about the run's configuration, not about a file: an upload URL that is
//! no upload endpoint (a site's front page answers 405, a plain web server 501) and
//! credentials the index refuses (403). Each is neither retried nor repeated per file: the
//! run stops at the first with one message naming the URL and what was expected, and the
//! files not tried are reported as not attempted.

use crate::common;

use std::path::Path;

use common::dists::{metadata, wheel_members, wheel_owned};
use common::fault_proxy::{FaultProxy, Plan};
use common::servers::TestIndex;
use common::{Run, Upload, tempdir};

const TOKEN: &str = "pypi-Refusals-51c9";

/// Six wheels of two projects.
fn release(dir: &Path) {
    for p in 0..2 {
        let (name, stem) = (format!("refused-p{p}"), format!("refused_p{p}-1.0"));
        let meta = metadata(&name, "1.0", "");
        for tag in [
            "py3-none-any",
            "cp312-cp312-win_amd64",
            "cp313-cp313-win_amd64",
        ] {
            let mut members = wheel_members(&stem, &meta);
            members.push((format!("refused_p{p}/tag.txt"), tag.as_bytes().to_vec()));
            wheel_owned(dir, &format!("{stem}-{tag}.whl"), &members);
        }
    }
}

/// One upload to `url`; the run and its JSON report.
fn upload(url: &str, password: &str) -> (Run, serde_json::Value) {
    let dir = tempdir();
    release(dir.path());
    let report = dir.path().join("report.json");
    let run = Upload::to(url)
        .token(password)
        .args(&["--concurrency", "1", "--json", report.to_str().unwrap()])
        .env("PYPI_PUBLISH_RETRY_DELAYS_MS", "10,50")
        .run(dir.path());
    let json = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    (run, json)
}

/// Asserts that `stderr` says `text`.
fn says(stderr: &str, text: &str) {
    assert!(stderr.contains(text), "expected {text:?} in:\n{stderr}");
}

/// The statuses in the report, in order.
fn statuses(report: &serde_json::Value) -> Vec<&str> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect()
}

/// What every stopped run shares: one attempt, one message, the rest not attempted, no
/// "re-run", no file name said twice.
fn assert_stopped_once(run: &Run, report: &serde_json::Value, posts: u64) {
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert_eq!(posts, 1, "{}", run.all());
    let mut statuses = statuses(report);
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [
            "failed",
            "not-attempted",
            "not-attempted",
            "not-attempted",
            "not-attempted",
            "not-attempted"
        ]
    );
    assert_eq!(run.stderr.matches("error:").count(), 1, "{}", run.stderr);
    assert!(!run.all().contains("re-run"), "{}", run.all());
    for line in run.all().lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert!(
            !words
                .windows(2)
                .any(|w| w[0] == w[1] && w[0].ends_with(".whl:")),
            "doubled file name: {line}"
        );
    }
}

/// A run against a server that refuses every upload with `status` at `path` (its lookups
/// reach the test index); asserts the one message and returns stderr.
fn refused_with(status: u16, path: &str) -> String {
    let index = TestIndex::start(&["--token", TOKEN]);
    let plan = Plan {
        refuse_posts: Some(status),
        ..Plan::none()
    };
    let proxy = FaultProxy::start(&index.server.url, plan);
    let url = format!("{}{path}", proxy.url);
    let (run, report) = upload(&url, TOKEN);
    assert_stopped_once(&run, &report, proxy.tally().posts);
    let expected =
        format!("error: {url} is not an upload endpoint: it refused the first upload ({status}: ");
    says(&run.stderr, &expected);
    says(&run.stderr, "; 5 file(s) not attempted");
    says(&run.stderr, "https://upload.pypi.org/legacy/");
    run.stderr
}

#[test]
fn a_site_front_page_stops_the_run_with_the_upload_url_it_expected() {
    // A site's root: its simple index is found, its front page refuses POSTs.
    let stderr = refused_with(405, "/");
    says(&stderr, "(405: Method Not Allowed)");
}

#[test]
fn a_plain_web_server_stops_the_run() {
    let stderr = refused_with(501, "/legacy/");
    says(&stderr, "(501: Unsupported method ('POST'))");
}

#[test]
fn refused_credentials_stop_the_run() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let proxy = FaultProxy::start(&index.server.url, Plan::none());
    let url = format!("{}/legacy/", proxy.url);
    let (run, report) = upload(&url, "pypi-NotTheToken-0000");
    assert_stopped_once(&run, &report, proxy.tally().posts);
    let expected = format!("error: {url} refused the credentials (403");
    says(&run.stderr, &expected);
    says(&run.stderr, "hint: the credentials were refused");
}
