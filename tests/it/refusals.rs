//! Issue 13: refusals about the run's configuration, not about a file: an upload URL that is
//! no upload endpoint (a site's front page answers 405, a plain web server 501) and
//! credentials the index refuses (403). Each is neither retried nor repeated per file: the
//! run stops at the first with one message naming the URL and what was expected, and the
//! files not tried are reported as not attempted. Issue 23: the first upload goes alone, so
//! such a refusal costs one file's bytes, and the others then go together.
//!
//! Issue 21: refusals about one file, as PyPI words them: archives that break PyPI's
//! archive rules, sent with `--no-verify-metadata` so the index is the one to refuse them.
//! Each file fails on its own line with the index's message; the others are published.

use crate::common;

use std::path::Path;

use common::dists::{metadata, wheel_members, wheel_owned};
use common::fault_proxy::{FaultProxy, Plan, Tally};
use common::servers::{TestIndex, http};
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

/// A wheel of `stem` whose package module carries a comment in the central directory.
fn wheel_with_entry_comment(dir: &Path, stem: &str) {
    use std::io::Write;
    let path = dir.join(format!("{stem}-py3-none-any.whl"));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in wheel_members(stem, &metadata("archive-comment", "1.0", "")) {
        let options = zip::write::FullFileOptions::default();
        let options = if name.ends_with("__init__.py") {
            options.with_file_comment("a comment on one entry")
        } else {
            options
        };
        zip.start_file(name, options).unwrap();
        zip.write_all(&bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// A `.tar.gz` sdist of `top` whose `setup.py` is a GNU sparse member (type `S`).
fn sparse_sdist(dir: &Path, top: &str, pkg_info: &str) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.join(format!("{top}.tar.gz"))).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    let mut header = tar::Header::new_gnu();
    header.set_size(pkg_info.len() as u64);
    header.set_mode(0o644);
    tar.append_data(&mut header, format!("{top}/PKG-INFO"), pkg_info.as_bytes())
        .unwrap();
    let data = b"from setuptools import setup\nsetup()\n";
    let octal = |value: usize| {
        let mut field = [0u8; 12];
        field[..11].copy_from_slice(format!("{value:011o}").as_bytes());
        field
    };
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::GNUSparse);
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    let gnu = header.as_gnu_mut().unwrap();
    gnu.sparse[0].offset = octal(0);
    gnu.sparse[0].numbytes = octal(data.len());
    gnu.realsize = octal(data.len());
    tar.append_data(&mut header, format!("{top}/setup.py"), &data[..])
        .unwrap();
    tar.into_inner().unwrap().finish().unwrap();
}

#[test]
fn issue21_archives_pypi_refuses_fail_with_its_message() {
    let dir = tempdir();
    let good = "archive_good-1.0-py3-none-any.whl";
    wheel_owned(
        dir.path(),
        good,
        &wheel_members("archive_good-1.0", &metadata("archive-good", "1.0", "")),
    );
    wheel_with_entry_comment(dir.path(), "archive_comment-1.0");
    let mut members = wheel_members(
        "archive_entry_points-1.0",
        &metadata("archive-entry-points", "1.0", ""),
    );
    members.push((
        "archive_entry_points-1.0.dist-info/entry_points.txt".into(),
        b"[console_scripts]\n../evil = archive_entry_points:main\n".to_vec(),
    ));
    wheel_owned(
        dir.path(),
        "archive_entry_points-1.0-py3-none-any.whl",
        &members,
    );
    sparse_sdist(
        dir.path(),
        "archive_sparse-1.0",
        &metadata("archive-sparse", "1.0", ""),
    );
    let archives = "See https://docs.pypi.org/archives for more information";
    let refused = [
        (
            "archive_comment-1.0-py3-none-any.whl",
            "archive-comment",
            format!("Invalid distribution file. ZIP archive not accepted: Comment in central directory. {archives}"),
        ),
        (
            "archive_entry_points-1.0-py3-none-any.whl",
            "archive-entry-points",
            "Wheel 'archive_entry_points-1.0-py3-none-any.whl' has invalid entry points defined in the entry_points.txt file".to_owned(),
        ),
        (
            "archive_sparse-1.0.tar.gz",
            "archive-sparse",
            format!("Invalid distribution file. tar archive not accepted: Sparse members are not allowed. {archives}"),
        ),
    ];

    let index = TestIndex::start(&["--token", TOKEN]);
    let out = tempdir();
    let report = out.path().join("report.json");
    let run = Upload::to(&index.upload_url())
        .token(TOKEN)
        .args(&["--no-verify-metadata", "--json", report.to_str().unwrap()])
        .run(dir.path());
    assert_eq!(run.code, Some(1), "{}", run.all());
    // What the user reads of each: the file, the index's status, PyPI's words.
    let reads = |i: usize| {
        let (file, _, message) = &refused[i];
        format!("{file}: the index refused the upload (400): {message}")
    };
    for i in 0..refused.len() {
        let line = format!("error: {}", reads(i));
        let said = run.stderr.lines().filter(|l| *l == line).count();
        assert_eq!(said, 1, "expected {line:?} once in:\n{}", run.stderr);
    }
    says(&run.stderr, "error: 3 of 4 file(s) failed to upload");
    // A refusal for good: nothing to re-run, nothing retried.
    assert!(!run.all().contains("re-run"), "{}", run.all());
    let stats = index.stats();
    assert_eq!(stats["files_received"], 4, "{stats:#}");

    // Only the good file is published; a refused file leaves no project or release.
    let report: serde_json::Value = serde_json::from_str(&common::read_expected(&report)).unwrap();
    let mut by_file: Vec<(&str, &str, &str)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let error = f["error"].as_str().unwrap_or("");
            (
                f["file"].as_str().unwrap(),
                f["status"].as_str().unwrap(),
                error,
            )
        })
        .collect();
    by_file.sort_unstable();
    assert_eq!(
        by_file,
        [
            (refused[0].0, "failed", reads(0).as_str()),
            (refused[1].0, "failed", reads(1).as_str()),
            (good, "uploaded", ""),
            (refused[2].0, "failed", reads(2).as_str()),
        ]
    );
    let stored: Vec<&str> = stats["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(stored, [good]);
    for (_, project, _) in &refused {
        let (status, _) = http(
            "GET",
            &format!("{}{project}/", index.simple_url()),
            &[],
            b"",
        );
        assert_eq!(status, 404, "{project} exists");
    }
}

