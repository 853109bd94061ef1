//! The reStructuredText check (`dist::rst`) judged by the real renderer: every description in
//! the pinned corpus of real distributions (`tests/data/rst-corpus.txt`) and every synthetic
//! case (`tests/data/rst-synthetic/`) goes to `readme_renderer.rst.render` (through
//! `tests/py/rst_oracle.py`) and to our validator, and the two must agree on render / no-render.
//!
//! The corpus is downloaded once with pip (sha256-pinned) into
//! `${XDG_CACHE_HOME:-~/.cache}/rust-pypi-publish/rst-corpus/` and reused after that.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pypi_publish::dist::rst::{self, Verdict};
use pypi_publish::dist::{CoreMetadata, Field};

/// Where the corpus files and their extracted metadata live between runs.
fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache")
        });
    base.join("rust-pypi-publish").join("rst-corpus")
}

/// The renderer's verdict on one text.
#[derive(Debug)]
struct Judged {
    renders: bool,
    line: Option<usize>,
    message: Option<String>,
}

/// Runs the oracle over `(id, text)` pairs; the answers come back in the same order.
fn oracle(items: &[(String, String)]) -> Vec<Judged> {
    let mut child = Command::new(common::venv_bin("python"))
        .arg(common::repo().join("tests/py/rst_oracle.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the oracle starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let input: Vec<String> = items
        .iter()
        .map(|(id, text)| serde_json::json!({"id": id, "text": text}).to_string())
        .collect();
    let writer = std::thread::spawn(move || {
        for line in input {
            writeln!(stdin, "{line}").expect("the oracle reads");
        }
    });
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut out = Vec::new();
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(&line.expect("a line")).expect("JSON");
        out.push(Judged {
            renders: v["renders"].as_bool().expect("renders"),
            line: v["line"].as_u64().map(|n| n as usize),
            message: v["message"].as_str().map(str::to_string),
        });
    }
    writer.join().expect("writer");
    assert!(
        child.wait().expect("oracle exits").success(),
        "the oracle failed"
    );
    assert_eq!(out.len(), items.len(), "the oracle answered every text");
    out
}

/// Compares both sides; returns the disagreements, described, and how many messages agree.
fn compare(items: &[(String, String)]) -> (Vec<String>, usize, Vec<Duration>) {
    let judged = oracle(items);
    let mut disagreements = Vec::new();
    let mut same_message = 0;
    let mut times = Vec::with_capacity(items.len());
    for ((id, text), theirs) in items.iter().zip(&judged) {
        let start = Instant::now();
        let ours = rst::check(text);
        times.push(start.elapsed());
        let (ours_renders, ours_text) = match &ours {
            Verdict::Renders => (true, "renders".to_string()),
            Verdict::Fails(f) => (false, f.to_string()),
        };
        let theirs_text = match (&theirs.message, theirs.line) {
            _ if theirs.renders => "renders".to_string(),
            (Some(m), Some(l)) => format!("line {l}: {m}"),
            (Some(m), None) => m.clone(),
            (None, _) => "no render".to_string(),
        };
        if ours_text == theirs_text {
            same_message += 1;
        }
        if ours_renders != theirs.renders {
            disagreements.push(format!(
                "{id}: ours: {ours_text} | readme_renderer: {theirs_text}"
            ));
        }
    }
    (disagreements, same_message, times)
}

fn median_ms(times: &mut [Duration]) -> f64 {
    times.sort();
    times
        .get(times.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The pinned corpus, fetched if the cache lacks any of it: `(project-version, description)`.
fn corpus() -> Vec<(String, String)> {
    let pins = common::repo().join("tests/data/rst-corpus.txt");
    let cache = cache_dir();
    let status = Command::new(common::venv_bin("python"))
        .arg(common::repo().join("tests/py/rst_corpus.py"))
        .arg("fetch")
        .arg(&pins)
        .arg(&cache)
        .status()
        .expect("the corpus fetcher starts");
    assert!(status.success(), "fetching the corpus failed (see above)");
    let mut items = Vec::new();
    for line in std::fs::read_to_string(&pins).expect("pins").lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [project, version, filename, _sha] = fields[..] else {
            continue;
        };
        let raw = std::fs::read(cache.join("metadata").join(format!("{filename}.metadata")))
            .expect("extracted metadata");
        let meta = CoreMetadata::parse(&raw).expect("metadata parses");
        let content_type = meta.get(Field::DescriptionContentType).unwrap_or("");
        assert!(
            content_type.is_empty() || content_type.to_ascii_lowercase().starts_with("text/x-rst"),
            "{filename}: not reStructuredText ({content_type})"
        );
        let description = meta.get(Field::Description).unwrap_or("").to_string();
        items.push((format!("{project} {version}"), description));
    }
    items
}

#[test]
fn corpus_agrees_with_readme_renderer() {
    let items = corpus();
    assert!(
        items.len() >= 300,
        "the corpus has {} descriptions",
        items.len()
    );
    let (disagreements, same_message, mut times) = compare(&items);
    let failing = items
        .iter()
        .filter(|(_, text)| matches!(rst::check(text), Verdict::Fails(_)))
        .count();
    eprintln!(
        "rst corpus: {} descriptions, {} fail to render (ours), {} disagreements, {} identical messages, median {:.3} ms",
        items.len(),
        failing,
        disagreements.len(),
        same_message,
        median_ms(&mut times)
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} descriptions judged differently:\n{}",
        disagreements.len(),
        items.len(),
        disagreements.join("\n")
    );
}

/// Every `*.rst` file of a folder, by name.
fn cases_in(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut items = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("synthetic cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rst"))
        .collect();
    names.sort();
    for path in names {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        items.push((name, text));
    }
    items
}

#[test]
fn synthetic_cases_agree_with_readme_renderer() {
    let items = cases_in(&common::repo().join("tests/data/rst-synthetic"));
    assert!(items.len() >= 40, "{} synthetic cases", items.len());
    let (disagreements, same_message, _) = compare(&items);
    eprintln!(
        "rst synthetic: {} cases, {} disagreements, {} identical messages",
        items.len(),
        disagreements.len(),
        same_message
    );
    assert!(
        disagreements.is_empty(),
        "judged differently:\n{}",
        disagreements.join("\n")
    );
}

/// More cases from a folder named by `PYPI_PUBLISH_RST_EXTRA` (e.g. descriptions cut into
/// pieces to hunt for disagreements); nothing to do when it is unset.
#[test]
fn extra_cases_agree_with_readme_renderer() {
    let Some(dir) = std::env::var_os("PYPI_PUBLISH_RST_EXTRA") else {
        return;
    };
    let items = cases_in(std::path::Path::new(&dir));
    let (disagreements, same_message, mut times) = compare(&items);
    eprintln!(
        "rst extra: {} cases, {} disagreements, {} identical messages, median {:.3} ms",
        items.len(),
        disagreements.len(),
        same_message,
        median_ms(&mut times)
    );
    assert!(
        disagreements.is_empty(),
        "{} judged differently:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
