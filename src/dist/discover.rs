//! Finding the distributions to publish: files named on the command line, or the top level
//! of a folder (`dist/` by default). Anything that is not a distribution is listed as
//! skipped, never fatal: attestations, signatures, checksums and SBOMs often sit beside them.

use std::path::{Path, PathBuf};

/// What was found under the given paths.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Distribution files (by extension), sorted by name.
    pub dists: Vec<PathBuf>,
    /// Entries passed over, with the reason.
    pub skipped: Vec<Skipped>,
}

/// An entry that is not a distribution.
#[derive(Debug)]
pub struct Skipped {
    /// The entry.
    pub path: PathBuf,
    /// Why it was passed over.
    pub reason: &'static str,
}

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// A path given does not exist or cannot be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Nothing to publish.
    #[error("no distributions (.whl, .tar.gz, .zip) found in {0}")]
    Empty(String),
}

/// Whether a file name looks like a distribution.
pub fn is_distribution_name(name: &str) -> bool {
    name.ends_with(".whl") || name.ends_with(".tar.gz") || name.ends_with(".zip")
}

fn skip_reason(name: &str) -> &'static str {
    if name.ends_with(".publish.attestation") {
        "attestation"
    } else if name.ends_with(".sigstore.json") || name.ends_with(".sigstore") {
        "Sigstore bundle"
    } else if name.ends_with(".asc") || name.ends_with(".sig") {
        "signature"
    } else if [".sha256", ".sha512", ".md5"]
        .iter()
        .any(|s| name.ends_with(s))
        || name.contains("SUMS")
    {
        "checksum"
    } else if name.contains(".spdx") || name.contains(".cdx") || name.ends_with(".sbom.json") {
        "SBOM"
    } else {
        "not a distribution"
    }
}

/// Expands paths: a file is taken as given; a folder contributes its top-level entries.
pub fn discover(paths: &[PathBuf]) -> Result<Discovered, DiscoverError> {
    let mut found = Discovered::default();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| DiscoverError::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|source| DiscoverError::Io {
                    path: path.clone(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for entry in entries {
                classify(&entry, &mut found);
            }
        } else {
            classify(path, &mut found);
        }
    }
    if found.dists.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(DiscoverError::Empty(names.join(", ")));
    }
    found
        .dists
        .sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    found.dists.dedup();
    Ok(found)
}

fn classify(path: &Path, found: &mut Discovered) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if path.is_dir() {
        found.skipped.push(Skipped {
            path: path.to_path_buf(),
            reason: "folder",
        });
    } else if is_distribution_name(&name) {
        found.dists.push(path.to_path_buf());
    } else {
        found.skipped.push(Skipped {
            path: path.to_path_buf(),
            reason: skip_reason(&name),
        });
    }
}
