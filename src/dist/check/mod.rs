//! The preflight rules: everything PyPI would refuse, found before a byte is sent.
//!
//! Each rule mirrors a check in PyPI's upload endpoint (SPEC §1). A [`Problem`] names the
//! file, the rule and what was found, and renders as one line:
//! `<file>: <rule> (<what was found>)`. Checking keeps going past a bad file so that every
//! problem in a release is reported at once.
//!
//! This module holds the file-level rules (names, archives, cross-file); [`metadata`] holds
//! the rules on core-metadata fields.

pub mod address;
mod declared;
mod metadata;
pub mod pep440;
pub mod pep508;
mod web;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::archive::{self, ArchiveContents};
use super::filename::{
    DistFilename, FilenameDetail, SdistFormat, canonical_sdist_filename, is_pypi_platform_tag,
};
use super::metadata::{CoreMetadata, Field};
use super::name::normalize;
use super::{DistKind, Distribution};

/// PyPI's default per-file size limit.
pub const PYPI_FILE_LIMIT: u64 = 100 * 1024 * 1024;

/// Which index's rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// PyPI or TestPyPI: every Warehouse rule.
    Pypi,
    /// Any other index: the rules that make a distribution valid anywhere.
    Other,
}

impl Target {
    /// PyPI's rules for PyPI and TestPyPI hosts, the general ones elsewhere.
    pub fn for_url(url: &url::Url) -> Self {
        crate::known_index::KnownIndex::of(url).into()
    }
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The index would refuse the file: nothing is uploaded.
    Error,
    /// Worth knowing; does not stop the upload.
    Warning,
}

/// A rule a file breaks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The file's name.
    pub file: String,
    /// Stable identifier of the rule (for JSON and annotations).
    pub code: &'static str,
    /// The rule, in words.
    pub rule: String,
    /// What was found.
    pub found: String,
    /// Error or warning.
    pub severity: Severity,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Rules can quote archive member paths, so they are escaped too.
        let (file, rule) = (printable(&self.file, 300), printable(&self.rule, 500));
        if self.found.is_empty() {
            write!(f, "{file}: {rule}")
        } else {
            write!(f, "{file}: {rule} ({})", printable(&self.found, 300))
        }
    }
}

/// Text from a distribution made fit for one terminal line: control characters escaped (a
/// CR or LF in a hostile file's metadata must not forge or hide lines), at most `max`
/// characters.
fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The outcome of checking a set of files.
#[derive(Debug, Default)]
pub struct Report {
    /// Files that could be read (they may still have problems).
    pub dists: Vec<Distribution>,
    /// Every problem found, in file order.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// Problems of one file.
    pub fn problems_of<'a>(&'a self, file: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.problems.iter().filter(move |p| p.file == file)
    }
}

/// Collects problems for one file.
struct Findings<'a> {
    file: &'a str,
    out: &'a mut Vec<Problem>,
}

impl Findings<'_> {
    fn error(&mut self, code: &'static str, rule: impl Into<String>, found: impl Into<String>) {
        self.push(code, rule, found, Severity::Error);
    }

    fn warn(&mut self, code: &'static str, rule: impl Into<String>, found: impl Into<String>) {
        self.push(code, rule, found, Severity::Warning);
    }

    fn push(
        &mut self,
        code: &'static str,
        rule: impl Into<String>,
        found: impl Into<String>,
        severity: Severity,
    ) {
        self.out.push(Problem {
            file: self.file.to_string(),
            code,
            rule: rule.into(),
            found: found.into(),
            severity,
        });
    }
}

/// What checking one file gives: the distribution when it could be read, and its problems.
type Checked = (Option<Distribution>, Vec<Problem>);

