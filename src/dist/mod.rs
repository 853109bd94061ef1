//! Distributions: the wheel and sdist files a release is made of.
//!
//! A publish starts here: [`discover`] finds the files, [`filename`] parses their names,
//! [`archive`] reads their core metadata without unpacking, [`metadata`] parses it,
//! [`check`] holds the rules PyPI enforces, and [`hash`] computes the digests the upload
//! form and the skip-identical comparison need.

pub mod archive;
// Others are changing `check/` and `rst.rs`: their visibility is tightened, and their
// nested `if let`s become let-chains (rust-version 1.88), with those changes.
#[allow(unreachable_pub, clippy::collapsible_if)]
pub mod check;
mod classifiers;
pub mod discover;
pub mod filename;
pub mod hash;
pub mod metadata;
mod name;
pub mod rst;

pub use check::{Problem, Severity, Target};
pub use discover::{Discovered, Skipped};
pub use filename::{DistFilename, DistKind, SdistFormat};
pub use hash::Digests;
pub use metadata::{CoreMetadata, Field};
pub use name::ProjectName;

use std::path::PathBuf;

/// Warehouse's rules for PyPI and TestPyPI, the general ones for any other index.
impl From<crate::known_index::KnownIndex> for Target {
    fn from(index: crate::known_index::KnownIndex) -> Self {
        if index.is_warehouse() {
            Target::Pypi
        } else {
            Target::Other
        }
    }
}

/// One distribution file with everything read from it before upload.
#[derive(Debug, Clone)]
pub struct Distribution {
    /// Where the file is on disk.
    pub path: PathBuf,
    /// Its parsed filename.
    pub filename: DistFilename,
    /// Its core metadata (`METADATA` or `PKG-INFO`).
    pub metadata: CoreMetadata,
    /// Size in bytes.
    pub size: u64,
}

impl Distribution {
    /// The file name as uploaded (no directory).
    pub fn file_name(&self) -> &str {
        self.filename.as_str()
    }
}
