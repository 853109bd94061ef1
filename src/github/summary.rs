//! Step outputs (`GITHUB_OUTPUT`) and the job summary (`GITHUB_STEP_SUMMARY`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::json;

use super::summary_files::{FULL_LIST_BYTES, files, problems};
use crate::publish::{FileStatus, PublishReport};

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
        (
            "github-attestation-ids",
            github_attestation_ids(std::slice::from_ref(report)),
        ),
        ("report", report_path.display().to_string()),
    ]
}

/// The outputs of a run with several destinations (`reports`: the destinations reached,
/// in order): each list output is the union over the destinations (a file may be uploaded
/// to one and already present on another), and `destinations` holds each one's own
/// `uploaded`, `skipped` and `release-urls`. A run with one destination has today's outputs.
pub fn outputs_all(
    reports: &[PublishReport],
    several: bool,
    report_path: &Path,
) -> Vec<(&'static str, String)> {
    if let ([one], false) = (reports, several) {
        return outputs(one, report_path);
    }
    let each: Vec<Vec<(&'static str, String)>> =
        reports.iter().map(|r| outputs(r, report_path)).collect();
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or_default();
    let union = |name: &str| -> serde_json::Value {
        let mut all: Vec<serde_json::Value> = Vec::new();
        let mut map = serde_json::Map::new();
        for outputs in &each {
            let value = outputs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| parse(v));
            match value {
                Some(serde_json::Value::Array(items)) => {
                    for item in items {
                        if !all.contains(&item) {
                            all.push(item);
                        }
                    }
                }
                Some(serde_json::Value::Object(entries)) => map.extend(entries),
                _ => {}
            }
        }
        if map.is_empty() {
            json!(all)
        } else {
            json!(map)
        }
    };
    let destinations: Vec<serde_json::Value> = reports
        .iter()
        .zip(&each)
        .map(|(report, outputs)| {
            let get = |name: &str| {
                outputs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(json!([]), |(_, v)| parse(v))
            };
            json!({
                "repository-url": report.repository_url,
                "uploaded": get("uploaded"),
                "skipped": get("skipped"),
                "release-urls": get("release-urls"),
            })
        })
        .collect();
    vec![
        ("uploaded", union("uploaded").to_string()),
        ("skipped", union("skipped").to_string()),
        ("release-urls", union("release-urls").to_string()),
        ("hashes", union("hashes").to_string()),
        ("attestations", union("attestations").to_string()),
        ("github-attestation-ids", github_attestation_ids(reports)),
        ("destinations", json!(destinations).to_string()),
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

/// The ids GitHub's attestation store gave, by file name, over every destination (a file
/// sent to several is stored once).
fn github_attestation_ids(reports: &[PublishReport]) -> String {
    let ids: BTreeMap<&str, u64> = reports
        .iter()
        .flat_map(|r| &r.github_attestations)
        .map(|(file, id)| (file.as_str(), *id))
        .collect();
    json!(ids).to_string()
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
    titled(report, "PyPI publish", identity, failure, FULL_LIST_BYTES)
}

/// The job summary of a run with several destinations: one section each, in order (the
/// failure under the destination that failed), then the destinations not reached.
pub fn markdown_all(
    reports: &[PublishReport],
    identities: &[String],
    failure: Option<&str>,
    not_reached: &[String],
) -> String {
    let total = reports.len() + not_reached.len();
    let mut md = String::new();
    for (i, report) in reports.iter().enumerate() {
        let title = format!("PyPI publish: destination {} of {total}", i + 1);
        let identity = identities.get(i).map_or("", String::as_str);
        let failed = failure.filter(|_| i + 1 == reports.len());
        let budget = FULL_LIST_BYTES / reports.len();
        md.push_str(&titled(report, &title, identity, failed, budget));
        md.push('\n');
    }
    for url in not_reached {
        md.push_str(&format!(
            "Not published to `{url}`: an earlier destination failed.\n\n"
        ));
    }
    md
}

fn titled(
    report: &PublishReport,
    title: &str,
    identity: &str,
    failure: Option<&str>,
    budget: usize,
) -> String {
    let mut md = format!("## {title}\n\n");
    md.push_str(&format!(
        "Index: `{}` · credentials: {identity}",
        report.repository_url
    ));
    if report.dry_run {
        md.push_str(" · **dry run**");
    }
    md.push_str(&revoked(report));
    let signed = attestations(report);
    if signed.is_empty() {
        md.push_str("\n\nAttestations: none sent.\n\n");
    } else {
        md.push_str(&format!(
            "\n\nAttestations: {} PEP 740 publish attestation(s) sent.\n\n",
            signed.len()
        ));
    }
    md.push_str(&provenance(report));
    if let Some(failure) = failure {
        md.push_str(&format!(
            "> [!CAUTION]\n> {}\n\n",
            failure.replace('\n', "\n> ")
        ));
    }
    md.push_str(&problems(report));
    md.push_str(&files(report, budget));
    md
}

/// The provenance grade PyPI will show for each release (nothing when not looked at).
fn provenance(report: &PublishReport) -> String {
    let Some(provenance) = &report.provenance else {
        return String::new();
    };
    let mut md = String::new();
    for p in &provenance.releases {
        let mark = if p.grade.refused() { "⚠️ " } else { "" };
        md.push_str(&format!(
            "Provenance of {} {}: {mark}{}\n\n",
            p.project,
            p.version,
            cell(&p.reason)
        ));
    }
    md
}

/// What became of the upload tokens trusted publishing minted (nothing without any).
fn revoked(report: &PublishReport) -> String {
    match (report.token_mints, report.tokens_revoked) {
        (0, _) => String::new(),
        (1, 1) => {
            "\n\nUpload token: minted by trusted publishing, revoked when the run ended.".into()
        }
        (minted, revoked) if revoked == minted => format!(
            "\n\nUpload tokens: {minted} minted by trusted publishing, all revoked when the run ended."
        ),
        (minted, revoked) => format!(
            "\n\nUpload tokens: {minted} minted by trusted publishing, {revoked} revoked when the run ended; **{} not revoked** (the index refused or did not answer the burn): each expires 15 minutes after it was minted.",
            minted - revoked
        ),
    }
}

pub(super) fn cell(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::FileReport;

    fn row(file: &str, status: FileStatus, attestation: Option<&str>) -> FileReport {
        FileReport {
            file: file.into(),
            path: format!("dist/{file}").into(),
            project: "demo".into(),
            version: "1.0".into(),
            kind: crate::dist::DistKind::Wheel,
            size: 1,
            sha256: format!("{:0>64}", file.len()),
            status,
            url: Some("https://pypi.org/project/demo/1.0/".into()),
            attempts: 1,
            error: None,
            hint: None,
            attestation: attestation.map(Into::into),
        }
    }

    #[test]
    fn the_summary_says_the_provenance_grade() {
        let prediction = |grade, reason: &str| crate::provenance::Prediction {
            project: "demo".into(),
            version: "1.1".into(),
            grade,
            states: vec![grade],
            reason: reason.into(),
            compared_with: None,
        };
        let mut report = PublishReport {
            files: vec![row("a-1.1-py3-none-any.whl", FileStatus::Uploaded, None)],
            ..PublishReport::default()
        };
        assert!(!markdown(&report, "token", None).contains("Provenance"));
        report.provenance = Some(crate::provenance::ProvenanceReport {
            check: crate::provenance::Check::Warn,
            publisher: None,
            attestations: true,
            grade: crate::provenance::Grade::Changed,
            releases: vec![prediction(
                crate::provenance::Grade::Changed,
                "changed: 1.0 was published by o/r release.yml, this run is o/r publish.yml",
            )],
            objects_read: 1,
        });
        assert!(
            markdown(&report, "token", None).contains(
                "Provenance of demo 1.1: ⚠️ changed: 1.0 was published by o/r release.yml, this run is o/r publish.yml\n"
            ),
            "{}",
            markdown(&report, "token", None)
        );
    }

    fn output<'a>(outputs: &'a [(&str, String)], name: &str) -> &'a str {
        outputs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap()
    }

    /// The attestations sent are named in the outputs and counted in the summary.
    #[test]
    fn attestations_sent_are_in_the_outputs_and_the_summary() {
        let report = PublishReport {
            files: vec![
                row(
                    "a-1.0-py3-none-any.whl",
                    FileStatus::Uploaded,
                    Some("dist/a.att"),
                ),
                row("b-1.0-py3-none-any.whl", FileStatus::AlreadyPresent, None),
            ],
            repository_url: "https://upload.pypi.org/legacy/".into(),
            ..Default::default()
        };
        let outputs = outputs(&report, Path::new("report.json"));
        assert_eq!(output(&outputs, "attestations"), r#"["dist/a.att"]"#);
        let md = markdown(&report, "trusted publishing", None);
        assert!(
            md.contains("1 PEP 740 publish attestation(s) sent."),
            "{md}"
        );
    }

    /// The summary says whether the minted upload tokens were revoked, and names none
    /// without trusted publishing.
    #[test]
    fn the_summary_says_whether_minted_tokens_were_revoked() {
        let with = |token_mints, tokens_revoked| {
            let report = PublishReport {
                token_mints,
                tokens_revoked,
                ..Default::default()
            };
            markdown(&report, "trusted publishing", None)
        };
        assert!(!with(0, 0).contains("token"), "{}", with(0, 0));
        assert!(
            with(1, 1).contains(
                "Upload token: minted by trusted publishing, revoked when the run ended."
            ),
            "{}",
            with(1, 1)
        );
        assert!(with(2, 2).contains("2 minted by trusted publishing, all revoked"));
        let partly = with(2, 1);
        assert!(
            partly.contains("1 revoked when the run ended; **1 not revoked**"),
            "{partly}"
        );
    }

    /// One section per destination reached, the failure under the one that failed, then
    /// the destinations not reached.
    #[test]
    fn the_summary_of_several_destinations() {
        let reached = |url: &str| PublishReport {
            files: vec![row("a-1.0-py3-none-any.whl", FileStatus::Uploaded, None)],
            repository_url: url.into(),
            ..Default::default()
        };
        let reports = [
            reached("https://one/legacy/"),
            reached("https://two/legacy/"),
        ];
        let identities = ["token one".to_string(), "token two".to_string()];
        let md = markdown_all(
            &reports,
            &identities,
            Some("it broke"),
            &["https://three/legacy/".to_string()],
        );
        let one = md.find("## PyPI publish: destination 1 of 3").unwrap();
        let two = md.find("## PyPI publish: destination 2 of 3").unwrap();
        let caution = md.find("> it broke").unwrap();
        assert!(one < two && two < caution, "{md}");
        assert_eq!(md.matches("[!CAUTION]").count(), 1, "{md}");
        assert!(md.contains("credentials: token two"), "{md}");
        assert!(
            md.ends_with(
                "Not published to `https://three/legacy/`: an earlier destination failed.\n\n"
            ),
            "{md}"
        );
    }

    /// With several destinations each output is the union, hashes merged.
    #[test]
    fn several_destinations_merge_their_outputs() {
        let one = PublishReport {
            files: vec![row("a-1.0-py3-none-any.whl", FileStatus::Uploaded, None)],
            repository_url: "https://test.pypi.org/legacy/".into(),
            ..Default::default()
        };
        let two = PublishReport {
            files: vec![
                row("a-1.0-py3-none-any.whl", FileStatus::AlreadyPresent, None),
                row("bb-1.0-py3-none-any.whl", FileStatus::Uploaded, None),
            ],
            repository_url: "https://upload.pypi.org/legacy/".into(),
            ..Default::default()
        };
        let outputs = outputs_all(&[one, two], true, Path::new("report.json"));
        assert_eq!(
            output(&outputs, "uploaded"),
            r#"["a-1.0-py3-none-any.whl","bb-1.0-py3-none-any.whl"]"#
        );
        let hashes: serde_json::Value = serde_json::from_str(output(&outputs, "hashes")).unwrap();
        assert_eq!(hashes.as_object().unwrap().len(), 2, "{hashes}");
        let destinations: serde_json::Value =
            serde_json::from_str(output(&outputs, "destinations")).unwrap();
        assert_eq!(
            destinations[1]["skipped"],
            json!(["a-1.0-py3-none-any.whl"])
        );
    }

    /// The ids GitHub's attestation store gave, by file, merged over the destinations;
    /// `{}` when nothing was stored.
    #[test]
    fn the_stored_attestation_ids_are_an_output() {
        let stored = |pairs: &[(&str, u64)]| PublishReport {
            github_attestations: pairs.iter().map(|(f, id)| (f.to_string(), *id)).collect(),
            ..Default::default()
        };
        let one = stored(&[("a.whl", 7)]);
        let outputs = outputs(&one, Path::new("r.json"));
        assert_eq!(output(&outputs, "github-attestation-ids"), r#"{"a.whl":7}"#);
        let both = [one, stored(&[("a.whl", 7), ("b.tar.gz", 9)])];
        let outputs = outputs_all(&both, true, Path::new("r.json"));
        let ids = output(&outputs, "github-attestation-ids");
        assert_eq!(ids, r#"{"a.whl":7,"b.tar.gz":9}"#);
        let none = outputs_all(&[stored(&[])], true, Path::new("r.json"));
        assert_eq!(output(&none, "github-attestation-ids"), "{}");
    }
}
