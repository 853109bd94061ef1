//! Reading a distribution's core metadata straight from the archive, without unpacking.
//!
//! Every read is bounded: the metadata member's size, the number of entries, and how far a
//! compressed stream may expand (mirroring PyPI's compression-ratio rule), so a corrupt,
//! truncated or hostile archive gives an error, never a hang or unbounded memory.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;

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
    /// A wheel lacks `WHEEL` or `RECORD`.
    #[error("wheel has no {0}")]
    MissingWheelMember(String),
    /// The metadata member is larger than [`MAX_METADATA_SIZE`].
    #[error("{path} is larger than {limit} bytes")]
    MetadataTooLarge {
        /// Member path.
        path: String,
        /// The limit.
        limit: u64,
    },
    /// PyPI's compression-ratio rule.
    #[error(
        "File exceeds compression ratio of {RATIO_THRESHOLD} ({expanded} bytes from {compressed})"
    )]
    CompressionRatio {
        /// Bytes after decompression (so far).
        expanded: u64,
        /// Bytes of the archive.
        compressed: u64,
    },
    /// More entries than [`MAX_ENTRIES`].
    #[error("archive has more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    /// A zip member compressed with something PyPI refuses.
    #[error("File does not use a supported compression type ({member}: {method})")]
    Compression {
        /// Member path.
        member: String,
        /// The method found.
        method: String,
    },
    /// An sdist must have exactly one top-level folder.
    #[error("Incorrect number of top-level directories in sdist")]
    TopLevel,
}

/// Reads the metadata of a distribution file.
pub fn read(path: &Path, filename: &DistFilename) -> Result<ArchiveContents, ArchiveError> {
    let file = File::open(path).map_err(ArchiveError::Io)?;
    let compressed = file.metadata().map_err(ArchiveError::Io)?.len();
    match &filename.detail {
        FilenameDetail::Wheel { .. } => read_wheel(file, compressed, filename),
        FilenameDetail::Sdist {
            format: SdistFormat::Zip,
        } => read_sdist_zip(file, compressed),
        FilenameDetail::Sdist {
            format: SdistFormat::TarGz,
        } => read_sdist_tar(file, compressed),
    }
}

fn open_zip(
    file: File,
    compressed: u64,
) -> Result<(zip::ZipArchive<BufReader<File>>, Vec<String>), ArchiveError> {
    let mut zip =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| ArchiveError::Zip(e.to_string()))?;
    if zip.len() > MAX_ENTRIES {
        return Err(ArchiveError::TooManyEntries);
    }
    let mut names = Vec::with_capacity(zip.len());
    let mut expanded: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| ArchiveError::Zip(e.to_string()))?;
        let method = entry.compression();
        let name = entry
            .name()
            .map_err(|e| ArchiveError::Zip(e.to_string()))?
            .into_owned();
        if !matches!(
            method,
            zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
        ) {
            return Err(ArchiveError::Compression {
                member: name,
                method: format!("{method:?}"),
            });
        }
        expanded = expanded.saturating_add(entry.size());
        names.push(name);
    }
    check_ratio(expanded, compressed)?;
    Ok((zip, names))
}

fn check_ratio(expanded: u64, compressed: u64) -> Result<(), ArchiveError> {
    if expanded > RATIO_MIN_SIZE && expanded / compressed.max(1) > RATIO_THRESHOLD {
        return Err(ArchiveError::CompressionRatio {
            expanded,
            compressed,
        });
    }
    Ok(())
}

fn read_zip_member(
    zip: &mut zip::ZipArchive<BufReader<File>>,
    path: &str,
) -> Result<Vec<u8>, ArchiveError> {
    let entry = zip
        .by_name(path)
        .map_err(|e| ArchiveError::Zip(e.to_string()))?;
    read_bounded(entry, path).map_err(|e| match e {
        BoundedReadError::TooLarge => ArchiveError::MetadataTooLarge {
            path: path.to_string(),
            limit: MAX_METADATA_SIZE,
        },
        BoundedReadError::Io(e) => ArchiveError::Zip(format!("{path}: {e}")),
    })
}

