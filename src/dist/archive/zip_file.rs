//! ZIP archives (wheels and legacy `.zip` sdists) opened as PyPI opens them: the central
//! directory as Python's `zipfile` reads it ([`super::zip_central`]), the ratio and
//! compression rules, the malware scan, the record walk ([`super::zip_walk`]), members read
//! as `zipfile` reads them ([`super::zip_member`]). A wheel's own members are looked for in
//! [`super::wheel`].

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};

use super::zip_central::{self, Central, CentralError};
use super::zip_member::{self, MemberError};
use super::zip_walk::{self, WalkError};
use super::{
    ArchiveContents, ArchiveError, MAX_ENTRIES, MAX_METADATA_SIZE, RATIO_MIN_SIZE, RATIO_THRESHOLD,
    Refusal, malware, split_top,
};

/// The link to PyPI's page on archives that its ZIP refusals end with.
const ARCHIVES_DOC: &str = "See https://docs.pypi.org/archives for more information";

pub(super) fn invalid(code: &'static str, what: String, member: Option<String>) -> Refusal {
    Refusal {
        code,
        message: format!("Invalid distribution file. {what}"),
        member,
    }
}

/// An open ZIP: the file, its central directory, and PyPI's refusals so far.
pub(super) struct Opened {
    file: BufReader<File>,
    central: Central,
    /// `ZipFile.NameToInfo`: the member each name finds (the last of a name wins).
    by_name: HashMap<String, usize>,
    inflater: zip_member::Inflater,
    pub(super) refusals: Vec<Refusal>,
}

impl Opened {
    /// `ZipFile.namelist()`.
    pub(super) fn names(&self) -> Vec<String> {
        self.central
            .entries
            .iter()
            .map(|e| e.lookup.clone())
            .collect()
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// `ZipFile.read(name)` of a member known to be there.
    pub(super) fn read(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, MemberError> {
        let entry = &self.central.entries[self.by_name[name]];
        zip_member::read(&mut self.file, entry, limit, &mut self.inflater)
    }

    /// Reads a member PyPI reads after validating the archive (`RECORD`, `METADATA`,
    /// `entry_points.txt`): there, whatever `zipfile` raises is a 500. The member is
    /// needed to go on, so a failure ends the reading with the first refusal.
    pub(super) fn read_needed(&mut self, name: &str) -> Result<Vec<u8>, ArchiveError> {
        self.read(name, MAX_METADATA_SIZE).map_err(|e| match e {
            MemberError::Io(e) => ArchiveError::Io(e),
            MemberError::TooLarge(limit) => ArchiveError::MetadataTooLarge {
                path: name.to_string(),
                limit,
            },
            other => ArchiveError::Refused(self.refusals.first().cloned().unwrap_or(Refusal {
                code: "zip-member",
                message: format!(
                    "PyPI fails on this file with a 500 Internal Server Error: {name} cannot be read"
                ),
                member: Some(other.to_string()),
            })),
        })
    }
}

/// Opens a ZIP as `_is_valid_dist_file` does: `zipfile` reads the central directory, then
/// the ratio and compression rules, the scan, then the record walk.
pub(super) fn open(file: File, len: u64) -> Result<Opened, ArchiveError> {
    let mut reader = BufReader::new(file);
    let central = zip_central::read(&mut reader, len, MAX_ENTRIES).map_err(|e| match e {
        CentralError::Io(e) => ArchiveError::Io(e),
        CentralError::TooMany(_) => ArchiveError::TooManyEntries,
        e @ (CentralError::Bad(_) | CentralError::Crash(_)) => ArchiveError::Zip(e.to_string()),
    })?;
    let mut refusals = Vec::new();
    // `_is_valid_dist_file`: the sum of the members' sizes against the file's (warehouse
    // `COMPRESSION_RATIO_MIN_SIZE` / `_THRESHOLD`; a float ratio, so 50.5 is over 50).
    let expanded: u128 = central.entries.iter().map(|e| u128::from(e.size)).sum();
    let over_ratio = expanded > u128::from(RATIO_MIN_SIZE)
        && expanded > u128::from(RATIO_THRESHOLD) * u128::from(len.max(1));
    if over_ratio {
        refusals.push(invalid(
            "zip-ratio",
            format!("File exceeds compression ratio of {RATIO_THRESHOLD}"),
            None,
        ));
    }
    // `_is_valid_dist_file`: `ZIP_STORED` and `ZIP_DEFLATED` only.
    if let Some(entry) = central.entries.iter().find(|e| !matches!(e.method, 0 | 8)) {
        refusals.push(invalid(
            "zip-compression",
            "File does not use a supported compression type".into(),
            Some(format!("{} (method {})", entry.name, entry.method)),
        ));
    }
    match zip_walk::walk(&mut reader, len, &central) {
        Ok(()) => {}
        Err(WalkError::Refused(framing)) => refusals.push(invalid(
            "zip-record",
            format!("ZIP archive not accepted: {}. {ARCHIVES_DOC}", framing.what),
            Some(match framing.member {
                Some(member) => format!("{member}, record at byte {}", framing.offset),
                None => format!("record at byte {}", framing.offset),
            }),
        )),
        Err(WalkError::Io(e)) => return Err(ArchiveError::Io(e)),
    }
    let by_name = central
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.lookup.clone(), i))
        .collect();
    let mut opened = Opened {
        file: reader,
        central,
        by_name,
        inflater: zip_member::Inflater::new(),
        refusals,
    };
    // PyPI scans before it walks the records, and stops at its first refusal: after a
    // refusal the scan could only add a second reason, at the cost of reading every member.
    if opened.refusals.is_empty() {
        scan_members(&mut opened)?;
    }
    Ok(opened)
}

