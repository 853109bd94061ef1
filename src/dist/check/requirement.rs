//! A PEP 508 requirement (`Requires-Dist` and friends), parsed without the two inputs that
//! make `pep508_rs` 0.9 panic (found by fuzzing, issue 8) — a panic there would abort the
//! whole run:
//!
//! - a package name ending in `.`, `-` or `_` followed by anything (`a-: x`): its name
//!   parser unwraps a name it did not validate;
//! - a non-ASCII character where it scans a bare word (`extra == "x" é`): it counts
//!   characters but slices bytes.
//!
//! PEP 508 is ASCII outside quoted strings, so non-ASCII there is an error of its own; inside
//! quotes it is replaced by an ASCII stand-in, which keeps the requirement's validity.

use std::str::FromStr;

use pep508_rs::{Requirement, VerbatimUrl};

/// Parses `req`, or says why it is not a valid requirement.
pub fn parse(req: &str) -> Result<Requirement<VerbatimUrl>, String> {
    let name_end = req
        .trim_start()
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(req.trim_start().len());
    if let Some(last @ ('.' | '-' | '_')) = req.trim_start()[..name_end].chars().last() {
        return Err(format!(
            "Package name must end with an alphanumeric character, not '{last}'"
        ));
    }
    let mut ascii = String::with_capacity(req.len());
    let mut quote = None;
    for c in req.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) if !c.is_ascii() => {
                return Err(format!(
                    "Unexpected character '{c}': PEP 508 allows non-ASCII only in quoted strings"
                ));
            }
            _ => {}
        }
        ascii.push(if c.is_ascii() { c } else { 'x' });
    }
    Requirement::from_str(&arbitrary_equality_as_version(&ascii)).map_err(|e| e.message.to_string())
}

/// PEP 440's arbitrary equality (`foo===abc`) takes any string, and packaging's
/// `Requirement` (which Warehouse validates Requires-Dist with) accepts it; pep508_rs wants
/// a PEP 440 version there. For validation only, each `===` operand before the marker
/// becomes `0`.
fn arbitrary_equality_as_version(req: &str) -> String {
    let (spec, marker) = req
        .split_once(';')
        .map_or((req, None), |(a, b)| (a, Some(b)));
    let mut out = String::new();
    let mut rest = spec;
    while let Some(at) = rest.find("===") {
        out.push_str(&rest[..at + 3]);
        let operand = rest[at + 3..].trim_start();
        let end = operand
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ')' | ';'))
            .unwrap_or(operand.len());
        out.push('0');
        rest = &operand[end..];
    }
    out.push_str(rest);
    if let Some(marker) = marker {
        out.push(';');
        out.push_str(marker);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue8_fuzz_cases_are_errors_not_panics() {
        assert!(parse("a-:").unwrap_err().contains("not '-'"));
        assert!(parse("a_ >=1").is_err());
        assert!(parse("packaging>=24; extra == \"cli\"\n ®\u{16d40}୦ஜ aa0 a").is_err());
        assert!(parse("x; extra == \"cli\" \"漢字\"").is_err());
        assert!(parse("x; os_name == \"漢字\"").is_ok());
        assert!(parse("packaging>=24; extra == \"cli\"").is_ok());
        assert!(parse("a-b.c_d[x]>=1").is_ok());
    }

    #[test]
    fn arbitrary_equality_takes_any_string_as_packaging_does() {
        assert!(parse("foo===abc").is_ok());
        assert!(parse("foo (===1.0+abc) ; python_version == \"3.8\"").is_ok());
        assert!(parse("foo===abc,>=1").is_ok());
        assert!(parse("foo===").is_ok()); // packaging 26.3 accepts it too
    }
}
