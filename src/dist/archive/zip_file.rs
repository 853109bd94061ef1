//! ZIP archives: wheels and legacy `.zip` sdists, read through their central directory.

use std::fs::File;
use std::io::BufReader;

use super::{
    ArchiveContents, ArchiveError, BoundedReadError, MAX_ENTRIES, MAX_METADATA_SIZE, check_ratio,
    read_bounded, split_top,
};
use crate::dist::filename::DistFilename;

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

pub(super) fn read_wheel(
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
        refusals: Vec::new(),
    })
}

pub(super) fn read_sdist_zip(file: File, compressed: u64) -> Result<ArchiveContents, ArchiveError> {
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
        refusals: Vec::new(),
    })
}
