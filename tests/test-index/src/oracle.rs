//! The oracle: Python's `packaging`, asked through one long-lived helper process
//! (`oracle.py` beside this crate), judges every version, version specifier,
//! requirement and distribution filename the index sees — as Warehouse does, with
//! packaging's own messages. The client judges the same values with its own port of
//! packaging's grammar (`src/dist/check/pep440.rs`, `pep508.rs`); a fixture sharing the
//! client's parser would share its bugs (issue 16, point 4), so this crate depends on neither and has no fallback: without a Python that can
//! import `packaging` the index does not start.
//!
//! The interpreter comes from `--python PATH`, else `$PYPI_PUBLISH_TEST_VENV/bin/python`.
//! One request at a time goes through a mutex-guarded pipe (a JSON line each way); an
//! answer takes microseconds, so callers on the async runtime just block.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const SCRIPT: &str = include_str!("../oracle.py");

static ORACLE: OnceLock<Oracle> = OnceLock::new();

/// The running helper.
struct Oracle {
    pipe: Mutex<Pipe>,
}

struct Pipe {
    // Kept so the helper lives as long as the index; it exits when stdin closes.
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    python: PathBuf,
    /// Its first answer (to `hello`) has been read.
    greeted: bool,
}

/// A valid version as packaging sees it.
#[derive(Debug, Clone, Deserialize)]
pub struct Version {
    /// `str(Version(v))`: the normalized form.
    normalized: String,
    /// `packaging.utils.canonicalize_version(v)`: normalized, trailing `.0`s dropped.
    pub canonical: String,
    /// The local label, if any.
    pub local: Option<String>,
    pub is_postrelease: bool,
}

/// `Version.__eq__`: the same release, trailing zeros aside (= equal canonical forms).
impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.normalized)
    }
}

/// A valid requirement (PEP 508) as packaging sees it.
#[derive(Debug, Clone, Deserialize)]
pub struct Requirement {
    /// `str(Requirement(r))`.
    pub normalized: String,
    /// A direct reference (`name @ url`).
    pub url: bool,
}

/// `packaging.utils.parse_wheel_filename`, as much of it as the index uses.
#[derive(Debug, Deserialize)]
pub struct WheelName {
    /// Normalized name.
    pub name: String,
    pub version: Version,
    /// Lowercased platform tags in filename order (packaging yields a set).
    pub platforms: Vec<String>,
}

/// Starts the helper and greets it; `Err` says what is missing. The answer is awaited
/// by [`ready`] (or the first question), so the interpreter's start overlaps the index's.
pub fn start(python: Option<&Path>) -> Result<(), String> {
    let python: PathBuf = match python {
        Some(path) => path.to_owned(),
        None => match std::env::var_os("PYPI_PUBLISH_TEST_VENV") {
            Some(venv) => Path::new(&venv).join("bin/python"),
            None => {
                return Err(
                    "no Python to judge versions and requirements with: pass --python \
                     PATH (a Python with `packaging` installed) or set PYPI_PUBLISH_TEST_VENV"
                        .to_owned(),
                );
            }
        },
    };
    let mut child = Command::new(&python)
        // Isolated: no PYTHONPATH, no user site, no current directory on sys.path.
        .args(["-I", "-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| failed(&python, &e.to_string()))?;
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut pipe = Pipe {
        _child: child,
        stdin,
        stdout,
        python,
        greeted: false,
    };
    pipe.send(&json!({"op": "hello"}))
        .map_err(|why| failed(&pipe.python, &why))?;
    ORACLE
        .set(Oracle {
            pipe: Mutex::new(pipe),
        })
        .map_err(|_| "the packaging oracle is already started".to_owned())
}

/// Waits for the helper's greeting: `Err` if it cannot import `packaging`.
pub fn ready() -> Result<(), String> {
    oracle()
        .pipe
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .greet()
}

fn failed(python: &Path, why: &str) -> String {
    format!(
        "cannot start the packaging oracle with {}: {why} (pass --python PATH to a Python \
         with `packaging` installed, or set PYPI_PUBLISH_TEST_VENV)",
        python.display()
    )
}

fn oracle() -> &'static Oracle {
    ORACLE
        .get()
        .expect("the packaging oracle is started before the index serves")
}

impl Pipe {
    fn send(&mut self, request: &Value) -> Result<(), String> {
        let mut line = request.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("writing to it failed: {e}"))
    }

    fn receive(&mut self) -> Result<Value, String> {
        let mut answer = String::new();
        match self.stdout.read_line(&mut answer) {
            Ok(0) => Err("it exited".to_owned()),
            Ok(_) => {
                serde_json::from_str(&answer).map_err(|e| format!("bad answer {answer:?}: {e}"))
            }
            Err(e) => Err(format!("reading from it failed: {e}")),
        }
    }

    fn greet(&mut self) -> Result<(), String> {
        if self.greeted {
            return Ok(());
        }
        let hello = self
            .receive()
            .map_err(|why| failed(&self.python, &format!("{why} (is `packaging` installed?)")))?;
        if hello.get("packaging").and_then(Value::as_str).is_none() {
            return Err(failed(&self.python, &format!("unexpected answer {hello}")));
        }
        self.greeted = true;
        Ok(())
    }
}

