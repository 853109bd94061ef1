//! A wheel's own members, where Warehouse looks for them: the `.dist-info` folder its
//! filename names (the first two `-`-separated parts, verbatim), holding `WHEEL`
//! (`_is_valid_dist_file`), `RECORD` (`validate_record`, warehouse#19135),
//! `entry_points.txt` (`validate_entrypoints`, warehouse#20081) and `METADATA`
//! (`file_upload`).

use std::fs::File;

use super::zip_file::{self, Opened};
use super::zip_member::MemberError;
use super::{ArchiveContents, ArchiveError, MAX_METADATA_SIZE, Refusal, entry_points, record};
use crate::dist::filename::DistFilename;

/// Reads a wheel: the archive as PyPI opens it, then its own members where Warehouse looks.
pub(super) fn read(
    file: File,
    len: u64,
    filename: &DistFilename,
) -> Result<ArchiveContents, ArchiveError> {
    let mut opened = zip_file::open(file, len)?;
    let names = opened.names();
    let mut parts = filename.as_str().splitn(3, '-');
    let expected = format!(
        "{}-{}.dist-info",
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default()
    );
    let mut notes = Vec::new();
    check_wheel_member(&mut opened, &expected)?;
    check_record(&mut opened, &mut notes, filename, &expected, &names)?;
    check_entry_points(&mut opened, filename, &expected)?;
    let metadata_path = locate_metadata(&mut opened, &mut notes, filename, &expected, &names)?;
    let dist_info = metadata_path.trim_end_matches("/METADATA").to_string();
    let metadata = opened.read_needed(&metadata_path)?;
    Ok(ArchiveContents {
        metadata_path,
        metadata,
        members: names,
        dist_info: Some(dist_info),
        refusals: opened.refusals,
        notes,
    })
}

/// `_is_valid_dist_file`: "WHEEL not found at …", and WHEEL read whole (`zfp.read`, its
/// CRC checked).
fn check_wheel_member(opened: &mut Opened, expected: &str) -> Result<(), ArchiveError> {
    let wheel = format!("{expected}/WHEEL");
    if !opened.has(&wheel) {
        opened.refusals.push(zip_file::invalid(
            "wheel-wheel",
            format!("WHEEL not found at {wheel}"),
            None,
        ));
    } else if let Err(e) = opened.read(&wheel, MAX_METADATA_SIZE)
        && !matches!(e, MemberError::Unsupported(_) | MemberError::TooLarge(_))
    {
        let refusal = zip_file::validation_failure(&wheel, e)?;
        opened.refusals.push(refusal);
    }
    Ok(())
}

/// `file_upload` → `validate_record` (warehouse#19135): refused when missing or
/// unreadable; a RECORD that does not match the contents is only e-mailed to the owners.
fn check_record(
    opened: &mut Opened,
    notes: &mut Vec<Refusal>,
    filename: &DistFilename,
    expected: &str,
    names: &[String],
) -> Result<(), ArchiveError> {
    let record_path = format!("{expected}/RECORD");
    let verdict = if opened.has(&record_path) {
        record::check(&opened.read_needed(&record_path)?, names, expected)
    } else {
        record::RecordVerdict::Unreadable {
            reason: "no such member".into(),
        }
    };
    match verdict {
        record::RecordVerdict::Ok => {}
        record::RecordVerdict::Unreadable { reason } => opened.refusals.push(Refusal {
            code: "wheel-record",
            message: format!(
                "Wheel '{}' does not contain the required RECORD file: {record_path}",
                filename.as_str()
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
    Ok(())
}

/// `file_upload` → `validate_entrypoints` (warehouse#20081).
fn check_entry_points(
    opened: &mut Opened,
    filename: &DistFilename,
    expected: &str,
) -> Result<(), ArchiveError> {
    let path = format!("{expected}/entry_points.txt");
    if !opened.has(&path) {
        return Ok(());
    }
    if let Err(why) = entry_points::check(&opened.read_needed(&path)?) {
        opened.refusals.push(Refusal {
            code: "entry-points",
            message: format!(
                "Wheel '{}' has invalid entry points defined in the entry_points.txt file",
                filename.as_str()
            ),
            member: Some(why.to_string()),
        });
    }
    Ok(())
}

/// `file_upload`: METADATA where the filename says. Elsewhere PyPI does not find it (a
/// refusal), but the preflight still reads the one there is, to judge the rest.
fn locate_metadata(
    opened: &mut Opened,
    notes: &mut Vec<Refusal>,
    filename: &DistFilename,
    expected: &str,
    names: &[String],
) -> Result<String, ArchiveError> {
    let wanted = format!("{expected}/METADATA");
    if opened.has(&wanted) {
        let others: Vec<&str> = names
            .iter()
            .filter(|n| is_top_metadata(n) && !n.starts_with(&format!("{expected}/")))
            .map(String::as_str)
            .collect();
        if !others.is_empty() {
            // PyPI reads only the folder the filename names; pip refuses the install.
            notes.push(Refusal {
                code: "wheel-dist-info",
                message: "more than one .dist-info folder: PyPI accepts the wheel, pip will not install it".into(),
                member: Some(others.join(", ")),
            });
        }
        return Ok(wanted);
    }
    // Without it nothing else can be judged: PyPI's first refusal explains it best.
    let found = find_metadata(names, filename).map_err(|e| match opened.refusals.first() {
        Some(refusal) => ArchiveError::Refused(refusal.clone()),
        None => e,
    })?;
    opened.refusals.push(Refusal {
        code: "wheel-metadata-path",
        message: format!(
            "Wheel '{}' does not contain the required METADATA file: {wanted}",
            filename.as_str()
        ),
        member: Some(format!("the metadata is at {found}")),
    });
    Ok(found)
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
