//! Uploads to REAL indexes started on loopback — pypiserver and devpi-server (non-volatile) —
//! proven with real `pip download`: every file is served with the exact sha256; a re-run
//! uploads nothing; a same-name different-bytes file stops the run before anything is sent;
//! bad credentials give the clear 401/403 message; `-r NAME` reads the URL, username and
//! password from a `.pypirc`.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::servers::{devpi, pypiserver};
use common::{Run, copy_corpus, publish, sha256sum, tempdir, venv_bin};

const PASSWORD: &str = "pw-Zq81-real-index";

/// Downloads `file` from the simple index with pip (wheels) or by its simple-API link
/// (sdists, which pip would build), and returns the sha256 of what was served.
fn served_sha256(simple: &str, file: &str, dest: &Path) -> String {
    let filename = file;
    let got = dest.join(filename);
    if filename.ends_with(".whl") {
        let parts: Vec<&str> = filename.split('-').collect();
        let requirement = format!("{}=={}", parts[0], parts[1]);
        let mut cmd = Command::new(venv_bin("python"));
        cmd.args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--disable-pip-version-check",
            "--no-cache-dir",
        ])
        .args(["--index-url", simple, "--dest"])
        .arg(dest);
        if filename.contains("manylinux") {
            cmd.args([
                "--platform",
                "manylinux_2_17_x86_64",
                "--python-version",
                "3.11",
                "--implementation",
                "cp",
            ]);
        }
        let run: Run = cmd.arg(&requirement).output().unwrap().into();
        assert_eq!(
            run.code,
            Some(0),
            "pip download {requirement}: {}",
            run.all()
        );
    } else {
        let script = "import sys, re, urllib.request as u; simple, name, f, out = sys.argv[1:]; page = u.urlopen(simple + name + '/').read().decode(); href = re.search(r'href=\"([^\"]*' + re.escape(f) + r'[^\"]*)\"', page).group(1); open(out, 'wb').write(u.urlopen(u.urljoin(simple + name + '/', href.split('#')[0])).read())";
        let project = filename
            .rsplit_once('-')
            .unwrap()
            .0
            .replace('_', "-")
            .to_lowercase();
        let run: Run = Command::new(venv_bin("python"))
            .args(["-c", script, simple, &project, filename])
            .arg(&got)
            .output()
            .unwrap()
            .into();
        assert_eq!(run.code, Some(0), "fetching {filename}: {}", run.all());
    }
    assert!(got.exists(), "{filename} was not downloaded");
    sha256sum(&got)
}

