//! Hostile input, by property: the filename parser, the metadata parser (and every metadata
//! rule behind it) and the archive readers never panic and finish in bounded time, whatever
//! the bytes. Inputs are generated *and* derived from valid distributions by mutation, so the
//! readers get past their first check.
//!
//! CI runs a few hundred cases per target. The long run (issue 8: ≥ 10 minutes a target):
//!
//! ```sh
//! PYPI_PUBLISH_FUZZ_SECS=600 nice -n 19 cargo test --test properties -- --nocapture --test-threads 3
//! ```
//!
//! A failure prints the smallest input proptest found: keep it as a case in
//! `regressions_from_fuzzing` below.

use crate::common;

use std::fmt::Debug;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use pypi_publish::dist::check::check_file;
use pypi_publish::dist::{CoreMetadata, DistFilename, Target};

/// One input may take this much CPU time, at most (debug build). CPU time, not wall time:
/// a niced long run on a loaded machine waits for the CPU far longer than it computes.
const CASE_LIMIT: Duration = Duration::from_secs(2);

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Runs `property` on `strategy`'s values: `ci_cases` cases, or for PYPI_PUBLISH_FUZZ_SECS.
fn fuzz<S>(
    name: &str,
    strategy: S,
    ci_cases: u32,
    property: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let long = std::env::var("PYPI_PUBLISH_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok());
    let deadline = long.map(|s| Instant::now() + Duration::from_secs(s));
    let (started, mut cases) = (Instant::now(), 0u64);
    loop {
        let batch = if deadline.is_some() { 2_000 } else { ci_cases };
        let mut runner = TestRunner::new(Config {
            cases: batch,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy, |value| {
            let t = thread_cpu();
            property(value)?;
            let took = thread_cpu() - t;
            prop_assert!(took < CASE_LIMIT, "took {took:?} of CPU");
            Ok(())
        }) {
            panic!("{name}: {e}");
        }
        cases += u64::from(batch);
        if deadline.is_none_or(|d| Instant::now() >= d) {
            break;
        }
    }
    eprintln!("{name}: {cases} cases in {:?}", started.elapsed());
}

// ---- building blocks -------------------------------------------------------------------

const FIELDS: &[&str] = &[
    "Metadata-Version",
    "Name",
    "Version",
    "Summary",
    "Description",
    "Description-Content-Type",
    "Keywords",
    "Author",
    "Author-email",
    "Maintainer-email",
    "License",
    "License-Expression",
    "License-File",
    "Classifier",
    "Requires-Dist",
    "Requires-Python",
    "Project-URL",
    "Home-page",
    "Download-URL",
    "Provides-Extra",
    "Dynamic",
    "Platform",
    "Supported-Platform",
    "Requires-External",
    "Provides-Dist",
    "Obsoletes-Dist",
    "Import-Name",
    "X-Unknown",
];

const VALUES: &[&str] = &[
    "2.4",
    "2.1",
    "1.0",
    "2.0",
    "3.0",
    "demo",
    "Demo.Pkg",
    "1.0",
    "1!2.0.post1.dev3",
    "1.0+local",
    ">=3.9",
    ">=3.9,<4",
    "packaging>=24; extra == \"cli\"",
    "x @ https://e.org/x.whl",
    "MIT",
    "MIT OR Apache-2.0",
    "LICENSE",
    "text/markdown",
    "text/x-rst; charset=UTF-8",
    "text/markdown; variant=GFM",
    "Source, https://example.org",
    "Label only",
    "Programming Language :: Python :: 3",
    "License :: OSI Approved :: MIT License",
    "alice@example.org",
    "Alice <alice@example.org>",
    "a@b",
    "Name",
    "Version",
    "",
    "é漢字🐍",
    "\u{0}",
    "\u{202e}",
    "=====",
    "Title\n=",
    "a\u{301}",
];

/// A text value: one of the interesting ones, or anything at all.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(VALUES).prop_map(str::to_string),
        2 => any::<String>(),
        1 => "[ -~]{0,40}",
        1 => (proptest::sample::select(VALUES), 1usize..2000).prop_map(|(v, n)| v.repeat(n)),
    ]
}

