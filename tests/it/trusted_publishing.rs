//! Trusted publishing end to end against the test index's OIDC exchange and its GitHub-like
//! issuer (standing in for `ACTIONS_ID_TOKEN_REQUEST_URL`): the successful flow, renewal
//! with a fresh OIDC token, every diagnosed failure, retries, and no secret in any output.
//! `burn`: every minted token revoked when the run ends.

mod burn;

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::dists::{metadata, wheel_members, wheel_owned};
use common::fault_proxy::{Echo, FaultProxy, Plan};
use common::servers::{TestIndex, http};
use common::{Run, publish_env, read_expected, run_action, tempdir};

/// The issuer's bearer token (GitHub's `ACTIONS_ID_TOKEN_REQUEST_TOKEN`): a secret.
const REQUEST_TOKEN: &str = "ghs-RequestSecret-5e7d1c0a";
/// A password given alongside `--trusted-publishing always`: a secret.
const PASSWORD: &str = "pypi-PasswordSecret-8c2f9b";
const PUBLISHER: &str = r#"{"project":"tp-demo","repository":"octo-repo","repository_owner":"octo-org","repository_owner_id":"10000001","workflow_filename":"release.yml"}"#;

/// An API token that may create projects (trusted publishers cannot).
const SEED_TOKEN: &str = "pypi-seed-token";

/// The test index with a publisher for `tp-demo`, which exists (a publisher that is not
/// pending can only upload to an existing project).
fn start_index(extra: &[&str]) -> TestIndex {
    let mut args = vec![
        "--publisher",
        PUBLISHER,
        "--issuer-request-token",
        REQUEST_TOKEN,
        "--token",
        SEED_TOKEN,
    ];
    args.extend_from_slice(extra);
    let index = TestIndex::start(&args);
    seed(&index, "tp-demo");
    index
}

/// Creates `project` on the index with an API token.
fn seed(index: &TestIndex, project: &str) {
    let dir = tempdir();
    wheel(dir.path(), project, "0.0.1");
    let run = upload(dir.path(), index, &["--token", SEED_TOKEN], &[]);
    assert_eq!(run.code, Some(0), "{}", run.all());
}

fn wheel(dir: &Path, project: &str, version: &str) {
    let stem = format!("{}-{version}", project.replace('-', "_"));
    wheel_owned(
        dir,
        &format!("{stem}-py3-none-any.whl"),
        &wheel_members(&stem, &metadata(project, version, "")),
    );
}

/// GitHub Actions' variables with `id-token: write`; `claims` is appended to the token
/// endpoint's query (the test issuer takes claim overrides there).
fn github(index: &TestIndex, claims: &str) -> Vec<(String, String)> {
    vec![
        ("GITHUB_ACTIONS".into(), "true".into()),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL".into(),
            format!(
                "{}/_/test-issuer/token?api-version=2.0{claims}",
                index.server.url
            ),
        ),
        (
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(),
            REQUEST_TOKEN.into(),
        ),
    ]
}

fn upload(dir: &Path, index: &TestIndex, args: &[&str], env: &[(String, String)]) -> Run {
    let url = index.upload_url();
    let mut all = vec!["upload", "--repository-url", &url, "--no-progress"];
    all.extend_from_slice(args);
    all.push(".");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    publish_env(dir, &all, &env)
}

/// An OIDC token from the test issuer, as GitHub's endpoint would give it.
fn issue_jwt(index: &TestIndex) -> String {
    let (status, body) = http(
        "GET",
        &format!("{}/_/test-issuer/token?audience=pypi", index.server.url),
        &[("Authorization", &format!("bearer {REQUEST_TOKEN}"))],
        b"",
    );
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string()
}

/// No secret anywhere: not the issuer's request token, not the password, no JWT, and a
/// minted token only inside the `::add-mask::` command that hides it.
fn assert_no_secrets(what: &str, text: &str, jwts: &[&str]) {
    assert!(
        !text.contains(REQUEST_TOKEN),
        "{what} shows the request token"
    );
    assert!(!text.contains(PASSWORD), "{what} shows the password");
    for jwt in jwts {
        assert!(!text.contains(jwt), "{what} shows a JWT");
    }
    assert!(
        !text.contains("eyJ"),
        "{what} shows something JWT-shaped:\n{text}"
    );
    for line in text.lines().filter(|l| !l.starts_with("::add-mask::")) {
        let minted = common::shows_minted_token(line);
        assert!(!minted, "{what} shows a minted token: {line}");
    }
}

