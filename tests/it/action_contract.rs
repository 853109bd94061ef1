//! The runner contract: the binary run exactly as GitHub runs the container — `action`
//! argument, inputs as `INPUT_<NAME>` with hyphens kept, the workspace as working directory,
//! file commands under `file_commands/` — against the test index. Asserts on outputs,
//! job summary, annotations, masking, and that the secret appears nowhere. Every run gets
//! fresh file-command files (the runner gives each step its own), read with
//! `read_expected`, so a missing output can never pass for an empty one.

use crate::common;

use common::dists::{metadata, wheel_members, wheel_owned};
use common::servers::TestIndex;
use common::{read_expected, run_action, tempdir};

const TOKEN: &str = "pypi-ContractSecret-9f1b2c";

#[test]
fn action_publishes_and_reports_like_the_runner_expects() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let workspace = tempdir();
    let commands = tempdir();
    let dist = workspace.path().join("wheelhouse");
    std::fs::create_dir(&dist).unwrap();
    wheel_owned(
        &dist,
        "contract_demo-1.0-py3-none-any.whl",
        &wheel_members("contract_demo-1.0", &metadata("contract-demo", "1.0", "")),
    );
    let inputs = [
        ("INPUT_PASSWORD", TOKEN),
        ("INPUT_REPOSITORY-URL", &index.upload_url() as &str),
        ("INPUT_PACKAGES-DIR", "wheelhouse"),
    ];
    let run = run_action(workspace.path(), commands.path(), &inputs);
    assert_eq!(run.code, Some(0), "{}", run.all());
    // The mask comes before anything else.
    assert_eq!(
        run.stdout.lines().next().unwrap(),
        format!("::add-mask::{TOKEN}")
    );
    assert_eq!(
        run.all().matches(TOKEN).count(),
        1,
        "the token must appear only in the mask command"
    );
    assert!(run.stdout.contains("::group::"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("Uploading contract_demo-1.0-py3-none-any.whl (")
            && run
                .stdout
                .contains("contract_demo-1.0-py3-none-any.whl: uploaded"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Showing hash values of files to be uploaded:")
    );

    let outputs = read_expected(&commands.path().join("set_output"));
    assert!(outputs.contains("uploaded<<ghadelimiter_"), "{outputs}");
    assert!(
        outputs.contains(r#"["contract_demo-1.0-py3-none-any.whl"]"#),
        "{outputs}"
    );
    let sha = common::sha256sum(&dist.join("contract_demo-1.0-py3-none-any.whl"));
    assert!(
        outputs.contains(&format!(
            r#"{{"contract_demo-1.0-py3-none-any.whl":"{sha}"}}"#
        )),
        "{outputs}"
    );
    assert!(!outputs.contains(TOKEN));
    let summary = read_expected(&commands.path().join("step_summary"));
    assert!(
        summary.contains("| `contract_demo-1.0-py3-none-any.whl` |")
            && summary.contains("✅ uploaded"),
        "{summary}"
    );
    assert!(summary.contains(&sha) && !summary.contains(TOKEN));
    assert!(commands.path().join("pypi-publish-report.json").exists());
    assert_eq!(index.stats()["uploads_stored"], 1);

    // Second run, with its own file-command files: skipped, reported as such, and the
    // index sent nothing.
    let requests = index.stats()["upload_requests"].clone();
    let commands = tempdir();
    let run = run_action(workspace.path(), commands.path(), &inputs);
    assert_eq!(run.code, Some(0), "{}", run.all());
    let outputs = read_expected(&commands.path().join("set_output"));
    let output = |name: &str| {
        let start = outputs
            .find(&format!("{name}<<"))
            .unwrap_or_else(|| panic!("no {name} output in {outputs}"));
        outputs[start..].lines().nth(1).unwrap().to_string()
    };
    assert_eq!(output("uploaded"), "[]", "{outputs}");
    assert_eq!(
        output("skipped"),
        r#"["contract_demo-1.0-py3-none-any.whl"]"#,
        "{outputs}"
    );
    assert_eq!(index.stats()["upload_requests"], requests);
    assert_eq!(index.stats()["uploads_stored"], 1);

    // A bad file: an error annotation tied to the file, a failed summary, exit 1, nothing sent.
    wheel_owned(
        &dist,
        "contract_demo-2.0-py3-none-any.whl",
        &wheel_members("contract_demo-2.0", &metadata("contract-demo", "2.1", "")),
    );
    let before = index.stats()["upload_requests"].clone();
    let commands = tempdir();
    let run = run_action(workspace.path(), commands.path(), &inputs);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stdout.contains("::error file=wheelhouse/contract_demo-2.0-py3-none-any.whl,title=contract_demo-2.0-py3-none-any.whl%3A filename-version::the filename's version must match the metadata Version"),
        "{}",
        run.stdout
    );
    let summary = read_expected(&commands.path().join("step_summary"));
    assert!(
        summary.contains("[!CAUTION]")
            && summary.contains(
                "| `contract_demo-2.0-py3-none-any.whl` | the filename's version must match"
            ),
        "{summary}"
    );
    assert_eq!(index.stats()["upload_requests"], before);
    assert_eq!(run.all().matches(TOKEN).count(), 1);
}

#[test]
fn action_without_password_explains_and_deprecated_aliases_warn() {
    let workspace = tempdir();
    let commands = tempdir();
    std::fs::create_dir(workspace.path().join("dist")).unwrap();
    let run = run_action(workspace.path(), commands.path(), &[]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stdout.contains(
            "::error title=trusted publishing::trusted publishing has no OIDC token to trade%0A  Caused by: GitHub Actions gave this job no OIDC token"
        ) && run.stdout.contains("id-token: write"),
        "{}",
        run.stdout
    );

    let run = run_action(
        workspace.path(),
        commands.path(),
        &[
            ("INPUT_PACKAGES_DIR", "elsewhere"),
            ("INPUT_DRY-RUN", "true"),
        ],
    );
    assert!(
        run.stdout.contains(
            "::warning title=deprecated input::'packages_dir' is deprecated: use 'packages-dir'"
        ),
        "{}",
        run.stdout
    );
}

/// Issue 16: a kebab-case input beats its deprecated snake_case alias whatever their values,
/// and the alias still works (with a warning) when the kebab one is left at its default.
#[test]
fn kebab_case_inputs_beat_snake_case_aliases_both_ways() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let workspace = tempdir();
    for dir in ["kebab", "snake"] {
        let dist = workspace.path().join(dir);
        std::fs::create_dir(&dist).unwrap();
        wheel_owned(
            &dist,
            &format!("{dir}_pkg-1.0-py3-none-any.whl"),
            &wheel_members(
                &format!("{dir}_pkg-1.0"),
                &metadata(&format!("{dir}-pkg"), "1.0", ""),
            ),
        );
    }
    let url = index.upload_url();
    let base = [
        ("INPUT_PASSWORD", TOKEN),
        ("INPUT_REPOSITORY-URL", url.as_str()),
    ];
    // Both given, the snake one not at its default: kebab wins.
    let commands = tempdir();
    let mut inputs = base.to_vec();
    inputs.extend([
        ("INPUT_PACKAGES-DIR", "kebab"),
        ("INPUT_PACKAGES_DIR", "snake"),
    ]);
    let run = run_action(workspace.path(), commands.path(), &inputs);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(index.stored("kebab_pkg-1.0-py3-none-any.whl").is_some());
    assert!(index.stored("snake_pkg-1.0-py3-none-any.whl").is_none());

    // Only the snake one given (kebab left empty, as the runner passes a default-less
    // input): it is used, with a deprecation warning.
    let commands = tempdir();
    let mut inputs = base.to_vec();
    inputs.extend([("INPUT_PACKAGES-DIR", ""), ("INPUT_PACKAGES_DIR", "snake")]);
    let run = run_action(workspace.path(), commands.path(), &inputs);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(index.stored("snake_pkg-1.0-py3-none-any.whl").is_some());
    assert!(
        run.stdout
            .contains("'packages_dir' is deprecated: use 'packages-dir'"),
        "{}",
        run.stdout
    );
}