/// METADATA text: header lines (some folded), CR/LF endings, then maybe a body.
fn metadata_text() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        6 => (proptest::sample::select(FIELDS), value()).prop_map(|(f, v)| format!("{f}: {v}")),
        1 => value().prop_map(|v| format!(" {v}")),
        1 => value(),
        1 => Just("Name:".to_string()),
    ];
    (
        proptest::collection::vec(line, 0..30),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        proptest::option::of(value()),
        any::<bool>(),
    )
        .prop_map(|(lines, eol, body, base)| {
            let mut text = if base {
                "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n".to_string()
            } else {
                String::new()
            };
            for l in lines {
                text.push_str(&l);
                text.push_str(eol);
            }
            if let Some(b) = body {
                text.push_str(eol);
                text.push_str(&b);
            }
            text.into_bytes()
        })
}

/// Bytes of a zip with `members`.
fn zip_bytes(members: &[(String, Vec<u8>, bool)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, deflate) in members {
        let method = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        // Duplicate names are refused by the writer: that is a case the reader never sees.
        if zip.start_file(name.as_str(), options).is_ok() {
            zip.write_all(bytes).unwrap();
        }
    }
    zip.finish().unwrap().into_inner()
}

fn wheel_bytes(metadata: &[u8]) -> Vec<u8> {
    let di = "demo-1.0.dist-info";
    zip_bytes(&[
        ("demo/__init__.py".into(), b"x = 1\n".to_vec(), true),
        (format!("{di}/METADATA"), metadata.to_vec(), true),
        (
            format!("{di}/WHEEL"),
            b"Wheel-Version: 1.0\nTag: py3-none-any\n".to_vec(),
            false,
        ),
        (format!("{di}/RECORD"), Vec::new(), true),
    ])
}

/// One tar entry: a type, a path, bytes, and for links a target.
#[derive(Debug, Clone)]
struct TarEntry {
    kind: u8,
    path: String,
    bytes: Vec<u8>,
    link: String,
}

fn tar_bytes(entries: &[TarEntry]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for e in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::new(e.kind));
        header.set_size(e.bytes.len() as u64);
        header.set_mode(0o644);
        // Raw bytes in the name field: absolute, `..`, over-long and NUL-bearing paths too.
        let name = e.path.as_bytes();
        let field = &mut header.as_old_mut().name;
        let n = name.len().min(field.len());
        field[..n].copy_from_slice(&name[..n]);
        let link = e.link.as_bytes();
        let field = &mut header.as_old_mut().linkname;
        let n = link.len().min(field.len());
        field[..n].copy_from_slice(&link[..n]);
        header.set_cksum();
        tar.append(&header, e.bytes.as_slice()).unwrap();
    }
    tar.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn sdist_entries(metadata: &[u8]) -> Vec<TarEntry> {
    let file = |path: &str, bytes: &[u8]| TarEntry {
        kind: b'0',
        path: path.into(),
        bytes: bytes.to_vec(),
        link: String::new(),
    };
    vec![
        TarEntry {
            kind: b'5',
            ..file("demo-1.0/", b"")
        },
        file("demo-1.0/PKG-INFO", metadata),
        file("demo-1.0/pyproject.toml", b"[project]\nname = \"demo\"\n"),
        file("demo-1.0/LICENSE", b"MIT"),
    ]
}

