//! `--index NAME`: an **index** as uv declares it in the project's `pyproject.toml`, a
//! `[[tool.uv.index]]` entry with a `name`, the `url` of its simple index and the
//! `publish-url` uploads go to — what `uv publish --index NAME` reads. The `url` becomes
//! the check URL (skip-identical looks there). Credentials are never read from this file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One `[[tool.uv.index]]` entry that can be published to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UvIndex {
    /// Its name.
    pub name: String,
    /// `publish-url`: the upload URL.
    pub publish_url: String,
    /// `url`: its simple index, used as the check URL.
    pub url: Option<String>,
    /// The `pyproject.toml` it was read from.
    pub file: PathBuf,
}

/// Why `--index NAME` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UvIndexError {
    /// No `pyproject.toml`, or it cannot be read.
    #[error("--index {name}: cannot read {}", path.display())]
    Read {
        /// The name asked for.
        name: String,
        /// The file looked for.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Not TOML, or `[[tool.uv.index]]` of the wrong shape.
    #[error("{} is not valid TOML for [[tool.uv.index]]", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: toml::de::Error,
    },
    /// No entry of that name.
    #[error("index '{name}' is not in {} (found: {})", path.display(), if found.is_empty() { "no [[tool.uv.index]] entries".to_string() } else { found.join(", ") })]
    Unknown {
        /// The name asked for.
        name: String,
        /// The file read.
        path: PathBuf,
        /// The names it has.
        found: Vec<String>,
    },
    /// The entry has no `publish-url`.
    #[error("index '{name}' in {} has no publish-url", path.display())]
    NoPublishUrl {
        /// The name asked for.
        name: String,
        /// The file read.
        path: PathBuf,
    },
}

impl UvIndexError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            UvIndexError::Read { .. } => {
                Some("run from the project's folder (where pyproject.toml is)".into())
            }
            UvIndexError::NoPublishUrl { .. } => Some(
                "add `publish-url = \"https://…/legacy/\"` to the entry, or give --repository-url"
                    .into(),
            ),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct PyProject {
    #[serde(default)]
    tool: Tool,
}

#[derive(Deserialize, Default)]
struct Tool {
    #[serde(default)]
    uv: Uv,
}

#[derive(Deserialize, Default)]
struct Uv {
    #[serde(default)]
    index: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: Option<String>,
    url: Option<String>,
    #[serde(rename = "publish-url")]
    publish_url: Option<String>,
}

/// Looks `name` up in `project_dir/pyproject.toml`.
pub fn lookup(name: &str, project_dir: &Path) -> Result<UvIndex, UvIndexError> {
    let path = project_dir.join("pyproject.toml");
    let text = std::fs::read_to_string(&path).map_err(|source| UvIndexError::Read {
        name: name.into(),
        path: path.clone(),
        source,
    })?;
    let project: PyProject = toml::from_str(&text).map_err(|source| UvIndexError::Syntax {
        path: path.clone(),
        source,
    })?;
    let entries = project.tool.uv.index;
    let Some(entry) = entries.iter().find(|e| e.name.as_deref() == Some(name)) else {
        return Err(UvIndexError::Unknown {
            name: name.into(),
            path,
            found: entries.iter().filter_map(|e| e.name.clone()).collect(),
        });
    };
    let Some(publish_url) = entry.publish_url.clone() else {
        return Err(UvIndexError::NoPublishUrl {
            name: name.into(),
            path,
        });
    };
    Ok(UvIndex {
        name: name.into(),
        publish_url,
        url: entry.url.clone(),
        file: path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), text).unwrap();
        dir
    }

    const PYPROJECT: &str = r#"
[project]
name = "demo"
version = "1.0"

[[tool.uv.index]]
name = "pytorch"
url = "https://download.pytorch.org/whl/cpu"

[[tool.uv.index]]
name = "testpypi"
url = "https://test.pypi.org/simple/"
publish-url = "https://test.pypi.org/legacy/"
explicit = true
"#;

    #[test]
    fn reads_the_named_entry() {
        let dir = project(PYPROJECT);
        let index = lookup("testpypi", dir.path()).unwrap();
        assert_eq!(index.publish_url, "https://test.pypi.org/legacy/");
        assert_eq!(index.url.as_deref(), Some("https://test.pypi.org/simple/"));
        assert_eq!(index.file, dir.path().join("pyproject.toml"));
    }

    #[test]
    fn says_what_is_missing_and_where_it_looked() {
        let dir = project(PYPROJECT);
        let file = dir.path().join("pyproject.toml");
        let err = lookup("private", dir.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "index 'private' is not in {} (found: pytorch, testpypi)",
                file.display()
            )
        );
        let err = lookup("pytorch", dir.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("index 'pytorch' in {} has no publish-url", file.display())
        );
        let empty = project("[project]\nname = \"x\"\n");
        let err = lookup("x", empty.path()).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("(found: no [[tool.uv.index]] entries)"),
            "{err}"
        );
        let none = tempfile::tempdir().unwrap();
        let err = lookup("x", none.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "--index x: cannot read {}",
                none.path().join("pyproject.toml").display()
            )
        );
        let broken = project("[[tool.uv.index]]\nname = 3\n");
        assert!(matches!(
            lookup("x", broken.path()),
            Err(UvIndexError::Syntax { .. })
        ));
    }
}
