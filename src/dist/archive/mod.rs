//! Reading a distribution's core metadata straight from the archive, without unpacking.
//!
//! Every read is bounded: the metadata member's size, the number of entries, and how far a
//! compressed stream may expand (for zip, PyPI's compression-ratio rule; for `.tar.gz`, which
//! PyPI inflates whole, a budget of our own), so a corrupt, truncated or hostile archive gives
//! an error or a warning, never a hang or unbounded memory.

pub mod entry_points;
mod inflater;
pub mod malware;
pub mod record;
mod tar_gz;
mod wheel;
mod zip_central;
mod zip_file;
mod zip_member;
mod zip_walk;

/// Wheels written record by record, shared with the integration tests.
#[cfg(test)]
#[allow(dead_code, unreachable_pub)]
#[path = "../../../tests/it/common/zipcraft.rs"]
mod zipcraft;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::filename::{DistFilename, FilenameDetail, SdistFormat};

/// Largest metadata member we read (PyPI descriptions are far smaller).
pub const MAX_METADATA_SIZE: u64 = 16 * 1024 * 1024;
/// Most entries an archive may list.
pub const MAX_ENTRIES: usize = 500_000;
/// Largest GNU long-name or pax-header entry we read (path names are far shorter).
pub const MAX_SPECIAL_ENTRY: u64 = 1024 * 1024;
/// PyPI's decompression-bomb rule: above this expanded size…
pub const RATIO_MIN_SIZE: u64 = 64 * 1024 * 1024;
/// …the expanded/compressed ratio may not exceed this.
pub const RATIO_THRESHOLD: u64 = 50;

/// What was read from an archive.
#[derive(Debug, Clone)]
pub struct ArchiveContents {
    /// Path of the metadata member inside the archive.
    pub metadata_path: String,
    /// Its bytes.
    pub metadata: Vec<u8>,
    /// Every member path, relative to the distribution root (the sdist's top folder removed;
    /// a wheel's paths as they are), used to check `License-File` entries.
    pub members: Vec<String>,
    /// The wheel's `.dist-info` folder, when this is a wheel.
    pub dist_info: Option<String>,
    /// PyPI's rules about the archive itself that this file breaks (SPEC §1 "What PyPI
    /// rejects about the archive itself"); the metadata was still read.
    pub refusals: Vec<Refusal>,
    /// Findings about the archive PyPI accepts but reports (a RECORD that does not match).
    pub notes: Vec<Refusal>,
}

/// A rule PyPI applies to the archive itself (not its metadata), broken by this file. PyPI
/// answers it with a 400 "Invalid distribution file. …"; other indexes do not apply it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable identifier of the rule (for JSON and annotations).
    pub code: &'static str,
    /// PyPI's own words, as its 400 says them.
    pub message: String,
    /// The archive member the rule is about, where there is one.
    pub member: Option<String>,
}

/// Why an archive could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The file could not be opened or read.
    #[error("cannot read file")]
    Io(#[source] io::Error),
    /// Not a zip archive, or a damaged one.
    #[error("corrupt or truncated zip archive ({0})")]
    Zip(String),
    /// Not a gzip'd tar archive, or a damaged one.
    #[error("corrupt or truncated tar.gz archive ({0})")]
    Tar(String),
    /// No metadata member where one must be.
    #[error("no {expected} in the archive")]
    NoMetadata {
        /// The path that was looked for.
        expected: String,
    },
    /// More than one `.dist-info/METADATA`.
    #[error("more than one .dist-info/METADATA ({0})")]
    MultipleMetadata(String),
    /// The metadata member is larger than [`MAX_METADATA_SIZE`].
    #[error("{path} is larger than {limit} bytes")]
    MetadataTooLarge {
        /// Member path.
        path: String,
        /// The limit.
        limit: u64,
    },
    /// More entries than [`MAX_ENTRIES`].
    #[error("archive has more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    /// A rule of PyPI's is broken in a way that leaves nothing else to read.
    #[error("{}", .0.message)]
    Refused(Refusal),
    /// An sdist must have exactly one top-level folder.
    #[error("Incorrect number of top-level directories in sdist")]
    TopLevel,
    /// A `.tar.gz` header larger than we read, before its `PKG-INFO` was reached.
    #[error("{0}: this tool reads no further (its limit, not a PyPI rule)")]
    HeaderTooLarge(&'static str),
    /// A `.tar.gz` inflated past our budget before its `PKG-INFO` was reached.
    #[error(
        "no PKG-INFO in the first {expanded} inflated bytes: this tool reads no further (its limit against gzip bombs, not a PyPI rule)"
    )]
    ExpansionBudget {
        /// Bytes inflated.
        expanded: u64,
    },
}