/// What reading a member during `_is_valid_dist_file` (`WHEEL`, the scan) gives PyPI:
/// `BadZipFile` is "Invalid distribution file. None", anything else a 500.
pub(super) fn validation_failure(name: &str, e: MemberError) -> Result<Refusal, ArchiveError> {
    match e {
        MemberError::Io(e) => Err(ArchiveError::Io(e)),
        MemberError::Bad(why) => Ok(invalid(
            "zip-member",
            "None".into(),
            Some(format!("{name}: {why}")),
        )),
        other => Ok(Refusal {
            code: "zip-member",
            message: "PyPI fails on this file with a 500 Internal Server Error".into(),
            member: Some(format!("{name}: {other}")),
        }),
    }
}

/// PyPI's malware scan over `.py`/`.pye` members ([`malware`]), each read as `zipfile`
/// reads it (`ZipFile.read` of its name).
fn scan_members(opened: &mut Opened) -> Result<(), ArchiveError> {
    let scanned: Vec<(String, u64)> = opened
        .central
        .entries
        .iter()
        .filter(|e| !e.lookup.ends_with('/') && malware::is_scanned(&e.lookup, e.size))
        .map(|e| (e.lookup.clone(), e.size))
        .collect();
    for (name, size) in scanned {
        match opened.read(&name, size) {
            Ok(data) => {
                if let Some(refusal) = malware::scan(&name, &data) {
                    opened.refusals.push(refusal);
                    return Ok(());
                }
            }
            // The ratio and compression rules have spoken for what cannot be read here.
            Err(MemberError::Unsupported(_) | MemberError::TooLarge(_)) => {}
            Err(e) => {
                opened.refusals.push(validation_failure(&name, e)?);
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Reads a legacy `.zip` sdist (PyPI refuses these by name since PEP 625; other indexes
/// take them).
pub(super) fn read_sdist_zip(file: File, len: u64) -> Result<ArchiveContents, ArchiveError> {
    let mut opened = open(file, len)?;
    let names = opened.names();
    let (top, members) = split_top(&names)?;
    let metadata_path = format!("{top}/PKG-INFO");
    if !opened.has(&metadata_path) {
        return Err(ArchiveError::NoMetadata {
            expected: metadata_path,
        });
    }
    let metadata = opened.read_needed(&metadata_path)?;
    Ok(ArchiveContents {
        metadata_path,
        metadata,
        members,
        dist_info: None,
        refusals: opened.refusals,
        notes: Vec::new(),
    })
}

/// `tarfile.is_tarfile` on a ZIP: its first 512 bytes parse as a tar header (a valid
/// checksum and numeric fields). PyPI refuses such a polyglot ("File is both a zip and a
/// tar file", warehouse#19638).
pub(super) fn is_tar_header(block: &[u8]) -> bool {
    if block.len() != 512 {
        return false;
    }
    // A zero block is an empty tar to `tarfile.open` (CPython 3.13: `is_tarfile` is true).
    if block.iter().all(|&b| b == 0) {
        return true;
    }
    let Some(checksum) = tar_number(&block[148..156]) else {
        return false;
    };
    let unsigned: i64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(b)
            }
        })
        .sum();
    let signed: i64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(b as i8)
            }
        })
        .sum();
    (checksum == unsigned || checksum == signed)
        && [100..108, 108..116, 116..124, 124..136, 136..148]
            .into_iter()
            .all(|r| tar_number(&block[r]).is_some())
}

