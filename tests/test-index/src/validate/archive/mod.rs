//! The look inside the uploaded file: `_is_valid_dist_file` (is it the archive its
//! extension says, with PKG-INFO / WHEEL where Warehouse looks, framed as PyPI takes
//! ZIP archives, without sparse tar members), and for wheels the RECORD, entry points,
//! METADATA and License-File checks of `file_upload`. YARA scanning is not reproduced.

mod entry_points;
mod tar_gz;
mod zip_records;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use zip::{CompressionMethod, ZipArchive};

use tar_gz::{TarRead, tar_names};

/// How `_is_valid_dist_file` words a refusal of the archive's form.
fn not_accepted(kind: &str, what: &str) -> String {
    format!(
        "{kind} archive not accepted: {what}. See https://docs.pypi.org/archives for more information"
    )
}

/// An opened distribution, kept for the later checks.
pub enum Opened {
    Zip(Box<ZipArchive<File>>),
    /// Member names of a tar archive, as `tarfile` reports them.
    Tar(Vec<String>),
}

/// `os.path.commonpath(names)`; `None` when it would raise (absolute mixed with
/// relative), which Warehouse does not expect either.
fn common_path(names: &[String]) -> Option<String> {
    if names.is_empty() {
        return Some(String::new());
    }
    let absolute = names[0].starts_with('/');
    if names.iter().any(|n| n.starts_with('/') != absolute) {
        return None;
    }
    let split: Vec<Vec<&str>> = names
        .iter()
        .map(|n| {
            n.split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .collect()
        })
        .collect();
    let mut common: Vec<&str> = split[0].clone();
    for parts in &split[1..] {
        let len = common.iter().zip(parts).take_while(|(a, b)| a == b).count();
        common.truncate(len);
    }
    Some(format!(
        "{}{}",
        if absolute { "/" } else { "" },
        common.join("/")
    ))
}

fn join(top: &str, name: &str) -> String {
    if top.is_empty() || top.ends_with('/') {
        format!("{top}{name}")
    } else {
        format!("{top}/{name}")
    }
}

/// `_is_valid_dist_file`. `Err(Some(msg))` / `Err(None)` become Warehouse's
/// "Invalid distribution file. {msg}" (yes, `None` is printed as such).
pub fn open_dist(path: &Path, filename: &str) -> Result<Opened, Option<String>> {
    if filename.ends_with(".zip") || filename.ends_with(".whl") {
        let file = File::open(path).map_err(|_| None)?;
        let Ok(mut archive) = ZipArchive::new(file) else {
            return Err(Some("File is not a zipfile".to_owned()));
        };
        let compressed = std::fs::metadata(path).map(|m| m.len()).unwrap_or(1).max(1);
        let mut decompressed: u64 = 0;
        let mut names = Vec::new();
        let mut directory = zip_records::Directory::new();
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).map_err(|_| None)?;
            decompressed += entry.size();
            directory.insert(
                entry.name_raw().to_vec(),
                (entry.compressed_size(), entry.size()),
            );
            if !matches!(
                entry.compression(),
                CompressionMethod::Stored | CompressionMethod::Deflated
            ) {
                return Err(Some(
                    "File does not use a supported compression type".to_owned(),
                ));
            }
            names.push(String::from_utf8_lossy(entry.name_raw()).into_owned());
        }
        // A zip bomb: more than 64 MiB unpacked at more than 50x.
        if decompressed > 64 * 1024 * 1024 && decompressed / compressed > 50 {
            return Err(Some("File exceeds compression ratio of 50".to_owned()));
        }
        if filename.ends_with(".zip") {
            let top = common_path(&names).unwrap_or_default();
            if matches!(top.as_str(), "." | "/" | "") {
                return Err(Some(
                    "Incorrect number of top-level directories in sdist".to_owned(),
                ));
            }
            let target = join(&top, "PKG-INFO");
            if archive.by_name(&target).is_err() {
                return Err(Some(format!("PKG-INFO not found at {target}")));
            }
        } else {
            let mut parts = filename.splitn(3, '-');
            let (Some(name), Some(version), Some(_)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(Some(
                    "Unable to parse name and version from wheel filename".to_owned(),
                ));
            };
            let target = format!("{name}-{version}.dist-info/WHEEL");
            if archive.by_name(&target).is_err() {
                return Err(Some(format!("WHEEL not found at {target}")));
            }
        }
        // Last, as in Warehouse: the records read in file order.
        if let Err(what) = zip_records::check_file(path, &directory).map_err(|_| None)? {
            return Err(Some(not_accepted("ZIP", what)));
        }
        return Ok(Opened::Zip(Box::new(archive)));
    }
    // .tar.gz
    let names = match tar_names(path) {
        TarRead::NotTar => return Err(Some("File is not a tarfile".to_owned())),
        TarRead::Broken => return Err(None),
        TarRead::Sparse => {
            return Err(Some(not_accepted("tar", "Sparse members are not allowed")));
        }
        TarRead::Names(names) => names,
    };
    let top = common_path(&names).unwrap_or_default();
    if matches!(top.as_str(), "." | "/" | "") {
        return Err(Some(
            "Incorrect number of top-level directories in sdist".to_owned(),
        ));
    }
    let target = join(&top, "PKG-INFO");
    if !names.contains(&target) {
        return Err(Some(format!("PKG-INFO not found at {target}")));
    }
    Ok(Opened::Tar(names))
}

