//! The job summary's list of files: a table of every file for a release of up to a few
//! hundred; past that, counts per outcome, the files that need a look, and the whole table
//! folded in a `<details>` block while it fits the step summary's size limit.

use super::summary::cell;
use crate::publish::{FileReport, FileStatus, PublishReport};
use crate::report::table::human_size;

/// Rows shown as they are; a release with more files is summed up by outcome, and only the
/// files that need a look (failed, not attempted) are listed in the open.
pub(super) const OPEN_ROWS: usize = 200;

/// Bytes the full list of files may take, folded in a `<details>` block, in one run's
/// summary: GitHub refuses a step summary over 1 MiB (`GITHUB_STEP_SUMMARY` "upload limit"),
/// and other steps append to the same job summary. Past it, the JSON report has the list.
pub(super) const FULL_LIST_BYTES: usize = 640 * 1024;

/// The preflight's problems, the first [`OPEN_ROWS`] of them.
pub(super) fn problems(report: &PublishReport) -> String {
    if report.problems.is_empty() {
        return String::new();
    }
    let mut md = String::from("| file | problem |\n|---|---|\n");
    for p in report.problems.iter().take(OPEN_ROWS) {
        md.push_str(&format!(
            "| `{}` | {} |\n",
            p.file,
            cell(&format!("{} ({})", p.rule, p.found))
        ));
    }
    if report.problems.len() > OPEN_ROWS {
        md.push_str(&format!(
            "\n…and {} more problems: see the JSON report.\n",
            report.problems.len() - OPEN_ROWS
        ));
    }
    md.push('\n');
    md
}

/// The files table: whole for a release of up to [`OPEN_ROWS`] files; otherwise counts per
/// outcome, the files that need a look, and the whole table folded away when it fits in
/// `budget` bytes.
pub(super) fn files(report: &PublishReport, budget: usize) -> String {
    const HEAD: &str = "| file | size | sha256 | status | link |\n|---|---:|---|---|---|\n";
    let rows = |files: &mut dyn Iterator<Item = &FileReport>| -> String {
        let mut md = String::from(HEAD);
        for f in files {
            md.push_str(&file_row(f));
        }
        md
    };
    if report.files.is_empty() {
        return String::new();
    }
    if report.files.len() <= OPEN_ROWS {
        return rows(&mut report.files.iter());
    }
    let counted: Vec<String> = [
        FileStatus::Uploaded,
        FileStatus::AlreadyPresent,
        FileStatus::WouldUpload,
        FileStatus::Failed,
        FileStatus::NotAttempted,
    ]
    .into_iter()
    .map(|s| (s, report.files.iter().filter(|f| f.status == s).count()))
    .filter(|(_, n)| *n > 0)
    .map(|(s, n)| format!("{n} {}", status_text(s)))
    .collect();
    let mut md = format!(
        "**{} files**: {}.\n\n",
        report.files.len(),
        counted.join(" · ")
    );
    let notable: Vec<&FileReport> = report
        .files
        .iter()
        .filter(|f| !matches!(f.status, FileStatus::Uploaded | FileStatus::AlreadyPresent))
        .collect();
    if !notable.is_empty() {
        md.push_str(&rows(&mut notable.iter().copied().take(OPEN_ROWS)));
        if notable.len() > OPEN_ROWS {
            md.push_str(&format!(
                "\n…and {} more: see the JSON report.\n",
                notable.len() - OPEN_ROWS
            ));
        }
        md.push('\n');
    }
    let all = rows(&mut report.files.iter());
    if all.len() <= budget {
        md.push_str(&format!(
            "<details><summary>All {} files</summary>\n\n{all}\n</details>\n",
            report.files.len()
        ));
    } else {
        md.push_str("The list of every file is in the JSON report (the `report` output).\n");
    }
    md
}

fn status_text(status: FileStatus) -> &'static str {
    match status {
        FileStatus::Uploaded => "✅ uploaded",
        FileStatus::AlreadyPresent => "⏭️ already present",
        s => s.label(),
    }
}

fn file_row(f: &FileReport) -> String {
    let status = match (&f.status, &f.error) {
        (FileStatus::Failed, Some(e)) => format!("❌ failed: {}", cell(e)),
        (s, _) => status_text(*s).to_string(),
    };
    let link = f
        .url
        .as_deref()
        .map_or(String::new(), |u| format!("[view]({u})"));
    format!(
        "| `{}` | {} | `{}` | {status} | {link} |\n",
        f.file,
        human_size(f.size),
        f.sha256,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(n: usize, failed: &[usize]) -> PublishReport {
        let files = (0..n)
            .map(|i| {
                let failed = failed.contains(&i);
                FileReport {
                    file: format!("project-{i:04}-1.0-py3-none-any.whl"),
                    path: format!("dist/project-{i:04}-1.0-py3-none-any.whl").into(),
                    project: format!("project-{i:04}"),
                    version: "1.0".into(),
                    kind: crate::dist::DistKind::Wheel,
                    size: 1234,
                    sha256: format!("{i:064x}"),
                    status: if failed {
                        FileStatus::Failed
                    } else {
                        FileStatus::Uploaded
                    },
                    url: Some(format!("https://pypi.org/project/project-{i:04}/1.0/")),
                    attempts: 1,
                    error: failed.then(|| "400 Bad Request: nope".into()),
                    hint: None,
                    attestation: None,
                }
            })
            .collect();
        PublishReport {
            files,
            ..Default::default()
        }
    }

    #[test]
    fn a_small_release_is_one_open_table() {
        let md = files(&report(OPEN_ROWS, &[3]), FULL_LIST_BYTES);
        assert!(!md.contains("<details>"), "{md}");
        assert_eq!(md.matches("| `project-").count(), OPEN_ROWS);
        assert!(md.contains("| `project-0003-1.0-py3-none-any.whl` | 1.2 KiB"));
        assert!(md.contains("❌ failed: 400 Bad Request: nope"));
    }

    #[test]
    fn a_large_release_is_counted_and_folded() {
        let md = files(&report(2000, &[7, 1500]), FULL_LIST_BYTES);
        assert!(
            md.starts_with("**2000 files**: 1998 ✅ uploaded · 2 failed.\n"),
            "{md}"
        );
        // In the open: only the two failures, before the folded list of all 2,000.
        let (open, folded) = md
            .split_once("<details><summary>All 2000 files</summary>")
            .unwrap();
        assert_eq!(open.matches("| `project-").count(), 2, "{open}");
        assert!(open.contains("project-0007-") && open.contains("project-1500-"));
        assert_eq!(folded.matches("| `project-").count(), 2000);
        assert!(folded.trim_end().ends_with("</details>"));
        assert!(md.len() < FULL_LIST_BYTES, "{} bytes", md.len());
    }

    #[test]
    fn past_the_budget_the_list_is_left_to_the_report() {
        let md = files(&report(2000, &[]), 64 * 1024);
        assert!(!md.contains("<details>"));
        assert_eq!(md.matches("| `project-").count(), 0);
        assert!(md.contains("is in the JSON report"));
        assert!(md.len() < 1024, "{} bytes", md.len());
    }

    #[test]
    fn failures_in_the_open_are_bounded_too() {
        let all: Vec<usize> = (0..1000).collect();
        let md = files(&report(1000, &all), 0);
        let open = md.split("…and").next().unwrap();
        assert_eq!(open.matches("| `project-").count(), OPEN_ROWS);
        assert!(md.contains("…and 800 more: see the JSON report."), "{md}");
    }
}