#[test]
fn action_publishes_with_a_minted_token_and_masks_it_first() {
    let pending = r#"{"project":"fresh-proj","repository":"octo-repo","repository_owner":"octo-org","repository_owner_id":"10000001","workflow_filename":"fresh.yml","pending":true}"#;
    let index = start_index(&["--publisher", pending]);
    let workspace = tempdir();
    let commands = tempdir();
    let dist = workspace.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    wheel(&dist, "tp-demo", "1.0");
    let mut inputs: Vec<(String, String)> = github(&index, "");
    inputs.push(("INPUT_REPOSITORY-URL".into(), index.upload_url()));
    let inputs_ref: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let run = run_action(workspace.path(), commands.path(), &inputs_ref);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(
        run.stdout
            .contains("No password or token given: using trusted publishing (GitHub Actions OIDC)"),
        "{}",
        run.stdout
    );
    // The minted token is masked before it could appear anywhere else.
    let mask = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::add-mask::pypi-"))
        .expect("the minted token is masked");
    let minted = mask.trim_start_matches("::add-mask::");
    assert_eq!(run.all().matches(minted).count(), 1, "{}", run.all());
    let stats = index.stats();
    assert_eq!(stats["tokens_minted"], 1);
    let stored = index
        .stored("tp_demo-1.0-py3-none-any.whl")
        .unwrap_or_else(|| panic!("not stored: {stats}"));
    assert_eq!(stored["via_trusted_publishing"], true);
    let summary = std::fs::read_to_string(commands.path().join("step_summary")).unwrap();
    let outputs = std::fs::read_to_string(commands.path().join("set_output")).unwrap();
    assert!(summary.contains("trusted publishing"), "{summary}");
    for (what, text) in [
        ("stdout", &run.stdout),
        ("stderr", &run.stderr),
        ("summary", &summary),
        ("outputs", &outputs),
    ] {
        assert!(!text.contains(minted) || what == "stdout");
        assert_no_secrets(what, text, &[]);
    }

    // Everything already there: no token is minted at all.
    let run = run_action(workspace.path(), commands.path(), &inputs_ref);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert_eq!(index.stats()["tokens_minted"], 1);
    assert!(!run.stdout.contains("::add-mask::pypi-"));

    // A refusal in action mode: an annotation with the diagnosis, a failed summary, and
    // still no secret in any file the runner keeps.
    wheel(&dist, "tp-demo", "1.1");
    let mut refused = github(
        &index,
        "&job_workflow_ref=octo-org/octo-repo/.github/workflows/publish.yml@refs/heads/main",
    );
    refused.push(("INPUT_REPOSITORY-URL".into(), index.upload_url()));
    let refused: Vec<(&str, &str)> = refused
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let run = run_action(workspace.path(), commands.path(), &refused);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stdout
            .contains("::error title=publish failed::no upload token; nothing was uploaded%0A  Caused by: trusted publishing: the index did not trade the OIDC token")
            && run.stdout.contains("Workflow name:     publish.yml"),
        "{}",
        run.stdout
    );
    let summary = std::fs::read_to_string(commands.path().join("step_summary")).unwrap();
    assert!(summary.contains("invalid-publisher"), "{summary}");
    let outputs = std::fs::read_to_string(commands.path().join("set_output")).unwrap();
    for (what, text) in [
        ("stdout", &run.stdout),
        ("stderr", &run.stderr),
        ("summary", &summary),
        ("outputs", &outputs),
    ] {
        assert_no_secrets(what, text, &[]);
    }
    std::fs::remove_file(dist.join("tp_demo-1.1-py3-none-any.whl")).unwrap();

    // A pending publisher creates its project on first use.
    let fresh = tempdir();
    wheel(fresh.path(), "fresh-proj", "1.0");
    let workflow = "octo-org/octo-repo/.github/workflows/fresh.yml@refs/heads/main";
    let claims = format!("&workflow_ref={workflow}&job_workflow_ref={workflow}");
    let run = upload(fresh.path(), &index, &[], &github(&index, &claims));
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(index.stored("fresh_proj-1.0-py3-none-any.whl").is_some());
}

