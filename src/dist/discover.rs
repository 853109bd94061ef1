//! Finding the distributions to publish. Each path argument (or line of the action's
//! `packages-dir`) is one of three things:
//!
//! - a **file**, taken as given;
//! - a **folder**, which contributes the distributions at its top level (`dist/`);
//! - a **glob** (`'dist/*.whl'`, `'packages/*/dist'`, `'**/dist/*'`), expanded here rather
//!   than by a shell, so that it works quoted, in the action and on every platform. What it
//!   matches is taken as a file or a folder would be.
//!
//! Attestations, signatures, checksums, SBOMs and Sigstore bundles live beside the
//! distributions: a folder or a glob passes over them (and anything else that is not a
//! distribution) silently, as twine does. A file named explicitly that is not a
//! distribution is listed as skipped (`--verbose`), never fatal, so that a shell's
//! `dist/*` works too. A folder or glob that yields no distribution at all is an error
//! naming it: a typo in a path should not publish less than the user meant. The same file
//! reached twice (`dist/` and `dist/*.whl`, `./dist` and `dist`, a symlink) is kept once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What was found under the given paths.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Distribution files (by extension), sorted by name, each file once.
    pub dists: Vec<PathBuf>,
    /// Files named explicitly that are not distributions, with the reason.
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
    /// A glob that cannot be parsed.
    #[error("invalid glob '{pattern}': {message}")]
    Pattern {
        /// The glob as given.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
    /// A folder, a glob or a list of files without a distribution.
    #[error("no distributions (.whl, .tar.gz, .zip) found in {0}")]
    Empty(String),
    /// A glob that matches no distribution.
    #[error("no distributions (.whl, .tar.gz, .zip) match '{0}'")]
    NoMatch(String),
}

/// Whether a file name looks like a distribution.
pub fn is_distribution_name(name: &str) -> bool {
    name.ends_with(".whl") || name.ends_with(".tar.gz") || name.ends_with(".zip")
}

/// What a file that sits beside distributions is, when it is one of the usual companions.
fn companion(name: &str) -> Option<&'static str> {
    if name.ends_with(".publish.attestation") {
        Some("attestation")
    } else if name.ends_with(".sigstore.json") || name.ends_with(".sigstore") {
        Some("Sigstore bundle")
    } else if name.ends_with(".asc") || name.ends_with(".sig") {
        Some("signature")
    } else if [".sha256", ".sha512", ".md5"]
        .iter()
        .any(|s| name.ends_with(s))
        || name.contains("SUMS")
    {
        Some("checksum")
    } else if name.contains(".spdx") || name.contains(".cdx") || name.ends_with(".sbom.json") {
        Some("SBOM")
    } else {
        None
    }
}

/// Whether a path argument is a glob rather than a literal path. A path that exists is
/// always literal (a folder may be called `[v1]`).
fn is_glob(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.contains(['*', '?', '[']) && std::fs::symlink_metadata(path).is_err()
}

/// Collects distributions, each file once (by its canonical path).
#[derive(Default)]
struct Collector {
    found: Discovered,
    seen: HashSet<PathBuf>,
}

impl Collector {
    /// Takes a distribution file, unless it was taken already under another name.
    fn take(&mut self, path: PathBuf) {
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if self.seen.insert(key) {
            self.found.dists.push(path);
        }
    }

