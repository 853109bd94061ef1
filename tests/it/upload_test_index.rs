//! Uploads to the Warehouse-faithful test index: the form this tool sends compared field by
//! field with the one `twine upload` (7.x) sends for the same files; a same-origin 308 from
//! `/legacy` re-POSTed; `--dry-run` sending nothing; PyPI's own refusals passed through.

use crate::common;

use std::collections::BTreeMap;
use std::process::Command;

use common::dists::{metadata, sdist_tar, wheel_members, wheel_owned};
use common::servers::TestIndex;
use common::{Run, publish, publish_env, read_expected, tempdir, venv_bin};

const TOKEN: &str = "pypi-FormFidelity-4242";

fn rich_metadata(version: &str) -> String {
    metadata(
        "Form.Demo",
        version,
        "Author-email: Alice <alice@example.org>\nKeywords: one,two\nProject-URL: Source, https://example.org/src\nProject-URL: Docs, https://example.org/docs\nRequires-Dist: packaging>=24\nRequires-Dist: rich; extra == \"cli\"\nProvides-Extra: cli\nClassifier: License :: OSI Approved :: MIT License\nLicense: MIT\n",
    )
}

fn build(dir: &std::path::Path) -> Vec<String> {
    let meta = rich_metadata("1.0");
    wheel_owned(
        dir,
        "form_demo-1.0-py3-none-any.whl",
        &wheel_members("form_demo-1.0", &meta),
    );
    sdist_tar(
        dir,
        "form_demo-1.0.tar.gz",
        &[
            ("form_demo-1.0/PKG-INFO", meta.as_bytes()),
            ("form_demo-1.0/pyproject.toml", b""),
        ],
    );
    vec![
        "form_demo-1.0-py3-none-any.whl".into(),
        "form_demo-1.0.tar.gz".into(),
    ]
}

fn as_map(form: &serde_json::Value) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in form.as_array().unwrap() {
        let key = pair[0].as_str().unwrap().to_string();
        let value = match &pair[1] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        map.entry(key).or_default().push(value);
    }
    map
}