/// Issue 23: eight wheels of eight projects, 2 MB of incompressible bytes each; the size of
/// the largest.
fn heavy_release(dir: &Path) -> u64 {
    let mut rng = fastrand::Rng::with_seed(23);
    let mut largest = 0;
    for p in 0..8 {
        let (name, stem) = (format!("heavy-p{p}"), format!("heavy_p{p}-1.0"));
        let mut members = wheel_members(&stem, &metadata(&name, "1.0", ""));
        let payload: Vec<u8> = std::iter::repeat_with(|| rng.u8(..))
            .take(2 << 20)
            .collect();
        members.push((format!("heavy_p{p}/payload.bin"), payload));
        let path = wheel_owned(dir, &format!("{stem}-py3-none-any.whl"), &members);
        largest = largest.max(std::fs::metadata(path).unwrap().len());
    }
    largest
}

/// The eight heavy wheels to `url`, eight at a time; the run, its report and the size of
/// the largest wheel.
fn upload_heavy(url: &str, password: &str) -> (Run, serde_json::Value, u64) {
    let dir = tempdir();
    let largest = heavy_release(dir.path());
    let report = dir.path().join("report.json");
    let run = Upload::to(url)
        .token(password)
        .args(&["--concurrency", "8", "--json", report.to_str().unwrap()])
        .env("PYPI_PUBLISH_RETRY_DELAYS_MS", "10,50")
        .run(dir.path());
    let json = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    (run, json, largest)
}

/// What a refusal of the configuration may cost at most: one file, its form fields beside.
fn assert_one_file_sent(run: &Run, report: &serde_json::Value, tally: &Tally, largest: u64) {
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        tally.posted_bytes <= largest + 16 * 1024,
        "{} bytes received for files of at most {largest}: {}",
        tally.posted_bytes,
        run.all()
    );
    assert_eq!(tally.posts, 1, "{}", run.all());
    let statuses = statuses(report);
    assert_eq!(statuses.iter().filter(|s| **s == "failed").count(), 1);
    assert_eq!(
        statuses.iter().filter(|s| **s == "not-attempted").count(),
        7
    );
    says(&run.stderr, "; 7 file(s) not attempted");
}

/// Issue 23: an upload URL that refuses uploads (401, 404, 405, 501) receives one file
/// before the run stops, not the eight `--concurrency 8` would have in flight.
#[test]
fn a_refused_upload_url_costs_at_most_one_file() {
    let index = TestIndex::start(&["--token", TOKEN]);
    for status in [401, 404, 405, 501] {
        let plan = Plan {
            refuse_posts: Some(status),
            ..Plan::none()
        };
        let proxy = FaultProxy::start(&index.server.url, plan);
        let (run, report, largest) = upload_heavy(&format!("{}/legacy/", proxy.url), TOKEN);
        assert_one_file_sent(&run, &report, &proxy.tally(), largest);
        says(&run.stderr, &format!("({status}: "));
    }
}

/// Issue 23: credentials the index refuses (403) cost one file too.
#[test]
fn refused_credentials_cost_at_most_one_file() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let proxy = FaultProxy::start(&index.server.url, Plan::none());
    let url = format!("{}/legacy/", proxy.url);
    let (run, report, largest) = upload_heavy(&url, "pypi-NotTheToken-0000");
    assert_one_file_sent(&run, &report, &proxy.tally(), largest);
    says(&run.stderr, "refused the credentials (403");
    assert_eq!(index.stats()["files_received"], 1);
}

/// Issue 23: the pilot holds the others back only until the index has taken it; then the
/// other seven go together (the index answers each upload 300 ms late, so they overlap).
#[test]
fn after_the_first_upload_the_rest_go_together() {
    let index = TestIndex::start(&["--token", TOKEN, "--upload-delay-ms", "300"]);
    let proxy = FaultProxy::start(&index.server.url, Plan::none());
    let url = format!("{}/legacy/", proxy.url);
    let (run, report, _) = upload_heavy(&url, TOKEN);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(
        statuses(&report).iter().all(|s| *s == "uploaded"),
        "{report}"
    );
    assert_eq!(index.stats()["uploads_stored"], 8);
    let tally = proxy.tally();
    assert_eq!(tally.posts, 8, "{:#?}", tally.log);
    assert_eq!(tally.posts_before_first_answer, Some(1), "{:#?}", tally.log);
    assert!(tally.most_posts_in_flight >= 4, "{:#?}", tally.log);
}