/// Checks every file, a few at a time in parallel, then the rules that span files (one
/// sdist per release). A fixed number of workers, not a thread per file: what a release of
/// 2,000 files holds at once stays what a few files need.
pub fn check_files(paths: &[PathBuf], target: Target) -> Report {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get() * 2)
        .min(paths.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, Checked)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break };
                        done.push((i, check_file(path, target)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("checking a file never panics"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    let results = results.into_iter().map(|(_, r)| r);
    let mut report = Report::default();
    for (dist, problems) in results {
        report.dists.extend(dist);
        report.problems.extend(problems);
    }
    one_sdist_per_release(&mut report);
    report
}

/// Warehouse `file_upload`: "Only one sdist may be uploaded per release." (`duplicate-sdist`).
fn one_sdist_per_release(report: &mut Report) {
    // PyPI keys releases by packaging's Version: 1.0 and 1.0.0 are one release.
    let mut seen: BTreeMap<(String, Option<String>), String> = BTreeMap::new();
    for dist in report
        .dists
        .iter()
        .filter(|d| d.filename.kind() == DistKind::Sdist)
    {
        let version = pep440::parse_version(&dist.filename.version_str);
        let key = (
            dist.filename.normalized_name(),
            version.ok().map(|v| v.release_key()),
        );
        if let Some(first) = seen.get(&key) {
            report.problems.push(Problem {
                file: dist.file_name().to_string(),
                code: "one-sdist",
                rule: "Only one sdist may be uploaded per release.".into(),
                found: format!("{first} is an sdist of the same release"),
                severity: Severity::Error,
            });
        } else {
            seen.insert(key, dist.file_name().to_string());
        }
    }
}

/// Reads and checks one file.
pub fn check_file(path: &Path, target: Target) -> (Option<Distribution>, Vec<Problem>) {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut problems = Vec::new();
    let dist = {
        let mut f = Findings {
            file: &file,
            out: &mut problems,
        };
        read_and_check(path, &file, target, &mut f)
    };
    (dist, problems)
}

fn read_and_check(
    path: &Path,
    file: &str,
    target: Target,
    f: &mut Findings<'_>,
) -> Option<Distribution> {
    check_filename_characters(file, f);
    // Warehouse `_validate_filename` (extension) and `packaging.utils.parse_wheel_filename`
    // / `parse_sdist_filename` in `file_upload` ("Invalid … filename").
    let filename = match DistFilename::parse(file) {
        Ok(name) => name,
        Err(e) => {
            f.error("filename", e.to_string(), file);
            return None;
        }
    };
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => {
            f.error("io", "cannot read file", e.to_string());
            return None;
        }
    };
    // Warehouse `_is_valid_dist_file` ("Invalid distribution file. …": zip/tar, compression
    // ratio, top-level directory, PKG-INFO / WHEEL) and `file_upload` (RECORD, METADATA).
    let contents = match archive::read(path, &filename) {
        Ok(c) => c,
        Err(archive::ArchiveError::Refused(refusal)) => {
            // Nothing else could be read: an error whatever the index.
            f.error(
                refusal.code,
                refusal.message,
                refusal.member.unwrap_or_default(),
            );
            return None;
        }
        Err(e) => {
            let found = std::error::Error::source(&e)
                .map(ToString::to_string)
                .unwrap_or_default();
            f.error("archive", e.to_string(), found);
            return None;
        }
    };
    // Core metadata is UTF-8 (Warehouse decodes the form as UTF-8; twine reads it so).
    let metadata = match CoreMetadata::parse(&contents.metadata) {
        Ok(m) => m,
        Err(e) => {
            f.error(
                "metadata-utf8",
                format!("{} is not valid UTF-8", contents.metadata_path),
                e.to_string(),
            );
            return None;
        }
    };
    check_archive_rules(&contents, target, f);
    metadata::check_metadata(&metadata, target, f);
    check_filename_matches(&filename, &metadata, target, f);
    check_license_files(&metadata, &contents, f);
    if target == Target::Pypi && size > PYPI_FILE_LIMIT {
        f.warn(
            "file-size",
            "larger than PyPI's default 100 MiB limit: the upload fails unless the project has a raised limit",
            format!("{:.1} MiB", size as f64 / 1024.0 / 1024.0),
        );
    }
    Some(Distribution {
        path: path.to_path_buf(),
        filename,
        metadata,
        size,
    })
}

/// Warehouse `_validate_filename`, with its words.
fn check_filename_characters(file: &str, f: &mut Findings<'_>) {
    if file.chars().any(|c| (c as u32) < 32 || c as u32 == 127) {
        f.error(
            "filename-characters",
            "Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL character (ordinal 127) in the name.",
            file.escape_debug().to_string(),
        );
    }
}

fn check_filename_matches(
    filename: &DistFilename,
    meta: &CoreMetadata,
    target: Target,
    f: &mut Findings<'_>,
) {
    let (name, version) = (meta.name(), meta.version());
    // Warehouse `file_upload`: "Start filename for … with …" (`invalid-filename-normalized`)
    // and "Version in filename should be …" (`invalid-filename-version`).
    if !name.is_empty() && filename.normalized_name() != normalize(name) {
        f.error(
            "filename-name",
            "the filename's project name must match the metadata Name",
            format!("filename has '{}', metadata has '{name}'", filename.name),
        );
    }
    // Both read as packaging reads them (Warehouse compares `Version`s).
    let meta_version = pep440::parse_version(version).ok();
    match (
        &pep440::parse_version(&filename.version_str).ok(),
        &meta_version,
    ) {
        (Some(a), Some(b)) if a == b => {}
        (_, None) => {} // reported by the Version rule
        _ => f.error(
            "filename-version",
            "the filename's version must match the metadata Version",
            format!(
                "filename has '{}', metadata has '{version}'",
                filename.version_str
            ),
        ),
    }
    match &filename.detail {
        FilenameDetail::Wheel { platform_tags, .. } => {
            // Warehouse `file_upload` writes `<filename>.metadata` beside the upload: at 247
            // bytes and more that name is over the file system's 255 ("Filename is too long",
            // `reason:filename-too-long`). An artefact of PyPI's storage, not of wheels.
            if filename.as_str().len() >= 247 {
                let rule = format!("Filename is too long: '{}'", filename.as_str());
                let found = format!("{} bytes; PyPI takes at most 246", filename.as_str().len());
                if target == Target::Pypi {
                    f.error("filename-too-long", rule, found);
                } else {
                    f.warn("filename-too-long", rule, found);
                }
            }
            // Warehouse `_valid_platform_tag` (`unsupported-platform-tag`).
            if target == Target::Pypi {
                for tag in platform_tags.iter().filter(|t| !is_pypi_platform_tag(t)) {
                    f.error(
                        "platform-tag",
                        format!(
                            "Binary wheel '{}' has an unsupported platform tag '{tag}'.",
                            filename.as_str()
                        ),
                        tag.as_str(),
                    );
                }
            }
            // PEP 491: the name part is the normalized name with `_`. PyPI refuses anything
            // else since 2025-10 (Warehouse `file_upload`, reason
            // `invalid-filename-projectname`, against the project's normalized name);
            // other indexes take it, so there it is a warning.
            // Only once the name itself matches: otherwise the name rule above has spoken
            // (Warehouse checks the project first and answers with that).
            let expected = normalize(&filename.name).replace('-', "_");
            if filename.name != expected
                && (name.is_empty() || normalize(name) == expected.replace('_', "-"))
            {
                let rule = format!(
                    "Filename '{}' should contain the normalized project name '{expected}', not '{}'.",
                    filename.as_str(),
                    filename.name
                );
                let found = "rename the wheel (PEP 491), e.g. rebuild with a current build backend";
                if target == Target::Pypi {
                    f.error("wheel-name", rule, found);
                } else {
                    f.warn("wheel-name", rule, found);
                }
            }
        }
        // Warehouse `file_upload`, PEP 625 (`invalid-sdist-filename-normalization`).
        FilenameDetail::Sdist { format } => {
            if target == Target::Pypi {
                if let Some(v) = &meta_version {
                    let canonical = canonical_sdist_filename(name, v);
                    if *format == SdistFormat::Zip || filename.as_str() != canonical {
                        f.error(
                            "sdist-filename",
                            format!(
                                "Filename '{}' is invalid, should be '{canonical}'.",
                                filename.as_str()
                            ),
                            if *format == SdistFormat::Zip {
                                "PEP 625: sdists are .tar.gz"
                            } else {
                                "PEP 625 name"
                            },
                        );
                    }
                }
            }
        }
    }
}

/// PyPI's rules about the archive itself (SPEC §1; each cited where the archive readers
/// decide it): errors for PyPI, warnings elsewhere, since other indexes do not apply them —
/// except a wheel without `WHEEL` or a readable `RECORD`, which breaks the wheel format
/// itself (PEP 427) and is an error everywhere, as it always was.
fn check_archive_rules(contents: &ArchiveContents, target: Target, f: &mut Findings<'_>) {
    for refusal in &contents.refusals {
        let found = refusal.member.clone().unwrap_or_default();
        let everywhere = matches!(refusal.code, "wheel-wheel" | "wheel-record");
        if target == Target::Pypi || everywhere {
            f.error(refusal.code, refusal.message.clone(), found);
        } else {
            f.warn(
                refusal.code,
                format!("PyPI would refuse this file: {}", refusal.message),
                found,
            );
        }
    }
    for note in &contents.notes {
        f.warn(
            note.code,
            note.message.clone(),
            note.member.clone().unwrap_or_default(),
        );
    }
}

fn check_license_files(meta: &CoreMetadata, contents: &ArchiveContents, f: &mut Findings<'_>) {
    // Warehouse `file_upload` ("License-File … does not exist in distribution file …").
    // PEP 639: License-File entries are paths in the archive from metadata 2.4 on; older
    // setuptools wrote them loosely, and the upload form drops them there.
    if meta.metadata_version_tuple() < Some((2, 4)) {
        return;
    }
    for path in meta.get_all(Field::LicenseFile) {
        let in_archive = match &contents.dist_info {
            Some(dist_info) => format!("{dist_info}/licenses/{path}"),
            None => path.clone(),
        };
        if !contents.members.contains(&in_archive) {
            f.error(
                "license-file",
                "License-File is not in the archive",
                in_archive,
            );
        }
    }
}

#[cfg(test)]
mod tests;