enum BoundedReadError {
    TooLarge,
    Io(io::Error),
}

/// Reads at most [`MAX_METADATA_SIZE`] bytes; declared sizes are not trusted.
fn read_bounded(reader: impl Read, _path: &str) -> Result<Vec<u8>, BoundedReadError> {
    let mut buf = Vec::new();
    reader
        .take(MAX_METADATA_SIZE + 1)
        .read_to_end(&mut buf)
        .map_err(BoundedReadError::Io)?;
    if buf.len() as u64 > MAX_METADATA_SIZE {
        return Err(BoundedReadError::TooLarge);
    }
    Ok(buf)
}

fn read_wheel(
    file: File,
    compressed: u64,
    filename: &DistFilename,
) -> Result<ArchiveContents, ArchiveError> {
    let (mut zip, names) = open_zip(file, compressed)?;
    let metadata_paths: Vec<&String> = names
        .iter()
        .filter(|n| {
            n.strip_suffix("/METADATA")
                .is_some_and(|dir| dir.ends_with(".dist-info") && !dir.contains('/'))
        })
        .collect();
    let metadata_path = match metadata_paths.as_slice() {
        [one] => (*one).clone(),
        [] => {
            return Err(ArchiveError::NoMetadata {
                expected: format!(
                    "{}-{}.dist-info/METADATA",
                    filename.name, filename.version_str
                ),
            });
        }
        many => {
            let list: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
            return Err(ArchiveError::MultipleMetadata(list.join(", ")));
        }
    };
    let dist_info = metadata_path.trim_end_matches("/METADATA").to_string();
    for member in ["WHEEL", "RECORD"] {
        let path = format!("{dist_info}/{member}");
        if !names.contains(&path) {
            return Err(ArchiveError::MissingWheelMember(path));
        }
    }
    let metadata = read_zip_member(&mut zip, &metadata_path)?;
    Ok(ArchiveContents {
        metadata_path,
        metadata,
        members: names,
        dist_info: Some(dist_info),
    })
}

/// Where an sdist's `PKG-INFO` must be, and every member relative to its top-level folder.
///
/// PyPI takes `os.path.commonpath` of the member names and wants `PKG-INFO` right under it:
/// so an sdist whose only member is `demo-1.0/PKG-INFO` is refused (its common path is the
/// file itself), and one whose members all sit under `demo-1.0/src/` needs
/// `demo-1.0/src/PKG-INFO`.
fn split_top(names: &[String]) -> Result<(String, Vec<String>), ArchiveError> {
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

fn read_sdist_zip(file: File, compressed: u64) -> Result<ArchiveContents, ArchiveError> {
    let (mut zip, names) = open_zip(file, compressed)?;
    let (top, members) = split_top(&names)?;
    let metadata_path = format!("{top}/PKG-INFO");
    if !names.contains(&metadata_path) {
        return Err(ArchiveError::NoMetadata {
            expected: metadata_path,
        });
    }
    let metadata = read_zip_member(&mut zip, &metadata_path)?;
    Ok(ArchiveContents {
        metadata_path,
        metadata,
        members,
        dist_info: None,
    })
}

/// Counts bytes coming out of the decompressor and stops a decompression bomb early.
struct Expansion<R> {
    inner: R,
    expanded: u64,
    compressed: u64,
}

impl<R: Read> Read for Expansion<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.expanded += n as u64;
        if let Err(e) = check_ratio(self.expanded, self.compressed) {
            return Err(io::Error::other(e));
        }
        Ok(n)
    }
}

