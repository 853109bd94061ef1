//! Versions, specifier sets and requirements: `check`'s verdict must be `packaging`'s,
//! value by value (a false refusal is the worst bug this tool can have). The values are
//! in `tests/data/packaging-differential.json`: hand-picked tricky ones (the cases where
//! the pep440_rs / pep508_rs crates once disagreed, issue 16; every grammar corner of
//! packaging/_parser.py and _tokenizer.py) and every Version, Requires-Python and
//! *-Dist value of the real corpus. The oracle is the venv's real `packaging`, the
//! library Warehouse judges uploads with.

use crate::common;

use pypi_publish::dist::check::{pep440, pep508};

/// The client's verdict on a value: `true` = valid.
type Verdict = fn(&str) -> bool;

/// The kinds, with how `packaging` reads each (as `Metadata.from_raw` and Warehouse
/// `_validate_metadata` do) and how the client does.
const KINDS: [(&str, &str, Verdict); 3] = [
    ("versions", "Version", |v| pep440::parse_version(v).is_ok()),
    ("specifier_sets", "SpecifierSet", |v| {
        pep440::check_specifier_set(v).is_ok()
    }),
    ("requirements", "Requirement", |v| pep508::parse(v).is_ok()),
];

/// `packaging`'s verdict on each value: `true` = valid.
fn packaging_verdicts(class: &str, values: &[String]) -> Vec<bool> {
    let script = format!(
        r#"
import json, sys
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
out = []
for value in json.load(sys.stdin):
    try:
        {class}(value)
        out.append(True)
    except ValueError:
        out.append(False)
print(json.dumps(out))
"#
    );
    common::venv_python_json(&script, &[], &values)
}

#[test]
fn versions_specifiers_and_requirements_are_judged_as_packaging_judges_them() {
    let path = common::repo().join("tests/data/packaging-differential.json");
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut report = Vec::new();
    let mut disagreements = Vec::new();
    for (kind, class, ours) in KINDS {
        let mut values: Vec<String> = Vec::new();
        for key in [kind.to_string(), format!("corpus_{kind}")] {
            values.extend(
                data[&key]
                    .as_array()
                    .unwrap_or_else(|| panic!("{key} in the data file"))
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string()),
            );
        }
        assert!(values.len() >= 100, "{kind}: only {}", values.len());
        let theirs = packaging_verdicts(class, &values);
        let valid = theirs.iter().filter(|v| **v).count();
        for (value, theirs) in values.iter().zip(&theirs) {
            if ours(value) != *theirs {
                disagreements.push(format!(
                    "{class}({value:?}): packaging says {}, check says {}",
                    if *theirs { "valid" } else { "invalid" },
                    if *theirs { "invalid" } else { "valid" },
                ));
            }
        }
        report.push(format!(
            "{kind}: {} values ({valid} valid, {} invalid)",
            values.len(),
            values.len() - valid
        ));
        // Both verdicts must be exercised, or the list proves little.
        assert!(valid >= 20 && values.len() - valid >= 20, "{report:?}");
    }
    eprintln!("{}", report.join("\n"));
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Values built from each grammar's own pieces, at random (a fixed seed, so a failure
/// reproduces): they reach the corners no one thought to list.
fn generated(kind: &str, count: usize) -> Vec<String> {
    const VERSION: &[&str] = &[
        "1",
        "0",
        "99999999999999999999",
        ".",
        "!",
        "v",
        "a",
        "alpha",
        "b",
        "c",
        "rc",
        "pre",
        "preview",
        "post",
        "rev",
        "r",
        "dev",
        "-",
        "_",
        "+",
        "x",
        "X",
        " ",
        "*",
        "\u{3000}",
    ];
    const SPECIFIER: &[&str] = &[
        "==", "===", "!=", "~=", ">=", "<=", "<", ">", "1", ".0", ".*", "+x", "a1", ".post1", "-1",
        ".dev", "v", ",", " ", "\t", "foo", ";", ")", "\u{a0}", "!",
    ];
    const REQUIREMENT: &[&str] = &[
        "foo",
        "_",
        "-",
        ".",
        " ",
        "\t",
        "[",
        "]",
        "(",
        ")",
        ",",
        ";",
        "@",
        "https://x/",
        "'a'",
        "\"b\"",
        "'\\x41'",
        "'\\'",
        "os_name",
        "os.name",
        "extra",
        "extras",
        "python_version",
        "dependency_groups",
        "in",
        "not",
        "and",
        "or",
        "==",
        "===",
        ">=",
        "<",
        "~=",
        "1.0",
        "1",
        ".*",
        "+x",
        "é",
        "\u{3000}",
    ];
    let pieces = match kind {
        "versions" => VERSION,
        "specifier_sets" => SPECIFIER,
        _ => REQUIREMENT,
    };
    // splitmix64: no dependency, same values everywhere.
    let mut state: u64 = 0x5eed_0000_0000_0016;
    let mut next = move |n: usize| {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    };
    (0..count)
        .map(|_| {
            let len = 1 + next(8);
            let mut value = String::new();
            if kind == "requirements" && next(3) > 0 {
                value.push_str("foo");
            }
            for _ in 0..len {
                value.push_str(pieces[next(pieces.len())]);
            }
            value
        })
        .collect()
}

#[test]
fn generated_values_are_judged_as_packaging_judges_them() {
    let mut report = Vec::new();
    let mut disagreements = Vec::new();
    for (kind, class, ours) in KINDS {
        let values = generated(kind, 20_000);
        let theirs = packaging_verdicts(class, &values);
        let valid = theirs.iter().filter(|v| **v).count();
        for (value, theirs) in values.iter().zip(&theirs) {
            if ours(value) != *theirs {
                disagreements.push(format!("{class}({value:?}): packaging says {theirs}"));
            }
        }
        report.push(format!("{kind}: {} generated, {valid} valid", values.len()));
    }
    eprintln!("{}", report.join("\n"));
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Every valid version shows as `str(Version)` (the normal form PyPI names sdists by, PEP
/// 625) and keys its release as `canonicalize_version` does (`1.0` and `1.0.0` are one
/// release: the filename-version and one-sdist rules compare these).
#[test]
fn versions_normalize_as_packaging_normalizes_them() {
    let path = common::repo().join("tests/data/packaging-differential.json");
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut values: Vec<String> = ["versions", "corpus_versions"]
        .iter()
        .flat_map(|key| data[key].as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    values.extend(generated("versions", 20_000));
    let script = r#"
import json, sys
from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version
out = []
for value in json.load(sys.stdin):
    try:
        v = Version(value)
        out.append([str(v), canonicalize_version(v)])
    except InvalidVersion:
        out.append(None)
print(json.dumps(out))
"#;
    let theirs: Vec<Option<(String, String)>> = common::venv_python_json(script, &[], &values);
    let mut compared = 0;
    let mut wrong = Vec::new();
    for (value, theirs) in values.iter().zip(theirs) {
        let ours = pep440::parse_version(value)
            .ok()
            .map(|v| (v.to_string(), v.release_key()));
        compared += usize::from(ours.is_some());
        if ours != theirs {
            wrong.push(format!("{value:?}: packaging {theirs:?}, check {ours:?}"));
        }
    }
    assert!(compared >= 500, "{compared}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