#[test]
fn long_runs_mint_again_with_a_fresh_oidc_token() {
    // Tokens live 4 s (renewed with 1 s left) and each upload takes 0.5 s: ten uploads
    // outlive the first token, and none can outlive a token it leaves with (half a second
    // of slack for a slow machine).
    let index = start_index(&["--minted-token-lifetime", "4", "--upload-delay-ms", "500"]);
    let dir = tempdir();
    let versions = |major: u32| (0..10).map(move |minor| format!("{major}.{minor}"));
    for v in versions(1) {
        wheel(dir.path(), "tp-demo", &v);
    }
    let report = dir.path().join("report.json");
    let report_arg = report.to_str().unwrap().to_string();
    let run = upload(
        dir.path(),
        &index,
        &["--concurrency", "1", "--json", &report_arg],
        &github(&index, ""),
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    let minted = index.stats()["tokens_minted"].as_u64().unwrap();
    assert!(minted >= 2, "one token cannot cover the run: {minted}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["token_mints"].as_u64(), Some(minted));
    // Every token burned, the ones renewal replaced included.
    assert_eq!(report["tokens_revoked"].as_u64(), Some(minted));
    assert_eq!(index.stats()["tokens_burned"].as_u64(), Some(minted));
    assert_eq!(index.stats()["uploads_stored"], 11, "the seed and ten more");
    // Renewed before it expires, never after a refusal: one request per file.
    assert_eq!(report["upload_requests"], 10, "{report:#}");
    assert_no_secrets("output", &run.all(), &[]);

    // A token in a variable (GitLab's kind) is single-use: the run says so when it runs out.
    for v in versions(2) {
        wheel(dir.path(), "tp-demo", &v);
    }
    let jwt = issue_jwt(&index);
    let env = vec![("PYPI_ID_TOKEN".to_string(), jwt.clone())];
    let run = upload(
        dir.path(),
        &index,
        &["--concurrency", "1", "--id-token-env", "PYPI_ID_TOKEN"],
        &env,
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.all()
            .contains("the upload token expired and the OIDC token in $PYPI_ID_TOKEN holds a single-use OIDC token"),
        "{}",
        run.all()
    );
    assert_no_secrets("output", &run.all(), &[&jwt]);
    let stats = index.stats();
    assert_eq!(stats["tokens_burned"], stats["tokens_minted"], "{stats}");

    // The same, met on the wire: uploads take 3.5 s and the token lives 6 s, so the second
    // file leaves with 2.5 s left (more than the 1.5 s renewal margin) and is refused once
    // its body is in, 1 s after the token expired (a second of slack either way for a slow
    // machine). The run names the single-use token, not the index's bare refusal.
    let slow = start_index(&["--minted-token-lifetime", "6", "--upload-delay-ms", "3500"]);
    let dir = tempdir();
    for v in ["3.0", "3.1"] {
        wheel(dir.path(), "tp-demo", v);
    }
    let jwt = issue_jwt(&slow);
    let env = vec![("PYPI_ID_TOKEN".to_string(), jwt.clone())];
    let run = upload(
        dir.path(),
        &slow,
        &["--concurrency", "1", "--id-token-env", "PYPI_ID_TOKEN"],
        &env,
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr.contains(
            "error: tp_demo-3.1-py3-none-any.whl: trusted publishing: the upload token expired and the OIDC token in $PYPI_ID_TOKEN holds a single-use OIDC token"
        ),
        "{}",
        run.all()
    );
    assert_eq!(slow.stats()["uploads_stored"], 2, "the seed and 3.0");
    assert_no_secrets("output", &run.all(), &[&jwt]);

    // From GitHub (a fresh OIDC token per exchange) the refused file is sent once more
    // with a new upload token, and the run completes.
    let dir = tempdir();
    for v in ["4.0", "4.1"] {
        wheel(dir.path(), "tp-demo", v);
    }
    let report = dir.path().join("renewed.json");
    let report_arg = report.to_str().unwrap().to_string();
    let run = upload(
        dir.path(),
        &slow,
        &["--concurrency", "1", "--json", &report_arg],
        &github(&slow, ""),
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    let report: serde_json::Value = serde_json::from_str(&read_expected(&report)).unwrap();
    assert_eq!(report["upload_requests"], 3, "{report:#}");
    assert_eq!(report["token_mints"], 2, "{report:#}");
    assert_eq!(report["tokens_revoked"], 2, "{report:#}");
    // The expired token and its replacement, and the single-use run's token before them.
    assert_eq!(slow.stats()["tokens_burned"], 3);
    assert_eq!(
        slow.stats()["uploads_stored"],
        4,
        "the seed, 3.0, 4.0 and 4.1"
    );
}

#[test]
fn refused_exchanges_name_the_cause_and_the_fix() {
    let pending = r#"{"project":"existing-proj","repository":"octo-repo","repository_owner":"octo-org","repository_owner_id":"10000001","workflow_filename":"pending.yml","pending":true}"#;
    let pending_workflow = "octo-org/octo-repo/.github/workflows/pending.yml@refs/heads/main";
    let pending_claims =
        format!("&workflow_ref={pending_workflow}&job_workflow_ref={pending_workflow}");
    let index = start_index(&["--publisher", pending]);
    let dir = tempdir();
    // `existing-proj` exists before its pending publisher is used.
    seed(&index, "existing-proj");

    let used_jwt = issue_jwt(&index);
    let (status, body) = http(
        "POST",
        &format!("{}/_/oidc/mint-token", index.server.url),
        &[("Content-Type", "application/json")],
        format!(r#"{{"token":"{used_jwt}"}}"#).as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"pull_request":{"head":{"repo":{"fork":true,"full_name":"mallory/octo-repo"}}}}"#,
    )
    .unwrap();
    let reusable =
        "&job_workflow_ref=octo-org/octo-repo/.github/workflows/publish.yml@refs/heads/main";
    let s = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    // (case, project, environment, extra arguments, lines the output must contain)
    type Case<'a> = (
        &'a str,
        &'a str,
        Vec<(String, String)>,
        Vec<&'a str>,
        Vec<&'a str>,
    );
    let cases: Vec<Case> = vec![
        (
            "reusable workflow",
            "tp-demo",
            github(&index, reusable),
            vec![],
            vec![
                "invalid-publisher: the token is valid, but no trusted publisher on the index matches it",
                "this job runs in the reusable workflow 'publish.yml', called from 'release.yml': PyPI matches job_workflow_ref, so the publisher must name the workflow 'publish.yml', not 'release.yml'",
                "Owner:             octo-org",
                "Repository name:   octo-repo",
                "Workflow name:     publish.yml",
                "Environment name:  (leave empty",
                "repository_owner_id  10000001",
                "add the publisher to 'tp-demo'",
            ],
        ),
        (
            "reusable workflow from another repository",
            "tp-demo",
            github(
                &index,
                "&job_workflow_ref=other-org/shared/.github/workflows/publish.yml@refs/heads/main",
            ),
            vec![],
            vec![
                "the reusable workflow lives in another repository (other-org/shared): PyPI only accepts workflows of the publishing repository (octo-org/octo-repo)",
            ],
        ),
        (
            "pull_request_target",
            "tp-demo",
            github(&index, "&event_name=pull_request_target"),
            vec![],
            vec!["runs triggered by 'pull_request_target' can never publish to PyPI"],
        ),
        (
            "wrong audience",
            "tp-demo",
            github(&index, "&audience=sigstore"),
            vec![],
            vec![
                "invalid-token: the token's signature, expiry or audience was refused",
                "the token's audience is 'sigstore' but the index wants 'pypi'",
            ],
        ),
        (
            "expired token",
            "tp-demo",
            github(&index, "&lifetime=-600"),
            vec![],
            vec!["refused the OIDC token: invalid-token"],
        ),
        (
            "GitHub Enterprise",
            "tp-demo",
            github(&index, "&iss=https://ghe.example.com/_services/token"),
            vec![],
            vec![
                "invalid-payload (unknown trusted publishing issuer)",
                "issued by GitHub Enterprise (https://ghe.example.com/_services/token)",
            ],
        ),
        (
            "pending publisher for an existing project",
            "existing-proj",
            github(&index, &pending_claims),
            vec![],
            vec![
                "invalid-pending-publisher: a pending publisher matched, but its project already exists",
            ],
        ),
        (
            "project not on the index yet",
            "brand-new-proj",
            github(&index, "&repository_owner_id=999"),
            vec![],
            vec![
                "Publisher with matching claims was not found",
                "'brand-new-proj' does not exist on the index yet: register a pending publisher",
            ],
        ),
        (
            "reused OIDC token",
            "tp-demo",
            s(&[("USED_JWT", &used_jwt)]),
            vec!["--id-token-env", "USED_JWT"],
            vec!["invalid-reuse-token: this OIDC token was exchanged before"],
        ),
        (
            "no id-token permission",
            "tp-demo",
            s(&[("GITHUB_ACTIONS", "true")]),
            vec![],
            vec![
                "the job lacks `permissions: id-token: write`",
                "hint: give the publishing job the permission (and, for a reusable workflow, the calling job too):",
            ],
        ),
        (
            "pull request from a fork",
            "tp-demo",
            s(&[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_EVENT_NAME", "pull_request"),
                ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
            ]),
            vec![],
            vec![
                "a pull request from the fork mallory/octo-repo: GitHub never gives OIDC tokens",
                "hint: publish from `push`, `release` or `workflow_dispatch` runs of the repository itself",
            ],
        ),
        (
            "GitLab without id_tokens",
            "tp-demo",
            s(&[("GITLAB_CI", "true")]),
            vec![],
            vec!["$PYPI_ID_TOKEN is not set", "id_tokens:", "aud: pypi"],
        ),
        (
            "always with a password",
            "tp-demo",
            github(&index, ""),
            vec!["--trusted-publishing", "always", "--password", PASSWORD],
            vec![
                "--trusted-publishing always, but credentials were also given (command-line options)",
            ],
        ),
    ];
    for (name, project, env, args, wants) in cases {
        let case_dir = tempdir();
        wheel(case_dir.path(), project, "9.0");
        let before = index.stats()["upload_requests"].clone();
        // Issue 14: the dry run meets every one of these the way the real run does.
        let mut dry_args = args.clone();
        dry_args.push("--dry-run");
        let dry = upload(case_dir.path(), &index, &dry_args, &env);
        let run = upload(case_dir.path(), &index, &args, &env);
        // Warehouse deletes a pending publisher once it matched a project that exists:
        // the run after the dry run meets "invalid-publisher", rightly.
        let spent = name == "pending publisher for an existing project";
        let runs = if spent {
            vec![(" (dry run)", &dry)]
        } else {
            vec![("", &run), (" (dry run)", &dry)]
        };
        assert_eq!(run.code, Some(1), "{name}: {}", run.all());
        for (what, run) in runs {
            assert_eq!(run.code, Some(1), "{name}{what}: {}", run.all());
            for want in &wants {
                assert!(
                    run.all().contains(want),
                    "{name}{what}: missing {want:?} in\n{}",
                    run.all()
                );
            }
            assert_no_secrets(name, &run.all(), &[&used_jwt]);
        }
        if !spent {
            assert_eq!(diagnosis(&dry), diagnosis(&run), "{name}");
        }
        assert_eq!(
            index.stats()["upload_requests"],
            before,
            "{name}: nothing is sent"
        );
    }
}

/// The error and hint lines of a run: what a dry run must say exactly as the real run does.
fn diagnosis(run: &Run) -> Vec<String> {
    let all = run.all();
    let start = all
        .lines()
        .position(|l| l.trim_start().starts_with("error:"));
    all.lines()
        .skip(start.unwrap_or(usize::MAX))
        .filter(|l| !l.contains("not attempted") && !l.contains("dry run"))
        .map(str::to_string)
        .collect()
}

/// Issue 14: a dry run mints a real upload token (masked, discarded), proves the upload
/// endpoint takes it, and checks the Sigstore identity token without signing: Fulcio and
/// Rekor here are an address nothing listens on, so any attempt to sign would fail.
#[test]
fn dry_run_proves_the_exchange_the_credentials_and_the_signing_identity() {
    let index = start_index(&[]);
    let dir = tempdir();
    wheel(dir.path(), "tp-demo", "3.0");
    let before = index.stats();
    let nowhere = "http://127.0.0.1:9";
    let signing = [
        "--attestations",
        "on",
        "--fulcio-url",
        nowhere,
        "--rekor-url",
        nowhere,
    ];
    let mut args = vec!["--dry-run"];
    args.extend(signing);
    let sigstore = |query: &str| {
        let (status, body) = http(
            "GET",
            &format!(
                "{}/_/test-issuer/token?audience=sigstore{query}",
                index.server.url
            ),
            &[("Authorization", &format!("bearer {REQUEST_TOKEN}"))],
            b"",
        );
        assert_eq!(status, 200, "{body}");
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        value["value"].as_str().unwrap().to_string()
    };
    let jwt = sigstore("");
    let mut env = github(&index, "");
    env.push(("SIGSTORE_ID_TOKEN".into(), jwt.clone()));
    let run = upload(dir.path(), &index, &args, &env);
    assert_eq!(run.code, Some(0), "{}", run.all());
    for want in [
        "dry run: the trusted-publishing exchange succeeded: the index minted an upload token (masked, unused, and revoked when the run ends), valid for",
        &format!(
            "dry run: {} takes these credentials (a request without a file was answered 400 Unknown protocol version.)",
            index.upload_url()
        ),
        "dry run: the Sigstore identity token (",
        "1 attestation(s) would be signed with it",
        "would upload",
    ] {
        assert!(
            run.all().contains(want),
            "missing {want:?} in\n{}",
            run.all()
        );
    }
    // The index mints for 900 s (PyPI's lifetime): the line says what is left of it.
    let all = run.all();
    let left: u64 = all
        .split("valid for ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no validity in\n{all}"));
    assert!((800..=900).contains(&left), "{all}");
    assert_no_secrets("dry run", &run.all(), &[&jwt]);
    let after = index.stats();
    let count = |stats: &serde_json::Value, key: &str| stats[key].as_u64().unwrap();
    assert_eq!(
        count(&after, "tokens_minted"),
        count(&before, "tokens_minted") + 1
    );
    assert_eq!(
        count(&after, "files_received"),
        count(&before, "files_received")
    );
    assert_eq!(
        count(&after, "uploads_stored"),
        count(&before, "uploads_stored")
    );
    let attestation = dir
        .path()
        .join("tp_demo-3.0-py3-none-any.whl.publish.attestation");
    assert!(!attestation.exists(), "a dry run writes no attestation");

    // An expired Sigstore token: the dry run names it as the real run does, before any
    // upload; the real run would have reached Fulcio with it, the dry run never does.
    let mut expired = github(&index, "");
    expired.push(("SIGSTORE_ID_TOKEN".into(), sigstore("&lifetime=-600")));
    let dry = upload(dir.path(), &index, &args, &expired);
    let real = upload(dir.path(), &index, &signing, &expired);
    for run in [&dry, &real] {
        assert_eq!(run.code, Some(1), "{}", run.all());
        for want in [
            "error: tp_demo-3.0-py3-none-any.whl: cannot sign the publish attestation",
            "Caused by: the Sigstore identity token expired at",
        ] {
            assert!(run.all().contains(want), "{}", run.all());
        }
    }
    assert_eq!(
        count(&index.stats(), "files_received"),
        count(&before, "files_received")
    );

    // Two destinations (here the same index under two names, 127.0.0.1 and localhost):
    // each trades an OIDC token of its own and is probed with its own upload token.
    let localhost = index.upload_url().replace("127.0.0.1", "localhost");
    let minted = count(&index.stats(), "tokens_minted");
    let both = upload(
        dir.path(),
        &index,
        &["--dry-run", "--repository-url", &localhost],
        &github(&index, ""),
    );
    assert_eq!(both.code, Some(0), "{}", both.all());
    assert_eq!(count(&index.stats(), "tokens_minted"), minted + 2);
    let exchanges = both
        .all()
        .matches("the trusted-publishing exchange succeeded")
        .count();
    assert_eq!(exchanges, 2, "{}", both.all());
    for url in [index.upload_url(), localhost] {
        let proven = format!("dry run: {url} takes these credentials");
        assert!(both.all().contains(&proven), "{}", both.all());
    }
    assert_no_secrets("two destinations", &both.all(), &[]);

    // The action's `dry-run: true` proves the same, and its outputs say nothing was sent.
    let commands = tempdir();
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    wheel(&dist, "tp-demo", "3.1");
    let mut inputs = github(&index, "");
    inputs.push(("INPUT_REPOSITORY-URL".into(), index.upload_url()));
    inputs.push(("INPUT_DRY-RUN".into(), "true".into()));
    let inputs: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let action = run_action(dir.path(), commands.path(), &inputs);
    assert_eq!(action.code, Some(0), "{}", action.all());
    assert!(
        action
            .all()
            .contains("dry run: the trusted-publishing exchange succeeded"),
        "{}",
        action.all()
    );
    let mask = action.stdout.lines().any(|l| l.starts_with("::add-mask::"));
    assert!(mask, "the minted token is masked first:\n{}", action.stdout);
    assert_no_secrets("action dry run", &action.all(), &[]);
    assert_eq!(
        count(&index.stats(), "files_received"),
        count(&before, "files_received")
    );
    // One mint per destination and run: the two dry runs, the real run stopped at signing,
    // the two destinations, the action.
    assert_eq!(
        count(&index.stats(), "tokens_minted"),
        count(&before, "tokens_minted") + 6
    );
    // A dry run burns what it minted, as a real run does.
    assert_eq!(
        count(&index.stats(), "tokens_burned"),
        count(&index.stats(), "tokens_minted")
    );
}

#[test]
fn an_index_without_trusted_publishing_is_explained() {
    let disabled = start_index(&["--oidc-disabled"]);
    let dir = tempdir();
    wheel(dir.path(), "tp-demo", "1.0");
    let run = upload(dir.path(), &disabled, &[], &github(&disabled, ""));
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.all().contains(
            "trusted publishing is disabled on 127.0.0.1: Trusted publishing functionality not enabled"
        ),
        "{}",
        run.all()
    );
    assert!(
        run.all().contains(
            "the index has turned trusted publishing off (PyPI does this during incidents)"
        ),
        "{}",
        run.all()
    );
    let plain = TestIndex::start(&["--token", "pypi-x"]);
    let issuer = start_index(&[]);
    let run = upload(dir.path(), &plain, &[], &github(&issuer, ""));
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.all().contains(
            "127.0.0.1 does not offer trusted publishing (GET /_/oidc/audience answered 404)"
        ),
        "{}",
        run.all()
    );
    assert!(
        run.all()
            .contains("this index has no trusted publishing: use an API token (--token)"),
        "{}",
        run.all()
    );
    assert_no_secrets("output", &run.all(), &[]);
}