fn tar_entry() -> impl Strategy<Value = TarEntry> {
    let path = prop_oneof![
        Just("demo-1.0/PKG-INFO".to_string()),
        Just("demo-1.0/src/demo.py".to_string()),
        Just("/etc/passwd".to_string()),
        Just("../escape".to_string()),
        Just("./demo-1.0/PKG-INFO".to_string()),
        Just("other-1.0/PKG-INFO".to_string()),
        "[a-z./-]{0,120}",
        any::<String>(),
    ];
    // Regular, hard link, symlink, char/block device, directory, FIFO, contiguous, pax
    // extended / global header, GNU long name / long link name, sparse.
    let kind = proptest::sample::select(b"0125346xgLKS\0".to_vec());
    let bytes = prop_oneof![
        metadata_text(),
        proptest::collection::vec(any::<u8>(), 0..600),
        // Pax records: `<len> path=…\n`, with wrong lengths too.
        (0usize..300, "[ -~]{0,80}").prop_map(|(n, p)| format!("{n} path={p}\n").into_bytes()),
    ];
    (kind, path, bytes, "[ -~]{0,40}").prop_map(|(kind, path, bytes, link)| TarEntry {
        kind,
        path,
        bytes,
        link,
    })
}

/// Edits applied to a valid archive's bytes: overwrite, flip, insert, truncate.
fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)], cut: Option<usize>) -> Vec<u8> {
    for &(at, value, how) in edits {
        if bytes.is_empty() {
            break;
        }
        let i = at % bytes.len();
        match how % 3 {
            0 => bytes[i] = value,
            1 => bytes[i] ^= 1 << (value % 8),
            _ => bytes.insert(i, value),
        }
    }
    if let Some(c) = cut {
        bytes.truncate(c % (bytes.len() + 1));
    }
    bytes
}

fn edits() -> impl Strategy<Value = (Vec<(usize, u8, u8)>, Option<usize>)> {
    (
        proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..8),
        proptest::option::weighted(0.2, any::<usize>()),
    )
}

/// One change to one member of a record-by-record wheel.
#[derive(Debug, Clone)]
enum RecordEdit {
    Flags(usize, u16),
    Method(usize, u16),
    LocalExtra(usize, Vec<u8>),
    CentralExtra(usize, Vec<u8>),
    Comment(usize, Vec<u8>),
    LocalSizes(usize, u32, u32),
    Name(usize, Vec<u8>),
    Local(usize, bool),
    Central(usize, usize),
    Records(u16),
    Offset(u32),
}

fn record_edit() -> impl Strategy<Value = RecordEdit> {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..24);
    let i = || 0usize..6;
    prop_oneof![
        (i(), any::<u16>()).prop_map(|(i, v)| RecordEdit::Flags(i, v)),
        (i(), any::<u16>()).prop_map(|(i, v)| RecordEdit::Method(i, v)),
        (i(), bytes()).prop_map(|(i, v)| RecordEdit::LocalExtra(i, v)),
        (i(), bytes()).prop_map(|(i, v)| RecordEdit::CentralExtra(i, v)),
        (i(), bytes()).prop_map(|(i, v)| RecordEdit::Comment(i, v)),
        (i(), any::<u32>(), any::<u32>()).prop_map(|(i, a, b)| RecordEdit::LocalSizes(i, a, b)),
        (i(), bytes()).prop_map(|(i, v)| RecordEdit::Name(i, v)),
        (i(), any::<bool>()).prop_map(|(i, v)| RecordEdit::Local(i, v)),
        (i(), 0usize..3).prop_map(|(i, v)| RecordEdit::Central(i, v)),
        any::<u16>().prop_map(RecordEdit::Records),
        any::<u32>().prop_map(RecordEdit::Offset),
    ]
}

/// A valid wheel written record by record, with `edits` applied to its headers.
fn crafted(metadata: &[u8], edits: &[RecordEdit], prepend: Vec<u8>, append: Vec<u8>) -> Vec<u8> {
    use common::zipcraft::{Craft, wheel};
    let mut craft = Craft::of(wheel("demo-1.0", &String::from_utf8_lossy(metadata), &[]));
    craft.prepend = prepend;
    craft.append = append;
    let n = craft.members.len();
    for edit in edits {
        let m = |i: usize| i % n;
        match edit.clone() {
            RecordEdit::Flags(i, v) => craft.members[m(i)].flags = v,
            RecordEdit::Method(i, v) => craft.members[m(i)].method = v,
            RecordEdit::LocalExtra(i, v) => craft.members[m(i)].local_extra = v,
            RecordEdit::CentralExtra(i, v) => craft.members[m(i)].central_extra = v,
            RecordEdit::Comment(i, v) => craft.members[m(i)].comment = v,
            RecordEdit::LocalSizes(i, a, b) => craft.members[m(i)].local_sizes = Some((a, b)),
            RecordEdit::Name(i, v) => craft.members[m(i)].name = v,
            RecordEdit::Local(i, v) => craft.members[m(i)].local = v,
            RecordEdit::Central(i, v) => craft.members[m(i)].central = v,
            RecordEdit::Records(v) => craft.records = Some(v),
            RecordEdit::Offset(v) => craft.offset = Some(v),
        }
    }
    craft.build()
}