/// `tarfile.nti`: base-256 when the first byte is 0x80 or 0xff, else octal text up to the
/// first NUL, spaces stripped (empty is 0).
fn tar_number(field: &[u8]) -> Option<i64> {
    if matches!(field.first(), Some(0x80 | 0xff)) {
        return Some(0);
    }
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    let text = std::str::from_utf8(&field[..end]).ok()?;
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if text.is_empty() {
        return Some(0);
    }
    let digits = text.replace('_', "");
    let digits = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
        .unwrap_or(&digits);
    i64::from_str_radix(digits, 8).ok()
}

/// Whether a file that is not a ZIP (an sdist) would also pass `zipfile.is_zipfile`.
pub(super) fn is_zipfile<R: Read + Seek>(src: &mut R, len: u64) -> Result<bool, ArchiveError> {
    zip_central::is_zipfile(src, len).map_err(|e| match e {
        CentralError::Io(e) => ArchiveError::Io(e),
        other => ArchiveError::Zip(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar header block for a file `name` with the given checksum text (None: the right
    /// one, computed as tarfile computes it).
    fn header(name: &str, checksum: Option<&[u8; 8]>) -> Vec<u8> {
        let mut block = vec![0u8; 512];
        block[..name.len()].copy_from_slice(name.as_bytes());
        for (at, field) in [
            (100, &b"0000644\0"[..]),
            (108, b"0001750\0"),
            (116, b"0001750\0"),
            (124, b"00000000012\0"),
            (136, b"14707267034\0"),
        ] {
            block[at..at + field.len()].copy_from_slice(field);
        }
        block[148..156].copy_from_slice(b"        ");
        let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
        let right = format!("{sum:06o}\0 ");
        block[148..156].copy_from_slice(checksum.unwrap_or(right.as_bytes().try_into().unwrap()));
        block
    }

    #[test]
    fn a_tar_header_is_known_by_its_checksum_and_numbers() {
        assert!(is_tar_header(&header("demo-1.0/PKG-INFO", None)));
        assert!(!is_tar_header(&header(
            "demo-1.0/PKG-INFO",
            Some(b"0000000\0")
        )));
        assert!(!is_tar_header(&header(
            "demo-1.0/PKG-INFO",
            Some(b"zzzzzz\0 ")
        )));
        assert!(is_tar_header(&[0; 512]));
        assert!(!is_tar_header(&header("x", None)[..511]));
        // A signed sum (a byte over 0x7f) is a checksum too, as tarfile accepts it.
        let mut high = header("d\u{e9}mo", None);
        high[148..156].copy_from_slice(b"        ");
        let signed: i64 = high.iter().map(|&b| i64::from(b as i8)).sum();
        high[148..156].copy_from_slice(format!("{signed:06o}\0 ").as_bytes());
        assert!(is_tar_header(&high));
        // A numeric field that is not a number.
        let mut bad = header("x", None);
        bad[100..108].copy_from_slice(b"rw-r--r-");
        assert!(!is_tar_header(&bad));
    }

    #[test]
    fn tar_numbers_read_as_tarfile_reads_them() {
        assert_eq!(tar_number(b"0000644\0"), Some(0o644));
        assert_eq!(tar_number(b"  644 \0\0"), Some(0o644));
        assert_eq!(tar_number(b"\0\0\0\0"), Some(0));
        assert_eq!(tar_number(b"0o17\0"), Some(0o17));
        assert_eq!(tar_number(b"1_0\0"), Some(0o10));
        assert_eq!(tar_number(&[0x80, 1, 2]), Some(0));
        assert_eq!(tar_number(&[0xff, 1, 2]), Some(0));
        assert_eq!(tar_number(b"8\0"), None);
        assert_eq!(tar_number(b"\xc3\xa9\0"), None);
    }
}
