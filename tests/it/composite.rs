//! The composite action (`composite/action.yml`): the second entry, for macOS and Windows
//! runners, that fetches the release binary instead of running the container. Its inputs
//! and outputs are compared with the root action.yml's, and its steps are run here as the
//! runner runs them — each `run:` script by `bash --noprofile --norc -eo pipefail`, with the
//! step's `env:` (its `${{ … }}` expressions evaluated as the runner would) and the runner's
//! own variables — against a local HTTP server standing in for the release's downloads,
//! after `scripts/pin-composite` has pinned a copy as the release commit does.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::common;

use common::dists::{metadata, wheel_members, wheel_owned};
use common::servers::TestIndex;
use common::{Run, action_inputs, bin, read_expected, repo, tempdir};

const TOKEN: &str = "pypi-CompositeSecret-4d2e7a";
const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

/// A top-level section of an action.yml (`inputs:`, `outputs:`), up to the next one.
fn section<'a>(yml: &'a str, name: &str) -> &'a str {
    let start = yml
        .find(&format!("\n{name}:\n"))
        .unwrap_or_else(|| panic!("no {name}: section"));
    let body = &yml[start + name.len() + 3..];
    let end = body
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .map(|l| l.len() + 1)
        .sum::<usize>();
    body[..end].trim_end()
}

#[test]
fn composite_declares_exactly_the_container_actions_inputs_and_outputs() {
    let root = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let composite = std::fs::read_to_string(repo().join("composite/action.yml")).unwrap();
    // Inputs: the same text, descriptions, defaults and deprecation messages included.
    assert_eq!(section(&composite, "inputs"), section(&root, "inputs"));
    // Outputs: the same, plus each one's `value:` from the step that runs the binary.
    let mut names = Vec::new();
    let mut without_values = Vec::new();
    for line in section(&composite, "outputs").lines() {
        if let Some(value) = line.strip_prefix("    value: ") {
            let name: &String = names.last().expect("a value after its output");
            assert_eq!(value, format!("${{{{ steps.publish.outputs.{name} }}}}"));
            continue;
        }
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'))
            && !name.starts_with(' ')
        {
            names.push(name.to_string());
        }
        without_values.push(line);
    }
    assert_eq!(without_values.join("\n"), section(&root, "outputs"));
    assert_eq!(names.len(), 8, "{names:?}");
    // The step gives the binary every input, as the runner gives the container.
    let steps = steps(&composite);
    let publish = steps.iter().find(|s| s.id == "publish").expect("the step");
    let passed: Vec<(String, String)> = publish
        .env
        .iter()
        .filter(|(k, _)| k.starts_with("INPUT_"))
        .cloned()
        .collect();
    let expected: Vec<(String, String)> = action_inputs()
        .into_iter()
        .map(|(name, _)| {
            let var = format!("INPUT_{}", name.to_ascii_uppercase());
            (var, format!("${{{{ inputs.{name} }}}}"))
        })
        .collect();
    assert_eq!(passed, expected);
}

/// One step of the composite: its id, `env:` and `run:` script.
#[derive(Debug)]
struct Step {
    id: String,
    env: Vec<(String, String)>,
    run: String,
}

