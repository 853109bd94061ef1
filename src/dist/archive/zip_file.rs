//! ZIP archives: wheels and legacy `.zip` sdists. PyPI's view of one comes first — the
//! central directory as Python's `zipfile` reads it ([`super::zip_central`]), the record
//! walk ([`super::zip_walk`]), compression, the wheel's `WHEEL`, `RECORD`, `METADATA` and
//! `entry_points.txt` where Warehouse looks for them — then the members the preflight needs
//! are read through the `zip` crate.

use std::fs::File;
use std::io::{BufReader, Read, Seek};

use super::zip_central::{self, Central, CentralError};
use super::zip_walk::{self, WalkError};
use super::{
    ArchiveContents, ArchiveError, BoundedReadError, MAX_ENTRIES, MAX_METADATA_SIZE,
    RATIO_MIN_SIZE, RATIO_THRESHOLD, Refusal, entry_points, malware, read_bounded, record,
    split_top,
};
use crate::dist::filename::DistFilename;

type Zip = zip::ZipArchive<BufReader<File>>;

/// The link to PyPI's page on archives that its ZIP refusals end with.
const ARCHIVES_DOC: &str = "See https://docs.pypi.org/archives for more information";

fn invalid(code: &'static str, what: String, member: Option<String>) -> Refusal {
    Refusal {
        code,
        message: format!("Invalid distribution file. {what}"),
        member,
    }
}

/// An open ZIP: PyPI's refusals so far, the member names, and the `zip` crate's reader.
struct Opened {
    zip: Zip,
    central: Central,
    refusals: Vec<Refusal>,
}

impl Opened {
    fn names(&self) -> Vec<String> {
        self.central
            .entries
            .iter()
            .map(|e| e.name.clone())
            .collect()
    }

    fn has(&self, name: &str) -> bool {
        self.central.entries.iter().any(|e| e.name == name)
    }
}

/// Opens a ZIP as `_is_valid_dist_file` does: `zipfile` reads the central directory, then
/// the ratio and compression rules, then the record walk.
fn open(file: File, len: u64) -> Result<Opened, ArchiveError> {
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
    reader.rewind().map_err(ArchiveError::Io)?;
    let zip = zip::ZipArchive::new(reader).map_err(|e| {
        // The `zip` crate refuses what the walk explains better.
        match refusals.first() {
            Some(refusal) => ArchiveError::Refused(refusal.clone()),
            None => ArchiveError::Zip(e.to_string()),
        }
    })?;
    let mut opened = Opened {
        zip,
        central,
        refusals,
    };
    // PyPI scans before it walks the records, and stops at its first refusal: after a
    // refusal the scan could only add a second reason, at the cost of reading every member.
    if opened.refusals.is_empty() {
        scan_members(&mut opened);
    }
    Ok(opened)
}

/// PyPI's malware scan over `.py`/`.pye` members ([`malware`]).
fn scan_members(opened: &mut Opened) {
    for i in 0..opened.zip.len() {
        let Ok(entry) = opened.zip.by_index(i) else {
            continue;
        };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if entry.is_dir() || !malware::is_scanned(&name, entry.size()) {
            continue;
        }
        let mut data = Vec::new();
        // zipfile reads a member only up to its declared size.
        let size = entry.size();
        if entry.take(size).read_to_end(&mut data).is_err() {
            continue;
        }
        if let Some(refusal) = malware::scan(&name, &data) {
            opened.refusals.push(refusal);
            return;
        }
    }
}

/// Reads a member through the `zip` crate. When it cannot, and PyPI's rules already
/// refused the archive, the refusal is the better explanation.
fn read_member(opened: &mut Opened, path: &str) -> Result<Vec<u8>, ArchiveError> {
    let explain = |message: String, refusals: &[Refusal]| match refusals.first() {
        Some(refusal) => ArchiveError::Refused(refusal.clone()),
        None => ArchiveError::Zip(message),
    };
    let entry = match opened.zip.by_name(path) {
        Ok(entry) => entry,
        Err(e) => return Err(explain(e.to_string(), &opened.refusals)),
    };
    match read_bounded(entry, path) {
        Ok(bytes) => Ok(bytes),
        Err(BoundedReadError::TooLarge) => Err(ArchiveError::MetadataTooLarge {
            path: path.to_string(),
            limit: MAX_METADATA_SIZE,
        }),
        Err(BoundedReadError::Io(e)) => Err(explain(format!("{path}: {e}"), &opened.refusals)),
    }
}

