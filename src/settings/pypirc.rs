//! `--repository NAME` (`-r`): a **repository** is a named upload URL with its username and
//! password, kept in `~/.pypirc` as twine reads it (the packaging guide's `.pypirc`
//! specification): `[distutils] index-servers` lists the names, each named section gives
//! `repository`, `username`, `password` (and twine's `ca_cert`), `[server-login]` gives a
//! username and password for every section (its obsolete form, still honoured), and `pypi`
//! and `testpypi` are known without a file.
//!
//! The file is read as Python's `configparser.RawConfigParser` reads it, since that is what
//! users' files were written for: `key = value` or `key: value`, keys case-insensitive,
//! whole-line comments (`#`, `;`) only — a `#` inside a password is part of it —,
//! indented continuation lines, `[DEFAULT]` values in every section, no interpolation. A
//! general INI crate would differ on exactly the details that break passwords (inline
//! comments, quotes, escapes), so the ~80 lines are here.
//!
//! A password read from the file is a [`Secret`] from the moment it is read, and no error
//! message quotes a line of the file, only its number.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::index::url::{PYPI_UPLOAD, TESTPYPI_UPLOAD};
use crate::secret::Secret;

/// A `.pypirc` section name as twine looks it up (case-sensitive).
const DISTUTILS: &str = "distutils";
/// Sections and keys in the order of the file, keys lower-cased; values with continuation
/// lines joined by `\n`.
type Sections = BTreeMap<String, BTreeMap<String, String>>;

/// One repository of the file (or a built-in one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// Its name (`-r NAME`).
    pub name: String,
    /// Its upload URL.
    pub url: String,
    /// `username`, when given.
    pub username: Option<String>,
    /// `password`, when given.
    pub password: Option<Secret>,
    /// `ca_cert`: extra CA certificates for it.
    pub ca_cert: Option<PathBuf>,
    /// The file it was read from (`None`: built in, no file).
    pub file: Option<PathBuf>,
}

/// Why `-r NAME` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PypircError {
    /// `--config-file` names a file that cannot be read.
    #[error("cannot read the config file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A line configparser would refuse (its text is never shown: it may hold a password).
    #[error("{}, line {line}: {problem}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        problem: &'static str,
    },
    /// The name is neither in the file nor built in.
    #[error("repository '{name}' is not in {} (found: {})", path.display(), found.join(", "))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The file read.
        path: PathBuf,
        /// The names it has, the built-in ones included.
        found: Vec<String>,
        /// A `[name]` section that `index-servers` does not list.
        unlisted: bool,
    },
    /// A name other than `pypi`/`testpypi`, and no file to look it up in.
    #[error("repository '{name}' is not known: there is no {} to look it up in", path.display())]
    NoFile {
        /// The name asked for.
        name: String,
        /// The file looked for.
        path: PathBuf,
    },
    /// The section has no `repository` URL.
    #[error("repository '{name}' in {} has no `repository` URL", path.display())]
    NoUrl {
        /// The name asked for.
        name: String,
        /// The file read.
        path: PathBuf,
    },
}

impl PypircError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            PypircError::Unknown {
                name,
                unlisted: true,
                ..
            } => Some(format!(
                "[{name}] is there, but `[distutils] index-servers` does not list it (twine reads only the sections listed there)"
            )),
            PypircError::Unknown { .. } | PypircError::NoFile { .. } => Some(
                "give the URL with --repository-url, or choose the file with --config-file".into(),
            ),
            PypircError::NoUrl { name, .. } => Some(format!(
                "add `repository = https://…/legacy/` under [{name}]"
            )),
            _ => None,
        }
    }
}

/// The home folder, `$HOME` read through `env`.
fn home(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    let home = env("HOME")
        .or_else(|| env("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "~".into());
    PathBuf::from(home)
}

/// The default file: `~/.pypirc`.
pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    home(env).join(".pypirc")
}

/// `~/x` as the home folder's `x` (twine expands it; a quoted `--config-file '~/x'` reaches
/// us unexpanded).
fn expand_home(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => home(env).join(rest),
        Err(_) => path.to_path_buf(),
    }
}

