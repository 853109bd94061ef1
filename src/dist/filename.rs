//! Distribution filenames: wheels (PEP 427, PEP 491) and sdists (PEP 625, legacy forms).
//!
//! A filename carries the project name and version; PyPI checks they agree with the metadata,
//! and for sdists that the name is exactly the normalized PEP 625 form.

use std::fmt;
use std::str::FromStr;

use pep440_rs::Version;

use super::name::normalize;

/// The two kinds of distribution PyPI accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DistKind {
    /// A built distribution (`.whl`); uploaded first so installers never fall back to a build.
    Wheel,
    /// A source distribution (`.tar.gz`, legacy `.zip`).
    Sdist,
}

impl DistKind {
    /// The legacy upload API's `filetype` value.
    pub fn filetype(self) -> &'static str {
        match self {
            DistKind::Wheel => "bdist_wheel",
            DistKind::Sdist => "sdist",
        }
    }
}

/// Archive format of an sdist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdistFormat {
    /// `.tar.gz`, the only format PEP 625 allows.
    TarGz,
    /// `.zip`, readable but refused by PyPI since PEP 625.
    Zip,
}

/// A parsed distribution filename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistFilename {
    raw: String,
    /// Project name part as it appears in the filename.
    pub name: String,
    /// Version part as it appears in the filename (not normalized).
    pub version_str: String,
    /// The parsed version, when the version part is PEP 440.
    pub version: Option<Version>,
    /// Wheel- or sdist-specific parts.
    pub detail: FilenameDetail,
}

/// What only one kind of filename has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilenameDetail {
    /// `{name}-{ver}(-{build})?-{python}-{abi}-{platform}.whl`; tag sets are `.`-compressed.
    Wheel {
        /// Optional build tag (must start with a digit).
        build: Option<String>,
        /// Python tags (`py3`, `cp312`, …).
        python_tags: Vec<String>,
        /// ABI tags.
        abi_tags: Vec<String>,
        /// Platform tags.
        platform_tags: Vec<String>,
    },
    /// `{name}-{version}.tar.gz` (or `.zip`).
    Sdist {
        /// Archive format.
        format: SdistFormat,
    },
}

/// Why a filename is not a distribution filename at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilenameError {
    /// Not `.whl`, `.tar.gz` or `.zip`.
    #[error("not a distribution file extension (expected .whl, .tar.gz or .zip)")]
    Extension,
    /// A wheel name without 5 or 6 dash-separated parts.
    #[error(
        "wheel filename must be {{name}}-{{version}}(-{{build}})?-{{python}}-{{abi}}-{{platform}}.whl"
    )]
    WheelParts,
    /// A build tag that does not start with a digit (PEP 427).
    #[error("wheel build tag '{0}' must start with a digit")]
    BuildTag(String),
    /// An sdist name without a `-` separating name and version.
    #[error("sdist filename must be {{name}}-{{version}}.tar.gz")]
    SdistParts,
    /// Empty tag or name component.
    #[error("empty name, version or tag component")]
    Empty,
}

impl DistFilename {
    /// Parses a file name (no directory part).
    pub fn parse(filename: &str) -> Result<Self, FilenameError> {
        if let Some(stem) = filename.strip_suffix(".whl") {
            Self::parse_wheel(filename, stem)
        } else if let Some(stem) = filename.strip_suffix(".tar.gz") {
            Self::parse_sdist(filename, stem, SdistFormat::TarGz)
        } else if let Some(stem) = filename.strip_suffix(".zip") {
            Self::parse_sdist(filename, stem, SdistFormat::Zip)
        } else {
            Err(FilenameError::Extension)
        }
    }

