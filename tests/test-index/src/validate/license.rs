//! `packaging.licenses.canonicalize_license_expression`, as far as validity goes:
//! the SPDX grammar (AND / OR / WITH / parentheses) over the license and exception
//! ids packaging ships (copied into `data/`), plus `LicenseRef-` references.

use std::collections::HashSet;
use std::sync::LazyLock;

fn id_set(text: &'static str) -> HashSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

static LICENSES: LazyLock<HashSet<String>> =
    LazyLock::new(|| id_set(include_str!("../../data/spdx-licenses.txt")));
static EXCEPTIONS: LazyLock<HashSet<String>> =
    LazyLock::new(|| id_set(include_str!("../../data/spdx-exceptions.txt")));

/// True when packaging would accept the expression.
pub fn is_valid_expression(raw: &str) -> bool {
    if raw.is_empty() {
        return false;
    }
    let padded = raw.replace('(', " ( ").replace(')', " ) ").to_lowercase();
    let tokens: Vec<&str> = padded.split_whitespace().collect();
    // packaging rewrites the expression into Python (`False`, `or`, `and`, parens)
    // and compiles it; this is the same grammar.
    let mut python: Vec<&str> = Vec::new();
    for token in &tokens {
        match *token {
            "or" | "and" | "(" | ")" => {
                let last = python.last().copied();
                if (*token == "(" && last.is_some_and(|l| !matches!(l, "or" | "and" | "(")))
                    || (*token == ")" && last == Some("("))
                {
                    return false;
                }
                python.push(token);
            }
            "with" => python.push("or"),
            _ => python.push("False"),
        }
    }
    if !is_boolean_expression(&python) {
        return false;
    }
    for (i, token) in tokens.iter().enumerate() {
        if matches!(*token, "or" | "and" | "with" | "(" | ")") {
            continue;
        }
        if i > 0 && tokens[i - 1] == "with" {
            if !EXCEPTIONS.contains(*token) {
                return false;
            }
            continue;
        }
        let id = token.strip_suffix('+').unwrap_or(token);
        if id.starts_with("licenseref-") {
            if !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            {
                return false;
            }
        } else if !LICENSES.contains(id) {
            return false;
        }
    }
    true
}

/// `expr := term (("or"|"and") term)*`, `term := "False" | "(" expr ")"`.
fn is_boolean_expression(tokens: &[&str]) -> bool {
    fn expr(tokens: &[&str], pos: &mut usize) -> bool {
        if !term(tokens, pos) {
            return false;
        }
        while *pos < tokens.len() && matches!(tokens[*pos], "or" | "and") {
            *pos += 1;
            if !term(tokens, pos) {
                return false;
            }
        }
        true
    }
    fn term(tokens: &[&str], pos: &mut usize) -> bool {
        match tokens.get(*pos) {
            Some(&"False") => {
                *pos += 1;
                true
            }
            Some(&"(") => {
                *pos += 1;
                if !expr(tokens, pos) || tokens.get(*pos) != Some(&")") {
                    return false;
                }
                *pos += 1;
                true
            }
            _ => false,
        }
    }
    let mut pos = 0;
    expr(tokens, &mut pos) && pos == tokens.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_packaging_accepts() {
        for ok in [
            "MIT",
            "mit",
            "MIT OR Apache-2.0",
            "(MIT)",
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            "LicenseRef-Foo.1",
            "MIT AND (Apache-2.0 OR BSD-2-Clause)",
        ] {
            assert!(is_valid_expression(ok), "{ok}");
        }
        for bad in [
            "",
            " ",
            "MIT OR Foo",
            "(mit",
            "MIT Apache-2.0",
            "MIT WITH Foo",
            "LicenseRef-a_b",
            "()",
            "MIT (",
        ] {
            assert!(!is_valid_expression(bad), "{bad}");
        }
    }
}