/// Looks `name` up. `given` is `--config-file` (a missing one is an error); without it the
/// default file is read when it exists.
pub fn lookup(
    name: &str,
    given: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Repository, PypircError> {
    let path = given.map_or_else(|| default_path(env), |p| expand_home(p, env));
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(source) if given.is_some() => return Err(PypircError::Read { path, source }),
        Err(_) => None,
    };
    let sections = match &text {
        Some(text) => parse(text).map_err(|(line, problem)| PypircError::Syntax {
            path: path.clone(),
            line,
            problem,
        })?,
        None => Sections::new(),
    };
    let file = text.is_some().then(|| path.clone());
    let get = |section: &str, key: &str| -> Option<String> {
        sections
            .get(section)
            .and_then(|s| s.get(key))
            .or_else(|| sections.get("DEFAULT").and_then(|s| s.get(key)))
            .cloned()
    };
    let listed: Vec<String> = match get(DISTUTILS, "index-servers") {
        Some(list) => list.split_whitespace().map(str::to_string).collect(),
        None => vec!["pypi".into(), "testpypi".into()],
    };
    let builtin = |n: &str| match n {
        "pypi" => Some(PYPI_UPLOAD),
        "testpypi" => Some(TESTPYPI_UPLOAD),
        _ => None,
    };
    if !listed.iter().any(|n| n == name) && builtin(name).is_none() {
        if text.is_none() {
            return Err(PypircError::NoFile {
                name: name.into(),
                path,
            });
        }
        let mut found = listed.clone();
        for known in ["pypi", "testpypi"] {
            if !found.iter().any(|n| n == known) {
                found.push(known.into());
            }
        }
        return Err(PypircError::Unknown {
            name: name.into(),
            unlisted: sections.contains_key(name),
            path,
            found,
        });
    }
    // Only the listed sections are read (twine); the built-in ones keep their URL.
    let read = |key: &str| {
        if listed.iter().any(|n| n == name) {
            get(name, key)
        } else {
            None
        }
        .or_else(|| {
            (key != "repository")
                .then(|| get("server-login", key))
                .flatten()
        })
    };
    let url = match read("repository").or_else(|| builtin(name).map(str::to_string)) {
        Some(url) => url,
        None => {
            return Err(PypircError::NoUrl {
                name: name.into(),
                path,
            });
        }
    };
    Ok(Repository {
        name: name.into(),
        url,
        username: read("username").filter(|u| !u.is_empty()),
        password: read("password").filter(|p| !p.is_empty()).map(Secret::new),
        ca_cert: read("ca_cert").filter(|c| !c.is_empty()).map(PathBuf::from),
        file,
    })
}