#[test]
fn form_matches_twine_field_by_field() {
    let ours = TestIndex::start(&["--token", TOKEN]);
    let twines = TestIndex::start(&["--token", TOKEN]);
    let dir = tempdir();
    let files = build(dir.path());

    let run = publish(
        dir.path(),
        &[
            "upload",
            ".",
            "--repository-url",
            &ours.upload_url(),
            "--token",
            TOKEN,
            "--no-progress",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    // Wheels before sdists (issue 16): installers never see an sdist-only release.
    let uploaded_at = |file: &str| {
        ours.stored(file).unwrap()["upload_time_us"]
            .as_u64()
            .unwrap()
    };
    assert!(
        uploaded_at("form_demo-1.0-py3-none-any.whl") < uploaded_at("form_demo-1.0.tar.gz"),
        "the sdist went up before the wheel"
    );
    let twine: Run = Command::new(venv_bin("twine"))
        .args([
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            &twines.upload_url(),
            "-u",
            "__token__",
            "-p",
            TOKEN,
        ])
        .args(&files)
        .current_dir(dir.path())
        .output()
        .unwrap()
        .into();
    assert_eq!(twine.code, Some(0), "{}", twine.all());

    for file in &files {
        let (a, b) = (as_map(&ours.form(file)), as_map(&twines.form(file)));
        // Intended differences, each documented in docs/cli.md (Form fidelity):
        // - twine sends md5_digest; PyPI documents it as base64 but compares hex, so we send none.
        // - twine sends `comment` and legacy empty fields; empty values carry nothing.
        // - requires_python is sent even when empty (GitLab needs it).
        let ignore = ["md5_digest", "comment"];
        let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for key in keys {
            if ignore.contains(&key.as_str()) {
                continue;
            }
            let (x, y) = (
                a.get(key).cloned().unwrap_or_default(),
                b.get(key).cloned().unwrap_or_default(),
            );
            // Keywords: we send the metadata value verbatim; twine re-joins it with ", ".
            let norm = |v: Vec<String>| {
                v.into_iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        if key == "keywords" {
                            s.split(',').map(str::trim).collect::<Vec<_>>().join(",")
                        } else {
                            s
                        }
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                norm(x),
                norm(y),
                "{file}: field '{key}' differs from twine's"
            );
        }
        assert!(
            !a.contains_key("md5_digest"),
            "{file}: we must not send md5"
        );
        assert_eq!(a["name"], ["Form.Demo"], "the name is sent verbatim");
        assert_eq!(a["classifiers"].len(), 2);
        assert_eq!(
            a["project_urls"],
            [
                "Source, https://example.org/src",
                "Docs, https://example.org/docs"
            ]
        );
    }
}

#[test]
fn legacy_without_slash_dry_run_and_refusals() {
    let index = TestIndex::start(&["--token", TOKEN, "--max-file-size", "2000"]);
    let dir = tempdir();
    build(dir.path());

    // --dry-run: the index is looked at and the credentials proven by one request that
    // carries no file; nothing is sent.
    let out = tempdir();
    let report = out.path().join("report.json");
    let run = publish(
        dir.path(),
        &[
            "upload",
            ".",
            "--repository-url",
            &index.upload_url(),
            "--token",
            TOKEN,
            "--dry-run",
            "--no-progress",
            "--json",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(run.stdout.contains("would upload"), "{}", run.stdout);
    let report: serde_json::Value = serde_json::from_str(&read_expected(&report)).unwrap();
    assert_eq!(report["dry_run"], true, "{report:#}");
    let statuses: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["would-upload", "would-upload"], "{report:#}");
    // The table says it per file, in words.
    for line in run
        .stdout
        .lines()
        .filter(|l| l.starts_with("form_demo-1.0"))
    {
        assert!(line.contains(" would upload "), "{line}");
    }
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.starts_with("form_demo-1.0"))
            .count(),
        2,
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(&format!(
            "dry run: {} takes these credentials (a request without a file was answered 400 Unknown protocol version.)",
            index.upload_url()
        )),
        "{}",
        run.stderr
    );
    let stats = index.stats();
    assert_eq!(
        (&stats["upload_requests"], &stats["files_received"]),
        (&1.into(), &0.into())
    );

    // `/legacy` answers 308 to `/legacy/`: the POST is repeated there, with the body.
    // The dry run's probe follows it too, and proves the URL it landed on.
    let no_slash = index.upload_url().trim_end_matches('/').to_string();
    let simple = index.simple_url();
    let to_no_slash = |extra: &[&str]| {
        let mut args = vec!["upload", ".", "--repository-url", &no_slash];
        args.extend(["--check-url", &simple, "--token", TOKEN, "--no-progress"]);
        args.extend(extra);
        publish(dir.path(), &args)
    };
    let dry = to_no_slash(&["--dry-run"]);
    assert_eq!(dry.code, Some(0), "{}", dry.all());
    assert!(
        dry.stderr.contains(&format!(
            "dry run: {} takes these credentials",
            index.upload_url()
        )),
        "{}",
        dry.stderr
    );
    let run = to_no_slash(&[]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert_eq!(index.stats()["uploads_stored"], 2);

    // PyPI's size limit message comes through with the hint.
    let big = tempdir();
    let mut members = wheel_members("form_demo-2.0", &rich_metadata("2.0"));
    members.push((
        "form_demo/blob.bin".into(),
        (0..50_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect(),
    ));
    wheel_owned(big.path(), "form_demo-2.0-py3-none-any.whl", &members);
    let run = publish(
        big.path(),
        &[
            "upload",
            ".",
            "--repository-url",
            &index.upload_url(),
            "--token",
            TOKEN,
            "--no-progress",
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.stderr.contains("File too large."), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("hint: the file is over the index's size limit"),
        "{}",
        run.stderr
    );
    // A refusal for good: re-running as it is would meet the same answer.
    assert!(!run.stderr.contains("re-run"), "{}", run.stderr);
    // About this file, not the run's configuration: the file fails, the run is not stopped.
    assert!(
        run.stderr
            .contains("error: 1 of 1 file(s) failed to upload"),
        "{}",
        run.stderr
    );

    // A simple-index URL given as the upload URL is caught before anything is sent.
    let run = publish(
        dir.path(),
        &[
            "upload",
            ".",
            "--repository-url",
            &index.simple_url(),
            "--token",
            TOKEN,
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.all());
    assert!(
        run.stderr.contains("looks like a simple-index URL")
            && run.stderr.contains(&index.upload_url()),
        "{}",
        run.stderr
    );

    // A wrong token: PyPI's 403 text and our hint; the token never printed. The dry run
    // meets the same refusal, word for word, without sending the file.
    let other = tempdir();
    wheel_owned(
        other.path(),
        "form_demo-3.0-py3-none-any.whl",
        &wheel_members("form_demo-3.0", &rich_metadata("3.0")),
    );
    let wrong = |extra: &[&str]| {
        let url = index.upload_url();
        let mut args = vec!["upload", ".", "--repository-url", &url];
        args.extend(["--token", "pypi-Wrong-31337", "--no-progress"]);
        args.extend_from_slice(extra);
        publish(other.path(), &args)
    };
    let received = index.stats()["files_received"].clone();
    let dry = wrong(&["--dry-run"]);
    assert_eq!(dry.code, Some(1), "{}", dry.all());
    assert_eq!(index.stats()["files_received"], received);
    let run = wrong(&[]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr
            .contains("Invalid or non-existent authentication information"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: the credentials were refused"),
        "{}",
        run.stderr
    );
    let diagnosis = |r: &Run| -> Vec<String> {
        r.stderr
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("error:") || l.starts_with("hint:"))
            // Nothing is attempted in a dry run: only the count of untried files differs.
            .map(|l| l.split("; ").next().unwrap_or(l).to_string())
            .collect()
    };
    assert_eq!(
        diagnosis(&dry),
        diagnosis(&run),
        "{}\n{}",
        dry.all(),
        run.all()
    );
    assert_eq!(diagnosis(&run).len(), 2, "{}", run.stderr);
    assert!(!run.all().contains("pypi-Wrong-31337") && !dry.all().contains("pypi-Wrong-31337"));
}

/// Issue 12: PyPI takes no new files into a release older than 14 days. The plan reads the
/// release's age from the JSON simple API (PEP 700 `upload-time`) and refuses before any
/// byte is sent; an identical file is still skipped; a younger release still takes files.
#[test]
fn issue12_fourteen_day_rule_is_refused_in_the_plan() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let dir = tempdir();
    build(dir.path());
    let (upload_url, simple_url) = (index.upload_url(), index.simple_url());
    let upload = |args: &[&str]| {
        let mut all = vec![
            "upload",
            "--repository-url",
            &upload_url,
            "--check-url",
            &simple_url,
            "--token",
            TOKEN,
            "--no-progress",
        ];
        all.extend_from_slice(args);
        publish(dir.path(), &all)
    };
    let run = upload(&["form_demo-1.0-py3-none-any.whl"]);
    assert_eq!(run.code, Some(0), "{}", run.all());

    // 10 days old: still open.
    index.age_release("form-demo", "1.0", 10);
    let run = upload(&["form_demo-1.0.tar.gz", "--dry-run"]);
    assert_eq!(run.code, Some(0), "{}", run.all());

    // 20 days old: the new sdist is refused before anything is sent; the wheel is skipped.
    // The dry run says so too, in the same words.
    index.age_release("form-demo", "1.0", 10);
    let requests = index.stats()["upload_requests"].as_u64().unwrap();
    let dry = upload(&[".", "--dry-run"]);
    let run = upload(&["."]);
    assert_eq!((dry.code, run.code), (Some(1), Some(1)), "{}", run.all());
    let refusal = |r: &Run| {
        r.stderr
            .lines()
            .filter(|l| l.contains("error:"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(refusal(&dry), refusal(&run));
    assert!(!refusal(&run).is_empty());
    assert!(
        run.stdout.contains(
            "form_demo-1.0.tar.gz: Uploading new files to releases older than 14 days is not allowed. (Form.Demo 1.0 was first uploaded 20 days ago)"
        ),
        "{}",
        run.all()
    );
    assert!(
        run.stderr
            .contains("hint: PyPI takes new files into a release only during its first 14 days"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("form_demo-1.0-py3-none-any.whl: already present"),
        "{}",
        run.all()
    );
    assert_eq!(index.stats()["upload_requests"].as_u64().unwrap(), requests);
    assert!(index.stored("form_demo-1.0.tar.gz").is_none());
    assert!(
        run.stderr.contains(
            "error: 1 file(s) would be added to a release closed to new files; nothing was uploaded"
        ),
        "{}",
        run.stderr
    );
    // Beside a wheel of the same name with other bytes: both kinds, counted apart.
    let other = tempdir();
    build(other.path());
    let rebuilt = rich_metadata("1.0").replace("Summary: ", "Summary: Rebuilt: ");
    wheel_owned(
        other.path(),
        "form_demo-1.0-py3-none-any.whl",
        &wheel_members("form_demo-1.0", &rebuilt),
    );
    let mut args = vec![
        "upload",
        "--repository-url",
        &upload_url,
        "--check-url",
        &simple_url,
        "--token",
        TOKEN,
        "--no-progress",
        ".",
    ];
    let mixed = publish(other.path(), &args);
    assert_eq!(mixed.code, Some(1), "{}", mixed.all());
    assert!(
        mixed.stderr.contains(
            "error: 1 file(s) conflict with the index and 1 would be added to a release closed to new files; nothing was uploaded"
        ),
        "{}",
        mixed.stderr
    );
    args.pop();
    args.push("form_demo-1.0-py3-none-any.whl");
    let conflict = publish(other.path(), &args);
    assert!(
        conflict
            .stderr
            .contains("error: 1 file(s) conflict with the index; nothing was uploaded"),
        "{}",
        conflict.stderr
    );
    assert_eq!(index.stats()["upload_requests"].as_u64().unwrap(), requests);

    // An index whose simple pages carry no upload times (HTML): the index refuses, with
    // PyPI's message, and the same hint.
    let html = TestIndex::start(&["--token", TOKEN, "--html-only"]);
    let to_html = |file: &str| {
        publish(
            dir.path(),
            &[
                "upload",
                file,
                "--repository-url",
                &html.upload_url(),
                "--token",
                TOKEN,
                "--no-progress",
            ],
        )
    };
    assert_eq!(to_html("form_demo-1.0-py3-none-any.whl").code, Some(0));
    html.age_release("form-demo", "1.0", 15);
    let run = to_html("form_demo-1.0.tar.gz");
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr
            .contains("Uploading new files to releases older than 14 days is not allowed.")
            && run.stderr.contains(
                "hint: PyPI takes new files into a release only during its first 14 days"
            ),
        "{}",
        run.stderr
    );
}

/// Issue 14, point 3: globs and several folders. A quoted glob uploads exactly what it
/// matches; stray files beside the distributions are passed over without a word; the same
/// file reached twice is sent once; a glob that matches nothing stops the run naming it,
/// before anything is sent.
#[test]
fn issue14_globs_folders_and_the_same_file_twice() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let dir = tempdir();
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let names = build(&dist);
    let strays = [
        "form_demo-1.0.tar.gz.asc",
        "form_demo-1.0-py3-none-any.whl.publish.attestation",
        "form_demo-1.0.tar.gz.sigstore.json",
        "SHA256SUMS.txt",
        "build-info.json",
    ];
    for stray in strays {
        std::fs::write(dist.join(stray), "not a distribution").unwrap();
    }
    let url = index.upload_url();
    let upload = |paths: &[&str]| {
        let mut args = vec!["upload"];
        args.extend(paths);
        args.extend(["--repository-url", &url, "--token", TOKEN]);
        args.push("--no-progress");
        publish(dir.path(), &args)
    };

    // A glob that matches nothing: one line naming it, exit 1 or 2, nothing looked at or sent.
    let run = upload(&["dist/*.whl", "dist/*.zip"]);
    assert_ne!(run.code, Some(0), "{}", run.all());
    let error = "no distributions (.whl, .tar.gz, .zip) match 'dist/*.zip'";
    assert!(run.stderr.contains(error), "{}", run.all());
    let stats = index.stats();
    assert_eq!(
        (
            stats["upload_requests"].as_u64(),
            stats["simple_requests"].as_u64()
        ),
        (Some(0), Some(0))
    );

    // The glob uploads exactly the wheel, not the sdist beside it.
    let run = upload(&["dist/*.whl"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(index.stored(&names[0]).is_some());
    assert!(index.stored(&names[1]).is_none(), "{}", run.all());
    assert_eq!(index.stats()["upload_requests"], 1);

    // The folder and a glob over it, and the folder once more as ./dist: the sdist is sent
    // once, the stray files are not mentioned anywhere.
    let run = upload(&["dist", "dist/*", "./dist/", "**/dist/*.tar.gz"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert_eq!(index.stats()["upload_requests"], 2, "{}", run.all());
    assert_eq!(index.stats()["uploads_stored"], 2);
    for stray in strays {
        assert!(!run.all().contains(stray), "{stray}: {}", run.all());
    }
    for name in &names {
        assert_eq!(
            run.stdout.matches(name.as_str()).count(),
            1,
            "{name} once in the table: {}",
            run.stdout
        );
    }
}

/// Issue 14, point 6: `--index NAME` reads `[[tool.uv.index]]` from the project's
/// `pyproject.toml` (the current directory), as `uv publish --index` does: uploads go to its
/// `publish-url`, and its `url` is where the index is looked at. The index takes uploads at
/// `/upload/`, a layout no check URL can be derived from: only the `url` of the entry lets
/// the re-run see the files are already there.
#[test]
fn issue14_index_from_pyproject_uses_publish_url_and_url() {
    let index = TestIndex::start(&["--token", TOKEN, "--upload-path", "/upload/"]);
    let project = tempdir();
    let dist = project.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let names = build(&dist);
    std::fs::write(
        project.path().join("pyproject.toml"),
        format!(
            "[project]\nname = \"form-demo\"\nversion = \"1.0\"\n\n\
             [[tool.uv.index]]\nname = \"pytorch\"\nurl = \"https://download.pytorch.org/whl/cpu\"\n\n\
             [[tool.uv.index]]\nname = \"local\"\nurl = \"{}/simple\"\npublish-url = \"{}/upload/\"\nexplicit = true\n",
            index.server.url, index.server.url
        ),
    )
    .unwrap();
    let upload = |more: &[&str]| {
        let mut args = vec!["upload", "dist", "--index", "local", "--no-progress"];
        args.extend(more);
        publish(project.path(), &args)
    };
    let run = upload(&["--token", TOKEN]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(
        run.stderr.contains("(index 'local' of pyproject.toml)"),
        "{}",
        run.stderr
    );
    for name in &names {
        assert!(index.stored(name).is_some(), "{name}: {}", run.all());
    }
    let before = index.stats();
    let again = upload(&["--token", TOKEN]);
    assert_eq!(again.code, Some(0), "{}", again.all());
    assert!(
        again.stdout.contains("2 already present"),
        "{}",
        again.stdout
    );
    let after = index.stats();
    assert_eq!(after["upload_requests"], before["upload_requests"]);
    assert!(after["simple_requests"].as_u64() > before["simple_requests"].as_u64());

    // An entry without publish-url, and a name that is not there: one line each, naming
    // the file; nothing sent.
    let run = upload(&["--index", "pytorch"]);
    assert_eq!(run.code, Some(2), "{}", run.all());
    let run = publish(
        project.path(),
        &["upload", "dist", "--index", "pytorch", "--token", TOKEN],
    );
    assert!(
        run.stderr.contains("index 'pytorch' in ") && run.stderr.contains("has no publish-url"),
        "{}",
        run.all()
    );
    let run = publish(
        project.path(),
        &["upload", "dist", "--index", "nope", "--token", TOKEN],
    );
    assert_eq!(run.code, Some(2), "{}", run.all());
    assert!(
        run.stderr.contains("index 'nope' is not in ")
            && run.stderr.contains("(found: pytorch, local)"),
        "{}",
        run.all()
    );
    assert_eq!(index.stats()["upload_requests"], after["upload_requests"]);
}

/// Issue 14, point 6: flags, then environment variables, then `.pypirc`. The file's
/// password goes only to the file's URL, and is never printed, even when refused.
#[test]
fn issue14_pypirc_precedence_flags_then_environment_then_file() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let dir = tempdir();
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    build(&dist);
    let dead = "http://127.0.0.1:9/legacy/";
    let pypirc = dir.path().join("pypirc");
    let write = |url: &str, password: &str| {
        std::fs::write(
            &pypirc,
            format!(
                "[distutils]\nindex-servers =\n    local\n\n[local]\nrepository: {url}\nusername = __token__\npassword = {password}\n"
            ),
        )
        .unwrap()
    };
    let config = pypirc.display().to_string();
    let upload = |more: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["upload", "dist", "-r", "local", "--config-file", &config];
        args.push("--no-progress");
        args.extend(more);
        publish_env(dir.path(), &args, env)
    };
    let live = index.upload_url();
    let wrong = "pypi-WrongFromFile-0000";

    // The file alone: its URL, its (wrong) password: refused by the index, never printed.
    write(&live, wrong);
    let run = upload(&["--verbose"], &[]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.all().contains("403"), "{}", run.all());
    assert_eq!(index.stats()["uploads_stored"], 0);
    assert!(
        run.stderr
            .contains("Using credentials from the repository's username/password in .pypirc"),
        "{}",
        run.all()
    );
    assert!(!run.all().contains(wrong), "{}", run.all());
    // Environment beats the file for the password; a flag beats both.
    let run = upload(&["--dry-run"], &[("TWINE_PASSWORD", TOKEN)]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(
        run.stderr.contains("TWINE_USERNAME/TWINE_PASSWORD"),
        "{}",
        run.all()
    );
    let run = upload(
        &["--dry-run", "--token", TOKEN],
        &[("TWINE_PASSWORD", "pypi-env-wrong")],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(run.stderr.contains("command-line options"), "{}", run.all());

    // The URL: the environment beats the file (whose URL is dead), a flag beats both; the
    // file's password is then not sent anywhere.
    write(dead, TOKEN);
    let run = upload(
        &["--dry-run", "--token", TOKEN],
        &[("PYPI_PUBLISH_REPOSITORY_URL", &live)],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    let run = upload(
        &["--dry-run", "--repository-url", &live, "--token", TOKEN],
        &[("PYPI_PUBLISH_REPOSITORY_URL", dead)],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    let run = upload(&["--dry-run"], &[("PYPI_PUBLISH_REPOSITORY_URL", &live)]);
    assert!(
        !run.stderr.contains(".pypirc (user") && !run.all().contains(TOKEN),
        "{}",
        run.all()
    );

    // The real upload with the file's URL and password.
    write(&live, TOKEN);
    let run = upload(&[], &[]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert_eq!(index.stats()["uploads_stored"], 2, "{}", run.all());
    assert!(!run.all().contains(TOKEN), "{}", run.all());

    // A name the file does not have: one line listing what it has, naming the file.
    let run = publish(
        dir.path(),
        &["upload", "dist", "-r", "corp", "--config-file", &config],
    );
    assert_eq!(run.code, Some(2), "{}", run.all());
    assert!(
        run.stderr.contains(&format!(
            "repository 'corp' is not in {config} (found: local, pypi, testpypi)"
        )),
        "{}",
        run.all()
    );
}

/// An upload that failed for a passing reason (the index answered 502 until the attempts
/// ran out) ends with the advice to re-run: the files it has are skipped then.
#[test]
fn a_transient_failure_ends_with_the_advice_to_re_run() {
    use common::fault_proxy::{FaultProxy, Plan};
    // At `/upload/` no simple index can be derived: the run goes straight to the upload.
    let index = TestIndex::start(&["--token", TOKEN, "--upload-path", "/upload/"]);
    let plan = Plan {
        outage: Some(std::time::Duration::from_secs(60)),
        ..Plan::none()
    };
    let proxy = FaultProxy::start(&index.server.url, plan);
    let dir = tempdir();
    build(dir.path());
    let url = format!("{}/upload/", proxy.url);
    let run = publish(
        dir.path(),
        &[
            "upload",
            ".",
            "--repository-url",
            &url,
            "--token",
            TOKEN,
            "--attempts",
            "1",
            "--no-progress",
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr
            .contains("hint: re-run the same command: files already on the index are skipped"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("error: form_demo-1.0.tar.gz: gave up after 1 attempts: 502 Bad Gateway"),
        "{}",
        run.stderr
    );
}

/// The preflight stops a run on errors only, and counts only them: a file with a warning
/// beside two files with an error each is two problems, and nothing is sent.
#[test]
fn the_preflight_counts_errors_and_sends_nothing() {
    let index = TestIndex::start(&["--token", TOKEN]);
    let dir = tempdir();
    let warned = metadata(
        "warned-pkg",
        "1.0",
        "License-Expression: MIT\nClassifier: License :: OSI Approved :: MIT License\n",
    );
    wheel_owned(
        dir.path(),
        "warned_pkg-1.0-py3-none-any.whl",
        &wheel_members("warned_pkg-1.0", &warned),
    );
    for version in ["1.0", "2.0"] {
        let broken = metadata("broken-pkg", version, "Requires-Dist: x (>=1.0.*)\n");
        wheel_owned(
            dir.path(),
            &format!("broken_pkg-{version}-py3-none-any.whl"),
            &wheel_members(&format!("broken_pkg-{version}"), &broken),
        );
    }
    let run = publish(
        dir.path(),
        &[
            "upload",
            ".",
            "--repository-url",
            &index.upload_url(),
            "--token",
            TOKEN,
            "--no-progress",
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr
            .contains("2 problem(s) found before upload; nothing was uploaded"),
        "{}",
        run.all()
    );
    assert!(
        run.stderr
            .contains("warning: warned_pkg-1.0-py3-none-any.whl: License classifiers"),
        "{}",
        run.all()
    );
    assert_eq!(index.stats()["upload_requests"], 0);
}

/// Issue 23: wheels and sdists share one queue after the first upload, and a project's
/// sdist waits for that project's wheels only. Three 4 MB wheels and a tiny sdist of one
/// project, a tiny wheel and sdist of another (the tiny wheel goes first, alone): were the
/// sdist not held back it would be stored first, its upload being the shortest.
#[test]
fn a_projects_sdist_waits_for_its_own_wheels() {
    let index = TestIndex::start(&["--token", TOKEN, "--upload-delay-ms", "200"]);
    let dir = tempdir();
    let mut rng = fastrand::Rng::with_seed(23);
    let heavy = metadata("heavy", "1.0", "");
    let tags = [
        "py3-none-any",
        "cp312-cp312-win_amd64",
        "cp313-cp313-win_amd64",
    ];
    for tag in tags {
        let mut members = wheel_members("heavy-1.0", &heavy);
        let payload: Vec<u8> = std::iter::repeat_with(|| rng.u8(..))
            .take(4 << 20)
            .collect();
        members.push(("heavy/payload.bin".into(), payload));
        wheel_owned(dir.path(), &format!("heavy-1.0-{tag}.whl"), &members);
    }
    let light = metadata("light", "1.0", "");
    let light_wheel = wheel_members("light-1.0", &light);
    wheel_owned(dir.path(), "light-1.0-py3-none-any.whl", &light_wheel);
    for (name, meta) in [("heavy", &heavy), ("light", &light)] {
        let pkg_info = format!("{name}-1.0/PKG-INFO");
        let pyproject = format!("{name}-1.0/pyproject.toml");
        let members: [(&str, &[u8]); 2] = [(&pkg_info, meta.as_bytes()), (&pyproject, b"")];
        sdist_tar(dir.path(), &format!("{name}-1.0.tar.gz"), &members);
    }
    let url = index.upload_url();
    let args = ["upload", ".", "--repository-url", &url, "--token", TOKEN];
    let run = publish(dir.path(), &[&args[..], &["--no-progress"]].concat());
    assert_eq!(run.code, Some(0), "{}", run.all());
    let stored_at = |file: &str| {
        index.stored(file).unwrap()["upload_time_us"]
            .as_u64()
            .unwrap()
    };
    let sdist = stored_at("heavy-1.0.tar.gz");
    for tag in tags {
        let wheel = stored_at(&format!("heavy-1.0-{tag}.whl"));
        assert!(
            wheel < sdist,
            "heavy's sdist went up before its {tag} wheel"
        );
    }
    assert!(stored_at("light-1.0-py3-none-any.whl") < stored_at("light-1.0.tar.gz"));
}
