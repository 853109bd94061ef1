//! The one helper every integration test uses: a temp dir, the built binaries, the project's
//! Python venv, and servers started on loopback that stop when dropped.
#![allow(dead_code)]

pub mod attest;
pub mod dists;
pub mod fault_proxy;
pub mod github_api;
pub mod http1;
pub mod servers;
pub mod tar_bytes;
pub mod tls;
pub mod zipcraft;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `pypi-publish` binary under test; PYPI_PUBLISH_TEST_BIN overrides it (a private
/// copy, when several worktrees share one CARGO_TARGET_DIR and may rebuild the binary
/// while a long test runs).
pub fn bin() -> PathBuf {
    std::env::var_os("PYPI_PUBLISH_TEST_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_pypi-publish")),
        PathBuf::from,
    )
}

/// The test index binary (a workspace member built beside ours; built on demand).
pub fn test_index_bin() -> PathBuf {
    let path = bin().with_file_name("test-index");
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "test-index"])
            .current_dir(repo())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building test-index failed");
    }
    path
}

/// The venv `scripts/dev-env` creates (override with PYPI_PUBLISH_TEST_VENV).
pub fn venv() -> PathBuf {
    let venv = std::env::var_os("PYPI_PUBLISH_TEST_VENV")
        .map_or_else(|| repo().join(".venv"), PathBuf::from);
    assert!(
        venv.join("bin/python").exists(),
        "no Python venv at {}: run scripts/dev-env first (scripts/test does)",
        venv.display()
    );
    venv
}

/// A program from the venv.
pub fn venv_bin(name: &str) -> PathBuf {
    venv().join("bin").join(name)
}

/// Runs `script` on the venv's Python (isolated, `args` after it) with `input` as JSON on
/// its stdin, and reads the JSON it prints: the oracles' one way to ask Python.
pub fn venv_python_json<T: serde::de::DeserializeOwned>(
    script: &str,
    args: &[&Path],
    input: &impl serde::Serialize,
) -> T {
    use std::io::Write;
    let mut child = Command::new(venv_bin("python"))
        .args(["-I", "-c", script])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the venv's Python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(input).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the oracle's script failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A command's output, decoded.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `pypi-publish` with `args` in `dir`, with a clean credential environment.
pub fn publish(dir: &Path, args: &[&str]) -> Run {
    publish_env(dir, args, &[])
}

/// Like [`publish`], with extra environment variables.
pub fn publish_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(bin());
    cmd.args(args).current_dir(dir);
    for k in [
        "TWINE_USERNAME",
        "TWINE_PASSWORD",
        "PYPI_PUBLISH_TOKEN",
        "PYPI_PUBLISH_PASSWORD",
        "PYPI_PUBLISH_USERNAME",
        "PYPI_PUBLISH_REPOSITORY_URL",
        "PYPI_PUBLISH_CHECK_URL",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        // A CI identity would switch on trusted publishing in auto mode.
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_NAME",
        "GITHUB_EVENT_PATH",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "GITLAB_CI",
        "PYPI_ID_TOKEN",
        "PYPI_PUBLISH_TRUSTED_PUBLISHING",
        "PYPI_PUBLISH_ID_TOKEN_ENV",
        "SIGSTORE_ID_TOKEN",
        "PYPI_PUBLISH_ATTESTATIONS",
        "PYPI_PUBLISH_FULCIO_URL",
        "PYPI_PUBLISH_REKOR_URL",
        "PYPI_PUBLISH_GITHUB_ATTESTATIONS",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GITHUB_API_URL",
    ] {
        cmd.env_remove(k);
    }
    cmd.env("NO_PROXY", "*");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("pypi-publish runs").into()
}

