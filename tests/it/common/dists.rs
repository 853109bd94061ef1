//! Synthetic distributions written by the tests: a valid baseline that each bad case
//! changes in exactly one way.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

/// Core metadata with every field the baseline needs; `extra` is appended before the body.
pub fn metadata(name: &str, version: &str, extra: &str) -> String {
    format!(
        "Metadata-Version: 2.4\nName: {name}\nVersion: {version}\nSummary: A synthetic test distribution\nRequires-Python: >=3.9\nClassifier: Programming Language :: Python :: 3\n{extra}Description-Content-Type: text/markdown\n\n# {name}\n\nA synthetic distribution.\n"
    )
}

/// A wheel with `files` (path, bytes) in it; `dist-info` files are added unless given.
pub fn wheel(dir: &Path, filename: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let path = dir.join(filename);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    // An empty RECORD is written listing every member, as a build backend writes it (PyPI
    // accepts a RECORD that does not match, but the preflight warns about it).
    let listing: String = files
        .iter()
        .map(|(name, _)| format!("{name},,\n"))
        .collect();
    for (name, bytes) in files {
        zip.start_file(*name, options).unwrap();
        if name.ends_with(".dist-info/RECORD") && bytes.is_empty() {
            zip.write_all(listing.as_bytes()).unwrap();
        } else {
            zip.write_all(bytes).unwrap();
        }
    }
    zip.finish().unwrap();
    path
}

/// The standard members of a wheel named `{name}-{version}`, with `metadata`.
pub fn wheel_members(stem: &str, metadata: &str) -> Vec<(String, Vec<u8>)> {
    let di = format!("{stem}.dist-info");
    vec![
        (
            format!("{}/__init__.py", stem.split('-').next().unwrap()),
            b"".to_vec(),
        ),
        (format!("{di}/METADATA"), metadata.as_bytes().to_vec()),
        (
            format!("{di}/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .to_vec(),
        ),
        (format!("{di}/RECORD"), b"".to_vec()),
    ]
}

/// Writes a wheel from owned members.
pub fn wheel_owned(dir: &Path, filename: &str, members: &[(String, Vec<u8>)]) -> PathBuf {
    let borrowed: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    wheel(dir, filename, &borrowed)
}

/// A `.tar.gz` sdist with `files` (path, bytes).
pub fn sdist_tar(dir: &Path, filename: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let path = dir.join(filename);
    let gz = GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, *bytes).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
    path
}

/// A `.zip` sdist.
pub fn sdist_zip(dir: &Path, filename: &str, files: &[(&str, &[u8])]) -> PathBuf {
    wheel(dir, filename, files)
}

/// A `.tar.gz` built entry by entry — (type, path, bytes, size) — with `link` as the target
/// of links; paths are written raw (absolute ones too).
pub fn raw_tar(
    path: &Path,
    entries: Vec<(tar::EntryType, &str, Box<dyn std::io::Read>, u64)>,
    link: &str,
) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    for (kind, name, data, size) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(0o644);
        // Absolute paths are written raw: `set_path` refuses them.
        let field = &mut header.as_old_mut().name;
        field[..name.len()].copy_from_slice(name.as_bytes());
        if matches!(kind, tar::EntryType::Symlink | tar::EntryType::Link) {
            header.set_link_name(link).unwrap();
        }
        header.set_cksum();
        tar.append(&header, data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// A release of `name` at `version`: its wheel and its sdist, named as PEP 491 and PEP 625
/// want them.
pub fn release(dir: &Path, name: &str, version: &str) {
    let meta = metadata(name, version, "");
    let stem = format!("{}-{version}", name.replace('-', "_"));
    wheel_owned(
        dir,
        &format!("{stem}-py3-none-any.whl"),
        &wheel_members(&stem, &meta),
    );
    sdist_tar(
        dir,
        &format!("{stem}.tar.gz"),
        &[
            (&format!("{stem}/PKG-INFO"), meta.as_bytes()),
            (&format!("{stem}/setup.py"), b""),
        ],
    );
}
