//! The final table: one row per file with its size, sha256, status and where it can be seen.

use crate::publish::{FileStatus, PublishReport};

/// Human-readable size.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Renders the report as an aligned text table.
pub fn render(report: &PublishReport) -> String {
    let rows: Vec<[String; 5]> = report
        .files
        .iter()
        .map(|f| {
            [
                f.file.clone(),
                human_size(f.size),
                f.sha256.clone(),
                f.status.label().to_string(),
                f.url.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let header = ["file", "size", "sha256", "status", "url"].map(String::from);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    let count = |s: FileStatus| report.files.iter().filter(|f| f.status == s).count();
    out.push_str(&format!(
        "{} uploaded, {} already present, {} failed, {} not attempted{}\n",
        count(FileStatus::Uploaded),
        count(FileStatus::AlreadyPresent),
        count(FileStatus::Failed),
        count(FileStatus::NotAttempted),
        if report.dry_run {
            format!(
                ", {} would upload (dry run)",
                count(FileStatus::WouldUpload)
            )
        } else {
            String::new()
        },
    ));
    out
}
