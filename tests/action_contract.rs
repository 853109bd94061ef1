//! The runner contract: the binary run exactly as GitHub runs the container — `action`
//! argument, inputs as `INPUT_<NAME>` with hyphens kept, the workspace as working directory,
//! file commands under `file_commands/` — against the test index. Asserts on outputs,
//! job summary, annotations, masking, and that the secret appears nowhere.

mod common;

use std::process::Command;

use common::dists::{metadata, wheel_members, wheel_owned};
use common::servers::TestIndex;
use common::{Run, bin, tempdir};

const TOKEN: &str = "pypi-ContractSecret-9f1b2c";

fn run_action(
    workspace: &std::path::Path,
    commands: &std::path::Path,
    inputs: &[(&str, &str)],
) -> Run {
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
    cmd.output().unwrap().into()
}

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
            .contains("Showing hash values of files to be uploaded:")
    );

    let outputs = std::fs::read_to_string(commands.path().join("set_output")).unwrap();
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
    let summary = std::fs::read_to_string(commands.path().join("step_summary")).unwrap();
    assert!(
        summary.contains("| `contract_demo-1.0-py3-none-any.whl` |")
            && summary.contains("✅ uploaded"),
        "{summary}"
    );
    assert!(summary.contains(&sha) && !summary.contains(TOKEN));
    assert!(commands.path().join("pypi-publish-report.json").exists());
    assert_eq!(index.stats()["uploads_stored"], 1);

    // Second run: skipped, reported as such.
    let run = run_action(workspace.path(), commands.path(), &inputs);
    assert_eq!(run.code, Some(0), "{}", run.all());
    let outputs = std::fs::read_to_string(commands.path().join("set_output")).unwrap();
    assert!(
        outputs.contains("skipped<<")
            && outputs
                .matches(r#"["contract_demo-1.0-py3-none-any.whl"]"#)
                .count()
                == 2,
        "{outputs}"
    );

    // A bad file: an error annotation tied to the file, a failed summary, exit 1, nothing sent.
    wheel_owned(
        &dist,
        "contract_demo-2.0-py3-none-any.whl",
        &wheel_members("contract_demo-2.0", &metadata("contract-demo", "2.1", "")),
    );
    let before = index.stats()["upload_requests"].clone();
    let run = run_action(workspace.path(), commands.path(), &inputs);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stdout.contains("::error file=wheelhouse/contract_demo-2.0-py3-none-any.whl,title=contract_demo-2.0-py3-none-any.whl%3A filename-version::the filename's version must match the metadata Version"),
        "{}",
        run.stdout
    );
    let summary = std::fs::read_to_string(commands.path().join("step_summary")).unwrap();
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
        run.stdout
            .contains("::error title=no credentials::trusted publishing is not available"),
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
