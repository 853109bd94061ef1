//! A release of 2,000 files (1,000 projects × wheel + sdist) to the test index: every file
//! lands, one lookup per project, peak memory bounded, a job summary that stays under
//! GitHub's 1 MiB limit, and a re-run that sends nothing (issue 23, point 2).

use std::path::Path;

use crate::common;
use common::dists;
use common::servers::{TestIndex, http};
use common::{action_command, measured_command, read_expected, tempdir};

const TOKEN: &str = "pypi-ScaleTwoThousand-2323";
const PROJECTS: usize = 1000;
/// The bound on our peak RSS at 2,000 files (issue 23): what the run keeps per file is small.
const RSS_LIMIT_KIB: u64 = 64 * 1024;
/// GitHub refuses a step summary over 1 MiB.
const SUMMARY_LIMIT: u64 = 1024 * 1024;

/// Writes `projects` × (wheel + sdist) of a few hundred bytes each.
fn release(dir: &Path, projects: usize) {
    for i in 0..projects {
        dists::release(dir, &format!("scale-{i:04}"), "1.0");
    }
}

#[test]
fn a_release_of_2000_files_lands_whole_and_its_rerun_sends_nothing() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let workspace = tempdir();
    let dist = workspace.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    release(&dist, PROJECTS);
    let files = 2 * PROJECTS;
    let inputs = [
        ("INPUT_PASSWORD", TOKEN),
        ("INPUT_REPOSITORY-URL", &index.upload_url() as &str),
        ("INPUT_PACKAGES-DIR", "dist"),
        ("INPUT_VERBOSE", "false"),
        ("INPUT_PRINT-HASH", "false"),
    ];

    let commands = tempdir();
    let (run, took, _, hwm_kib) =
        measured_command(action_command(workspace.path(), commands.path(), &inputs));
    assert_eq!(
        run.code,
        Some(0),
        "{}",
        &run.all()[..run.all().len().min(4000)]
    );
    eprintln!("{files} files: {took:?}, peak RSS {} MiB", hwm_kib / 1024);
    let stats = index.stats();
    assert_eq!(stats["files"].as_array().unwrap().len(), files);
    assert_eq!(stats["uploads_stored"], files);
    assert_eq!(stats["upload_requests"], files);
    assert_eq!(stats["simple_requests"], PROJECTS, "one lookup per project");
    assert!(
        hwm_kib > 0 && hwm_kib <= RSS_LIMIT_KIB,
        "peak RSS {hwm_kib} KiB over {RSS_LIMIT_KIB} KiB"
    );

    let summary_path = commands.path().join("step_summary");
    let size = std::fs::metadata(&summary_path).unwrap().len();
    eprintln!("job summary: {size} bytes");
    assert!(size < SUMMARY_LIMIT, "summary of {size} bytes");
    let summary = read_expected(&summary_path);
    let counts = format!("**{files} files**: {files} ✅ uploaded.");
    assert!(summary.contains(&counts), "{}", &summary[..2000]);
    // Collapsed: every file's row is folded in the `<details>` block, none in the open.
    let (open, folded) = summary
        .split_once(&format!("<details><summary>All {files} files</summary>"))
        .expect("the full list folded away");
    assert_eq!(open.matches("| `scale_").count(), 0, "{open}");
    assert_eq!(folded.matches("| `scale_").count(), files);
    assert!(folded.contains("| `scale_0999-1.0.tar.gz` |"));

    // The re-run: every file already there; the 1,000 lookups are all it sends.
    let (status, body) = http(
        "POST",
        &format!("{}/_/reset-stats", index.server.url),
        &[],
        b"",
    );
    assert!(status < 300, "{status} {body}");
    let commands = tempdir();
    let (run, took, _, _) =
        measured_command(action_command(workspace.path(), commands.path(), &inputs));
    assert_eq!(
        run.code,
        Some(0),
        "{}",
        &run.all()[..run.all().len().min(4000)]
    );
    eprintln!("re-run of {files} files: {took:?}");
    let stats = index.stats();
    assert_eq!(stats["upload_requests"], 0);
    assert_eq!(stats["simple_requests"], PROJECTS);
    let summary = read_expected(&commands.path().join("step_summary"));
    assert!(
        summary.contains(&format!("**{files} files**: {files} ⏭️ already present.")),
        "{}",
        &summary[..2000]
    );
}