    /// The distributions at the top level of a folder; how many (including ones already
    /// seen through another argument).
    fn folder(&mut self, dir: &Path) -> Result<usize, DiscoverError> {
        let read = std::fs::read_dir(dir).map_err(|source| DiscoverError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut entries: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        let mut count = 0;
        for entry in entries {
            if entry.is_file() && is_distribution_name(&file_name(&entry)) {
                self.take(entry);
                count += 1;
            }
        }
        Ok(count)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Expands paths: files as given, folders to their top-level distributions, globs to what
/// they match (see the module's documentation).
pub fn discover(paths: &[PathBuf]) -> Result<Discovered, DiscoverError> {
    let mut c = Collector::default();
    for path in paths {
        if is_glob(path) {
            glob(path, &mut c)?;
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|source| DiscoverError::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            if c.folder(path)? == 0 {
                return Err(DiscoverError::Empty(path.display().to_string()));
            }
        } else {
            let name = file_name(path);
            if is_distribution_name(&name) {
                c.take(path.clone());
            } else {
                c.found.skipped.push(Skipped {
                    path: path.clone(),
                    reason: companion(&name).unwrap_or("not a distribution"),
                });
            }
        }
    }
    let mut found = c.found;
    if found.dists.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(DiscoverError::Empty(names.join(", ")));
    }
    found
        .dists
        .sort_by(|a, b| a.file_name().cmp(&b.file_name()).then(a.cmp(b)));
    Ok(found)
}

/// Expands one glob: matched distribution files are taken, anything else is passed over. A
/// glob whose last component is a plain name (`packages/*/dist`, `**/dist`) names folders:
/// each contributes its top-level distributions. One ending in a wildcard (`dist/*`) picks
/// files only, so the `dist/old/` beside them stays out, as with a shell.
fn glob(pattern: &Path, c: &mut Collector) -> Result<(), DiscoverError> {
    let text = pattern.to_string_lossy().into_owned();
    // `/`, and `\` too on Windows.
    let last = text
        .trim_end_matches(std::path::is_separator)
        .rsplit(std::path::is_separator)
        .next()
        .unwrap_or("");
    let names_folders = !last.contains(['*', '?', '[']);
    // `*` stays within one path component; `**` crosses folders (the shell's globstar).
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let matches = glob::glob_with(&text, options).map_err(|e| DiscoverError::Pattern {
        pattern: text.clone(),
        message: e.msg.to_string(),
    })?;
    let mut count = 0;
    // Unreadable entries under the pattern are passed over, as a shell would.
    for path in matches.filter_map(Result::ok) {
        if path.is_dir() {
            if names_folders {
                count += c.folder(&path)?;
            }
        } else if path.is_file() && is_distribution_name(&file_name(&path)) {
            c.take(path);
            count += 1;
        }
    }
    if count == 0 {
        return Err(DiscoverError::NoMatch(text));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, rel: &str) -> PathBuf {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, rel).unwrap();
        path
    }

    fn names(found: &Discovered) -> Vec<String> {
        found.dists.iter().map(|p| file_name(p)).collect()
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for rel in [
            "dist/a-1.0-py3-none-any.whl",
            "dist/a-1.0.tar.gz",
            "dist/a-1.0-py3-none-any.whl.publish.attestation",
            "dist/a-1.0.tar.gz.asc",
            "dist/a-1.0.tar.gz.sigstore.json",
            "dist/SHA256SUMS.txt",
            "dist/notes.txt",
            "dist/old/a-0.9.tar.gz",
            "pkgs/b/dist/b-2.0-py3-none-any.whl",
            "pkgs/c/dist/c-3.0.tar.gz",
            "pkgs/c/dist/c-3.0.tar.gz.publish.attestation",
            "empty/readme.txt",
        ] {
            touch(dir.path(), rel);
        }
        dir
    }

    #[test]
    fn a_folder_gives_its_top_level_distributions_and_nothing_else() {
        let dir = tree();
        let found = discover(&[dir.path().join("dist")]).unwrap();
        assert_eq!(names(&found), ["a-1.0-py3-none-any.whl", "a-1.0.tar.gz"]);
        assert!(found.skipped.is_empty(), "{:?}", found.skipped);
    }

    #[test]
    fn globs_expand_with_star_and_double_star() {
        let dir = tree();
        let root = dir.path().display().to_string();
        let found = discover(&[format!("{root}/dist/*.whl").into()]).unwrap();
        assert_eq!(names(&found), ["a-1.0-py3-none-any.whl"]);
        // `*` does not cross folders: dist/old is not reached.
        let found = discover(&[format!("{root}/dist/*").into()]).unwrap();
        assert_eq!(names(&found), ["a-1.0-py3-none-any.whl", "a-1.0.tar.gz"]);
        let found = discover(&[format!("{root}/**/dist/*").into()]).unwrap();
        assert_eq!(
            names(&found),
            [
                "a-1.0-py3-none-any.whl",
                "a-1.0.tar.gz",
                "b-2.0-py3-none-any.whl",
                "c-3.0.tar.gz"
            ]
        );
        // A glob ending in a plain name takes each folder it matches as a folder.
        let found = discover(&[format!("{root}/pkgs/*/dist").into()]).unwrap();
        assert_eq!(names(&found), ["b-2.0-py3-none-any.whl", "c-3.0.tar.gz"]);
        let found = discover(&[format!("{root}/**/old").into()]).unwrap();
        assert_eq!(names(&found), ["a-0.9.tar.gz"]);
    }

    #[test]
    fn the_same_file_reached_twice_is_kept_once() {
        let dir = tree();
        let root = dir.path();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("dist"), root.join("link")).unwrap();
        // Needs developer mode or the symlink privilege on Windows.
        #[cfg(windows)]
        std::os::windows::fs::symlink_dir(root.join("dist"), root.join("link")).unwrap();
        let found = discover(&[
            root.join("dist"),
            format!("{}/dist/*.whl", root.display()).into(),
            root.join("./dist/a-1.0.tar.gz"),
            root.join("link"),
        ])
        .unwrap();
        assert_eq!(names(&found), ["a-1.0-py3-none-any.whl", "a-1.0.tar.gz"]);
        // Two files of the same name in different folders are both kept (preflight decides).
        let found = discover(&[root.join("dist"), root.join("dist/old")]).unwrap();
        assert_eq!(found.dists.len(), 3);
    }

