//! Step outputs (`GITHUB_OUTPUT`) and the job summary (`GITHUB_STEP_SUMMARY`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::publish::{FileStatus, PublishReport};
use crate::report::table::human_size;

/// The outputs, as `(name, single-line JSON value)`.
pub fn outputs(report: &PublishReport, report_path: &Path) -> Vec<(&'static str, String)> {
    let names = |status: FileStatus| -> Vec<&str> {
        report
            .files
            .iter()
            .filter(|f| f.status == status)
            .map(|f| f.file.as_str())
            .collect()
    };
    let mut urls: Vec<&str> = report
        .files
        .iter()
        .filter(|f| matches!(f.status, FileStatus::Uploaded | FileStatus::AlreadyPresent))
        .filter_map(|f| f.url.as_deref())
        .collect();
    urls.dedup();
    let hashes: BTreeMap<&str, &str> = report
        .files
        .iter()
        .map(|f| (f.file.as_str(), f.sha256.as_str()))
        .collect();
    vec![
        ("uploaded", json!(names(FileStatus::Uploaded)).to_string()),
        (
            "skipped",
            json!(names(FileStatus::AlreadyPresent)).to_string(),
        ),
        ("release-urls", json!(urls).to_string()),
        ("hashes", json!(hashes).to_string()),
        ("attestations", json!(attestations(report)).to_string()),
        ("report", report_path.display().to_string()),
    ]
}

/// Appends outputs to the `GITHUB_OUTPUT` file, in the delimiter form that is safe for any
/// value.
pub fn write_outputs(path: &Path, outputs: &[(&str, String)]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    for (name, value) in outputs {
        let delimiter = format!("ghadelimiter_{:016x}", fastrand::u64(..));
        writeln!(file, "{name}<<{delimiter}\n{value}\n{delimiter}")?;
    }
    Ok(())
}

/// Paths of the attestations sent with uploaded files.
fn attestations(report: &PublishReport) -> Vec<String> {
    report
        .files
        .iter()
        .filter_map(|f| f.attestation.as_ref())
        .map(|p| p.display().to_string())
        .collect()
}

/// The job summary in Markdown.
pub fn markdown(report: &PublishReport, identity: &str, failure: Option<&str>) -> String {
    let mut md = String::from("## PyPI publish\n\n");
    md.push_str(&format!(
        "Index: `{}` · credentials: {identity}",
        report.repository_url
    ));
    if report.dry_run {
        md.push_str(" · **dry run**");
    }
    let signed = attestations(report);
    if signed.is_empty() {
        md.push_str("\n\nAttestations: none sent.\n\n");
    } else {
        md.push_str(&format!(
            "\n\nAttestations: {} PEP 740 publish attestation(s) sent.\n\n",
            signed.len()
        ));
    }
    if let Some(failure) = failure {
        md.push_str(&format!(
            "> [!CAUTION]\n> {}\n\n",
            failure.replace('\n', "\n> ")
        ));
    }
    if !report.problems.is_empty() {
        md.push_str("| file | problem |\n|---|---|\n");
        for p in &report.problems {
            md.push_str(&format!(
                "| `{}` | {} |\n",
                p.file,
                cell(&format!("{} ({})", p.rule, p.found))
            ));
        }
        md.push('\n');
    }
    if !report.files.is_empty() {
        md.push_str("| file | size | sha256 | status | link |\n|---|---:|---|---|---|\n");
        for f in &report.files {
            let status = match (&f.status, &f.error) {
                (FileStatus::Failed, Some(e)) => format!("❌ failed: {}", cell(e)),
                (FileStatus::Uploaded, _) => "✅ uploaded".to_string(),
                (FileStatus::AlreadyPresent, _) => "⏭️ already present".to_string(),
                (s, _) => s.label().to_string(),
            };
            let link = f
                .url
                .as_deref()
                .map_or(String::new(), |u| format!("[view]({u})"));
            md.push_str(&format!(
                "| `{}` | {} | `{}` | {status} | {link} |\n",
                f.file,
                human_size(f.size),
                f.sha256,
            ));
        }
    }
    md
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Appends to the `GITHUB_STEP_SUMMARY` file.
pub fn write_summary(path: &Path, markdown: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(markdown.as_bytes())
}
