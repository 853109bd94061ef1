//! What the index holds: projects, their releases and files. Files live on disk
//! under `<data dir>/files/`, the catalogue in `<data dir>/index.json` (rewritten
//! after every accepted upload, reloaded at start), so a restarted fixture keeps its
//! state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::names::ultranormalize_name;

/// A stored distribution file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRecord {
    pub filename: String,
    /// Normalized project name.
    pub project: String,
    /// The release's version string as stored (normalized PEP 440).
    pub version: String,
    pub packagetype: String,
    pub python_version: String,
    pub sha256: String,
    pub blake2_256: String,
    pub md5: String,
    pub size: u64,
    /// Microseconds since the Unix epoch.
    pub upload_time_us: u64,
    pub requires_python: Option<String>,
    /// sha256 of the wheel's METADATA, served as `<file>.metadata` (PEP 658).
    pub metadata_sha256: Option<String>,
    /// Uploaded with a token minted by trusted publishing.
    pub via_trusted_publishing: bool,
    /// The `attestations` form field, when sent (not verified).
    pub attestations: Option<String>,
    /// Its PEP 740 provenance object, built when it came with attestations.
    #[serde(default)]
    pub provenance: Option<serde_json::Value>,
    /// The accepted upload form in received order, `content` described, not included.
    pub form: Vec<(String, serde_json::Value)>,
}

/// A release: one version of a project.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Release {
    pub version: String,
    /// `packaging.utils.canonicalize_version`, the key Warehouse matches releases by.
    pub canonical_version: String,
    pub created_us: u64,
    pub requires_python: Option<String>,
    pub files: Vec<String>,
}

/// A project.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Project {
    /// Display name (the last uploaded `name`).
    pub name: String,
    pub releases: Vec<Release>,
    pub last_serial: u64,
}

impl Project {
    /// Sum of the sizes of its files.
    pub fn total_size(&self, files: &BTreeMap<String, FileRecord>) -> u64 {
        self.releases
            .iter()
            .flat_map(|r| &r.files)
            .filter_map(|f| files.get(f))
            .map(|f| f.size)
            .sum()
    }
}

/// The whole catalogue.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Catalogue {
    /// Keyed by normalized name.
    pub projects: BTreeMap<String, Project>,
    /// Keyed by filename.
    pub files: BTreeMap<String, FileRecord>,
    /// Warehouse's journal serial.
    pub serial: u64,
}

impl Catalogue {
    /// Warehouse's duplicate lookup: a file with this filename *or* this blake2 digest.
    pub fn find_file(&self, filename: &str, blake2_256: &str) -> Option<&FileRecord> {
        self.files
            .get(filename)
            .or_else(|| self.files.values().find(|f| f.blake2_256 == blake2_256))
    }

    /// A project whose name looks like `name` once "ultranormalized".
    pub fn similar_project(&self, name: &str) -> Option<&Project> {
        let wanted = ultranormalize_name(name);
        self.projects
            .values()
            .find(|p| ultranormalize_name(&p.name) == wanted)
    }
}

/// The on-disk store.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    pub catalogue: Catalogue,
    /// Keeps a temporary data dir alive for the life of the process.
    _temp: Option<tempfile::TempDir>,
}

impl Store {
    /// Opens (or creates) the store in `dir`, or in a fresh temp dir.
    pub fn open(dir: Option<&Path>) -> std::io::Result<Store> {
        let (root, temp) = match dir {
            Some(dir) => (dir.to_path_buf(), None),
            None => {
                let temp = tempfile::Builder::new().prefix("test-index-").tempdir()?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        std::fs::create_dir_all(root.join("files"))?;
        std::fs::create_dir_all(root.join("tmp"))?;
        let index = root.join("index.json");
        let catalogue = if index.exists() {
            let text = std::fs::read_to_string(&index)?;
            serde_json::from_str(&text).map_err(std::io::Error::other)?
        } else {
            Catalogue::default()
        };
        Ok(Store {
            root,
            catalogue,
            _temp: temp,
        })
    }

    /// Creates `name` with no releases unless a project of that normalized name exists.
    pub fn ensure_project(&mut self, name: &str) {
        let normalized = crate::names::canonicalize_name(name);
        if self.catalogue.projects.contains_key(&normalized) {
            return;
        }
        self.catalogue.serial += 1;
        let serial = self.catalogue.serial;
        self.catalogue.projects.insert(
            normalized,
            Project {
                name: name.to_string(),
                releases: Vec::new(),
                last_serial: serial,
            },
        );
    }

    /// Where uploads are spooled (same filesystem as `files/`, so storing is a rename).
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Path of a stored file (or of its `.metadata`).
    pub fn file_path(&self, filename: &str) -> PathBuf {
        self.root.join("files").join(filename)
    }

    /// Persists the catalogue. A temporary data dir goes with the process, so nothing
    /// could read it back: it is not written (each upload rewrote the whole catalogue,
    /// which made a 2,000-file release quadratic).
    pub fn save(&self) -> std::io::Result<()> {
        if self._temp.is_some() {
            return Ok(());
        }
        let text = serde_json::to_string_pretty(&self.catalogue).map_err(std::io::Error::other)?;
        let tmp = self.root.join("index.json.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, self.root.join("index.json"))
    }
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// `datetime.isoformat() + "Z"` for a UTC timestamp in microseconds, as the simple
/// API's `upload-time` (microseconds only when non-zero, like Python).
pub fn iso8601(us: u64) -> String {
    let secs = us / 1_000_000;
    let micros = us % 1_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let base = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}");
    if micros == 0 {
        format!("{base}Z")
    } else {
        format!("{base}.{micros:06}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_python_isoformat() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            iso8601(1_787_331_457_000_001),
            "2026-08-21T16:57:37.000001Z"
        );
        assert_eq!(iso8601(951_782_400_000_000), "2000-02-29T00:00:00Z");
    }
}