/// Reads a wheel. Warehouse finds its `.dist-info` folder from the filename's first two
/// `-`-separated parts, verbatim, and reads `WHEEL`, `RECORD`, `entry_points.txt` and
/// `METADATA` there.
pub(super) fn read_wheel(
    file: File,
    len: u64,
    filename: &DistFilename,
) -> Result<ArchiveContents, ArchiveError> {
    let mut opened = open(file, len)?;
    let names = opened.names();
    let mut parts = filename.as_str().splitn(3, '-');
    let expected = format!(
        "{}-{}.dist-info",
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default()
    );
    let file_name = filename.as_str();
    let mut notes = Vec::new();

    // `_is_valid_dist_file`: "WHEEL not found at …".
    let wheel = format!("{expected}/WHEEL");
    if !opened.has(&wheel) {
        opened.refusals.push(invalid(
            "wheel-wheel",
            format!("WHEEL not found at {wheel}"),
            None,
        ));
    }
    // `file_upload` → `validate_record` (warehouse#19135): refused when missing or
    // unreadable; a RECORD that does not match the contents is only e-mailed to owners.
    let record_path = format!("{expected}/RECORD");
    let record_text = if opened.has(&record_path) {
        Some(read_member(&mut opened, &record_path)?)
    } else {
        None
    };
    let verdict = match &record_text {
        Some(bytes) => record::check(bytes, &names, &expected),
        None => record::RecordVerdict::Unreadable {
            reason: "no such member".into(),
        },
    };
    match verdict {
        record::RecordVerdict::Ok => {}
        record::RecordVerdict::Unreadable { reason } => opened.refusals.push(Refusal {
            code: "wheel-record",
            message: format!(
                "Wheel '{file_name}' does not contain the required RECORD file: {record_path}"
            ),
            member: Some(reason),
        }),
        record::RecordVerdict::Crash { line } => opened.refusals.push(Refusal {
            code: "wheel-record",
            message: "PyPI fails on this wheel's RECORD with a 500 Internal Server Error: it has a blank line".into(),
            member: Some(format!("{record_path}, line {line}")),
        }),
        record::RecordVerdict::Mismatch {
            record_is_missing,
            wheel_is_missing,
        } => notes.push(Refusal {
            code: "wheel-record-mismatch",
            message: "RECORD does not list the wheel's files exactly: PyPI accepts the wheel and e-mails the project's owners".into(),
            member: Some(describe_mismatch(&record_is_missing, &wheel_is_missing)),
        }),
    }
    // `file_upload` → `validate_entrypoints` (warehouse#20081).
    let entry_points = format!("{expected}/entry_points.txt");
    if opened.has(&entry_points) {
        let bytes = read_member(&mut opened, &entry_points)?;
        if let Err(why) = entry_points::check(&bytes) {
            opened.refusals.push(Refusal {
                code: "entry-points",
                message: format!(
                    "Wheel '{file_name}' has invalid entry points defined in the entry_points.txt file"
                ),
                member: Some(why.to_string()),
            });
        }
    }
    // `file_upload`: METADATA where the filename says; elsewhere it is not found.
    let metadata_path = if opened.has(&format!("{expected}/METADATA")) {
        let others: Vec<&String> = names
            .iter()
            .filter(|n| is_top_metadata(n) && !n.starts_with(&format!("{expected}/")))
            .collect();
        if !others.is_empty() {
            // PyPI reads only the folder the filename names; pip refuses the install.
            notes.push(Refusal {
                code: "wheel-dist-info",
                message: "more than one .dist-info folder: PyPI accepts the wheel, pip will not install it".into(),
                member: Some(others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")),
            });
        }
        format!("{expected}/METADATA")
    } else {
        let wanted = format!("{expected}/METADATA");
        let found = find_metadata(&names, filename)?;
        opened.refusals.push(Refusal {
            code: "wheel-metadata-path",
            message: format!(
                "Wheel '{file_name}' does not contain the required METADATA file: {wanted}"
            ),
            member: Some(format!("the metadata is at {found}")),
        });
        found
    };
    let dist_info = metadata_path.trim_end_matches("/METADATA").to_string();
    let metadata = read_member(&mut opened, &metadata_path)?;
    Ok(ArchiveContents {
        metadata_path,
        metadata,
        members: names,
        dist_info: Some(dist_info),
        refusals: opened.refusals,
        notes,
    })
}

/// The first few names on each side of a RECORD that does not match, in one line.
fn describe_mismatch(record_is_missing: &[String], wheel_is_missing: &[String]) -> String {
    let few = |names: &[String]| {
        let mut text = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        if names.len() > 3 {
            text.push_str(&format!(" and {} more", names.len() - 3));
        }
        text
    };
    match (record_is_missing.is_empty(), wheel_is_missing.is_empty()) {
        (false, true) => format!("not in RECORD: {}", few(record_is_missing)),
        (true, false) => format!("in RECORD, not in the wheel: {}", few(wheel_is_missing)),
        _ => format!(
            "not in RECORD: {}; in RECORD, not in the wheel: {}",
            few(record_is_missing),
            few(wheel_is_missing)
        ),
    }
}

/// Whether a member is a top-level `*.dist-info/METADATA`.
fn is_top_metadata(name: &str) -> bool {
    name.strip_suffix("/METADATA")
        .is_some_and(|dir| dir.ends_with(".dist-info") && !dir.contains('/'))
}

/// The one top-level `*.dist-info/METADATA` of a wheel whose folder is not where the
/// filename says.
fn find_metadata(names: &[String], filename: &DistFilename) -> Result<String, ArchiveError> {
    let found: Vec<&String> = names.iter().filter(|n| is_top_metadata(n)).collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(ArchiveError::NoMetadata {
            expected: format!(
                "{}-{}.dist-info/METADATA",
                filename.name, filename.version_str
            ),
        }),
        many => {
            let list: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
            Err(ArchiveError::MultipleMetadata(list.join(", ")))
        }
    }
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
    let metadata = read_member(&mut opened, &metadata_path)?;
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
    if block.len() != 512 || block.iter().all(|&b| b == 0) {
        return false;
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
        assert!(!is_tar_header(&[0; 512]));
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