    fn parse_wheel(raw: &str, stem: &str) -> Result<Self, FilenameError> {
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, tags) = match parts.as_slice() {
            [n, v, p, a, pl] => (*n, *v, None, [*p, *a, *pl]),
            [n, v, b, p, a, pl] => (*n, *v, Some(*b), [*p, *a, *pl]),
            _ => return Err(FilenameError::WheelParts),
        };
        if parts.iter().any(|p| p.is_empty()) {
            return Err(FilenameError::Empty);
        }
        if let Some(b) = build
            && !b.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(FilenameError::BuildTag(b.to_string()));
        }
        let split = |s: &str| -> Result<Vec<String>, FilenameError> {
            let v: Vec<String> = s.split('.').map(str::to_string).collect();
            if v.iter().any(String::is_empty) {
                Err(FilenameError::Empty)
            } else {
                Ok(v)
            }
        };
        Ok(Self {
            raw: raw.to_string(),
            name: name.to_string(),
            version_str: version.to_string(),
            version: Version::from_str(version).ok(),
            detail: FilenameDetail::Wheel {
                build: build.map(str::to_string),
                python_tags: split(tags[0])?,
                abi_tags: split(tags[1])?,
                platform_tags: split(tags[2])?,
            },
        })
    }

    fn parse_sdist(raw: &str, stem: &str, format: SdistFormat) -> Result<Self, FilenameError> {
        // Legacy sdist names may contain '-' in the name part; the version is what follows the
        // last '-' (versions never contain '-' once normalized, and rarely before).
        let (name, version) = stem.rsplit_once('-').ok_or(FilenameError::SdistParts)?;
        if name.is_empty() || version.is_empty() {
            return Err(FilenameError::Empty);
        }
        Ok(Self {
            raw: raw.to_string(),
            name: name.to_string(),
            version_str: version.to_string(),
            version: Version::from_str(version).ok(),
            detail: FilenameDetail::Sdist { format },
        })
    }

    /// The whole filename.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Wheel or sdist.
    pub fn kind(&self) -> DistKind {
        match self.detail {
            FilenameDetail::Wheel { .. } => DistKind::Wheel,
            FilenameDetail::Sdist { .. } => DistKind::Sdist,
        }
    }

    /// PEP 503 normalized project name from the filename.
    pub fn normalized_name(&self) -> String {
        normalize(&self.name)
    }

    /// The `pyversion` form field: the wheel's python tag set, or `source` for an sdist.
    pub fn pyversion(&self) -> String {
        match &self.detail {
            FilenameDetail::Wheel { python_tags, .. } => python_tags.join("."),
            FilenameDetail::Sdist { .. } => "source".to_string(),
        }
    }

    /// Platform tags of a wheel (empty for an sdist).
    pub fn platform_tags(&self) -> &[String] {
        match &self.detail {
            FilenameDetail::Wheel { platform_tags, .. } => platform_tags,
            FilenameDetail::Sdist { .. } => &[],
        }
    }
}

impl fmt::Display for DistFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// The PEP 625 sdist filename PyPI requires for a project name and version.
/// `version` is shown in its normal form (`str(packaging.version.Version)`).
pub fn canonical_sdist_filename(name: &str, version: &impl fmt::Display) -> String {
    format!("{}-{}.tar.gz", normalize(name).replace('-', "_"), version)
}

