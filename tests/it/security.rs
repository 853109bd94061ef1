//! Secrets and transport security (issue 8), with the real binary:
//!
//! - no credential appears in anything the tool writes — stdout, stderr, `-v`, the JSON
//!   report, the action's outputs file, job summary and report — on success and on every
//!   error path, including servers that echo the request headers (Authorization) and the
//!   decoded credentials back in their error pages, and URLs with `user:password@`;
//! - credentials never follow a redirect to another origin, and nothing is sent over plain
//!   http to a host other than this machine without `--allow-http`;
//! - TLS is always verified: an index behind a certificate from a private CA works with
//!   `--ca-bundle` (or `SSL_CERT_FILE`) and fails with a clear certificate error without.

use crate::common;

use std::path::Path;
use std::process::Command;

use base64::Engine;
use common::dists::{self, metadata, wheel_members, wheel_owned};
use common::fault_proxy::{Echo, FaultProxy, Plan};
use common::servers::TestIndex;
use common::tls::{Pki, TlsFront};
use common::{Run, bin, publish_env, tempdir};

const TOKEN: &str = "pypi-LeakCanary-5e1f0a9d";
const PASSWORD: &str = "Hunter2/Leak+Canary";

/// Every printable form of a credential: as is, percent-encoded, in a Basic header.
fn forms(user: &str, secret: &str) -> Vec<String> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
    let encoded: String = secret
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    vec![
        secret.to_string(),
        encoded,
        basic.trim_end_matches('=').to_string(),
    ]
}

/// Fails if any form of `secret` is in any of `outputs` (name, text).
fn assert_clean(label: &str, user: &str, secret: &str, outputs: &[(&str, String)]) {
    for form in forms(user, secret) {
        for (name, text) in outputs {
            assert!(
                !text.contains(&form),
                "{label}: '{form}' in {name}:\n{text}"
            );
        }
    }
}

/// A two-file release at `version`.
fn release(dir: &Path, version: &str) {
    dists::release(dir, "leak-demo", version);
}

/// `upload` with the report; returns the run and the report's text.
fn upload(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Run, String) {
    let out = tempdir();
    let report = out.path().join("report.json");
    let mut all = vec!["upload", ".", "--no-progress", "--attempts", "2", "--json"];
    all.push(report.to_str().unwrap());
    all.extend_from_slice(args);
    let env: Vec<(&str, &str)> = [("PYPI_PUBLISH_RETRY_DELAYS_MS", "10,50")]
        .into_iter()
        .chain(env.iter().copied())
        .collect();
    let run = publish_env(dir, &all, &env);
    // A run refused before it planned anything (exit 2: a bad URL or setting) writes no
    // report; every other run must have written one.
    let json = if run.code == Some(2) && !report.exists() {
        String::new()
    } else {
        common::read_expected(&report)
    };
    (run, json)
}