fn exercise(upload_url: &str, username: &str, simple: &str) {
    let dir = tempdir();
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let files = copy_corpus(&dist);
    let report = dir.path().join("report.json");
    let creds = ["--username", username, "--password", PASSWORD];

    // 1. Upload everything.
    let mut args = vec![
        "upload",
        "dist",
        "--repository-url",
        upload_url,
        "--no-progress",
        "--json",
        "report.json",
    ];
    args.extend(creds);
    let run = publish(dir.path(), &args);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(!run.all().contains(PASSWORD), "the password leaked");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["upload_requests"], files.len(), "{json}");
    assert!(
        json["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "uploaded"),
        "{json}"
    );

    // 2. Every file is served with the exact bytes.
    let downloads = dir.path().join("downloads");
    std::fs::create_dir(&downloads).unwrap();
    for file in &files {
        assert_eq!(
            served_sha256(simple, file, &downloads),
            sha256sum(&dist.join(file)),
            "{file}"
        );
    }

    // 3. A re-run uploads nothing and looks each project up once.
    let run = publish(dir.path(), &args);
    assert_eq!(run.code, Some(0), "{}", run.all());
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["upload_requests"], 0, "{json}");
    let projects: std::collections::BTreeSet<String> = files
        .iter()
        .map(|f| {
            f.split('-')
                .next()
                .unwrap()
                .to_lowercase()
                .replace(['_', '.'], "-")
        })
        .collect();
    assert_eq!(json["lookups"], projects.len(), "{json}");
    assert!(
        json["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "already-present"),
        "{json}"
    );

    // 4. Same name, other bytes: a conflict, and the new file beside it is NOT uploaded.
    let victim = files.iter().find(|f| f.ends_with(".whl")).unwrap();
    let mut bytes = std::fs::read(dist.join(victim)).unwrap();
    // A zip comment changes the bytes and keeps the archive valid.
    let len = bytes.len();
    bytes[len - 2..].copy_from_slice(&4u16.to_le_bytes());
    bytes.extend_from_slice(b"diff");
    std::fs::write(dist.join(victim), &bytes).unwrap();
    let fresh = common::dists::metadata("brand-new-project", "0.1", "");
    common::dists::wheel_owned(
        &dist,
        "brand_new_project-0.1-py3-none-any.whl",
        &common::dists::wheel_members("brand_new_project-0.1", &fresh),
    );
    // The dry run (issue 14) finds the conflict as the real run does, in the same words.
    let mut dry_args = args.clone();
    dry_args.push("--dry-run");
    let dry = publish(dir.path(), &dry_args);
    let run = publish(dir.path(), &args);
    assert_eq!((dry.code, run.code), (Some(1), Some(1)), "{}", run.all());
    let conflict = format!("{victim}: the index already has a different file of this name");
    for r in [&dry, &run] {
        assert!(r.stdout.contains(&conflict), "{}", r.all());
    }
    assert!(
        run.stderr.contains("nothing was uploaded"),
        "{}",
        run.stderr
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["upload_requests"], 0, "{json}");
    std::fs::remove_file(dist.join("brand_new_project-0.1-py3-none-any.whl")).unwrap();

    // 5. Bad credentials: the index's refusal, with a hint, and no secret in the output.
    let newdir = tempdir();
    common::dists::wheel_owned(
        newdir.path(),
        "brand_new_project-0.1-py3-none-any.whl",
        &common::dists::wheel_members("brand_new_project-0.1", &fresh),
    );
    let run = publish(
        newdir.path(),
        &[
            "upload",
            ".",
            "--repository-url",
            upload_url,
            "--no-progress",
            "--username",
            username,
            "--password",
            "wrong-Secret-77",
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr.contains("the index refused the upload (40"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    assert!(!run.all().contains("wrong-Secret-77"));
    let run = publish(
        newdir.path(),
        &[
            "upload",
            ".",
            "--repository-url",
            upload_url,
            "--no-progress",
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr.contains("the index refused the upload (401)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("the index wants credentials"),
        "{}",
        run.stderr
    );
}

/// Issue 14: `-r NAME` as twine reads `.pypirc` (here through `--config-file`): the URL,
/// the username and the password of the section, the password never printed.
fn upload_with_pypirc(upload_url: &str, username: &str, simple: &str) {
    let dir = tempdir();
    let meta = common::dists::metadata("pypirc-demo", "1.0", "");
    let file = "pypirc_demo-1.0-py3-none-any.whl";
    let wheel = common::dists::wheel_owned(
        dir.path(),
        file,
        &common::dists::wheel_members("pypirc_demo-1.0", &meta),
    );
    let config = dir.path().join("pypirc");
    std::fs::write(
        &config,
        format!(
            "[distutils]\nindex-servers =\n    pypi\n    local\n\n[local]\n\
             repository = {upload_url}\nusername = {username}\npassword = {PASSWORD}\n"
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let args = ["upload", file, "-r", "local", "--config-file", &config];
    let run = publish(dir.path(), &args);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(
        run.stderr.contains(&format!(
            "Using credentials from the repository's username/password in .pypirc (user {username})"
        )),
        "{}",
        run.stderr
    );
    assert!(!run.all().contains(PASSWORD), "{}", run.all());
    let downloads = dir.path().join("downloads");
    std::fs::create_dir(&downloads).unwrap();
    assert_eq!(served_sha256(simple, file, &downloads), sha256sum(&wheel));
}

/// Everything one index is put through: the upload cycle, then `-r NAME` from a `.pypirc`.
fn end_to_end(upload_url: &str, username: &str, simple: &str) {
    exercise(upload_url, username, simple);
    upload_with_pypirc(upload_url, username, simple);
}

#[test]
fn pypiserver_end_to_end() {
    let dir = tempdir();
    let server = pypiserver(dir.path(), PASSWORD);
    let url = &server.url;
    end_to_end(&format!("{url}/"), "__token__", &format!("{url}/simple/"));
}

#[test]
fn devpi_non_volatile_end_to_end() {
    let dir = tempdir();
    let server = devpi(dir.path(), PASSWORD);
    let index = format!("{}/alice/stable/", server.url);
    end_to_end(&index, "alice", &format!("{index}+simple/"));
}

/// Issue 14: several destinations in one step, in order, each to completion: pypiserver and
/// then devpi, one username and password per URL. A dry run proves both without storing
/// anything; a failure at the first destination leaves the second untouched; credentials
/// that do not pair up with the URLs stop the run before anything is sent.
#[test]
fn several_destinations_in_one_step() {
    let dir = tempdir();
    let pypiserver = pypiserver(&dir.path().join("pypiserver"), PASSWORD);
    let devpi = devpi(&dir.path().join("devpi"), PASSWORD);
    let (first, second) = (
        format!("{}/", pypiserver.url),
        format!("{}/alice/stable/", devpi.url),
    );
    let simples = [
        format!("{}/simple/", pypiserver.url),
        format!("{}/alice/stable/+simple/", devpi.url),
    ];
    let work = tempdir();
    let dist = work.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let files = copy_corpus(&dist);
    let both = |extra: &[&str]| {
        let mut args = vec!["upload", "dist", "--no-progress"];
        args.extend(["--repository-url", &first, "--repository-url", &second]);
        args.extend([
            "-u",
            "__token__",
            "-p",
            PASSWORD,
            "-u",
            "alice",
            "-p",
            PASSWORD,
        ]);
        args.extend_from_slice(extra);
        publish(work.path(), &args)
    };

    // The dry run probes both (each answers 400 for the missing file: credentials taken).
    let dry = both(&["--dry-run"]);
    assert_eq!(dry.code, Some(0), "{}", dry.all());
    for url in [&first, &second] {
        assert!(
            dry.stderr
                .contains(&format!("dry run: {url} takes these credentials")),
            "{}",
            dry.stderr
        );
    }

    // The real run: both indexes get every file (so the dry run stored nothing), in order.
    let run = both(&["--json", "report.json"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(!run.all().contains(PASSWORD), "the password leaked");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.path().join("report.json")).unwrap()).unwrap();
    let destinations = report["destinations"].as_array().unwrap();
    let urls: Vec<&str> = destinations
        .iter()
        .map(|d| d["repository_url"].as_str().unwrap())
        .collect();
    assert_eq!(urls, [first.as_str(), second.as_str()]);
    for d in destinations {
        let statuses: Vec<&str> = d["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, vec!["uploaded"; files.len()], "{d}");
    }
    let wheel = files.iter().find(|f| f.ends_with("none-any.whl")).unwrap();
    for simple in &simples {
        let downloads = tempdir();
        assert_eq!(
            served_sha256(simple, wheel, downloads.path()),
            sha256sum(&dist.join(wheel))
        );
    }

    // A wrong password for the first destination: the run stops there, the second is not
    // contacted. The first index's refusal and the destination left out are both named.
    let late = common::dists::metadata("late", "1.0", "");
    let members = common::dists::wheel_members("late-1.0", &late);
    common::dists::wheel_owned(&dist, "late-1.0-py3-none-any.whl", &members);
    let args = [
        "upload",
        "dist",
        "--no-progress",
        "--repository-url",
        &second,
        "--repository-url",
        &first,
        "-u",
        "alice",
        "-p",
        "wrong-pw",
        "-u",
        "__token__",
        "-p",
        PASSWORD,
    ];
    let gated = publish(work.path(), &args);
    assert_eq!(gated.code, Some(1), "{}", gated.all());
    assert!(
        gated.stderr.contains(&format!(
            "not published to {first}: an earlier destination failed"
        )),
        "{}",
        gated.stderr
    );
    for simple in &simples {
        assert_eq!(project_page(simple, "late"), "404", "{simple}");
    }

    // Credentials that do not pair up with the URLs, or one from the environment for two
    // indexes: refused before anything is sent.
    let three = both(&["-p", PASSWORD]);
    assert_eq!(three.code, Some(1), "{}", three.all());
    assert!(
        three.stderr.contains("3 --password values for 2 repository URL(s): give one --password per --repository-url, in the same order"),
        "{}",
        three.stderr
    );
    let env_args = [
        "upload",
        "dist",
        "--no-progress",
        "--repository-url",
        &first,
        "--repository-url",
        &second,
    ];
    let from_env = common::publish_env(
        work.path(),
        &env_args,
        &[("TWINE_USERNAME", "alice"), ("TWINE_PASSWORD", PASSWORD)],
    );
    assert_eq!(from_env.code, Some(1), "{}", from_env.all());
    assert!(
        from_env.stderr.contains("credentials from TWINE_USERNAME/TWINE_PASSWORD would go to each of the 2 repository URLs"),
        "{}",
        from_env.stderr
    );
    assert_eq!(project_page(&simples[0], "late"), "404");
    assert!(!three.all().contains(PASSWORD) && !from_env.all().contains(PASSWORD));
}

/// A project's simple page, or the HTTP status it was answered with.
fn project_page(simple: &str, project: &str) -> String {
    let script = "import sys, urllib.request as u, urllib.error as e\ntry: print(u.urlopen(sys.argv[1]).read().decode())\nexcept e.HTTPError as x: print(x.code)";
    let run: Run = Command::new(venv_bin("python"))
        .args(["-c", script, &format!("{simple}{project}/")])
        .output()
        .unwrap()
        .into();
    run.stdout.trim().to_string()
}
