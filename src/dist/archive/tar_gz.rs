//! `.tar.gz` sdists, read as one stream.

use std::fs::File;
use std::io::{self, BufReader, Read};

use flate2::read::GzDecoder;

use super::{
    ArchiveContents, ArchiveError, BoundedReadError, MAX_ENTRIES, MAX_METADATA_SIZE,
    MAX_SPECIAL_ENTRY, check_ratio, read_bounded, split_top,
};

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

pub(super) fn read_sdist_tar(file: File, compressed: u64) -> Result<ArchiveContents, ArchiveError> {
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
                refusals: Vec::new(),
                notes: Vec::new(),
            })
        }
        _ => Err(ArchiveError::NoMetadata { expected }),
    }
}