#[test]
fn no_credential_in_any_output_of_upload() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let proxy = FaultProxy::start(&index.server.url, Plan::none());
    let url = format!("{}/legacy/", proxy.url);
    let dir = tempdir();
    release(dir.path(), "1.0");

    // Success, verbose, token given three ways.
    for (label, args, env) in [
        ("--token -v", vec!["--token", TOKEN, "-v"], vec![]),
        (
            "PYPI_PUBLISH_TOKEN",
            vec!["-v"],
            vec![("PYPI_PUBLISH_TOKEN", TOKEN)],
        ),
        (
            "TWINE_PASSWORD",
            vec!["-v"],
            vec![("TWINE_USERNAME", "__token__"), ("TWINE_PASSWORD", TOKEN)],
        ),
    ] {
        let mut args = args;
        args.extend(["--repository-url", &url]);
        let (run, json) = upload(dir.path(), &args, &env);
        assert_eq!(run.code, Some(0), "{label}: {}", run.all());
        assert_clean(
            label,
            "__token__",
            TOKEN,
            &[
                ("stdout", run.stdout),
                ("stderr", run.stderr),
                ("report", json),
            ],
        );
    }
    assert!(
        proxy
            .tally()
            .authorizations
            .iter()
            .all(|a| a.starts_with("Basic "))
    );

    // A server that echoes the request — headers and decoded credentials — in its errors:
    // a refusal (400), a transient error until the attempts run out (503), a lookup (403).
    let other = tempdir();
    release(other.path(), "2.0");
    for echo in [Echo::Posts(400), Echo::Posts(503), Echo::Gets(403)] {
        proxy.set_plan(Plan {
            echo: Some(echo),
            ..Plan::none()
        });
        let label = format!("{echo:?}");
        let (run, json) = upload(
            other.path(),
            &[
                "--repository-url",
                &url,
                "-u",
                "alice",
                "-p",
                PASSWORD,
                "-v",
            ],
            &[],
        );
        assert_eq!(run.code, Some(1), "{label}: {}", run.all());
        // The echo reached the output — masked (else this test could not fail).
        assert!(
            run.stderr.contains("Request rejected"),
            "{label}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("Basic ****"), "{label}: {}", run.stderr);
        assert_clean(
            &label,
            "alice",
            PASSWORD,
            &[
                ("stdout", run.stdout),
                ("stderr", run.stderr),
                ("report", json),
            ],
        );
    }

    // Credentials in the URL's userinfo: used (the index accepts them), never shown — not
    // in the table's links, the report's URLs, nor any error.
    proxy.set_plan(Plan::none());
    let with_userinfo = url.replacen("http://", &format!("http://__token__:{TOKEN}@"), 1);
    let third = tempdir();
    release(third.path(), "3.0");
    let (run, json) = upload(third.path(), &["--repository-url", &with_userinfo], &[]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(json.contains("http://****@127.0.0.1"), "{json}");
    let mut outputs = vec![
        ("stdout", run.stdout),
        ("stderr", run.stderr),
        ("report", json),
    ];
    proxy.set_plan(Plan {
        echo: Some(Echo::Posts(400)),
        ..Plan::none()
    });
    let fourth = tempdir();
    release(fourth.path(), "4.0");
    let (run, json) = upload(fourth.path(), &["--repository-url", &with_userinfo], &[]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    outputs.extend([
        ("stdout (echo)", run.stdout),
        ("stderr (echo)", run.stderr),
        ("report (echo)", json),
    ]);
    // Unusable URLs: unparsable, another scheme, a simple-index URL — and a dead port.
    for bad in [
        format!("https://__token__:{TOKEN}@example.org:99999/legacy/"),
        format!("ftp://__token__:{TOKEN}@example.org/"),
        format!("https://__token__:{TOKEN}@example.org/simple/"),
        format!("http://__token__:{TOKEN}@127.0.0.1:1/legacy/"),
    ] {
        let (run, json) = upload(fourth.path(), &["--repository-url", &bad], &[]);
        assert!(matches!(run.code, Some(1 | 2)), "{bad}: {}", run.all());
        outputs.extend([
            ("stdout (bad URL)", run.stdout),
            ("stderr (bad URL)", run.stderr),
            ("report (bad URL)", json),
        ]);
    }
    assert_clean("URL userinfo", "__token__", TOKEN, &outputs);

    // Conflict and preflight failures, verbose.
    proxy.set_plan(Plan::none());
    let conflict = tempdir();
    release(conflict.path(), "1.0");
    std::fs::write(conflict.path().join("leak_demo-1.0.tar.gz"), b"other bytes").unwrap();
    let (run, json) = upload(
        conflict.path(),
        &["--repository-url", &url, "--token", TOKEN, "-v"],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert_clean(
        "preflight",
        "__token__",
        TOKEN,
        &[
            ("stdout", run.stdout),
            ("stderr", run.stderr),
            ("report", json),
        ],
    );
    let conflict = tempdir();
    release(conflict.path(), "1.0");
    std::fs::remove_file(conflict.path().join("leak_demo-1.0.tar.gz")).unwrap();
    wheel_owned(
        conflict.path(),
        "leak_demo-1.0-py3-none-any.whl",
        &wheel_members(
            "leak_demo-1.0",
            &metadata("leak-demo", "1.0", "Keywords: changed\n"),
        ),
    );
    let (run, json) = upload(
        conflict.path(),
        &["--repository-url", &url, "--token", TOKEN, "-v"],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.all().contains("different file of this name"),
        "{}",
        run.all()
    );
    assert_clean(
        "conflict",
        "__token__",
        TOKEN,
        &[
            ("stdout", run.stdout),
            ("stderr", run.stderr),
            ("report", json),
        ],
    );
}

/// Runs the action as the runner does; returns the run and the files it wrote.
fn action(workspace: &Path, inputs: &[(&str, &str)]) -> (Run, Vec<(&'static str, String)>) {
    let commands = tempdir();
    let mut cmd = Command::new(bin());
    cmd.arg("action").current_dir(workspace).env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", commands.path().join("output"))
        .env("GITHUB_STEP_SUMMARY", commands.path().join("summary"))
        .env("RUNNER_TEMP", commands.path())
        .env("NO_PROXY", "*")
        .env("PYPI_PUBLISH_RETRY_DELAYS_MS", "10,50")
        .env("INPUT_USER", "__token__")
        .env("INPUT_PACKAGES-DIR", "dist")
        .env("INPUT_VERBOSE", "true")
        .env("INPUT_PRINT-HASH", "true");
    for (k, v) in inputs {
        cmd.env(k, v);
    }
    let run: Run = cmd.output().unwrap().into();
    // A run refused before it published anything (a bad input, a refused URL) writes none
    // of these; one that published must have written all three.
    let refused_early = !commands.path().join("output").exists();
    let read = |name: &str| common::read_expected(&commands.path().join(name));
    let files = if refused_early {
        Vec::new()
    } else {
        vec![
            ("outputs file", read("output")),
            ("job summary", read("summary")),
            ("report", read("pypi-publish-report.json")),
        ]
    };
    (run, files)
}

#[test]
fn no_credential_in_any_output_of_the_action() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let proxy = FaultProxy::start(&index.server.url, Plan::none());
    let url = format!("{}/legacy/", proxy.url);
    let workspace = tempdir();
    let dist = workspace.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    release(&dist, "1.0");
    for (label, plan, code) in [
        ("success", Plan::none(), 0),
        (
            "echoed refusal",
            Plan {
                echo: Some(Echo::Posts(400)),
                ..Plan::none()
            },
            1,
        ),
    ] {
        proxy.set_plan(plan);
        if code == 1 {
            std::fs::remove_dir_all(&dist).unwrap();
            std::fs::create_dir(&dist).unwrap();
            release(&dist, "2.0");
        }
        let (run, files) = action(
            workspace.path(),
            &[("INPUT_PASSWORD", TOKEN), ("INPUT_REPOSITORY-URL", &url)],
        );
        assert_eq!(run.code, Some(code), "{label}: {}", run.all());
        assert_eq!(
            files.len(),
            3,
            "{label}: outputs, summary and report are written"
        );
        // The mask comes first; it is the one line that must carry the secret.
        assert_eq!(
            run.stdout.lines().next(),
            Some(format!("::add-mask::{TOKEN}").as_str()),
            "{label}"
        );
        let stdout: String = run
            .stdout
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .collect::<Vec<_>>()
            .join("\n");
        if code == 1 {
            let summary = &files[1].1;
            assert!(summary.contains("Request rejected"), "{summary}");
        }
        let mut outputs = vec![("stdout", stdout), ("stderr", run.stderr)];
        outputs.extend(files);
        assert_clean(label, "__token__", TOKEN, &outputs);
    }
}

#[test]
fn credentials_never_follow_a_redirect_to_another_origin() {
    let index = TestIndex::start(&["--token", TOKEN]);
    // `elsewhere` is another origin (another port) in front of the same index.
    let elsewhere = FaultProxy::start(&index.server.url, Plan::none());
    let redirecting = |posts, gets, status| Plan {
        redirect: Some((status, elsewhere.url.clone(), posts, gets)),
        ..Plan::none()
    };
    let front = FaultProxy::start(&index.server.url, redirecting(true, false, 307));
    let url = format!("{}/legacy/", front.url);

    // An upload redirected elsewhere is not followed: nothing reaches the other origin.
    let dir = tempdir();
    release(dir.path(), "1.0");
    let (run, _) = upload(
        dir.path(),
        &["--repository-url", &url, "--token", TOKEN],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    let expected = format!(
        "the index redirected the upload (307) to {}/legacy/",
        elsewhere.url
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("credentials are never sent to another URL"),
        "{}",
        run.stderr
    );
    assert_eq!(elsewhere.tally().posts, 0);
    assert_eq!(index.stats()["upload_requests"], 0);

    // A lookup redirected elsewhere is followed without the credentials; uploads still go,
    // with them, to the origin they were given for.
    front.set_plan(redirecting(false, true, 302));
    let (run, _) = upload(
        dir.path(),
        &["--repository-url", &url, "--token", TOKEN],
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    let (there, here) = (elsewhere.tally(), front.tally());
    assert!(there.gets > 0, "the lookup was not redirected");
    assert!(
        there.authorizations.is_empty(),
        "{:?}",
        there.authorizations
    );
    assert_eq!(here.authorizations.len() as u64, here.posts + here.gets);
    assert_eq!(index.stats()["uploads_stored"], 2);
}

/// A same-origin redirect loop is followed five hops, then given up with the redirect
/// named: for the uploads, the lookups and the dry run's probe alike.
#[test]
fn a_redirect_loop_is_given_up_after_five_hops() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let front = FaultProxy::start(&index.server.url, Plan::none());
    let to_itself = |status, posts, gets| Plan {
        redirect: Some((status, front.url.clone(), posts, gets)),
        ..Plan::none()
    };
    let url = format!("{}/legacy/", front.url);
    let dir = tempdir();
    release(dir.path(), "1.0");
    let args = ["--repository-url", url.as_str(), "--token", TOKEN];
    // Requests the proxy saw since the last call: (uploads, lookups).
    let seen = std::cell::Cell::new((0, 0));
    let since = || {
        let (t, (p, g)) = (front.tally(), seen.get());
        seen.set((t.posts, t.gets));
        (t.posts - p, t.gets - g)
    };

    front.set_plan(to_itself(307, true, false));
    let (run, _) = upload(dir.path(), &args, &[]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    let named = format!("the index redirected the upload (307) to {url}");
    assert!(run.stderr.contains(&named), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "hint: the index kept redirecting the upload (5 redirects followed): a redirect loop"
        ),
        "{}",
        run.stderr
    );
    // Each file: its POST and five redirected ones.
    assert_eq!(since().0, 12, "{}", run.all());

    front.set_plan(to_itself(307, true, false));
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let (run, _) = upload(dir.path(), &dry, &[]);
    assert_ne!(run.code, Some(0), "{}", run.all());
    assert!(run.all().contains(&named), "{}", run.all());
    assert_eq!(since().0, 6, "{}", run.all());

    front.set_plan(to_itself(302, false, true));
    let (run, _) = upload(dir.path(), &args, &[]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr
            .contains("cannot look up what the index already has for 'leak-demo'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: the index kept redirecting the lookup (a redirect loop)"),
        "{}",
        run.stderr
    );
    // A GET and its five redirects, not tried again: a loop stays a loop.
    assert_eq!(since().1, 6, "{}", run.all());
    assert_eq!(index.stats()["upload_requests"], 0);
}

#[test]
fn plain_http_only_to_this_machine_unless_allowed() {
    let dir = tempdir();
    release(dir.path(), "1.0");
    for args in [
        vec!["--repository-url", "http://pypi.example.test/legacy/"],
        vec![
            "--repository-url",
            "https://pypi.example.test/legacy/",
            "--check-url",
            "http://mirror.example.test/simple/",
        ],
    ] {
        let mut all = args.clone();
        all.extend(["--token", TOKEN]);
        let (run, _) = upload(dir.path(), &all, &[]);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.all());
        assert!(
            run.stderr
                .contains("refusing to send credentials over plain http to ")
                && run
                    .stderr
                    .contains("pass --allow-http if this network is trusted"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("Uploading"), "{}", run.stderr);
    }
    // The action has no --allow-http at all.
    let workspace = tempdir();
    std::fs::create_dir(workspace.path().join("dist")).unwrap();
    release(&workspace.path().join("dist"), "1.0");
    let (run, _) = action(
        workspace.path(),
        &[
            ("INPUT_PASSWORD", TOKEN),
            ("INPUT_REPOSITORY-URL", "http://pypi.example.test/legacy/"),
        ],
    );
    assert_ne!(run.code, Some(0), "{}", run.all());
    assert!(
        run.all()
            .contains("refusing to send credentials over plain http"),
        "{}",
        run.all()
    );
}

#[test]
fn tls_is_verified_and_a_private_ca_comes_only_from_ca_bundle() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let pki = Pki::new(&["127.0.0.1"]);
    let front = TlsFront::start(&pki, &index.server.url);
    let url = format!("{}/legacy/", front.url);
    let certs = tempdir();
    let ca = certs.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();

    // Without the CA: a clear certificate error, and nothing sent.
    let dir = tempdir();
    release(dir.path(), "1.0");
    let (run, _) = upload(
        dir.path(),
        &["--repository-url", &url, "--token", TOKEN],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.stderr.contains("UnknownIssuer"), "{}", run.stderr);
    assert!(
        run.stderr.contains("hint: the server's TLS certificate is not trusted: if an internal CA signed it, pass --ca-bundle FILE"),
        "{}",
        run.stderr
    );
    assert_eq!(index.stats()["simple_requests"], 0);
    // The same, met by the uploads themselves (the index looked at over plain http): each
    // file fails with the certificate's error and the same hint, and none is stored.
    let simple = index.simple_url();
    let (run, _) = upload(
        dir.path(),
        &[
            "--repository-url",
            &url,
            "--check-url",
            &simple,
            "--token",
            TOKEN,
        ],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert_eq!(
        run.stderr
            .matches("hint: the server's TLS certificate is not trusted: if an internal CA signed it, pass --ca-bundle FILE")
            .count(),
        2,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("connection failed"), "{}", run.stderr);
    assert_eq!(index.stats()["uploads_stored"], 0);

    // With it, by option and by SSL_CERT_FILE.
    let (run, _) = upload(
        dir.path(),
        &[
            "--repository-url",
            &url,
            "--token",
            TOKEN,
            "--ca-bundle",
            ca.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert_eq!(index.stats()["uploads_stored"], 2);
    let again = tempdir();
    release(again.path(), "2.0");
    let (run, _) = upload(
        again.path(),
        &["--repository-url", &url, "--token", TOKEN],
        &[("SSL_CERT_FILE", ca.to_str().unwrap())],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert_eq!(index.stats()["uploads_stored"], 4);

    // The right CA does not excuse a certificate for another name.
    let misnamed = Pki::new(&["pypi.example.test"]);
    let front = TlsFront::start(&misnamed, &index.server.url);
    std::fs::write(&ca, &misnamed.ca_pem).unwrap();
    let third = tempdir();
    release(third.path(), "3.0");
    let url = format!("{}/legacy/", front.url);
    let (run, _) = upload(
        third.path(),
        &[
            "--repository-url",
            &url,
            "--token",
            TOKEN,
            "--ca-bundle",
            ca.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr.contains("certificate is for another host name"),
        "{}",
        run.stderr
    );
    assert_eq!(index.stats()["uploads_stored"], 4);
}
