//! `pypi-publish check`: the GOOD corpus (built by real backends) passes and parses exactly
//! like Python's `packaging`; the BAD corpus (one broken rule per file) fails, each file with
//! its own one-line message, and nothing else.

mod address_oracle;
mod packaging_oracle;
mod sdist_archive;
mod wheel_files_oracle;
mod zip_archive;

use crate::common;

use std::path::Path;
use std::process::Command;

use common::dists::{metadata, raw_tar, sdist_tar, sdist_zip, wheel_members, wheel_owned};
use common::{Run, measured, publish, tempdir};

#[test]
fn good_corpus_passes_and_parses_like_packaging() {
    let corpus = common::good_corpus();
    let run = publish(&corpus, &["check", ".", "--json"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    let ours: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let files = ours["files"].as_array().unwrap();
    assert!(files.len() >= 10, "corpus too small: {}", files.len());

    let names: Vec<String> = files
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let oracle: Run = Command::new(common::venv_bin("python"))
        .arg(common::repo().join("tests/py/raw_metadata.py"))
        .args(&names)
        .current_dir(&corpus)
        .output()
        .unwrap()
        .into();
    assert_eq!(oracle.code, Some(0), "{}", oracle.all());
    let theirs: serde_json::Value = serde_json::from_str(&oracle.stdout).unwrap();
    let mut versions = std::collections::BTreeSet::new();
    for file in files {
        let name = file["file"].as_str().unwrap();
        let expected = &theirs[name];
        assert!(
            expected.get("__unparsed__").is_none(),
            "{name}: packaging left fields unparsed: {expected}"
        );
        let mut expected = expected.clone();
        expected.as_object_mut().unwrap().remove("__unparsed__");
        assert_eq!(
            file["metadata"], expected,
            "{name}: our parse differs from packaging's"
        );
        let errors: Vec<_> = file["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["severity"] == "error")
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        versions.insert(
            file["metadata"]["metadata_version"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // setuptools 75.8 emits 2.2 (and, since 75.8.1, the normalized wheel name PyPI requires).
    for v in ["2.1", "2.2", "2.3", "2.4"] {
        assert!(
            versions.contains(v),
            "the corpus has no metadata {v}: {versions:?}"
        );
    }
}

/// One bad case: a file built in `dir`, and the line `check` must print for it.
struct Case {
    file: String,
    expected: &'static str,
}

fn bad_corpus(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut case = |file: String, expected: &'static str| cases.push(Case { file, expected });

    // Archive-level problems.
    let good = wheel_members("trunc-1.0", &metadata("trunc", "1.0", ""));
    let path = wheel_owned(dir, "trunc-1.0-py3-none-any.whl", &good);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    case(
        "trunc-1.0-py3-none-any.whl".into(),
        "corrupt or truncated zip archive",
    );

    let mut members = wheel_members("nometa-1.0", "");
    members.retain(|(n, _)| !n.ends_with("METADATA"));
    wheel_owned(dir, "nometa-1.0-py3-none-any.whl", &members);
    case(
        "nometa-1.0-py3-none-any.whl".into(),
        "no nometa-1.0.dist-info/METADATA in the archive",
    );

    let mut members = wheel_members("nowheel-1.0", &metadata("nowheel", "1.0", ""));
    members.retain(|(n, _)| !n.ends_with("/WHEEL"));
    wheel_owned(dir, "nowheel-1.0-py3-none-any.whl", &members);
    case(
        "nowheel-1.0-py3-none-any.whl".into(),
        "Invalid distribution file. WHEEL not found at nowheel-1.0.dist-info/WHEEL",
    );

    // A METADATA member of 20 MiB of zeros: a zip bomb aimed at the metadata reader.
    let mut members = wheel_members("bomb-1.0", "");
    for m in members.iter_mut().filter(|(n, _)| n.ends_with("METADATA")) {
        m.1 = vec![b'A'; 20 * 1024 * 1024];
    }
    wheel_owned(dir, "bomb-1.0-py3-none-any.whl", &members);
    case(
        "bomb-1.0-py3-none-any.whl".into(),
        "bomb-1.0.dist-info/METADATA is larger than 16777216 bytes",
    );

    // Filename ↔ metadata.
    wheel_owned(
        dir,
        "mismatch-1.0-py3-none-any.whl",
        &wheel_members("mismatch-1.0", &metadata("other-name", "1.0", "")),
    );
    case(
        "mismatch-1.0-py3-none-any.whl".into(),
        "the filename's project name must match the metadata Name (filename has 'mismatch', metadata has 'other-name')",
    );

    wheel_owned(
        dir,
        "vermismatch-1.0-py3-none-any.whl",
        &wheel_members("vermismatch-1.0", &metadata("vermismatch", "1.1", "")),
    );
    case(
        "vermismatch-1.0-py3-none-any.whl".into(),
        "the filename's version must match the metadata Version (filename has '1.0', metadata has '1.1')",
    );

    // An invalid Version is the Version rule's alone (no second line about the filename).
    wheel_owned(
        dir,
        "badver-1.0-py3-none-any.whl",
        &wheel_members("badver-1.0", &metadata("badver", "1.0-beta_x", "")),
    );
    case(
        "badver-1.0-py3-none-any.whl".into(),
        "Version must be a valid PEP 440 version (Invalid version: '1.0-beta_x')",
    );

    // Metadata rules.
    wheel_owned(
        dir,
        "localver-1.0+abc-py3-none-any.whl",
        &wheel_members("localver-1.0+abc", &metadata("localver", "1.0+abc", "")),
    );
    case(
        "localver-1.0+abc-py3-none-any.whl".into(),
        "Can't use PEP 440 local versions. ('1.0+abc')",
    );

    let m20 =
        metadata("meta20", "1.0", "").replace("Metadata-Version: 2.4", "Metadata-Version: 2.0");
    wheel_owned(
        dir,
        "meta20-1.0-py3-none-any.whl",
        &wheel_members("meta20-1.0", &m20),
    );
    case(
        "meta20-1.0-py3-none-any.whl".into(),
        "Metadata-Version must be one of 1.0, 1.1, 1.2, 2.1, 2.2, 2.3, 2.4, 2.5 ('2.0')",
    );

    let mut members = wheel_members("badutf-1.0", "");
    for m in members.iter_mut().filter(|(n, _)| n.ends_with("METADATA")) {
        m.1 = b"Metadata-Version: 2.1\nName: badutf\nVersion: 1.0\nSummary: caf\xe9\n".to_vec();
    }
    wheel_owned(dir, "badutf-1.0-py3-none-any.whl", &members);
    case(
        "badutf-1.0-py3-none-any.whl".into(),
        "badutf-1.0.dist-info/METADATA is not valid UTF-8",
    );

    let long =
        metadata("longsum", "1.0", "").replace("A synthetic test distribution", &"x".repeat(600));
    wheel_owned(
        dir,
        "longsum-1.0-py3-none-any.whl",
        &wheel_members("longsum-1.0", &long),
    );
    case(
        "longsum-1.0-py3-none-any.whl".into(),
        "Summary must be 512 characters or fewer (600 characters)",
    );

    wheel_owned(
        dir,
        "badclass-1.0-py3-none-any.whl",
        &wheel_members(
            "badclass-1.0",
            &metadata(
                "badclass",
                "1.0",
                "Classifier: Programming Language :: Cobol\n",
            ),
        ),
    );
    case(
        "badclass-1.0-py3-none-any.whl".into(),
        "unknown trove classifier ('Programming Language :: Cobol')",
    );

    wheel_owned(
        dir,
        "nolicense-1.0-py3-none-any.whl",
        &wheel_members(
            "nolicense-1.0",
            &metadata("nolicense", "1.0", "License-File: LICENSE\n"),
        ),
    );
    case(
        "nolicense-1.0-py3-none-any.whl".into(),
        "License-File is not in the archive (nolicense-1.0.dist-info/licenses/LICENSE)",
    );

    let rst = metadata("badrst", "1.0", "")
        .replace("text/markdown", "text/x-rst")
        .replace("# badrst", "Long Title\n=====");
    wheel_owned(
        dir,
        "badrst-1.0-py3-none-any.whl",
        &wheel_members("badrst-1.0", &rst),
    );
    case(
        "badrst-1.0-py3-none-any.whl".into(),
        "The description failed to render for 'text/x-rst'",
    );

    wheel_owned(
        dir,
        "dynname-1.0-py3-none-any.whl",
        &wheel_members(
            "dynname-1.0",
            &metadata("dynname", "1.0", "Dynamic: Name\n"),
        ),
    );
    case(
        "dynname-1.0-py3-none-any.whl".into(),
        "'name' is not allowed as a dynamic field (Name)",
    );

    // Issue 12: a field the declared Metadata-Version does not have (packaging
    // `Metadata.from_raw` on the form PyPI receives).
    let mut members = wheel_members("oldmeta-1.0", "");
    for m in members.iter_mut().filter(|(n, _)| n.ends_with("METADATA")) {
        m.1 = b"Metadata-Version: 1.1\nName: oldmeta\nVersion: 1.0\nSummary: s\nRequires-Dist: x\n"
            .to_vec();
    }
    wheel_owned(dir, "oldmeta-1.0-py3-none-any.whl", &members);
    case(
        "oldmeta-1.0-py3-none-any.whl".into(),
        "Requires-Dist introduced in metadata version 1.2, not 1.1",
    );

    wheel_owned(
        dir,
        "bothlicense-1.0-py3-none-any.whl",
        &wheel_members(
            "bothlicense-1.0",
            &metadata(
                "bothlicense",
                "1.0",
                "License-Expression: MIT\nLicense: MIT\n",
            ),
        ),
    );
    case(
        "bothlicense-1.0-py3-none-any.whl".into(),
        "License is deprecated when License-Expression is present.",
    );

    // Issue 12: PyPI refuses wheels whose name part is not the normalized name (since 2025-10;
    // backports.tarfile-1.2.0-py3-none-any.whl is on PyPI from before).
    wheel_owned(
        dir,
        "Dotted.Name-1.0-py3-none-any.whl",
        &wheel_members("Dotted.Name-1.0", &metadata("Dotted.Name", "1.0", "")),
    );
    case(
        "Dotted.Name-1.0-py3-none-any.whl".into(),
        "Filename 'Dotted.Name-1.0-py3-none-any.whl' should contain the normalized project name 'dotted_name', not 'Dotted.Name'.",
    );

    wheel_owned(
        dir,
        "badurl-1.0-py3-none-any.whl",
        &wheel_members(
            "badurl-1.0",
            &metadata(
                "badurl",
                "1.0",
                "Project-URL: A label that is far too long to be shown, https://e.org\n",
            ),
        ),
    );
    case(
        "badurl-1.0-py3-none-any.whl".into(),
        "Project-URL label must not be longer than 32 characters",
    );

    // Platform tags and sdist names (PyPI's rules).
    wheel_owned(
        dir,
        "plat-1.0-cp312-cp312-linux_x86_64.whl",
        &wheel_members("plat-1.0", &metadata("plat", "1.0", "")),
    );
    case(
        "plat-1.0-cp312-cp312-linux_x86_64.whl".into(),
        "Binary wheel 'plat-1.0-cp312-cp312-linux_x86_64.whl' has an unsupported platform tag 'linux_x86_64'.",
    );

    let pkg_info = metadata("Legacy.Name", "1.0", "");
    sdist_tar(
        dir,
        "Legacy.Name-1.0.tar.gz",
        &[
            ("Legacy.Name-1.0/PKG-INFO", pkg_info.as_bytes()),
            ("Legacy.Name-1.0/setup.py", b""),
        ],
    );
    case(
        "Legacy.Name-1.0.tar.gz".into(),
        "Filename 'Legacy.Name-1.0.tar.gz' is invalid, should be 'legacy_name-1.0.tar.gz'. (PEP 625 name)",
    );

    let pkg_info = metadata("zipped", "1.0", "");
    sdist_zip(
        dir,
        "zipped-1.0.zip",
        &[
            ("zipped-1.0/PKG-INFO", pkg_info.as_bytes()),
            ("zipped-1.0/setup.py", b""),
        ],
    );
    case(
        "zipped-1.0.zip".into(),
        "Filename 'zipped-1.0.zip' is invalid, should be 'zipped-1.0.tar.gz'. (PEP 625: sdists are .tar.gz)",
    );

    let pkg_info = metadata("twotops", "1.0", "");
    sdist_tar(
        dir,
        "twotops-1.0.tar.gz",
        &[
            ("twotops-1.0/PKG-INFO", pkg_info.as_bytes()),
            ("elsewhere/x", b""),
        ],
    );
    case(
        "twotops-1.0.tar.gz".into(),
        "Incorrect number of top-level directories in sdist",
    );

    // Issue 8: PyPI finds the root with `os.path.commonpath`, which for a lone member is the
    // member itself; the test index refused this file after `check` had passed it.
    let pkg_info = metadata("lone", "1.0", "");
    sdist_tar(
        dir,
        "lone-1.0.tar.gz",
        &[("lone-1.0/PKG-INFO", pkg_info.as_bytes())],
    );
    case(
        "lone-1.0.tar.gz".into(),
        "no lone-1.0/PKG-INFO/PKG-INFO in the archive",
    );

    cases
}

#[test]
fn bad_corpus_fails_one_line_per_file() {
    let dir = tempdir();
    let cases = bad_corpus(dir.path());
    let mut seen_lines = std::collections::BTreeSet::new();
    for case in &cases {
        let run = publish(dir.path(), &["check", &case.file]);
        assert_eq!(run.code, Some(1), "{}: {}", case.file, run.all());
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{}: expected exactly one problem line, got:\n{}",
            case.file,
            run.stdout
        );
        let line = lines[0];
        assert!(line.starts_with(&format!("{}: ", case.file)), "{line}");
        assert!(
            line.contains(case.expected),
            "{}: expected {:?} in {line:?}",
            case.file,
            case.expected
        );
        assert!(
            seen_lines.insert(line.split_once(": ").unwrap().1.to_string()),
            "two cases share a message: {line}"
        );
    }
    // The whole folder at once: every problem reported, none hidden behind the first.
    let run = publish(dir.path(), &["check", "."]);
    assert_eq!(run.code, Some(1));
    for case in &cases {
        assert!(
            run.stdout.contains(case.expected),
            "missing in folder run: {}",
            case.expected
        );
    }
}

#[test]
fn one_sdist_per_release_and_other_indexes_rules() {
    let dir = tempdir();
    let pkg_info = metadata("twice", "1.0", "");
    sdist_tar(
        dir.path(),
        "twice-1.0.tar.gz",
        &[
            ("twice-1.0/PKG-INFO", pkg_info.as_bytes()),
            ("twice-1.0/setup.py", b""),
        ],
    );
    sdist_tar(
        dir.path(),
        "twice-1.0.0.tar.gz",
        &[
            (
                "twice-1.0.0/PKG-INFO",
                metadata("twice", "1.0.0", "").as_bytes(),
            ),
            ("twice-1.0.0/setup.py", b""),
        ],
    );
    let run = publish(dir.path(), &["check", "."]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stdout
            .contains("Only one sdist may be uploaded per release."),
        "{}",
        run.stdout
    );

    // A private index accepts linux_x86_64 wheels and local versions: only general rules apply.
    let other = tempdir();
    wheel_owned(
        other.path(),
        "plat-1.0+cu12-cp312-cp312-linux_x86_64.whl",
        &wheel_members("plat-1.0+cu12", &metadata("plat", "1.0+cu12", "")),
    );
    let run = publish(
        other.path(),
        &[
            "check",
            ".",
            "--repository-url",
            "https://pkgs.example.org/legacy/",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
}

#[test]
fn skips_non_distributions_and_refuses_empty_folders() {
    let dir = tempdir();
    wheel_owned(
        dir.path(),
        "ok-1.0-py3-none-any.whl",
        &wheel_members("ok-1.0", &metadata("ok", "1.0", "")),
    );
    let extras = [
        "ok-1.0-py3-none-any.whl.publish.attestation",
        "ok-1.0.tar.gz.asc",
        "ok-1.0.tar.gz.sigstore.json",
        "SHA256SUMS",
        "sbom.spdx.json",
        "notes.txt",
    ];
    for extra in extras {
        std::fs::write(dir.path().join(extra), "x").unwrap();
    }
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    // A folder passes over what is not a distribution silently, as twine does (issue 14),
    // even with --verbose, and so does a glob.
    for path in [".", "*"] {
        let run = publish(dir.path(), &["check", path, "--verbose"]);
        assert_eq!(run.code, Some(0), "{}", run.all());
        for entry in extras.iter().chain(&["sub"]) {
            assert!(!run.all().contains(entry), "{entry}: {}", run.all());
        }
        assert!(
            run.stderr.contains("Checked 1 distribution(s)"),
            "{}",
            run.all()
        );
    }
    // A file named explicitly that is not a distribution is noted (with --verbose).
    let run = publish(
        dir.path(),
        &[
            "check",
            "ok-1.0-py3-none-any.whl",
            "ok-1.0.tar.gz.asc",
            "SHA256SUMS",
            "notes.txt",
            "--verbose",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    for (entry, reason) in [
        (".asc", "signature"),
        ("SHA256SUMS", "checksum"),
        ("notes.txt", "not a distribution"),
    ] {
        assert!(
            run.stderr
                .lines()
                .any(|l| l.contains(entry) && l.contains(&format!("({reason})"))),
            "{entry}: {}",
            run.stderr
        );
    }
    let empty = tempdir();
    let run = publish(empty.path(), &["check", "."]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("no distributions (.whl, .tar.gz, .zip) found in ."),
        "{}",
        run.stderr
    );
}

#[test]
fn hostile_archives_are_bounded_in_time_and_memory() {
    use tar::EntryType::{GNULongName, Link, Regular, Symlink, XHeader};
    let dir = tempdir();
    let d = dir.path();
    let zeros = |n: u64| -> Box<dyn std::io::Read> { Box::new(std::io::repeat(0).take_bytes(n)) };
    let bytes = |b: &[u8]| -> Box<dyn std::io::Read> { Box::new(std::io::Cursor::new(b.to_vec())) };
    let meta = |name: &str| metadata(name, "1.0", "");
    // Incompressible padding keeps a bomb under PyPI's 50x ratio rule, so that the reader
    // itself must bound what it holds.
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let pad: Vec<u8> = (0..12 << 20)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng as u8
        })
        .collect();
    let (gib, half) = (1u64 << 30, 1u64 << 29);

    // name, expected exit code, expected text in stdout (empty: none).
    let mut cases: Vec<(&str, i32, &str)> = Vec::new();

    raw_tar(
        &d.join("tarbomb-1.0.tar.gz"),
        vec![(Regular, "tarbomb-1.0/zeros", zeros(gib), gib)],
        "",
    );
    // PyPI has no ratio rule for sdists: a bomb is read up to our budget, and without a
    // PKG-INFO before it, is an error naming our limit.
    cases.push((
        "tarbomb-1.0.tar.gz",
        1,
        "tarbomb-1.0.tar.gz: no PKG-INFO in the first 536870912 inflated bytes: this tool reads no further",
    ));

    let m = meta("longname");
    raw_tar(
        &d.join("longname-1.0.tar.gz"),
        vec![
            (Regular, "longname-1.0/pad", bytes(&pad), pad.len() as u64),
            (GNULongName, "././@LongLink", zeros(half), half),
            (
                Regular,
                "longname-1.0/PKG-INFO",
                bytes(m.as_bytes()),
                m.len() as u64,
            ),
        ],
        "",
    );
    // Python reads a 512 MiB long name (of NULs: an empty name) and goes on: so do we, up to
    // our budget, which ends before PKG-INFO.
    let budget = "no PKG-INFO in the first 536870912 inflated bytes: this tool reads no further";
    cases.push(("longname-1.0.tar.gz", 1, budget));

    let m = meta("paxbomb");
    raw_tar(
        &d.join("paxbomb-1.0.tar.gz"),
        vec![
            (Regular, "paxbomb-1.0/pad", bytes(&pad), pad.len() as u64),
            (XHeader, "paxbomb-1.0/PaxHeader", zeros(half), half),
            (
                Regular,
                "paxbomb-1.0/PKG-INFO",
                bytes(m.as_bytes()),
                m.len() as u64,
            ),
        ],
        "",
    );
    cases.push(("paxbomb-1.0.tar.gz", 1, budget));

    let m = meta("manytar");
    let mut entries: Vec<(tar::EntryType, &str, Box<dyn std::io::Read>, u64)> = vec![(
        Regular,
        "manytar-1.0/PKG-INFO",
        bytes(m.as_bytes()),
        m.len() as u64,
    )];
    let names: Vec<String> = (0..100_000)
        .map(|i| format!("manytar-1.0/f{i}.py"))
        .collect();
    entries.extend(names.iter().map(|n| (Regular, n.as_str(), zeros(0), 0)));
    raw_tar(&d.join("manytar-1.0.tar.gz"), entries, "");
    cases.push(("manytar-1.0.tar.gz", 0, ""));

    let mut members = wheel_members("many-1.0", &meta("many"));
    members.extend((0..100_000).map(|i| (format!("many/f{i}.py"), Vec::new())));
    wheel_owned(d, "many-1.0-py3-none-any.whl", &members);
    cases.push(("many-1.0-py3-none-any.whl", 0, ""));

    let mut members = wheel_members("zipbomb-1.0", &meta("zipbomb"));
    members.push(("zipbomb/zeros".into(), vec![0; 256 << 20]));
    wheel_owned(d, "zipbomb-1.0-py3-none-any.whl", &members);
    drop(members);
    cases.push((
        "zipbomb-1.0-py3-none-any.whl",
        1,
        "File exceeds compression ratio of 50",
    ));

    // PKG-INFO as a symlink or hard link to a file outside: never followed.
    for (name, kind) in [("symlink", Symlink), ("hardlink", Link)] {
        raw_tar(
            &d.join(format!("{name}-1.0.tar.gz")),
            vec![
                (kind, &format!("{name}-1.0/PKG-INFO"), zeros(0), 0),
                (Regular, &format!("{name}-1.0/setup.py"), zeros(0), 0),
            ],
            "/etc/passwd",
        );
    }
    cases.push((
        "symlink-1.0.tar.gz",
        1,
        "no symlink-1.0/PKG-INFO in the archive",
    ));
    cases.push((
        "hardlink-1.0.tar.gz",
        1,
        "no hardlink-1.0/PKG-INFO in the archive",
    ));

    let m = meta("absolute");
    raw_tar(
        &d.join("absolute-1.0.tar.gz"),
        vec![
            (
                Regular,
                "/absolute-1.0/PKG-INFO",
                bytes(m.as_bytes()),
                m.len() as u64,
            ),
            (Regular, "/etc/cron.d/evil", zeros(0), 0),
        ],
        "",
    );
    cases.push((
        "absolute-1.0.tar.gz",
        1,
        "Incorrect number of top-level directories in sdist",
    ));

    // A 15 MiB header line with NUL bytes in it, and NULs in the name and version.
    let huge = format!(
        "Metadata-Version: 2.4\nName: hugeline\nVersion: 1.0\nSummary: {}\0{}\n\nbody\n",
        "a".repeat(15 << 20),
        "b".repeat(1000)
    );
    wheel_owned(
        d,
        "hugeline-1.0-py3-none-any.whl",
        &wheel_members("hugeline-1.0", &huge),
    );
    cases.push((
        "hugeline-1.0-py3-none-any.whl",
        1,
        "hugeline-1.0-py3-none-any.whl: ",
    ));
    let nul = "Metadata-Version: 2.4\nName: nul\0x\nVersion: 1.0\0\n\n\0\0\n";
    wheel_owned(
        d,
        "nul-1.0-py3-none-any.whl",
        &wheel_members("nul-1.0", nul),
    );
    cases.push(("nul-1.0-py3-none-any.whl", 1, "nul-1.0-py3-none-any.whl: "));

    for (file, code, expected) in cases {
        let (run, took, maxrss_kib, hwm_kib) = measured(d, &["check", file]);
        eprintln!(
            "{file}: exit {:?} in {took:?}, peak RSS {} MiB (VmHWM {} MiB)",
            run.code,
            maxrss_kib / 1024,
            hwm_kib / 1024
        );
        assert_eq!(run.code, Some(code), "{file}: {}", run.all());
        // An empty expectation means no problem line at all (not a vacuous `contains("")`).
        assert!(
            if expected.is_empty() {
                run.stdout.trim().is_empty()
            } else {
                run.stdout.contains(expected)
            },
            "{file}: expected {expected:?} in\n{}",
            run.stdout
        );
        // Every problem is one line naming the file.
        assert!(
            run.stdout
                .lines()
                .all(|l| l.is_empty() || l.contains(file) || !l.contains(": "))
        );
        assert!(took.as_secs() < 30, "{file} took {took:?}");
        // The child's own peak: `ru_maxrss` carries over the size of this test process,
        // which other tests running beside it can make large (378 MiB seen).
        assert!(
            hwm_kib < 256 * 1024,
            "{file}: peak RSS {} MiB",
            hwm_kib / 1024
        );
    }
}

trait TakeBytes: std::io::Read + Sized {
    fn take_bytes(self, n: u64) -> std::io::Take<Self> {
        self.take(n)
    }
}
impl<R: std::io::Read> TakeBytes for R {}

/// Issue 16: a file over PyPI's default 100 MiB limit is a warning (projects can have the
/// limit raised), for PyPI only; the file still passes.
#[test]
fn files_over_100_mib_are_a_warning_for_pypi_only() {
    let dir = tempdir();
    let mut members = wheel_members("big-1.0", &metadata("big", "1.0", ""));
    // Random bytes: incompressible, so the wheel itself is over the limit.
    let random = |len: usize| {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect::<Vec<u8>>()
    };
    // 2 MiB: well under the limit (and over any limit in KiB or a single MiB).
    let mut small = wheel_members("fair-1.0", &metadata("fair", "1.0", ""));
    small.push(("fair/blob.bin".into(), random(2 * 1024 * 1024)));
    wheel_owned(dir.path(), "fair-1.0-py3-none-any.whl", &small);
    let run = publish(dir.path(), &["check", "fair-1.0-py3-none-any.whl"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(run.stdout.trim().is_empty(), "{}", run.stdout);
    members.push(("big/blob.bin".into(), random(101 * 1024 * 1024)));
    wheel_owned(dir.path(), "big-1.0-py3-none-any.whl", &members);
    drop(members);
    let run = publish(dir.path(), &["check", "big-1.0-py3-none-any.whl"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(
        run.stdout
            .contains("big-1.0-py3-none-any.whl: larger than PyPI's default 100 MiB limit"),
        "{}",
        run.stdout
    );
    let run = publish(
        dir.path(),
        &[
            "check",
            "big-1.0-py3-none-any.whl",
            "--repository-url",
            "https://pkgs.example.org/legacy/",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(run.stdout.trim().is_empty(), "{}", run.stdout);
}

/// Versions the pep440_rs crate cannot hold (numbers beyond 64 bits) are still versions
/// to PyPI: two such releases are two releases (not "only one sdist"), the filename's
/// version is compared with the metadata's, and the PEP 625 name is checked.
#[test]
fn releases_with_numbers_beyond_64_bits_are_told_apart() {
    let dir = tempdir();
    for (file, version) in [
        ("huge-1.0.99999999999999999998", "1.0.99999999999999999998"),
        ("huge-1.0.99999999999999999999", "1.0.99999999999999999999"),
    ] {
        sdist_tar(
            dir.path(),
            &format!("{file}.tar.gz"),
            &[
                (
                    &format!("{file}/PKG-INFO"),
                    metadata("huge", version, "").as_bytes(),
                ),
                (&format!("{file}/setup.py"), b""),
            ],
        );
    }
    let run = publish(dir.path(), &["check", "."]);
    assert_eq!(run.code, Some(0), "{}", run.all());

    sdist_tar(
        dir.path(),
        "huge-1.0.099999999999999999999.tar.gz",
        &[
            (
                "huge-1.0.099999999999999999999/PKG-INFO",
                metadata("huge", "1.0.99999999999999999997", "").as_bytes(),
            ),
            ("huge-1.0.099999999999999999999/setup.py", b""),
        ],
    );
    let run = publish(dir.path(), &["check", "."]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    for expected in [
        "the filename's version must match the metadata Version (filename has '1.0.099999999999999999999', metadata has '1.0.99999999999999999997')",
        "should be 'huge-1.0.99999999999999999997.tar.gz'",
        "Only one sdist may be uploaded per release.",
    ] {
        assert!(run.stdout.contains(expected), "{expected}\n{}", run.stdout);
    }
}