/// An `upload` command line, built from the flags the upload tests share: the files in the
/// current dir, the repository URL, no progress bars.
pub struct Upload {
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Upload {
    /// `upload . --repository-url URL --no-progress`.
    pub fn to(url: &str) -> Self {
        let args = ["upload", ".", "--repository-url", url, "--no-progress"];
        Upload {
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
        }
    }

    /// `-u __token__ -p TOKEN`.
    pub fn token(self, token: &str) -> Self {
        self.args(&["-u", "__token__", "-p", token])
    }

    /// More arguments.
    pub fn args(mut self, more: &[&str]) -> Self {
        self.args.extend(more.iter().map(|a| a.to_string()));
        self
    }

    /// An environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Runs it in `dir`.
    pub fn run(&self, dir: &Path) -> Run {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        publish_env(dir, &args, &env)
    }
}

/// A fresh temp dir.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("pypi-publish-test")
        .tempdir()
        .expect("temp dir")
}

/// The corpus of good distributions, built once per test binary by real build backends
/// (`tests/py/build_corpus.py`) into `target/corpus`.
pub fn good_corpus() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(given) = std::env::var_os("PYPI_PUBLISH_TEST_CORPUS") {
                return PathBuf::from(given);
            }
            let out = repo().join("target/corpus");
            let stamp = out.join(".complete");
            if !stamp.exists() {
                let _ = std::fs::remove_dir_all(&out);
                let run: Run = Command::new(venv_bin("python"))
                    .arg(repo().join("tests/py/build_corpus.py"))
                    .arg(&out)
                    .output()
                    .expect("python runs")
                    .into();
                assert_eq!(
                    run.code,
                    Some(0),
                    "building the corpus failed:\n{}",
                    run.all()
                );
                std::fs::write(&stamp, "").unwrap();
            }
            out
        })
        .clone()
}

/// Copies every distribution of the good corpus into `dir`.
pub fn copy_corpus(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(good_corpus()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".whl") || name.ends_with(".tar.gz") {
            std::fs::copy(&path, dir.join(&name)).unwrap();
            names.push(name);
        }
    }
    names.sort();
    names
}

/// Reads a file a test asserts about. A missing file fails the test: reading it as an
/// empty string would let every "does not contain" assertion pass (issue 16). Tests read
/// report, output and summary files through this, never with `unwrap_or_default()`.
pub fn read_expected(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} should have been written: {e}", path.display()))
}

