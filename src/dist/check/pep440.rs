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

use std::fmt;
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
        r"(?i)^v?(?:(?P<epoch>[0-9]+)!)?(?P<release>[0-9]+(?:\.[0-9]+)*)",
        r"(?:[._-]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[._-]?(?P<pre_n>[0-9]+)?)?",
        r"(?P<post>-(?P<post_n1>[0-9]+)|[._-]?(?:post|rev|r)[._-]?(?P<post_n2>[0-9]+)?)?",
        r"(?P<dev>[._-]?dev[._-]?(?P<dev_n>[0-9]+)?)?",
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

/// A version as packaging holds it: every number a decimal string without leading zeros
/// (Python integers have no size limit). Equality is packaging's (`1.0 == 1.0.0`,
/// `+01 == +1`); `Display` is `str(Version)`, the form PyPI names files and releases by.
#[derive(Debug, Clone)]
pub struct Pep440Version {
    epoch: String,
    release: Vec<String>,
    /// `a`, `b` or `rc`, and its number.
    pre: Option<(&'static str, String)>,
    post: Option<String>,
    dev: Option<String>,
    /// Lower case; numeric parts without leading zeros.
    local: Vec<String>,
}

impl Pep440Version {
    /// Whether it has a local part (`+abc`), which PyPI refuses (Warehouse
    /// `_validate_metadata`).
    pub fn is_local(&self) -> bool {
        !self.local.is_empty()
    }

    /// The release without its trailing zeros, which packaging ignores when comparing.
    fn significant_release(&self) -> &[String] {
        let zeros = self.release.iter().rev().take_while(|n| *n == "0").count();
        &self.release[..self.release.len() - zeros]
    }

    /// A text equal for equal versions (`1.0` and `1.0.0`), to key releases by.
    pub fn release_key(&self) -> String {
        let mut key = self.clone();
        key.release = self.significant_release().to_vec();
        if key.release.is_empty() {
            key.release.push("0".to_string());
        }
        key.to_string()
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.epoch,
            self.significant_release(),
            &self.pre,
            &self.post,
            &self.dev,
        ) == (
            &other.epoch,
            other.significant_release(),
            &other.pre,
            &other.post,
            &other.dev,
        ) && self.local == other.local
    }
}

impl fmt::Display for Pep440Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != "0" {
            write!(f, "{}!", self.epoch)?;
        }
        f.write_str(&self.release.join("."))?;
        if let Some((letter, n)) = &self.pre {
            write!(f, "{letter}{n}")?;
        }
        if let Some(n) = &self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = &self.dev {
            write!(f, ".dev{n}")?;
        }
        if !self.local.is_empty() {
            write!(f, "+{}", self.local.join("."))?;
        }
        Ok(())
    }
}

/// A decimal number as Python's `int` reads it: no leading zeros; none at all is 0.
fn number(digits: Option<&str>) -> String {
    let digits = digits.unwrap_or("").trim_start_matches('0');
    if digits.is_empty() { "0" } else { digits }.to_string()
}

/// Judges `version` as `packaging.version.Version` does; the error is its message.
pub fn parse_version(version: &str) -> Result<Pep440Version, String> {
    let Some(caps) = VERSION.captures(version.trim_matches(is_python_space)) else {
        return Err(format!("Invalid version: {}", py_repr(version)));
    };
    let group = |name| caps.name(name).map(|m| m.as_str());
    let pre = group("pre_l").map(|letter| {
        let letter = match letter.to_ascii_lowercase().as_str() {
            "alpha" | "a" => "a",
            "beta" | "b" => "b",
            _ => "rc", // c, pre, preview, rc
        };
        (letter, number(group("pre_n")))
    });
    Ok(Pep440Version {
        epoch: number(group("epoch")),
        release: group("release")
            .unwrap_or("0")
            .split('.')
            .map(|n| number(Some(n)))
            .collect(),
        pre,
        post: group("post").map(|_| number(group("post_n1").or(group("post_n2")))),
        dev: group("dev").map(|_| number(group("dev_n"))),
        local: group("local").map_or_else(Vec::new, |local| {
            local
                .split(['.', '_', '-'])
                .map(|part| match part.bytes().all(|b| b.is_ascii_digit()) {
                    true => number(Some(part)),
                    false => part.to_ascii_lowercase(),
                })
                .collect()
        }),
    })
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
        let v = |s| parse_version(s).unwrap();
        assert!(!v("1.0.99999999999999999999").is_local());
        assert!(v(" v1!2.0rc1.post2.dev3+Ubuntu.1 ").is_local());
        assert_eq!(
            parse_version("1.0-beta_x").unwrap_err(),
            "Invalid version: '1.0-beta_x'"
        );
        assert!(parse_version("1..0").is_err());
        assert!(parse_version("").is_err());
    }

    #[test]
    fn normal_form_and_equality_as_packaging() {
        let v = |s| parse_version(s).unwrap();
        assert_eq!(
            v("V01!002.0-ALPHA-1_r.DEV+Ab-01").to_string(),
            "1!2.0a1.post0.dev0+ab.1"
        );
        assert_eq!(v("1.0-1").to_string(), "1.0.post1");
        assert_eq!(
            v("1.0.00099999999999999999999").to_string(),
            "1.0.99999999999999999999"
        );
        assert_eq!(v("1.0"), v("1.0.0"));
        assert_eq!(v("1.0+01"), v("1.0+1"));
        assert_ne!(v("1.0"), v("1.0.post0"));
        assert_ne!(v("1.0"), v("1.0+0"));
        assert_eq!(v("0.0").release_key(), v("0").release_key());
        assert_eq!(v("1.2.0.0rc1").release_key(), "1.2rc1");
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

    #[test]
    fn messages_quote_as_python_repr_does() {
        assert_eq!(py_repr("1.x"), "'1.x'");
        assert_eq!(py_repr("1'x"), "\"1'x\"");
        assert_eq!(py_repr("1'x\""), "'1\\'x\"'");
    }
}