/// A stand-in for the exchange endpoints that fails first: `script` is the statuses to
/// answer, in order, per path; afterwards it answers 200.
fn flaky_exchange(script: Vec<(&'static str, Vec<u16>)>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let counters: Vec<AtomicUsize> = script.iter().map(|_| AtomicUsize::new(0)).collect();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            log.lock().unwrap().push(path.clone());
            let i = script.iter().position(|(p, _)| *p == path);
            let status = i
                .and_then(|i| script[i].1.get(counters[i].fetch_add(1, Ordering::SeqCst)))
                .copied()
                .unwrap_or(200);
            let answer = match (status, path.as_str()) {
                (200, "/_/oidc/audience") => r#"{"audience":"pypi"}"#.to_string(),
                (200, _) => r#"{"success":true,"token":"pypi-flaky","expires":4102444800}"#.into(),
                (422, _) => r#"{"message":"Token request failed","errors":[{"code":"invalid-publisher","description":"valid token, but no corresponding publisher (Publisher with matching claims was not found)"}]}"#.into(),
                _ => r#"{"message":"Service Unavailable"}"#.into(),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, seen)
}

#[test]
fn audience_and_mint_retry_5xx_but_never_422() {
    use pypi_publish::auth::exchange::{Exchange, ExchangeError};
    use pypi_publish::http::{RetryPolicy, SafeUrl};
    use pypi_publish::secret::Secret;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let policy = RetryPolicy {
        base_delay: std::time::Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    let client = reqwest::Client::new();
    let (url, seen) = flaky_exchange(vec![
        ("/_/oidc/audience", vec![503, 502]),
        ("/_/oidc/mint-token", vec![500]),
    ]);
    let upload = SafeUrl::parse(&format!("{url}/legacy/")).unwrap();
    let exchange = Exchange::new(client.clone(), &upload, policy.clone());
    // The OIDC token request for the exchange retries as the exchange does.
    assert_eq!(exchange.retry(), &policy);
    runtime.block_on(async {
        assert_eq!(exchange.audience().await.unwrap(), "pypi");
        let minted = exchange.mint(&Secret::new("a.b.c")).await.unwrap();
        assert_eq!(minted.token.reveal(), "pypi-flaky");
    });
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "/_/oidc/audience",
            "/_/oidc/audience",
            "/_/oidc/audience",
            "/_/oidc/mint-token",
            "/_/oidc/mint-token"
        ]
    );

    let (url, seen) = flaky_exchange(vec![("/_/oidc/mint-token", vec![422, 422])]);
    let upload = SafeUrl::parse(&format!("{url}/legacy/")).unwrap();
    let exchange = Exchange::new(client, &upload, policy);
    let error = runtime
        .block_on(exchange.mint(&Secret::new("a.b.c")))
        .unwrap_err();
    assert!(
        matches!(error, ExchangeError::Refused { ref refusals, .. } if refusals[0].code == "invalid-publisher")
    );
    assert_eq!(*seen.lock().unwrap(), ["/_/oidc/mint-token"]);
}

/// Issue 16: a pending publisher used with the wrong project name: the exchange works (it
/// creates the publisher's project), the upload of the other project is refused by PyPI's
/// "Non-user identities cannot create new projects", and the hint says what to do.
#[test]
fn a_pending_publisher_for_another_name_is_explained() {
    let pending = r#"{"project":"pending-new","repository":"octo-repo","repository_owner":"octo-org","repository_owner_id":"10000001","workflow_filename":"pending.yml","pending":true}"#;
    let workflow = "octo-org/octo-repo/.github/workflows/pending.yml@refs/heads/main";
    let index = start_index(&["--publisher", pending]);
    let dir = tempdir();
    wheel(dir.path(), "other-new", "1.0");
    let env = github(
        &index,
        &format!("&workflow_ref={workflow}&job_workflow_ref={workflow}"),
    );
    let run = upload(dir.path(), &index, &[], &env);
    assert_eq!(run.code, Some(1), "{}", run.all());
    for want in [
        "Non-user identities cannot create new projects",
        "a trusted publisher can only upload to a project that exists",
    ] {
        assert!(
            run.all().contains(want),
            "missing {want:?} in\n{}",
            run.all()
        );
    }
    assert!(index.stored("other_new-1.0-py3-none-any.whl").is_none());
    assert_no_secrets("output", &run.all(), &[]);
}

/// Issue 16: an index that echoes the request (Authorization included) in its error page
/// must not make the minted token visible: answers are scrubbed of it.
#[test]
fn a_minted_token_echoed_by_the_index_is_scrubbed() {
    let index = start_index(&[]);
    let proxy = FaultProxy::start(
        &index.server.url,
        Plan {
            echo: Some(Echo::Posts(400)),
            ..Plan::none()
        },
    );
    let dir = tempdir();
    wheel(dir.path(), "tp-demo", "3.0");
    let url = format!("{}/legacy/", proxy.url);
    let env = github(&index, "");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = publish_env(
        dir.path(),
        &["upload", "--repository-url", &url, "--no-progress", "."],
        &env,
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    // The token the client sent, as the proxy saw it.
    let minted: Vec<String> = proxy
        .tally()
        .authorizations
        .iter()
        .filter_map(|a| a.strip_prefix("Basic "))
        .map(|b| {
            use base64::Engine;
            let raw = base64::engine::general_purpose::STANDARD.decode(b).unwrap();
            String::from_utf8(raw).unwrap()
        })
        .filter_map(|c| c.strip_prefix("__token__:").map(str::to_string))
        .collect();
    assert!(!minted.is_empty(), "no upload reached the index");
    assert!(
        run.all().contains("Request rejected"),
        "the echo did not come back: {}",
        run.all()
    );
    for token in &minted {
        for line in run.all().lines().filter(|l| !l.starts_with("::add-mask::")) {
            assert!(
                !line.contains(token.as_str()),
                "the minted token is shown: {line}"
            );
        }
    }
    assert_no_secrets("output", &run.all(), &[]);
}
