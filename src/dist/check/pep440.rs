//! A PEP 440 version and version specifier, judged exactly as PyPI judges them.
//!
//! Warehouse validates the upload with `packaging.metadata.Metadata.from_raw`, which reads
//! Version with `packaging.version.Version` and Requires-Python with
//! `packaging.specifiers.SpecifierSet`. Both are regular expressions
//! (`VERSION_PATTERN` in packaging/version.py, `Specifier._specifier_regex_str` in
//! packaging/specifiers.py): a release number of any size is valid (Python has big
//! integers; the pep440_rs crate stops at 64 bits), and `===` takes any string. The
//! patterns below are those, rewritten for `regex-lite`: packaging's possessive
//! quantifiers become plain ones (packaging itself does so on older Pythons, with the
//! same verdicts), and Python's Unicode `\s` becomes an explicit class, since
//! `regex-lite`'s `\s` is ASCII. Every letter in packaging's patterns is ASCII-only
//! (`(?a:…)`) or a `v`, so ASCII case-insensitivity is the same as Python's.

use std::sync::LazyLock;

use regex_lite::Regex;

/// Python's whitespace (`str.isspace()`, `str.strip()`, `\s` in a `re` pattern on `str`).
pub fn is_python_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\x1c'..='\x1f'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// `is_python_space` as the inside of a regex class.
const SPACE: &str =
    r"\t-\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}";

/// packaging's `VERSION_PATTERN`, anchored (`Version` calls `fullmatch` after `\s*`).
static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*",
        r"(?:[._-]?(?:alpha|a|beta|b|preview|pre|c|rc)[._-]?[0-9]*)?",
        r"(?:-[0-9]+|[._-]?(?:post|rev|r)[._-]?[0-9]*)?",
        r"(?:[._-]?dev[._-]?[0-9]*)?",
        r"(?:\+(?P<local>[a-z0-9]+(?:[._-][a-z0-9]+)*))?$",
    ))
    .expect("the version pattern compiles")
});

/// packaging's `Specifier._specifier_regex_str`: one operator and its version.
fn specifier_pattern() -> String {
    let pre = r"(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?";
    let post = r"(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?";
    let dev = r"(?:[-_.]?dev[-_.]?[0-9]*)?";
    let head = format!(r"[{SPACE}]*v?(?:[0-9]+!)?[0-9]+");
    [
        // `===` (PEP 440 arbitrary equality): anything up to whitespace, `;` or `)`.
        format!(r"===[{SPACE}]*[^{SPACE};)]+"),
        // `==` and `!=` also take a `.*` prefix match or a local version.
        format!(
            r"(?:==|!=){head}(?:\.[0-9]+)*(?:\.\*|{pre}{post}{dev}(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?)?"
        ),
        // `~=` needs two release numbers.
        format!(r"~={head}(?:\.[0-9]+)+{pre}{post}{dev}"),
        format!(r"(?:<=|>=|<|>){head}(?:\.[0-9]+)*{pre}{post}{dev}"),
    ]
    .join("|")
}

/// One specifier at the start of a text (the requirement parser's `SPECIFIER` token).
pub(super) static SPECIFIER_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!("(?i)^(?:{})", specifier_pattern())).expect("the specifier compiles")
});

/// One whole specifier (`Specifier(spec)`: `fullmatch` of `\s*` pattern `\s*`).
static SPECIFIER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "(?i)^[{SPACE}]*(?:{})[{SPACE}]*$",
        specifier_pattern()
    ))
    .expect("the specifier compiles")
});

/// A version packaging accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidVersion {
    /// Whether it has a local part (`+abc`), which PyPI refuses (Warehouse
    /// `_validate_metadata`).
    pub local: bool,
}

/// Judges `version` as `packaging.version.Version` does; the error is its message.
pub fn parse_version(version: &str) -> Result<ValidVersion, String> {
    match VERSION.captures(version.trim_matches(is_python_space)) {
        Some(caps) => Ok(ValidVersion {
            local: caps.name("local").is_some(),
        }),
        None => Err(format!("Invalid version: {}", py_repr(version))),
    }
}

/// Judges one specifier as `packaging.specifiers.Specifier` does.
pub fn check_specifier(spec: &str) -> Result<(), String> {
    if SPECIFIER.is_match(spec) {
        Ok(())
    } else {
        Err(format!("Invalid specifier: {}", py_repr(spec)))
    }
}

/// Judges a comma-separated list as `packaging.specifiers.SpecifierSet` does (it splits
/// on commas, strips each item and skips the empty ones: `>=3.8,` is valid); `Ok` holds
/// how many specifiers it has.
pub fn check_specifier_set(specs: &str) -> Result<usize, String> {
    let mut count = 0;
    for item in specs.split(',').map(|s| s.trim_matches(is_python_space)) {
        if !item.is_empty() {
            check_specifier(item)?;
            count += 1;
        }
    }
    Ok(count)
}

/// A string as Python's `repr` shows it in packaging's messages (the quote it picks).
pub(super) fn py_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\'', "\\'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_numbers_beyond_64_bits_are_valid_as_in_packaging() {
        assert_eq!(
            parse_version("1.0.99999999999999999999"),
            Ok(ValidVersion { local: false })
        );
        assert_eq!(
            parse_version(" v1!2.0rc1.post2.dev3+Ubuntu.1 "),
            Ok(ValidVersion { local: true })
        );
        assert_eq!(
            parse_version("1.0-beta_x"),
            Err("Invalid version: '1.0-beta_x'".to_string())
        );
        assert!(parse_version("1..0").is_err());
        assert!(parse_version("").is_err());
    }

    #[test]
    fn arbitrary_equality_takes_any_string() {
        assert_eq!(check_specifier_set("===foo"), Ok(1));
        assert_eq!(check_specifier_set(">=3.8,"), Ok(1));
        assert_eq!(check_specifier_set(",>=3.8"), Ok(1));
        assert_eq!(check_specifier_set(" "), Ok(0));
        assert_eq!(
            check_specifier_set(">=3.8,<"),
            Err("Invalid specifier: '<'".to_string())
        );
        assert!(check_specifier_set(">=1.0.*").is_err());
        assert!(check_specifier_set("~=1").is_err());
        assert!(check_specifier_set("==1.0.*").is_ok());
    }
}