/// Checks `bytes` as the file `name` against both rule sets; only a panic or time fails.
fn check_bytes(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    for target in [Target::Pypi, Target::Other] {
        let (dist, problems) = check_file(&path, target);
        // Every problem names the file, has a rule, and prints as one line whatever the
        // file holds (CR, LF, NUL): the contract of `check`.
        for p in &problems {
            assert_eq!(p.file, name);
            assert!(!p.rule.is_empty());
            let line = p.to_string();
            assert!(!line.contains(['\n', '\r', '\0']), "{line:?}");
        }
        if let Some(d) = dist {
            assert_eq!(d.file_name(), name);
        }
    }
}

// ---- the targets ------------------------------------------------------------------------

#[test]
fn filename_parser() {
    let dir = common::tempdir();
    let wheel = wheel_bytes(b"Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n");
    let part = "[A-Za-z0-9._+!]{0,12}";
    let name = prop_oneof![
        (
            proptest::collection::vec(part, 1..8),
            proptest::sample::select(vec![".whl", ".tar.gz", ".zip", ""])
        )
            .prop_map(|(parts, ext)| format!("{}{ext}", parts.join("-"))),
        any::<String>(),
        (
            any::<String>(),
            proptest::sample::select(vec![".whl", ".tar.gz"])
        )
            .prop_map(|(s, e)| s + e),
    ];
    fuzz("filename", name, 512, |name| {
        let parsed = DistFilename::parse(&name);
        if let Ok(f) = &parsed {
            prop_assert_eq!(f.as_str(), name.as_str());
            let _ = (
                f.normalized_name(),
                f.pyversion(),
                f.platform_tags(),
                f.kind(),
            );
        }
        // Through the whole check too, when the name can be a file name here.
        let fs_ok = !name.is_empty()
            && name.len() <= 200
            && !name.contains(['/', '\0'])
            && name != "."
            && name != "..";
        if fs_ok {
            check_bytes(dir.path(), &name, &wheel);
            std::fs::remove_file(dir.path().join(&name)).unwrap();
        }
        Ok(())
    });
}

#[test]
fn metadata_parser() {
    let dir = common::tempdir();
    let input = prop_oneof![
        4 => metadata_text(),
        1 => proptest::collection::vec(any::<u8>(), 0..2048),
    ];
    fuzz("metadata", input, 256, |bytes| {
        if let Ok(m) = CoreMetadata::parse(&bytes) {
            let _ = (
                m.to_raw_json(),
                m.project_urls(),
                m.metadata_version_tuple(),
            );
            let _ = (m.name(), m.version());
        }
        // And every metadata rule, inside a wheel and an sdist.
        check_bytes(
            dir.path(),
            "demo-1.0-py3-none-any.whl",
            &wheel_bytes(&bytes),
        );
        check_bytes(
            dir.path(),
            "demo-1.0.tar.gz",
            &gzip(&tar_bytes(&sdist_entries(&bytes))),
        );
        Ok(())
    });
}