/// License-File entries of an sdist must exist under its top-level directory.
pub fn check_sdist_license_files(
    opened: &Opened,
    filename: &str,
    license_files: &[String],
) -> Result<(), String> {
    let Opened::Tar(names) = opened else {
        return Ok(());
    };
    let top = common_path(names).unwrap_or_default();
    for license_file in license_files {
        let target = join(&top, license_file);
        if !names.contains(&target) {
            return Err(format!(
                "License-File {license_file} does not exist in distribution file {filename} at {target}"
            ));
        }
    }
    Ok(())
}

fn read_member(archive: &mut ZipArchive<File>, name: &str) -> Option<Vec<u8>> {
    let mut entry = archive.by_name(name).ok()?;
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The wheel checks after the filename rules: License-File entries, RECORD, entry
/// points, METADATA. Returns the METADATA bytes (served per PEP 658).
pub fn check_wheel_contents(
    opened: &mut Opened,
    filename: &str,
    license_files: &[String],
) -> Result<Vec<u8>, String> {
    let Opened::Zip(archive) = opened else {
        return Err("Invalid distribution file.".to_owned());
    };
    let mut parts = filename.splitn(3, '-');
    let (name, version) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let dist_info = format!("{name}-{version}.dist-info");
    for license_file in license_files {
        let target = format!("{dist_info}/licenses/{license_file}");
        if read_member(archive, &target).is_none() {
            return Err(format!(
                "License-File {license_file} does not exist in distribution file {filename} at {target}"
            ));
        }
    }
    // A RECORD that differs from the archive only earns the owners an e-mail.
    let record = format!("{dist_info}/RECORD");
    if read_member(archive, &record).is_none_or(|bytes| String::from_utf8(bytes).is_err()) {
        return Err(format!(
            "Wheel '{filename}' does not contain the required RECORD file: {record}"
        ));
    }
    if let Some(bytes) = read_member(archive, &format!("{dist_info}/entry_points.txt"))
        && !entry_points::valid(&bytes)
    {
        return Err(format!(
            "Wheel '{filename}' has invalid entry points defined in the entry_points.txt file"
        ));
    }
    let metadata = format!("{dist_info}/METADATA");
    read_member(archive, &metadata).ok_or_else(|| {
        format!("Wheel '{filename}' does not contain the required METADATA file: {metadata}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_path_like_python() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            common_path(&names(&["foo-1.0", "foo-1.0/PKG-INFO"])).unwrap(),
            "foo-1.0"
        );
        assert_eq!(common_path(&names(&["./foo/a", "foo/b"])).unwrap(), "foo");
        assert_eq!(common_path(&names(&["a/x", "b/y"])).unwrap(), "");
    }
}