/// The steps under `runs.steps`, read from the layout this file keeps (keys at six spaces,
/// `env:` entries at eight, `run: |` blocks or one single-quoted line); anything else there
/// fails the test, so a change of layout cannot make it read less than is there.
fn steps(yml: &str) -> Vec<Step> {
    let runs = yml.split("\nruns:\n").nth(1).expect("runs:");
    let body = runs.split("\n  steps:\n").nth(1).expect("runs.steps");
    let mut steps: Vec<Step> = Vec::new();
    let mut lines = body.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with("    - ") {
            steps.push(Step {
                id: String::new(),
                env: Vec::new(),
                run: String::new(),
            });
        }
        let step = steps.last_mut().expect("a step");
        let key = line.trim_start_matches(' ').trim_start_matches("- ");
        match key.split_once(':').map(|(k, v)| (k, v.trim())) {
            Some(("name" | "shell", _)) => {}
            Some(("id", id)) => step.id = id.to_string(),
            Some(("env", "")) => {
                while let Some(entry) = lines.next_if(|l| l.starts_with("        ")) {
                    let entry = entry.trim();
                    if entry.starts_with('#') {
                        continue;
                    }
                    let (k, v) = entry.split_once(": ").expect("KEY: value");
                    step.env.push((k.to_string(), v.to_string()));
                }
            }
            Some(("run", "|")) => {
                while let Some(l) = lines.next_if(|l| l.starts_with("        ") || l.is_empty()) {
                    step.run.push_str(l.strip_prefix("        ").unwrap_or(""));
                    step.run.push('\n');
                }
            }
            Some(("run", quoted)) if quoted.starts_with('\'') && quoted.ends_with('\'') => {
                step.run = quoted[1..quoted.len() - 1].replace("''", "'");
            }
            _ => panic!("composite/action.yml: a step line this test does not read: {line:?}"),
        }
    }
    assert!(steps.iter().all(|s| !s.id.is_empty() && !s.run.is_empty()));
    steps
}

/// A step's `env:` value with its `${{ … }}` expressions evaluated: `inputs.<name>` (the
/// workflow's value, else the default, else ""), `steps.<id>.outputs.<name>`. Any other
/// expression fails the test: the runner would see something this test does not emulate.
fn evaluate(
    value: &str,
    inputs: &HashMap<String, String>,
    outputs: &HashMap<String, String>,
) -> String {
    let Some(inner) = value
        .strip_prefix("${{ ")
        .and_then(|v| v.strip_suffix(" }}"))
    else {
        assert!(
            !value.contains("${{"),
            "an expression inside a value: {value}"
        );
        return value.to_string();
    };
    if let Some(name) = inner.strip_prefix("inputs.") {
        return inputs.get(name).cloned().unwrap_or_else(|| {
            let defaults = action_inputs();
            let (_, default) = defaults
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("no input {name}"));
            default.clone()
        });
    }
    if let Some(rest) = inner.strip_prefix("steps.") {
        let (_, output) = rest
            .split_once(".outputs.")
            .expect("steps.<id>.outputs.<name>");
        return outputs.get(output).cloned().unwrap_or_default();
    }
    panic!("an expression the test does not evaluate: {value}");
}

/// The runner on a Linux host, with a workspace and a temp dir for one job.
struct Runner {
    workspace: tempfile::TempDir,
    temp: tempfile::TempDir,
    summary: PathBuf,
}

impl Runner {
    fn new() -> Self {
        let temp = tempdir();
        Runner {
            workspace: tempdir(),
            summary: temp.path().join("step_summary"),
            temp,
        }
    }

    /// Runs one step as `shell: bash` does; returns its run and the outputs it set.
    fn run(
        &self,
        step: &Step,
        inputs: &HashMap<String, String>,
        outputs: &HashMap<String, String>,
    ) -> (Run, HashMap<String, String>) {
        let script = self.temp.path().join(format!("{}.sh", step.id));
        std::fs::write(&script, &step.run).unwrap();
        let output_file = self.temp.path().join(format!("{}.output", step.id));
        std::fs::write(&output_file, "").unwrap();
        let arch = match std::env::consts::ARCH {
            "x86_64" => "X64",
            "aarch64" => "ARM64",
            other => other,
        };
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(self.workspace.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", self.workspace.path())
            .env("GITHUB_REPOSITORY", "octo/demo")
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &self.summary)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TEMP", self.temp.path())
            .env("NO_PROXY", "*");
        for (k, v) in &step.env {
            cmd.env(k, evaluate(v, inputs, outputs));
        }
        let run: Run = cmd.output().expect("bash runs").into();
        let set = read_expected(&output_file);
        (run, file_command_values(&set))
    }
}

/// The `name=value` and `name<<delimiter` entries of a GITHUB_OUTPUT file.
fn file_command_values(text: &str) -> HashMap<String, String> {
    let mut values = HashMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            values.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            values.insert(name.to_string(), value.to_string());
        }
    }
    values
}

/// A static file server on loopback: `GET /<release>/<name>` answers the bytes held under
/// `<name>`, anything else 404. Counts the requests.
struct Downloads {
    url: String,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    requests: Arc<AtomicUsize>,
}

