//! `pypi-publish check` against real files PyPI accepted (issue 12, point 5): a false
//! refusal is the worst bug this tool can have.
//!
//! The corpus (`tests/data/real-corpus.txt`, 560 pinned files of 195 projects, 2010–2026;
//! 352 of them, of 168 projects, uploaded since 2026-08-20 under PyPI's 2025–26 archive
//! rules, issue 21) is fetched once into a cache outside the tree
//! (`tests/py/fetch_corpus.py`). For every file:
//! - the PyPI oracle (`tests/py/pypi_oracle.py`, Warehouse's upload path rebuilt from the
//!   libraries PyPI uses) says what PyPI does with it today, and must say what
//!   `tests/data/real-corpus-expected.txt` says (files that rules added since their upload
//!   now refuse, by rule): a new trove-classifiers or packaging release shows up here;
//! - the test index (our Warehouse-faithful fixture) must give the same verdict;
//! - `check` must agree: accepted ⇔ no error, refused ⇔ an error with PyPI's rule code.
//!   Disagreements still open are listed, each with its reason, in
//!   `tests/data/real-corpus-known.txt`; the test fails on any other, and on a listed one
//!   that no longer happens (delete its line).
//!
//! `scripts/real-corpus` runs the same test on its own and prints the tables.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::Run;
use common::servers::TestIndex;

const TOKEN: &str = "pypi-corpus-token";

/// One pinned file.
struct Pin {
    category: String,
    project: String,
    filename: String,
}

fn read_pins() -> Vec<Pin> {
    let text = std::fs::read_to_string(common::repo().join("tests/data/real-corpus.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(cols.len(), 6, "malformed pin line: {l}");
            Pin {
                category: cols[0].to_string(),
                project: cols[1].to_string(),
                filename: cols[3].to_string(),
            }
        })
        .collect()
}

/// `filename → first column after it` of a data file, lines `filename word [comment]`.
fn read_table(name: &str) -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(common::repo().join("tests/data").join(name)).unwrap();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let mut cols = line.split_whitespace();
        let (file, word) = (cols.next().unwrap(), cols.next().unwrap_or_default());
        out.entry(file.to_string())
            .or_default()
            .insert(word.to_string());
    }
    out
}

fn python(script: &str, args: &[String]) -> Run {
    Command::new(common::venv_bin("python"))
        .arg(common::repo().join("tests/py").join(script))
        .args(args)
        .output()
        .expect("python runs")
        .into()
}

/// The oracle's verdicts, and the test index's, on every file. Mutation runs change only
/// the client, never the oracle, the venv or the test index: `scripts/mutants` names a file
/// in `PYPI_PUBLISH_ORACLE_REUSE` (deleted at the start of each run), written by the first
/// mutant and read by the others, which saves 19 s of a 21 s test per mutant.
fn oracle(paths: &[String], index_args: &[&str]) -> serde_json::Value {
    let reuse = std::env::var_os("PYPI_PUBLISH_ORACLE_REUSE").map(PathBuf::from);
    if let Some(text) = reuse.as_ref().and_then(|f| std::fs::read_to_string(f).ok()) {
        return serde_json::from_str(&text).unwrap();
    }
    let index = TestIndex::start(index_args);
    let mut args = paths.to_vec();
    args.extend([
        "--index".into(),
        index.upload_url(),
        "--token".into(),
        TOKEN.into(),
    ]);
    let run = python("pypi_oracle.py", &args);
    assert_eq!(run.code, Some(0), "the oracle failed:\n{}", run.all());
    if let Some(file) = reuse {
        std::fs::write(file, &run.stdout).unwrap();
    }
    serde_json::from_str(&run.stdout).unwrap()
}

/// Fetches (or finds cached) every pinned file; returns the cache folder.
fn fetch() -> PathBuf {
    let run = python("fetch_corpus.py", &[]);
    assert_eq!(
        run.code,
        Some(0),
        "fetching the corpus failed:\n{}",
        run.all()
    );
    PathBuf::from(run.stdout.lines().last().unwrap().trim())
}

/// What `check` found for one file: error codes and warning codes.
#[derive(Default)]
struct Ours {
    metadata_version: String,
    errors: BTreeSet<String>,
    warnings: BTreeSet<String>,
    lines: Vec<String>,
}

fn run_check(paths: &[String]) -> BTreeMap<String, Ours> {
    let mut args = vec![
        "check",
        "--json",
        "--repository-url",
        "https://upload.pypi.org/legacy/",
    ];
    args.extend(paths.iter().map(String::as_str));
    let run = common::publish(Path::new("."), &args);
    assert!(
        matches!(run.code, Some(0 | 1)),
        "check crashed:\n{}",
        run.all()
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let mut out = BTreeMap::new();
    for file in report["files"].as_array().unwrap() {
        let mut ours = Ours {
            metadata_version: file["metadata"]["metadata_version"]
                .as_str()
                .unwrap_or("?")
                .to_string(),
            ..Ours::default()
        };
        for p in file["problems"].as_array().unwrap() {
            let code = p["code"].as_str().unwrap().to_string();
            ours.lines.push(format!(
                "{} {code}: {} ({})",
                p["severity"].as_str().unwrap(),
                p["rule"].as_str().unwrap(),
                p["found"].as_str().unwrap()
            ));
            match p["severity"].as_str() {
                Some("error") => ours.errors.insert(code),
                _ => ours.warnings.insert(code),
            };
        }
        out.insert(file["file"].as_str().unwrap().to_string(), ours);
    }
    out
}

/// How `check` disagrees with the oracle on one file (empty: it agrees). Each entry is
/// `kind:code`: `false-refusal:<our code>` (PyPI accepts), `false-accept:<PyPI's code>`,
/// `other-reason:<PyPI's code>` (both refuse, but we miss PyPI's reason).
fn disagreements(oracle: &serde_json::Value, ours: &Ours) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if oracle["verdict"] == "accept" {
        out.extend(ours.errors.iter().map(|c| format!("false-refusal:{c}")));
    } else {
        let code = oracle["code"].as_str().unwrap();
        if ours.errors.is_empty() {
            out.insert(format!("false-accept:{code}"));
        } else if !ours.errors.contains(code) {
            out.insert(format!("other-reason:{code}"));
        }
    }
    out
}

