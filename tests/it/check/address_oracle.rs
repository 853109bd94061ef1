//! Author-email and Maintainer-email: `check` must read each field as Python's strict
//! `parseaddr` reads it and judge the address as `email-validator` does (Warehouse
//! `forklift/metadata.py`), field by field, on thousands of generated fields built from the
//! characters that steer the parser. The oracle is the venv's real `email._parseaddr` and
//! `email-validator`, through `tests/py/pypi_oracle.py`'s `parseaddr` (the strict checks of
//! Python 3.14 around the parser this Python shares with it).

use crate::common;

use pypi_publish::dist::check::address::{Parsed, is_valid_email, parse};

/// Pieces a field is built from: words, the address specials, quotes, escapes, white space.
const PIECES: &[&str] = &[
    "a",
    "b.org",
    "Jane",
    "@",
    ".",
    "<",
    ">",
    "(",
    ")",
    "\"",
    ",",
    ":",
    ";",
    "[",
    "]",
    "\\",
    " ",
    "\t",
    "\n",
    "-",
    "_",
    "1",
    "é",
    "a@b.org",
    "x@y.test",
    "c@d.io",
    "<a@b.org>",
];

fn generated(count: usize) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(822);
    (0..count)
        .map(|_| {
            (0..rng.usize(1..=8))
                .map(|_| PIECES[rng.usize(..PIECES.len())])
                .collect()
        })
        .collect()
}

/// The oracle's reading of each field: the address found (empty: none) and whether PyPI
/// accepts the field.
fn warehouse(fields: &[String]) -> Vec<(String, bool)> {
    let script = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
import email_validator
from pypi_oracle import parseaddr
out = []
for field in json.load(sys.stdin):
    address = parseaddr(field)[1]
    ok = True
    if address:
        try:
            email_validator.validate_email(address, check_deliverability=False)
        except email_validator.EmailNotValidError:
            ok = False
    out.append((address, ok))
print(json.dumps(out))
"#;
    let py = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py");
    common::venv_python_json(script, &[&py], &fields)
}

#[test]
fn generated_address_fields_are_read_and_judged_as_warehouse_does() {
    let fields = generated(5000);
    let oracle = warehouse(&fields);
    let mut wrong = Vec::new();
    for (field, (address, accepted)) in fields.iter().zip(&oracle) {
        let ours = match parse(field) {
            Parsed::One(a) => {
                let ok = is_valid_email(&a);
                (a, ok)
            }
            Parsed::List(_) | Parsed::Nothing => (String::new(), true),
        };
        if ours != (address.clone(), *accepted) {
            wrong.push(format!(
                "{field:?}: ours {ours:?}, Warehouse ({address:?}, {accepted})"
            ));
        }
    }
    // Both ways, and nothing refused that PyPI accepts.
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        fields.len(),
        wrong[..wrong.len().min(30)].join("\n")
    );
    let refused = oracle.iter().filter(|(_, ok)| !ok).count();
    assert!(
        refused > 500 && refused < 4500,
        "{refused} refused: the fields say too little"
    );
}