/// The `path` record of a pax extended header (`<len> path=<value>\n` records).
fn pax_path(data: &[u8]) -> Option<Vec<u8>> {
    let mut rest = data;
    while !rest.is_empty() {
        let space = rest.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..space]).ok()?.parse().ok()?;
        if len <= space || len > rest.len() {
            return None;
        }
        let record = &rest[space + 1..len];
        if let Some(value) = record.strip_prefix(b"path=") {
            return Some(value.strip_suffix(b"\n").unwrap_or(value).to_vec());
        }
        rest = &rest[len..];
    }
    None
}

fn read_sdist_tar(file: File, compressed: u64) -> Result<ArchiveContents, ArchiveError> {
    let reader = Expansion {
        inner: GzDecoder::new(BufReader::new(file)),
        expanded: 0,
        compressed,
    };
    let mut archive = tar::Archive::new(reader);
    let tar_err = |e: io::Error| match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ArchiveError>())
    {
        Some(ArchiveError::CompressionRatio {
            expanded,
            compressed,
        }) => ArchiveError::CompressionRatio {
            expanded: *expanded,
            compressed: *compressed,
        },
        _ => ArchiveError::Tar(e.to_string()),
    };
    let mut names = Vec::new();
    let mut pkg_info: Option<(String, Vec<u8>)> = None;
    // Raw entries: the tar crate would read a GNU long name or a pax header of any size into
    // memory (a 25 MiB sdist made it allocate 2 GiB); here they are read bounded.
    let mut long_name: Option<Vec<u8>> = None;
    for entry in archive.entries().map_err(tar_err)?.raw(true) {
        let mut entry = entry.map_err(tar_err)?;
        if names.len() >= MAX_ENTRIES {
            return Err(ArchiveError::TooManyEntries);
        }
        let kind = entry.header().entry_type();
        if kind.is_gnu_longname() || kind.is_pax_local_extensions() {
            let what = if kind.is_gnu_longname() {
                "GNU long name"
            } else {
                "pax header"
            };
            let mut data = Vec::new();
            (&mut entry)
                .take(MAX_SPECIAL_ENTRY + 1)
                .read_to_end(&mut data)
                .map_err(tar_err)?;
            if data.len() as u64 > MAX_SPECIAL_ENTRY {
                return Err(ArchiveError::Tar(format!(
                    "{what} larger than {MAX_SPECIAL_ENTRY} bytes"
                )));
            }
            long_name = if kind.is_gnu_longname() {
                let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                Some(data[..end].to_vec())
            } else {
                pax_path(&data).or(long_name)
            };
            continue;
        }
        if kind.is_gnu_longlink() || kind.is_pax_global_extensions() {
            continue;
        }
        let raw_path = long_name
            .take()
            .unwrap_or_else(|| entry.path_bytes().into_owned());
        let path = String::from_utf8_lossy(&raw_path).into_owned();
        // Where PKG-INFO must be is known only at the end (see `split_top`): keep the
        // shallowest candidate, which is the one under the common path if any is.
        let depth = |p: &str| p.trim_start_matches("./").split('/').count();
        let is_candidate = path.trim_start_matches("./").contains('/')
            && path.ends_with("/PKG-INFO")
            && pkg_info
                .as_ref()
                .is_none_or(|(kept, _)| depth(&path) < depth(kept));
        if is_candidate && entry.header().entry_type().is_file() {
            let bytes = read_bounded(entry, &path).map_err(|e| match e {
                BoundedReadError::TooLarge => ArchiveError::MetadataTooLarge {
                    path: path.clone(),
                    limit: MAX_METADATA_SIZE,
                },
                BoundedReadError::Io(e) => tar_err(e),
            })?;
            pkg_info = Some((path.clone(), bytes));
        }
        names.push(path);
    }
    let (top, members) = split_top(&names)?;
    let expected = format!("{top}/PKG-INFO");
    match pkg_info {
        Some((path, metadata)) if path.trim_start_matches("./") == expected => {
            Ok(ArchiveContents {
                metadata_path: expected,
                metadata,
                members,
                dist_info: None,
            })
        }
        _ => Err(ArchiveError::NoMetadata { expected }),
    }
}