#[test]
fn check_agrees_with_pypi_on_real_files() {
    let pins = read_pins();
    let started = Instant::now();
    let dir = fetch();
    let fetched = started.elapsed();
    let paths: Vec<String> = pins
        .iter()
        .map(|p| dir.join(&p.filename).to_string_lossy().into_owned())
        .collect();

    // The projects exist on PyPI: uploads go to an existing project (no new-project rules,
    // such as the standard-library name ban that `argparse` would hit).
    let mut index_args = vec!["--token", TOKEN];
    let projects: BTreeSet<&str> = pins.iter().map(|p| p.project.as_str()).collect();
    for project in &projects {
        index_args.extend(["--existing-project", project]);
    }
    let started = Instant::now();
    let oracle = oracle(&paths, &index_args);
    let oracle_took = started.elapsed();

    let started = Instant::now();
    let ours = run_check(&paths);
    let check_took = started.elapsed();

    let expected = read_table("real-corpus-expected.txt");
    let known = read_table("real-corpus-known.txt");
    let mut failures = Vec::new();
    let mut seen_known: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut by_category: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    let mut refusals: BTreeMap<String, u32> = BTreeMap::new();
    let mut by_version: BTreeMap<String, u32> = BTreeMap::new();
    for pin in &pins {
        let file = &pin.filename;
        let verdict = &oracle[file.as_str()];
        let entry = by_category.entry(&pin.category).or_default();
        entry.0 += 1;
        // 1. The oracle still says what was recorded.
        let code = verdict["code"].as_str().unwrap_or("accept").to_string();
        let recorded = expected.get(file).and_then(|c| c.first().cloned());
        if recorded.as_deref().unwrap_or("accept") != code {
            failures.push(format!(
                "{file}: the oracle now says {code} ({}), real-corpus-expected.txt says {}",
                verdict["message"],
                recorded.as_deref().unwrap_or("accept")
            ));
        }
        if code != "accept" {
            *refusals.entry(code.clone()).or_default() += 1;
        }
        // 2. The test index gives PyPI's verdict. It does not render descriptions (its
        // README): a file PyPI refuses only for that, it accepts.
        let status = verdict["index"]["status"].as_u64().unwrap_or(0);
        let only_rst = verdict["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().all(|r| r["code"] == "description-rst"));
        if (status == 200) != (code == "accept" || only_rst) {
            failures.push(format!(
                "{file}: the test index answered {status} {}, PyPI: {code} ({})",
                verdict["index"]["message"], verdict["message"]
            ));
        } else if status != 200 {
            // In PyPI's words (it adds "See … for more information." to some).
            let first = verdict["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["code"] != "description-rst");
            let want = first.and_then(|r| r["message"].as_str()).unwrap_or("");
            let said = verdict["index"]["message"].as_str().unwrap_or("");
            if !said.starts_with(want.trim_end_matches('.')) {
                failures.push(format!(
                    "{file}: the test index said {said:?}, PyPI says {want:?}"
                ));
            }
        }
        // 3. `check` agrees, or the disagreement is a known one.
        let ours = ours
            .get(file.as_str())
            .unwrap_or_else(|| panic!("check skipped {file}"));
        *by_version.entry(ours.metadata_version.clone()).or_default() += 1;
        let found = disagreements(verdict, ours);
        let allowed = known.get(file).cloned().unwrap_or_default();
        if found.is_empty() {
            entry.1 += 1;
        }
        for d in found.difference(&allowed) {
            failures.push(format!(
                "{file}: {d}\n    PyPI: {} {}\n    check:\n      {}",
                verdict["verdict"],
                verdict["reasons"],
                ours.lines.join("\n      ")
            ));
        }
        seen_known.insert(
            file.clone(),
            found.intersection(&allowed).cloned().collect(),
        );
    }
    for (file, listed) in &known {
        for d in listed.difference(seen_known.get(file).unwrap_or(&BTreeSet::new())) {
            failures.push(format!(
                "{file}: {d} is listed in real-corpus-known.txt but no longer happens: delete the line"
            ));
        }
    }
    for file in expected
        .keys()
        .filter(|f| !pins.iter().any(|p| &p.filename == *f))
    {
        failures.push(format!(
            "{file}: in real-corpus-expected.txt but not pinned"
        ));
    }

    let agreed: u32 = by_category.values().map(|v| v.1).sum();
    eprintln!(
        "real corpus: {} files, check agrees on {agreed}; fetch {:.1?}, oracle + test index {:.1?}, check {:.1?}",
        pins.len(),
        fetched,
        oracle_took,
        check_took
    );
    for (category, (n, ok)) in &by_category {
        eprintln!("  {category:<13} {n:>4} files, {ok:>4} agree");
    }
    for (version, n) in &by_version {
        eprintln!("  metadata {version:<5} {n:>4} files");
    }
    for (code, n) in &refusals {
        eprintln!("  PyPI refuses {n:>3} for {code}");
    }
    let known_count: usize = seen_known.values().map(BTreeSet::len).sum();
    eprintln!("  known disagreements: {known_count}");
    assert!(
        failures.is_empty(),
        "{} disagreement(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