/// Whether PyPI accepts a wheel platform tag (mirrors Warehouse's allow-list).
pub fn is_pypi_platform_tag(tag: &str) -> bool {
    const STATIC: &[&str] = &[
        "any",
        "win32",
        "win_arm64",
        "win_amd64",
        "win_ia64",
        "manylinux1_x86_64",
        "manylinux1_i686",
        "manylinux2010_x86_64",
        "manylinux2010_i686",
        "manylinux2014_x86_64",
        "manylinux2014_i686",
        "manylinux2014_aarch64",
        "manylinux2014_armv7l",
        "manylinux2014_ppc64",
        "manylinux2014_ppc64le",
        "manylinux2014_s390x",
        "linux_armv6l",
        "linux_armv7l",
    ];
    const MACOS_ARCHES: &[&str] = &[
        "ppc",
        "ppc64",
        "i386",
        "x86_64",
        "arm64",
        "intel",
        "fat",
        "fat3",
        "fat64",
        "universal",
        "universal2",
    ];
    const MACOS_MAJORS: &[&str] = &["11", "12", "13", "14", "15", "26"];
    const LINUX_ARCHES: &[&str] = &[
        "x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64",
    ];
    const IOS_ARCHES: &[&str] = &["arm64", "x86_64"];
    const ANDROID_ARCHES: &[&str] = &["armeabi_v7a", "arm64_v8a", "x86", "x86_64"];

    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if STATIC.contains(&tag) {
        return true;
    }
    if let Some(rest) = tag.strip_prefix("macosx_") {
        // macosx_10_{minor}_{arch}, or macosx_{11+}_0_{arch}.
        let mut it = rest.splitn(3, '_');
        if let (Some(major), Some(minor), Some(arch)) = (it.next(), it.next(), it.next()) {
            let arch_ok = MACOS_ARCHES.contains(&arch);
            return digits(minor)
                && arch_ok
                && (major == "10" || (MACOS_MAJORS.contains(&major) && minor == "0"));
        }
        return false;
    }
    for (prefix, extra) in [("manylinux_", Some("ppc64")), ("musllinux_", None)] {
        if let Some(rest) = tag.strip_prefix(prefix) {
            let mut it = rest.splitn(3, '_');
            if let (Some(a), Some(b), Some(arch)) = (it.next(), it.next(), it.next()) {
                return digits(a)
                    && digits(b)
                    && (LINUX_ARCHES.contains(&arch) || extra == Some(arch));
            }
            return false;
        }
    }
    if let Some(rest) = tag.strip_prefix("ios_") {
        let mut it = rest.splitn(3, '_');
        if let (Some(a), Some(b), Some(tail)) = (it.next(), it.next(), it.next()) {
            let arch = tail
                .strip_suffix("_iphoneos")
                .or_else(|| tail.strip_suffix("_iphonesimulator"));
            return digits(a) && digits(b) && arch.is_some_and(|a| IOS_ARCHES.contains(&a));
        }
        return false;
    }
    if let Some(rest) = tag.strip_prefix("android_") {
        if let Some((api, arch)) = rest.split_once('_') {
            return digits(api) && ANDROID_ARCHES.contains(&arch);
        }
        return false;
    }
    if let Some(rest) = tag.strip_prefix("pyemscripten_") {
        let mut it = rest.splitn(3, '_');
        if let (Some(a), Some(b), Some(arch)) = (it.next(), it.next(), it.next()) {
            return digits(a) && digits(b) && arch == "wasm32";
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wheels_with_build_tags_and_compressed_tag_sets() {
        let f = DistFilename::parse("foo_bar-1.0-1abc-py2.py3-none-any.whl").unwrap();
        assert_eq!(f.name, "foo_bar");
        assert_eq!(f.version_str, "1.0");
        assert_eq!(f.pyversion(), "py2.py3");
        match &f.detail {
            FilenameDetail::Wheel {
                build, python_tags, ..
            } => {
                assert_eq!(build.as_deref(), Some("1abc"));
                assert_eq!(python_tags, &["py2", "py3"]);
            }
            FilenameDetail::Sdist { .. } => panic!("not a wheel"),
        }
        assert_eq!(
            DistFilename::parse("foo-1.0-abc-py3-none-any.whl"),
            Err(FilenameError::BuildTag("abc".into()))
        );
        assert_eq!(
            DistFilename::parse("foo-1.0-py3-any.whl"),
            Err(FilenameError::WheelParts)
        );
    }

    #[test]
    fn parses_legacy_sdists() {
        let f = DistFilename::parse("Foo-Bar-1.0.post1.zip").unwrap();
        assert_eq!(f.name, "Foo-Bar");
        assert_eq!(f.version_str, "1.0.post1");
        assert_eq!(
            f.detail,
            FilenameDetail::Sdist {
                format: SdistFormat::Zip
            }
        );
        assert_eq!(
            DistFilename::parse("foo.tar.bz2"),
            Err(FilenameError::Extension)
        );
    }

    #[test]
    fn canonical_sdist_names() {
        let v = Version::from_str("1.0.0-RC1").unwrap();
        assert_eq!(
            canonical_sdist_filename("Foo.Bar", &v),
            "foo_bar-1.0.0rc1.tar.gz"
        );
    }

    #[test]
    fn platform_allow_list_matches_warehouse() {
        for ok in [
            "any",
            "manylinux_2_17_x86_64",
            "manylinux_2_28_ppc64",
            "musllinux_1_2_riscv64",
            "macosx_10_9_universal2",
            "macosx_14_0_arm64",
            "win_amd64",
            "ios_13_0_arm64_iphoneos",
            "android_21_arm64_v8a",
            "pyemscripten_2024_0_wasm32",
            "linux_armv7l",
        ] {
            assert!(is_pypi_platform_tag(ok), "{ok}");
        }
        for bad in [
            "linux_x86_64",
            "macosx_14_1_arm64",
            "musllinux_1_2_ppc64",
            "manylinux_2_17_sparc",
            "macosx_9_0_x86_64",
            "android_x_x86",
        ] {
            assert!(!is_pypi_platform_tag(bad), "{bad}");
        }
    }
}
