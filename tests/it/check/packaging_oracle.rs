//! Versions, specifier sets and requirements: `check`'s verdict must be `packaging`'s,
//! value by value (a false refusal is the worst bug this tool can have). The values are
//! in `tests/data/packaging-differential.json`: hand-picked tricky ones (the cases where
//! the pep440_rs / pep508_rs crates once disagreed, issue 16; every grammar corner of
//! packaging/_parser.py and _tokenizer.py) and every Version, Requires-Python and
//! *-Dist value of the real corpus. The oracle is the venv's real `packaging`, the
//! library Warehouse judges uploads with.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

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
    let mut child = Command::new(common::venv_bin("python"))
        .args(["-I", "-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the venv's Python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(values).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    serde_json::from_slice(&output.stdout).unwrap()
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