#[test]
fn archive_readers() {
    let dir = common::tempdir();
    let good_meta =
        b"Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\n".to_vec();
    let wheel = wheel_bytes(&good_meta);
    let tar = tar_bytes(&sdist_entries(&good_meta));
    let member_name = prop_oneof![
        Just("demo-1.0.dist-info/METADATA".to_string()),
        Just("demo-1.0.dist-info/WHEEL".to_string()),
        Just("demo-1.0.dist-info/RECORD".to_string()),
        Just("other-2.0.dist-info/METADATA".to_string()),
        Just("a/b.dist-info/METADATA".to_string()),
        Just("/abs/path".to_string()),
        Just("../up".to_string()),
        "[a-z./-]{0,60}",
        any::<String>(),
    ];
    let member = (
        member_name,
        prop_oneof![
            metadata_text(),
            proptest::collection::vec(any::<u8>(), 0..300)
        ],
        any::<bool>(),
    );
    #[derive(Debug, Clone)]
    enum Input {
        Wheel(Vec<(String, Vec<u8>, bool)>),
        MutatedWheel((Vec<(usize, u8, u8)>, Option<usize>)),
        Tar(Vec<TarEntry>),
        MutatedTar((Vec<(usize, u8, u8)>, Option<usize>)),
        MutatedGz((Vec<(usize, u8, u8)>, Option<usize>)),
        SdistZip(Vec<(String, Vec<u8>, bool)>),
        /// A wheel written record by record with its headers changed (the ZIP walk).
        Crafted(Vec<RecordEdit>, Vec<u8>, Vec<u8>),
    }
    let input = prop_oneof![
        proptest::collection::vec(member.clone(), 0..8).prop_map(Input::Wheel),
        edits().prop_map(Input::MutatedWheel),
        proptest::collection::vec(tar_entry(), 0..8).prop_map(Input::Tar),
        edits().prop_map(Input::MutatedTar),
        edits().prop_map(Input::MutatedGz),
        proptest::collection::vec(member, 0..6).prop_map(Input::SdistZip),
        (
            proptest::collection::vec(record_edit(), 0..6),
            proptest::collection::vec(any::<u8>(), 0..40),
            proptest::collection::vec(any::<u8>(), 0..40),
        )
            .prop_map(|(edits, prepend, append)| Input::Crafted(edits, prepend, append)),
    ];
    fuzz("archive", input, 384, |input| {
        let (name, bytes) = match input {
            Input::Wheel(m) => ("demo-1.0-py3-none-any.whl", zip_bytes(&m)),
            Input::MutatedWheel((e, c)) => {
                ("demo-1.0-py3-none-any.whl", mutate(wheel.clone(), &e, c))
            }
            Input::Tar(entries) => ("demo-1.0.tar.gz", gzip(&tar_bytes(&entries))),
            Input::MutatedTar((e, c)) => ("demo-1.0.tar.gz", gzip(&mutate(tar.clone(), &e, c))),
            Input::MutatedGz((e, c)) => ("demo-1.0.tar.gz", mutate(gzip(&tar), &e, c)),
            Input::SdistZip(m) => ("demo-1.0.zip", zip_bytes(&m)),
            Input::Crafted(edits, prepend, append) => (
                "demo-1.0-py3-none-any.whl",
                crafted(&good_meta, &edits, prepend, append),
            ),
        };
        check_bytes(dir.path(), name, &bytes);
        Ok(())
    });
}

/// Inputs the long runs found (issue 8), kept: each once aborted `check` with a panic in
/// `pep508_rs`; now each is a one-line `requirement` problem.
#[test]
fn regressions_from_fuzzing() {
    let dir = common::tempdir();
    for requirement in [
        "a-:",
        "packaging>=24; extra == \"cli\"\n \u{ae}\u{16d40}\u{be6}\u{b9c} aa0 a",
    ] {
        let meta = format!(
            "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nRequires-Dist: {requirement}\n"
        );
        let path = dir.path().join("demo-1.0-py3-none-any.whl");
        std::fs::write(&path, wheel_bytes(meta.as_bytes())).unwrap();
        let (_, problems) = check_file(&path, Target::Pypi);
        assert!(
            problems.iter().any(|p| p.code == "requirement"),
            "{requirement:?}: {problems:?}"
        );
    }
}
