//! `pypi-publish check`: the preflight on its own.

use serde_json::json;

use super::Status;
use crate::cli::CheckArgs;
use crate::dist::{Target, check, discover};
use crate::report::Reporter;
use crate::report::terminal::Terminal;

/// Checks the files; prints one line per problem.
pub fn run(args: &CheckArgs) -> anyhow::Result<Status> {
    let url = crate::index::url::upload_url(&args.repository_url, true)?;
    let target = Target::for_url(&url);
    let found = discover::discover(&args.paths)?;
    let report = check::check_files(&found.dists, target);
    if args.json {
        let files: Vec<_> = found
            .dists
            .iter()
            .map(|path| {
                let file = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let dist = report.dists.iter().find(|d| d.path == *path);
                let problems: Vec<_> = report.problems_of(&file).collect();
                json!({
                    "file": file,
                    "path": path,
                    "kind": dist.map(|d| d.filename.kind()),
                    "metadata": dist.map(|d| d.metadata.to_raw_json()),
                    "ok": !problems.iter().any(|p| p.severity == crate::dist::Severity::Error),
                    "problems": problems,
                })
            })
            .collect();
        let skipped: Vec<_> = found
            .skipped
            .iter()
            .map(|s| json!({"path": s.path, "reason": s.reason}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"files": files, "skipped": skipped}))?
        );
    } else {
        let terminal = Terminal::new(false, args.verbose);
        for s in &found.skipped {
            terminal.skipped(&s.path, s.reason);
        }
        for p in &report.problems {
            println!("{p}");
        }
        let failed: std::collections::BTreeSet<&str> = report
            .problems
            .iter()
            .filter(|p| p.severity == crate::dist::Severity::Error)
            .map(|p| p.file.as_str())
            .collect();
        eprintln!(
            "Checked {} distribution(s) against {} rules: {} passed, {} failed",
            found.dists.len(),
            if target == Target::Pypi {
                "PyPI's"
            } else {
                "general"
            },
            found.dists.len() - failed.len(),
            failed.len()
        );
    }
    Ok(if report.has_errors() {
        Status::Failure
    } else {
        Status::Success
    })
}