impl Downloads {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v0.1.0", listener.local_addr().unwrap());
        let files: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let requests = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (files.clone(), requests.clone());
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                counted.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                let _ = reader.read_line(&mut first);
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let path = first.split_whitespace().nth(1).unwrap_or_default();
                let body = path
                    .strip_prefix("/v0.1.0/")
                    .and_then(|name| served.lock().unwrap().get(name).cloned());
                let (status, body) = match body {
                    Some(body) => ("200 OK", body),
                    None => ("404 Not Found", b"not found".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        Downloads {
            url,
            files,
            requests,
        }
    }

    fn serve(&self, name: &str, bytes: Vec<u8>) {
        self.files.lock().unwrap().insert(name.to_string(), bytes);
    }
}

fn host_target() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-musl",
        _ => "x86_64-unknown-linux-musl",
    }
}

/// A copy of composite/action.yml pinned by `scripts/pin-composite` to the server's release:
/// the binary under test for this host's target, other bytes for the four others.
fn pinned(downloads: &Downloads, dir: &Path) -> String {
    let sums = dir.join("sums");
    std::fs::create_dir(&sums).unwrap();
    for target in TARGETS {
        let exe = if target.contains("windows") {
            ".exe"
        } else {
            ""
        };
        let name = format!("pypi-publish-{target}{exe}");
        let bytes = if target == host_target() {
            std::fs::read(bin()).unwrap()
        } else {
            format!("the {target} binary").into_bytes()
        };
        let file = sums.join(&name);
        std::fs::write(&file, &bytes).unwrap();
        let sum = common::sha256sum(&file);
        std::fs::write(
            sums.join(format!("{name}.sha256")),
            format!("{sum}  {name}\n"),
        )
        .unwrap();
        downloads.serve(&name, bytes);
    }
    let yml = dir.join("action.yml");
    std::fs::copy(repo().join("composite/action.yml"), &yml).unwrap();
    let pin: Run = Command::new(repo().join("scripts/pin-composite"))
        .arg(&downloads.url)
        .arg(&sums)
        .arg(&yml)
        .output()
        .unwrap()
        .into();
    assert_eq!(pin.code, Some(0), "{}", pin.all());
    let text = read_expected(&yml);
    assert!(!text.contains(": unreleased\n"), "{text}");
    text
}

/// Files under the runner's temp dir whose name starts with `pypi-publish`.
fn binaries_in(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(binaries_in(&path));
        } else if entry
            .file_name()
            .to_string_lossy()
            .starts_with("pypi-publish")
        {
            found.push(path);
        }
    }
    found
}