/// Issue 14: `repository-url` and `password` with one line per destination: TestPyPI-like
/// first, then the second index, each with its own token, each masked on its own line
/// before anything else; outputs and summary show each destination. A refusal at the
/// first destination leaves the second untouched and says so.
#[test]
fn several_destinations_from_multi_line_inputs() {
    const OTHER: &str = "pypi-SecondIndexSecret-4d2a";
    let (gate, main) = (
        TestIndex::start(&["--token", TOKEN]),
        TestIndex::start(&["--token", OTHER]),
    );
    let workspace = tempdir();
    let dist = workspace.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let file = "multi_demo-1.0-py3-none-any.whl";
    wheel_owned(
        &dist,
        file,
        &wheel_members("multi_demo-1.0", &metadata("multi-demo", "1.0", "")),
    );
    let urls = format!("{}\n{}\n", gate.upload_url(), main.upload_url());
    let run_with = |passwords: &str| {
        let commands = tempdir();
        let inputs = [
            ("INPUT_PASSWORD", passwords),
            ("INPUT_REPOSITORY-URL", urls.as_str()),
        ];
        let run = run_action(workspace.path(), commands.path(), &inputs);
        (run, commands)
    };
    let (run, commands) = run_with(&format!("{TOKEN}\n{OTHER}"));
    assert_eq!(run.code, Some(0), "{}", run.all());
    let first_lines: Vec<&str> = run.stdout.lines().take(2).collect();
    assert_eq!(
        first_lines,
        [
            format!("::add-mask::{TOKEN}"),
            format!("::add-mask::{OTHER}")
        ]
    );
    for secret in [TOKEN, OTHER] {
        assert_eq!(
            run.all().matches(secret).count(),
            1,
            "{secret} beyond its mask"
        );
    }
    for index in [&gate, &main] {
        assert_eq!(
            index.stored(file).unwrap()["sha256"],
            common::sha256sum(&dist.join(file))
        );
    }
    let outputs = read_expected(&commands.path().join("set_output"));
    let output = |name: &str| -> serde_json::Value {
        let start = outputs
            .find(&format!("{name}<<"))
            .unwrap_or_else(|| panic!("no {name} output in {outputs}"));
        serde_json::from_str(outputs[start..].lines().nth(1).unwrap()).unwrap()
    };
    assert_eq!(output("uploaded"), serde_json::json!([file]));
    let destinations = output("destinations");
    let each: Vec<(&str, &serde_json::Value)> = destinations
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["repository-url"].as_str().unwrap(), &d["uploaded"]))
        .collect();
    let uploaded = serde_json::json!([file]);
    let (gate_url, main_url) = (gate.upload_url(), main.upload_url());
    assert_eq!(
        each,
        [
            (gate_url.as_str(), &uploaded),
            (main_url.as_str(), &uploaded)
        ]
    );
    // Each destination is announced, and its uploads shown (the preflight's findings only
    // with the first).
    for want in [
        format!("destination 1 of 2: {}", gate.upload_url()),
        format!("destination 2 of 2: {}", main.upload_url()),
    ] {
        assert!(run.stdout.contains(&want), "{}", run.stdout);
    }
    assert_eq!(
        run.stdout.matches(&format!("Uploading {file}")).count(),
        2,
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout.matches(&format!("{file}: uploaded")).count(),
        2,
        "{}",
        run.stdout
    );
    let summary = read_expected(&commands.path().join("step_summary"));
    for want in [
        "## PyPI publish: destination 1 of 2",
        "## PyPI publish: destination 2 of 2",
    ] {
        assert!(summary.contains(want), "{summary}");
    }
    assert!(!outputs.contains(TOKEN) && !summary.contains(OTHER));

    // The tokens swapped: the gate refuses its token, the second index is not contacted.
    wheel_owned(
        &dist,
        "multi_demo-2.0-py3-none-any.whl",
        &wheel_members("multi_demo-2.0", &metadata("multi-demo", "2.0", "")),
    );
    let requests = main.stats()["upload_requests"].clone();
    let (run, commands) = run_with(&format!("{OTHER}\n{TOKEN}"));
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert_eq!(main.stats()["upload_requests"], requests);
    assert!(
        run.stdout.contains(&format!(
            "not published to {main_url}: an earlier destination failed"
        )),
        "{}",
        run.stdout
    );
    let summary = read_expected(&commands.path().join("step_summary"));
    assert!(
        summary.contains(&format!(
            "Not published to `{main_url}`: an earlier destination failed."
        )),
        "{summary}"
    );

    // Passwords that do not pair up with the URLs: an error before anything is sent.
    let (run, _) = run_with(&format!("{TOKEN}\n{OTHER}\n{TOKEN}"));
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stdout
            .contains("3 password lines for 2 repository URL(s)"),
        "{}",
        run.stdout
    );
}