impl Oracle {
    /// One request, one answer; a helper that stopped answering is a broken fixture.
    fn ask(&self, request: &Value) -> Value {
        let mut pipe = self.pipe.lock().unwrap_or_else(|e| e.into_inner());
        pipe.greet()
            .and_then(|()| pipe.send(request))
            .and_then(|()| pipe.receive())
            .unwrap_or_else(|why| panic!("the packaging oracle failed: {why}"))
    }
}

/// One question; `Err` is packaging's message (its exception's `str`).
fn ask<T: DeserializeOwned>(op: &str, value: &str, field: &str) -> Result<T, String> {
    let answer = oracle().ask(&json!({"op": op, "value": value}));
    if let Some(error) = answer.get("error").and_then(Value::as_str) {
        return Err(error.to_owned());
    }
    let found = if field.is_empty() {
        answer.clone()
    } else {
        answer[field].clone()
    };
    let found: T = serde_json::from_value(found)
        .unwrap_or_else(|e| panic!("the packaging oracle answered {answer} to {op}: {e}"));
    Ok(found)
}

/// `packaging.version.Version(value)`.
pub fn version(value: &str) -> Result<Version, String> {
    ask("version", value, "version")
}

/// `str(packaging.specifiers.SpecifierSet(value))`.
pub fn specifier_set(value: &str) -> Result<String, String> {
    ask("specifiers", value, "normalized")
}

/// `packaging.requirements.Requirement(value)`.
pub fn requirement(value: &str) -> Result<Requirement, String> {
    ask("requirement", value, "")
}

/// `packaging.utils.parse_sdist_filename`: (normalized name, version).
pub fn parse_sdist_filename(filename: &str) -> Result<(String, Version), String> {
    #[derive(Deserialize)]
    struct Sdist {
        name: String,
        version: Version,
    }
    let sdist: Sdist = ask("sdist_filename", filename, "")?;
    Ok((sdist.name, sdist.version))
}

/// `packaging.utils.parse_wheel_filename`; `Err` is packaging's message, which
/// Warehouse returns as is.
pub fn parse_wheel_filename(filename: &str) -> Result<WheelName, String> {
    ask("wheel_filename", filename, "")
}

/// `versions` sorted by `packaging.version.Version` (invalid ones first).
pub fn sort_versions(versions: &[&str]) -> Vec<String> {
    let answer = oracle().ask(&json!({"op": "sort_versions", "values": versions}));
    serde_json::from_value(answer["sorted"].clone())
        .unwrap_or_else(|e| panic!("the packaging oracle answered {answer} to a sort: {e}"))
}

/// For unit tests: the helper on the workspace's venv (or `PYPI_PUBLISH_TEST_VENV`).
#[cfg(test)]
pub fn start_for_tests() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let venv = std::env::var_os("PYPI_PUBLISH_TEST_VENV").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv"),
            PathBuf::from,
        );
        start(Some(&venv.join("bin/python"))).expect("the packaging oracle starts");
        ready().expect("the packaging oracle answers");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_filenames() {
        start_for_tests();
        let w = parse_wheel_filename("Foo_Bar-1.0-py2.py3-none-any.whl").unwrap();
        assert_eq!(
            (w.name.as_str(), w.platforms),
            ("foo-bar", vec!["any".to_owned()])
        );
        assert_eq!(
            parse_wheel_filename("foo-1.0-py3.whl").unwrap_err(),
            "Invalid wheel filename (wrong number of parts): 'foo-1.0-py3'"
        );
        assert!(parse_wheel_filename("foo-1.0-1x-py3-none-any.whl").is_ok());
        assert_eq!(
            parse_wheel_filename("foo-1.0-x1-py3-none-any.whl").unwrap_err(),
            "Invalid build number: x1 in 'foo-1.0-x1-py3-none-any'"
        );
    }

    #[test]
    fn canonical_versions() {
        start_for_tests();
        let v = |s: &str| version(s).unwrap().canonical;
        assert_eq!(v("1.0"), "1");
        assert_eq!(v("1.0.0rc1"), "1rc1");
        assert_eq!(v("0"), "0");
        assert_eq!(v("1!2.0.post1"), "1!2.post1");
        assert_eq!(v("1.10"), "1.10");
        assert_eq!(version("1.0").unwrap(), version("1.0.0").unwrap());
        assert_eq!(specifier_set(">= 3.8, <4").unwrap(), "<4,>=3.8");
    }

    #[test]
    fn sorts_as_packaging() {
        start_for_tests();
        assert_eq!(
            sort_versions(&["1.10", "1.0.post1", "1.0", "1.0rc1", "1.0.dev0", "1.9"]),
            ["1.0.dev0", "1.0rc1", "1.0", "1.0.post1", "1.9", "1.10"]
        );
    }
}