#[test]
fn composite_fetches_checks_and_runs_the_release_binary() {
    let downloads = Downloads::start();
    let dir = tempdir();
    let steps = steps(&pinned(&downloads, dir.path()));
    assert_eq!(steps.len(), 2, "{steps:?}");
    let runner = Runner::new();

    let index = TestIndex::start(&["--token", TOKEN]);
    let dist = runner.workspace.path().join("wheelhouse");
    std::fs::create_dir(&dist).unwrap();
    let wheel = "composite_demo-1.0-py3-none-any.whl";
    wheel_owned(
        &dist,
        wheel,
        &wheel_members("composite_demo-1.0", &metadata("composite-demo", "1.0", "")),
    );
    let inputs: HashMap<String, String> = [
        ("password", TOKEN),
        ("repository-url", &index.upload_url() as &str),
        ("packages-dir", "wheelhouse"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();

    let (fetch, fetched) = runner.run(&steps[0], &inputs, &HashMap::new());
    assert_eq!(fetch.code, Some(0), "{}", fetch.all());
    assert!(fetch.stdout.contains("(as pinned)"), "{}", fetch.stdout);
    let path = PathBuf::from(&fetched["path"]);
    assert!(path.starts_with(runner.temp.path()), "{path:?}");
    assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(bin()).unwrap());

    let (publish, outputs) = runner.run(&steps[1], &inputs, &fetched);
    assert_eq!(publish.code, Some(0), "{}", publish.all());
    assert_eq!(
        publish.stdout.lines().next().unwrap(),
        format!("::add-mask::{TOKEN}")
    );
    assert_eq!(publish.all().matches(TOKEN).count(), 1);
    assert_eq!(
        outputs["uploaded"],
        format!(r#"["{wheel}"]"#),
        "{outputs:?}"
    );
    assert_eq!(outputs["skipped"], "[]");
    assert!(read_expected(&runner.summary).contains(&format!("| `{wheel}` |")));
    assert_eq!(index.stats()["uploads_stored"], 1);
    // Unset inputs reach the binary at their defaults, the aliases too: the default
    // `packages_dir` (dist) is passed over for `packages-dir`, as in the container.
    let inputs_no_dir: HashMap<String, String> = inputs
        .iter()
        .filter(|(k, _)| *k != "packages-dir")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (again, _) = runner.run(&steps[1], &inputs_no_dir, &fetched);
    assert_eq!(again.code, Some(1), "{}", again.all());
    assert!(again.all().contains("dist"), "{}", again.all());
}

#[test]
fn composite_refuses_a_tampered_or_missing_binary() {
    let downloads = Downloads::start();
    let dir = tempdir();
    let steps = steps(&pinned(&downloads, dir.path()));
    let name = format!("pypi-publish-{}", host_target());

    // Other bytes than the pinned ones: refused, and nothing left to run.
    let mut tampered = std::fs::read(bin()).unwrap();
    tampered.extend_from_slice(b"\0");
    downloads.serve(&name, tampered);
    let runner = Runner::new();
    let (fetch, outputs) = runner.run(&steps[0], &HashMap::new(), &HashMap::new());
    assert_eq!(fetch.code, Some(1), "{}", fetch.all());
    assert!(
        fetch
            .stdout
            .contains(&format!("::error title=rust-pypi-publish::{name}: sha256 "))
            && fetch.stdout.contains("refusing to run it"),
        "{}",
        fetch.stdout
    );
    assert!(outputs.is_empty(), "{outputs:?}");
    assert_eq!(binaries_in(runner.temp.path()), Vec::<PathBuf>::new());

    // Not there (404): a clear error, no retry into a build, nothing left.
    downloads.files.lock().unwrap().remove(&name);
    let runner = Runner::new();
    let (fetch, outputs) = runner.run(&steps[0], &HashMap::new(), &HashMap::new());
    assert_eq!(fetch.code, Some(1), "{}", fetch.all());
    assert!(
        fetch.stdout.contains(&format!(
            "::error title=rust-pypi-publish::could not download {}/{name}",
            downloads.url
        )),
        "{}",
        fetch.all()
    );
    assert!(outputs.is_empty());
    assert_eq!(binaries_in(runner.temp.path()), Vec::<PathBuf>::new());
}

#[test]
fn composite_on_main_names_no_release_and_fetches_nothing() {
    let composite = std::fs::read_to_string(repo().join("composite/action.yml")).unwrap();
    let steps = steps(&composite);
    let runner = Runner::new();
    let (fetch, outputs) = runner.run(&steps[0], &HashMap::new(), &HashMap::new());
    assert_eq!(fetch.code, Some(1), "{}", fetch.all());
    assert!(
        fetch.stdout.contains("names no release binary") && !fetch.stdout.contains("Downloading"),
        "{}",
        fetch.stdout
    );
    assert!(outputs.is_empty());
    // And the pin script refuses a checksum folder that lacks a target.
    let downloads = Downloads::start();
    let dir = tempdir();
    let yml = dir.path().join("action.yml");
    std::fs::write(&yml, &composite).unwrap();
    let pin: Run = Command::new(repo().join("scripts/pin-composite"))
        .arg(&downloads.url)
        .arg(dir.path())
        .arg(&yml)
        .output()
        .unwrap()
        .into();
    assert_eq!(pin.code, Some(1), "{}", pin.all());
    assert!(pin.stderr.contains("missing"), "{}", pin.stderr);
    assert_eq!(read_expected(&yml), composite);
    assert_eq!(downloads.requests.load(Ordering::SeqCst), 0);
}