/// Whether `line` shows something shaped like a token the test index mints (`pypi-` and
/// 64 hex digits; 32 are enough to call it one).
pub fn shows_minted_token(line: &str) -> bool {
    line.match_indices("pypi-").any(|(at, _)| {
        line[at + 5..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .count()
            >= 32
    })
}

/// sha256 of a file, by the `sha256sum` tool (not our own code).
pub fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Runs the binary exactly as GitHub runs the container: the `action` argument, inputs as
/// `INPUT_<NAME>` (hyphens kept, every declared input present with its default), the
/// workspace as working directory, file commands in `commands`. `inputs` may also carry
/// other variables (e.g. `ACTIONS_ID_TOKEN_REQUEST_URL`).
pub fn run_action(
    workspace: &std::path::Path,
    commands: &std::path::Path,
    inputs: &[(&str, &str)],
) -> Run {
    action_command(workspace, commands, inputs)
        .output()
        .unwrap()
        .into()
}

/// The command [`run_action`] runs, to run it otherwise (e.g. [`measured_command`]).
pub fn action_command(
    workspace: &std::path::Path,
    commands: &std::path::Path,
    inputs: &[(&str, &str)],
) -> Command {
    let mut cmd = Command::new(bin());
    cmd.arg("action").current_dir(workspace).env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", workspace)
        .env("GITHUB_REPOSITORY", "octo/demo")
        .env("GITHUB_OUTPUT", commands.join("set_output"))
        .env("GITHUB_STEP_SUMMARY", commands.join("step_summary"))
        .env("GITHUB_ENV", commands.join("set_env"))
        .env("RUNNER_TEMP", commands)
        .env("NO_PROXY", "*");
    // The runner exports every declared input, with its default when the workflow sets none.
    let defaults = [
        ("INPUT_USER", "__token__"),
        ("INPUT_PASSWORD", ""),
        ("INPUT_REPOSITORY-URL", ""),
        ("INPUT_REPOSITORY_URL", "https://upload.pypi.org/legacy/"),
        ("INPUT_PACKAGES-DIR", ""),
        ("INPUT_PACKAGES_DIR", "dist"),
        ("INPUT_VERIFY-METADATA", ""),
        ("INPUT_VERIFY_METADATA", "true"),
        ("INPUT_SKIP-EXISTING", ""),
        ("INPUT_SKIP_EXISTING", "false"),
        ("INPUT_VERBOSE", "true"),
        ("INPUT_PRINT-HASH", ""),
        ("INPUT_PRINT_HASH", "true"),
        ("INPUT_ATTESTATIONS", "true"),
        ("INPUT_TRUSTED-PUBLISHING", "auto"),
        ("INPUT_CHECK-URL", ""),
        ("INPUT_CONCURRENCY", "8"),
        ("INPUT_DRY-RUN", "false"),
        ("INPUT_CA-BUNDLE", ""),
    ];
    for (k, v) in defaults {
        cmd.env(k, v);
    }
    for (k, v) in inputs {
        cmd.env(k, v);
    }
    cmd
}

/// Every input `action.yml` declares, with its default ("" when it has none), in order: what
/// the runner exports as `INPUT_<NAME>` (upper-cased, hyphens kept) when a workflow sets none.
/// Read from the file itself, so a new input is passed without editing a test.
/// What the runner gives `${{ github.token }}` in the tests: a job token of GitHub's shape.
pub const JOB_TOKEN: &str = "ghs_JobTokenOfTheTestRunner0000000000000";

pub fn action_inputs() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo().join("action.yml")).expect("action.yml");
    let mut inputs: Vec<(String, String)> = Vec::new();
    let mut in_inputs = false;
    for line in text.lines() {
        let code = line.split(" #").next().unwrap_or_default().trim_end();
        if !code.starts_with(' ') && !code.is_empty() {
            in_inputs = code == "inputs:";
            continue;
        }
        if !in_inputs {
            continue;
        }
        if let Some(name) = code.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            if !name.starts_with(' ') {
                inputs.push((name.to_string(), String::new()));
            }
        } else if let Some(default) = code.trim_start().strip_prefix("default:") {
            let default = default.trim().trim_matches('\'').trim_matches('"');
            // The runner evaluates expressions in defaults: the job's token is a token.
            let default = default.replace("${{ github.token }}", JOB_TOKEN);
            inputs.last_mut().expect("an input").1 = default;
        }
    }
    assert!(
        inputs.len() >= 10,
        "action.yml inputs not found: {inputs:?}"
    );
    inputs
}

/// Runs `pypi-publish` with `args` in `dir` and measures it: its output, wall time and peak
/// resident memory in KiB, twice — `wait4`'s `ru_maxrss` (exact to the end, but Linux carries
/// the spawning process's size over into it: this test's own size is its floor) and the
/// child's `VmHWM` polled every 5 ms from /proc (its own address space only).
pub fn measured(dir: &Path, args: &[&str]) -> (Run, std::time::Duration, u64, u64) {
    let mut command = Command::new(bin());
    command.args(args).current_dir(dir);
    measured_command(command)
}

/// [`measured`] for any command.
pub fn measured_command(mut command: Command) -> (Run, std::time::Duration, u64, u64) {
    use std::io::Read;
    let started = std::time::Instant::now();
    // Reaped by `wait4` below, which `Child::wait` cannot replace (it drops the rusage).
    #[allow(clippy::zombie_processes)]
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("pypi-publish runs");
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let stdout = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let pid = child.id();
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let polling = running.clone();
    let hwm = std::thread::spawn(move || {
        let mut peak = 0u64;
        while polling.load(std::sync::atomic::Ordering::Relaxed) {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let kib = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0);
            peak = peak.max(kib);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        peak
    });
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    // SAFETY: waits for our own child, once; `usage` is a plain C struct we own.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    let polled = hwm.join().unwrap();
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let run = Run {
        code,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (run, started.elapsed(), usage.ru_maxrss as u64, polled)
}