/// Reads configparser's format (see the module's documentation). `Err`: the line number and
/// the problem.
fn parse(text: &str) -> Result<Sections, (usize, &'static str)> {
    let mut sections = Sections::new();
    let mut section: Option<String> = None;
    // The option being read and the indentation of its line: a deeper line continues it.
    let mut option: Option<(String, usize)> = None;
    let mut blank_run = 0;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let value = line.trim();
        if value.starts_with('#') || value.starts_with(';') {
            continue;
        }
        if value.is_empty() {
            blank_run += 1;
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if let (Some(s), Some((key, level))) = (&section, &option)
            && indent > *level
        {
            let current = sections
                .get_mut(s)
                .and_then(|o| o.get_mut(key))
                .expect("the option being continued exists");
            for _ in 0..blank_run {
                current.push('\n');
            }
            current.push('\n');
            current.push_str(value);
            blank_run = 0;
            continue;
        }
        blank_run = 0;
        if let Some(header) = value
            .strip_prefix('[')
            .and_then(|v| v.rfind(']').map(|end| &v[..end]))
            && !header.is_empty()
        {
            if sections.contains_key(header) {
                return Err((number, "a section that appears twice"));
            }
            sections.insert(header.to_string(), BTreeMap::new());
            section = Some(header.to_string());
            option = None;
            continue;
        }
        let Some(s) = &section else {
            return Err((number, "a line before the first [section]"));
        };
        let Some(at) = value.find(['=', ':']) else {
            return Err((number, "neither `key = value` nor `[section]`"));
        };
        let key = value[..at].trim().to_lowercase();
        let options = sections.get_mut(s).expect("the current section exists");
        if options.contains_key(&key) {
            return Err((number, "a key that appears twice in its section"));
        }
        options.insert(key.clone(), value[at + 1..].trim().to_string());
        option = Some((key, indent));
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Sections {
        parse(text).unwrap()
    }

    #[test]
    fn reads_what_configparser_reads() {
        let s = parsed(
            "# a comment\n; another\n[distutils]\nindex-servers =\n    pypi\n    private\n\n\
             [private]\nRepository: https://pkgs.example.org/legacy/\n  # indented comment\n\
             username=alice\npassword = p#ss;w=rd: x  \n\n[Other]\nKEY :value\n",
        );
        assert_eq!(s["distutils"]["index-servers"], "\npypi\nprivate");
        // Keys lower-cased, `:` as delimiter, the first delimiter splits.
        assert_eq!(
            s["private"]["repository"],
            "https://pkgs.example.org/legacy/"
        );
        assert_eq!(s["private"]["username"], "alice");
        // No inline comments: `#` and `;` belong to the password; outer spaces do not.
        assert_eq!(s["private"]["password"], "p#ss;w=rd: x");
        // Section names keep their case.
        assert_eq!(s["Other"]["key"], "value");
        assert!(!s.contains_key("other"));
    }

    #[test]
    fn refuses_what_configparser_refuses_without_quoting_the_line() {
        for (text, line) in [
            ("password = x\n", 1),
            ("[a]\nhunter2-alone\n", 2),
            ("[a]\nx = 1\n[a]\n", 3),
            ("[a]\nx = 1\nX = 2\n", 3),
        ] {
            let (number, problem) = parse(text).unwrap_err();
            assert_eq!(number, line, "{text}");
            assert!(!problem.contains("hunter2"));
        }
    }

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pypirc");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    const FILE: &str = "[distutils]\nindex-servers =\n  pypi\n  private\n\n\
        [server-login]\nusername = fallback\n\n\
        [pypi]\nusername = __token__\npassword = pypi-secret-1\n\n\
        [private]\nrepository = https://pkgs.example.org/legacy/\nusername = alice\n\
        password = s3cret\nca_cert = /etc/private-ca.pem\n\n\
        [forgotten]\nrepository = https://nowhere.example/\n";

    #[test]
    fn looks_up_listed_sections_like_twine() {
        let (_dir, path) = write(FILE);
        let no_env = |_: &str| None;
        let private = lookup("private", Some(&path), &no_env).unwrap();
        assert_eq!(private.url, "https://pkgs.example.org/legacy/");
        assert_eq!(private.username.as_deref(), Some("alice"));
        assert_eq!(
            private.password.as_ref().map(Secret::reveal),
            Some("s3cret")
        );
        assert_eq!(private.ca_cert, Some(PathBuf::from("/etc/private-ca.pem")));
        assert_eq!(private.file.as_deref(), Some(path.as_path()));
        let pypi = lookup("pypi", Some(&path), &no_env).unwrap();
        assert_eq!(
            (pypi.url.as_str(), pypi.username.as_deref()),
            (PYPI_UPLOAD, Some("__token__"))
        );
        // testpypi is built in even when index-servers leaves it out (twine would refuse
        // it); only [server-login] applies to it then.
        let test = lookup("testpypi", Some(&path), &no_env).unwrap();
        assert_eq!(test.url, TESTPYPI_UPLOAD);
        assert_eq!(test.username.as_deref(), Some("fallback"));
        assert_eq!(test.password, None);

        let err = lookup("nope", Some(&path), &no_env).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "repository 'nope' is not in {} (found: pypi, private, testpypi)",
                path.display()
            )
        );
        let err = lookup("forgotten", Some(&path), &no_env).unwrap_err();
        assert!(err.hint().unwrap().contains("does not list it"), "{err}");
    }

    #[test]
    fn server_login_fills_in_for_listed_sections() {
        let (_dir, path) = write(
            "[distutils]\nindex-servers = corp\n[server-login]\nusername = bob\npassword = pw-1\n\
             [corp]\nrepository = https://corp.example/legacy/\n",
        );
        let corp = lookup("corp", Some(&path), &|_| None).unwrap();
        assert_eq!(corp.username.as_deref(), Some("bob"));
        assert_eq!(corp.password.as_ref().map(Secret::reveal), Some("pw-1"));
        let (_dir, path) = write("[distutils]\nindex-servers = corp\n[corp]\nusername = x\n");
        let err = lookup("corp", Some(&path), &|_| None).unwrap_err();
        assert!(matches!(err, PypircError::NoUrl { .. }), "{err}");
    }

    #[test]
    fn pypi_and_testpypi_need_no_file() {
        let home = tempfile::tempdir().unwrap();
        let env = |k: &str| (k == "HOME").then(|| home.path().display().to_string());
        let test = lookup("testpypi", None, &env).unwrap();
        assert_eq!((test.url.as_str(), test.file), (TESTPYPI_UPLOAD, None));
        assert_eq!(lookup("pypi", None, &env).unwrap().url, PYPI_UPLOAD);
        let err = lookup("private", None, &env).unwrap_err();
        let expected = home.path().join(".pypirc");
        assert_eq!(
            err.to_string(),
            format!(
                "repository 'private' is not known: there is no {} to look it up in",
                expected.display()
            )
        );
        // A --config-file that is missing is an error even for a built-in name.
        let missing = home.path().join("missing");
        assert!(matches!(
            lookup("pypi", Some(&missing), &env),
            Err(PypircError::Read { .. })
        ));
        // `~/` is the home folder, as twine expands it.
        std::fs::write(
            home.path().join("corp.rc"),
            "[distutils]\nindex-servers = corp\n[corp]\nrepository = https://corp.example/\n",
        )
        .unwrap();
        let corp = lookup("corp", Some(Path::new("~/corp.rc")), &env).unwrap();
        assert_eq!(corp.file, Some(home.path().join("corp.rc")));
    }
}