/// Reads the metadata of a distribution file.
pub fn read(path: &Path, filename: &DistFilename) -> Result<ArchiveContents, ArchiveError> {
    let mut file = File::open(path).map_err(ArchiveError::Io)?;
    let compressed = file.metadata().map_err(ArchiveError::Io)?.len();
    let polyglot = is_polyglot(&mut file, compressed, filename)?;
    let mut contents = match &filename.detail {
        FilenameDetail::Wheel { .. } => wheel::read(file, compressed, filename),
        FilenameDetail::Sdist {
            format: SdistFormat::Zip,
        } => zip_file::read_sdist_zip(file, compressed),
        FilenameDetail::Sdist {
            format: SdistFormat::TarGz,
        } => tar_gz::read_sdist_tar(file, compressed),
    }?;
    if polyglot {
        // `_is_valid_dist_file` asks this first (warehouse#19638).
        contents.refusals.insert(
            0,
            Refusal {
                code: "polyglot",
                message: "Invalid distribution file. File is both a zip and a tar file".into(),
                member: None,
            },
        );
    }
    Ok(contents)
}

/// Whether PyPI's `zipfile.is_zipfile` and `tarfile.is_tarfile` both take the file. A
/// `.tar.gz` is a tar; the question is whether it is a ZIP too. A ZIP is a tar when its
/// first block parses as a tar header (it cannot be compressed: it starts with `PK`).
fn is_polyglot(file: &mut File, len: u64, filename: &DistFilename) -> Result<bool, ArchiveError> {
    use std::io::Seek;
    let answer = match &filename.detail {
        FilenameDetail::Sdist {
            format: SdistFormat::TarGz,
        } => zip_file::is_zipfile(file, len)?,
        _ => {
            let mut block = Vec::with_capacity(512);
            file.by_ref()
                .take(512)
                .read_to_end(&mut block)
                .map_err(ArchiveError::Io)?;
            zip_file::is_tar_header(&block)
        }
    };
    file.rewind().map_err(ArchiveError::Io)?;
    Ok(answer)
}

/// Where an sdist's `PKG-INFO` must be, and every member relative to its top-level folder.
///
/// PyPI takes `os.path.commonpath` of the member names and wants `PKG-INFO` right under it:
/// so an sdist whose only member is `demo-1.0/PKG-INFO` is refused (its common path is the
/// file itself), and one whose members all sit under `demo-1.0/src/` needs
/// `demo-1.0/src/PKG-INFO`.
pub(super) fn split_top(names: &[String]) -> Result<(String, Vec<String>), ArchiveError> {
    if names.iter().any(|n| n.starts_with('/')) {
        return Err(ArchiveError::TopLevel);
    }
    let parts: Vec<Vec<&str>> = names
        .iter()
        .map(|n| {
            n.split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .collect()
        })
        .collect();
    let mut common: Vec<&str> = parts.first().cloned().unwrap_or_default();
    for p in parts.iter().skip(1) {
        let same = common.iter().zip(p).take_while(|(a, b)| a == b).count();
        common.truncate(same);
    }
    if common.is_empty() {
        return Err(ArchiveError::TopLevel);
    }
    let members = parts
        .iter()
        .filter(|p| p.len() > 1)
        .map(|p| p[1..].join("/"))
        .collect();
    Ok((common.join("/"), members))
}