/// Issue 14: `packages-dir` holding several lines, a folder and a glob over folders (a
/// monorepo). Each line's distributions are sent; the attestation and checksum beside them
/// are passed over without a line in the log; the annotation of a refused file names the
/// path where it was found.
#[test]
fn multi_line_packages_dir_takes_folders_and_globs() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let workspace = tempdir();
    let commands = tempdir();
    for (folder, name) in [
        ("dist", "multi_a"),
        ("packages/b/dist", "multi_b"),
        ("packages/c/dist", "multi_c"),
    ] {
        let dist = workspace.path().join(folder);
        std::fs::create_dir_all(&dist).unwrap();
        let file = format!("{name}-1.0-py3-none-any.whl");
        // multi_c declares an unknown classifier: a warning in preflight (general rules),
        // refused by the index.
        let extra = if name == "multi_c" {
            "Classifier: Not :: A :: Classifier\n"
        } else {
            ""
        };
        wheel_owned(
            &dist,
            &file,
            &wheel_members(&format!("{name}-1.0"), &metadata(name, "1.0", extra)),
        );
        std::fs::write(dist.join(format!("{file}.publish.attestation")), "{}").unwrap();
        std::fs::write(dist.join("SHA256SUMS"), "x").unwrap();
    }
    let inputs = [
        ("INPUT_PASSWORD", TOKEN),
        ("INPUT_REPOSITORY-URL", &index.upload_url() as &str),
        (
            "INPUT_PACKAGES-DIR",
            "dist\npackages/*/dist\ndist/SHA256SUMS\n",
        ),
        ("INPUT_ATTESTATIONS", "false"),
    ];
    let run = run_action(workspace.path(), commands.path(), &inputs);
    assert_eq!(run.code, Some(1), "{}", run.all());
    // A file named on its own line that is no distribution: one note in the verbose log.
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("skipped dist/SHA256SUMS (")),
        "{}",
        run.stdout
    );
    let stats = index.stats();
    assert_eq!(stats["upload_requests"], 3, "{}", run.all());
    assert!(index.stored("multi_a-1.0-py3-none-any.whl").is_some());
    assert!(index.stored("multi_b-1.0-py3-none-any.whl").is_some());
    assert!(
        run.all().matches("SHA256SUMS").count() == 1 && !run.all().contains(".publish.attestation"),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with(
            "::error file=packages/c/dist/multi_c-1.0-py3-none-any.whl,title=multi_c-1.0-py3-none-any.whl%3A upload failed::"
        )),
        "{}",
        run.stdout
    );
}

/// A run-level warning reaches the runner as a `::warning` annotation: an index that takes
/// uploads at `/upload/`, a layout no simple index can be derived from, cannot be compared
/// with, and the step says so (and still publishes).
#[test]
fn a_run_level_warning_is_an_annotation() {
    let index = TestIndex::start(&["--token", TOKEN, "--upload-path", "/upload/"]);
    let workspace = tempdir();
    let dist = workspace.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let name = "warned_pkg-1.0-py3-none-any.whl";
    wheel_owned(
        &dist,
        name,
        &wheel_members("warned_pkg-1.0", &metadata("warned-pkg", "1.0", "")),
    );
    let url = format!("{}/upload/", index.server.url);
    let commands = tempdir();
    let run = run_action(
        workspace.path(),
        commands.path(),
        &[("INPUT_PASSWORD", TOKEN), ("INPUT_REPOSITORY-URL", &url)],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(
        run.stdout.contains(
            "::warning title=pypi-publish::no simple index is known for this repository URL"
        ),
        "{}",
        run.stdout
    );
    assert!(index.stored(name).is_some());
    // One destination is not announced as one of several.
    assert!(!run.stdout.contains("destination 1 of 1"), "{}", run.stdout);
}