    #[test]
    fn an_empty_folder_or_glob_is_an_error_naming_it() {
        let dir = tree();
        let root = dir.path().display().to_string();
        let empty = format!("{root}/empty");
        let err = discover(&[format!("{root}/dist").into(), empty.clone().into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("no distributions (.whl, .tar.gz, .zip) found in {empty}")
        );
        let glob = format!("{root}/dist/*.zip");
        let err = discover(&[format!("{root}/dist").into(), glob.clone().into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("no distributions (.whl, .tar.gz, .zip) match '{glob}'")
        );
        let missing = format!("{root}/nowhere/*.whl");
        assert!(matches!(
            discover(&[missing.into()]),
            Err(DiscoverError::NoMatch(_))
        ));
        let bad = format!("{root}/dist/[.whl");
        assert!(matches!(
            discover(&[bad.into()]),
            Err(DiscoverError::Pattern { .. })
        ));
        assert!(matches!(
            discover(&[dir.path().join("nowhere")]),
            Err(DiscoverError::Io { .. })
        ));
    }

    #[test]
    fn explicit_files_that_are_not_distributions_are_noted() {
        let dir = tree();
        let d = dir.path().join("dist");
        let found = discover(&[
            d.join("a-1.0.tar.gz"),
            d.join("a-1.0.tar.gz.asc"),
            d.join("notes.txt"),
        ])
        .unwrap();
        assert_eq!(names(&found), ["a-1.0.tar.gz"]);
        let skipped: Vec<(String, &str)> = found
            .skipped
            .iter()
            .map(|s| (file_name(&s.path), s.reason))
            .collect();
        assert_eq!(
            skipped,
            [
                ("a-1.0.tar.gz.asc".to_string(), "signature"),
                ("notes.txt".to_string(), "not a distribution")
            ]
        );
        assert!(matches!(
            discover(&[d.join("notes.txt")]),
            Err(DiscoverError::Empty(_))
        ));
    }

    #[test]
    fn an_existing_path_with_glob_characters_is_literal() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "[v1]/x-1.0.tar.gz");
        let found = discover(&[dir.path().join("[v1]")]).unwrap();
        assert_eq!(names(&found), ["x-1.0.tar.gz"]);
    }
}
