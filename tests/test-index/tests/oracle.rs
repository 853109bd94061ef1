//! The index judges versions, specifiers and requirements with Python's `packaging`
//! (as Warehouse does), not with the pep440_rs / pep508_rs crates the client once used
//! (issue 16, point 4: fixture and client must not share a bug). Each case below is
//! one where those crates and `packaging` disagree; the test first asks `packaging`
//! itself (the venv's Python) and checks the index follows it, not the crates.

mod common;

use std::process::Command;

use common::{Form, Server, wheel};

const CORE: &str =
    "See https://packaging.python.org/specifications/core-metadata for more information.";
const JSON: &str = "application/vnd.pypi.simple.v1+json";

/// (form field, value, what pep440_rs 0.7 / pep508_rs 0.9 say: `true` = valid)
const CASES: [(&str, &str, bool); 13] = [
    // Release segments beyond u64: the crates overflow, packaging has big integers.
    ("version", "1.0.99999999999999999999", false),
    // Arbitrary equality takes any string (PEP 440); the crates want a version.
    ("requires_python", "===foo", false),
    // packaging skips empty items of a specifier set.
    ("requires_python", ">=3.8,", false),
    ("requires_python", ",>=3.8", false),
    ("requires_dist", "foo===bar", false),
    ("requires_dist", "foo ()", false),
    ("requires_dist", "foo>=1.0,", false),
    // Newer markers (PEP 751) that packaging 26 knows.
    ("requires_dist", "foo; 'a' in extras", false),
    ("requires_dist", "foo; dependency_groups == 'a'", false),
    ("provides_dist", "foo===bar", false),
    // Agreed refusals, so the index's own message is checked too.
    ("version", "1.0-beta_x", false),
    ("requires_python", ">=1.0.*", false),
    ("requires_dist", "foo>=1.0.*", false),
];

/// `packaging`'s verdict on each case: `Some(str(parsed))` or `None` (invalid).
fn packaging_verdicts() -> Vec<Option<String>> {
    let script = r#"
import json, sys
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
parse = {"version": Version, "requires_python": SpecifierSet,
         "requires_dist": Requirement, "provides_dist": Requirement}
out = []
for field, value in json.load(sys.stdin):
    try:
        out.append(str(parse[field](value)))
    except ValueError:
        out.append(None)
print(json.dumps(out))
"#;
    let cases: Vec<(&str, &str)> = CASES.iter().map(|(f, v, _)| (*f, *v)).collect();
    common::python_json(script, &cases)
}

#[test]
fn versions_and_requirements_are_judged_by_packaging_not_the_clients_crates() {
    let verdicts = packaging_verdicts();
    // The table's premise: on the first ten the crates' verdict is not packaging's.
    let disagreements = CASES
        .iter()
        .zip(&verdicts)
        .filter(|((_, _, crates), packaging)| *crates != packaging.is_some())
        .count();
    assert_eq!(disagreements, 10, "{verdicts:?}");

    let server = Server::start(&[]);
    for (i, ((field, value, _), verdict)) in CASES.iter().zip(&verdicts).enumerate() {
        // A new release per case, so every accepted upload is stored.
        let version = if *field == "version" {
            (*value).to_owned()
        } else {
            format!("1.{i}")
        };
        let filename = format!("demo_pkg-{version}-py3-none-any.whl");
        let form = Form::new(&wheel(&filename), "demo-pkg", &version);
        let form = if *field == "version" {
            form
        } else {
            form.add(field, value)
        };
        let reply = server.upload(Some("SECRET"), &form);
        match verdict {
            Some(_) => assert_eq!(
                reply.status,
                200,
                "{field} {value:?}: {}",
                reply.status_line()
            ),
            None => {
                let shown = field.replace('_', "-");
                assert_eq!(
                    reply.status_line(),
                    format!("400 '{value}' is invalid for '{shown}'. {CORE}"),
                    "{field} {value:?}"
                );
            }
        }
        // PyPI serves Requires-Python as `str(SpecifierSet(...))`.
        if let (&"requires_python", Some(normalized)) = (field, verdict) {
            let files = server.get("/simple/demo-pkg/", &[("Accept", JSON)]).json()["files"]
                .as_array()
                .unwrap()
                .clone();
            let file = files.iter().find(|f| f["filename"] == filename.as_str());
            assert_eq!(file.unwrap()["requires-python"], normalized.as_str());
        }
    }
}

#[test]
fn direct_references_are_shown_as_packaging_writes_them() {
    let server = Server::start(&[]);
    // pep508_rs would print `foo @ https://x.org/` (a normalized URL); packaging keeps it.
    let form = Form::new(&wheel("demo_pkg-1.0-py3-none-any.whl"), "demo-pkg", "1.0")
        .add("requires_dist", "foo@https://x.org");
    assert_eq!(
        server.upload(Some("SECRET"), &form).status_line(),
        format!("400 Can't have direct dependency: foo @ https://x.org. {CORE}")
    );
}

#[test]
fn without_packaging_the_index_does_not_start() {
    for python in ["/nonexistent/python", "/bin/true"] {
        let output = Command::new(env!("CARGO_BIN_EXE_test-index"))
            .args(["--python", python])
            .output()
            .unwrap();
        assert!(!output.status.success());
        assert!(output.stdout.is_empty(), "it announced itself");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("cannot start the packaging oracle with {python}")),
            "{stderr}"
        );
    }
    let output = Command::new(env!("CARGO_BIN_EXE_test-index"))
        .env_remove("PYPI_PUBLISH_TEST_VENV")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("pass --python PATH"),
        "{output:?}"
    );
}
