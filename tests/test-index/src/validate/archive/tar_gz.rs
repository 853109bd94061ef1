//! The member list of a `.tar.gz` sdist as Python's `tarfile` gives it (`getnames()`),
//! and whether any member is sparse: PyPI refuses sparse members, GNU type `S` or
//! described by pax `GNU.sparse.*` records (warehouse#20404: `TarInfo.issparse()` in
//! `_is_valid_dist_file`), since they rely on GNU extensions PEP 625 sdists do not use.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

/// What reading the tar archive found.
pub enum TarRead {
    NotTar,
    Broken,
    Sparse,
    Names(Vec<String>),
}

/// pax records that make `tarfile` read the member as sparse: GNU sparse formats 0.0
/// (`GNU.sparse.size`), 0.1 (`GNU.sparse.map`) and 1.0 (`major=1`, `minor=0`).
fn pax_sparse(extensions: tar::PaxExtensions<'_>) -> bool {
    let (mut major, mut minor, mut older) = (None, None, false);
    for extension in extensions.flatten() {
        match extension.key() {
            Ok("GNU.sparse.map" | "GNU.sparse.size") => older = true,
            Ok("GNU.sparse.major") => major = Some(extension.value_bytes() == b"1"),
            Ok("GNU.sparse.minor") => minor = Some(extension.value_bytes() == b"0"),
            _ => {}
        }
    }
    older || (major == Some(true) && minor == Some(true))
}

/// Member names (trailing `/` dropped, like `TarInfo.name`), gzip or plain tar.
pub fn tar_names(path: &Path) -> TarRead {
    let Ok(file) = File::open(path) else {
        return TarRead::Broken;
    };
    let mut reader = BufReader::new(file);
    let mut magic = [0u8; 2];
    let gz = reader.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    let Ok(file) = File::open(path) else {
        return TarRead::Broken;
    };
    let source: Box<dyn Read> = if gz {
        // A gzip of several members is one stream to Python's gzip (and so to PyPI).
        Box::new(MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut archive = tar::Archive::new(source);
    let Ok(entries) = archive.entries() else {
        return TarRead::NotTar;
    };
    let mut names = Vec::new();
    let (mut sparse, mut global_sparse) = (false, false);
    for entry in entries {
        let Ok(mut entry) = entry else {
            return if names.is_empty() {
                TarRead::NotTar
            } else {
                TarRead::Broken
            };
        };
        let kind = entry.header().entry_type();
        let pax = entry
            .pax_extensions()
            .ok()
            .flatten()
            .is_some_and(pax_sparse);
        // A global pax header is no member; `tarfile` applies it to the next one (and to
        // every later one with pax records of its own), so a member after it is sparse.
        if kind.is_pax_global_extensions() {
            global_sparse |= pax;
            continue;
        }
        sparse |= kind.is_gnu_sparse() || pax || global_sparse;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        names.push(name.trim_end_matches('/').to_owned());
    }
    if names.is_empty() {
        TarRead::NotTar
    } else if sparse {
        TarRead::Sparse
    } else {
        TarRead::Names(names)
    }
}
