//! A PEP 508 requirement (`Requires-Dist`, `Provides-Dist`, `Obsoletes-Dist`), judged
//! exactly as PyPI judges it.
//!
//! Warehouse reads Requires-Dist through `Metadata.from_raw` and Provides-Dist and
//! Obsoletes-Dist in its own `_validate_metadata`, both with
//! `packaging.requirements.Requirement`. That is a hand-written recursive-descent parser
//! (packaging/_parser.py) over context-sensitive tokens (packaging/_tokenizer.py); this
//! module follows the same grammar, token by token, with the same messages, and keeps
//! only what PyPI uses: whether the requirement is valid and whether it is a URL.
//!
//! Where packaging and the PEP's grammar differ, packaging wins, since it is what PyPI
//! runs: a name may end in `_` (`\b` ends a word after `_`), a marker may compare two
//! strings or put a variable on the right (`'a' in extras`), `()` is an empty specifier
//! list, a trailing comma ends a specifier list, and `===` takes any string.

use std::fmt;

mod python_str;

use super::pep440::{SPECIFIER_TOKEN, check_specifier_set, is_python_space};
use python_str::is_python_string_body;

/// packaging's limit on nested parentheses in a marker (CPython's own).
const MAX_MARKER_NESTING: usize = 200;

/// The marker variables packaging knows (its `VARIABLE` token; `extras` and
/// `dependency_groups` are PEP 751's). Longer spellings first where one is a prefix.
const VARIABLES: &[&str] = &[
    "python_version",
    "python_full_version",
    "os_name",
    "os.name",
    "sys_platform",
    "sys.platform",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform.version",
    "platform_machine",
    "platform.machine",
    "platform_python_implementation",
    "platform.python_implementation",
    "python_implementation",
    "implementation_name",
    "implementation_version",
    "extras",
    "extra",
    "dependency_groups",
];

/// A requirement packaging accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRequirement {
    /// Whether it names a URL (`name @ url`): PyPI refuses those ("Can't have direct
    /// dependency").
    pub url: bool,
}

/// Why packaging refuses a requirement: its message, and where (a character offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRequirement {
    /// packaging's message, e.g. "Expected end of dependency specifier".
    pub message: String,
    /// Where in the requirement, in characters; `None` for a refused specifier list.
    pub at: Option<usize>,
}

impl fmt::Display for InvalidRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some(at) => write!(f, "{} (at character {})", self.message, at + 1),
            None => f.write_str(&self.message),
        }
    }
}

/// Judges `req` as `packaging.requirements.Requirement` does.
pub fn parse(req: &str) -> Result<ValidRequirement, InvalidRequirement> {
    let mut t = Tokens { src: req, pos: 0 };
    t.ws();
    if !t.identifier() {
        return Err(t.error("Expected package name at the start of dependency specifier"));
    }
    t.ws();
    t.extras()?;
    let url = t.details()?;
    if t.pos != req.len() {
        return Err(t.error("Expected end of dependency specifier"));
    }
    Ok(ValidRequirement { url })
}

/// The text and the position of the next token (a byte offset).
struct Tokens<'a> {
    src: &'a str,
    pos: usize,
}

/// Python's `\w` on `str` (alphanumeric or `_`), for `\b`.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl<'a> Tokens<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn error(&self, message: impl Into<String>) -> InvalidRequirement {
        InvalidRequirement {
            message: message.into(),
            at: Some(self.src[..self.pos].chars().count()),
        }
    }

    /// Python's `\b` at byte offset `at`.
    fn boundary(&self, at: usize) -> bool {
        let before = self.src[..at].chars().next_back().is_some_and(is_word);
        let after = self.src[at..].chars().next().is_some_and(is_word);
        before != after
    }

    /// `WS`: `[ \t]+` (only these two; other whitespace is an error).
    fn ws(&mut self) -> bool {
        let n = self.rest().len() - self.rest().trim_start_matches([' ', '\t']).len();
        self.pos += n;
        n > 0
    }

    fn eat(&mut self, token: &str) -> bool {
        let ok = self.rest().starts_with(token);
        if ok {
            self.pos += token.len();
        }
        ok
    }

    /// A literal keyword between word boundaries (`\bin\b`, `\b(or|and)\b`).
    fn keyword(&mut self, word: &str) -> bool {
        let ok = self.rest().starts_with(word)
            && self.boundary(self.pos)
            && self.boundary(self.pos + word.len());
        if ok {
            self.pos += word.len();
        }
        ok
    }

    /// `IDENTIFIER`: `\b[a-zA-Z0-9][a-zA-Z0-9._-]*\b`, backing off to the last word
    /// boundary as Python's `re` does (`foo-` is the name `foo` and a stray `-`).
    fn identifier(&mut self) -> bool {
        let rest = self.rest();
        if !rest.starts_with(|c: char| c.is_ascii_alphanumeric()) || !self.boundary(self.pos) {
            return false;
        }
        let run = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            .unwrap_or(rest.len());
        match (1..=run).rev().find(|&n| self.boundary(self.pos + n)) {
            Some(n) => {
                self.pos += n;
                true
            }
            None => false,
        }
    }

    /// `extras = (LEFT_BRACKET WS? extras_list? WS? RIGHT_BRACKET WS?)?`
    fn extras(&mut self) -> Result<(), InvalidRequirement> {
        let open = self.pos;
        if !self.eat("[") {
            return Ok(());
        }
        self.ws();
        if self.identifier() {
            loop {
                self.ws();
                if self.clone_at().identifier() {
                    return Err(self.error("Expected comma between extra names"));
                }
                if !self.eat(",") {
                    break;
                }
                self.ws();
                if !self.identifier() {
                    return Err(self.error("Expected extra name after comma"));
                }
            }
        }
        self.ws();
        if !self.eat("]") {
            return Err(self.error_from(
                open,
                "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras",
            ));
        }
        self.ws();
        Ok(())
    }

    fn clone_at(&self) -> Tokens<'_> {
        Tokens {
            src: self.src,
            pos: self.pos,
        }
    }

    fn error_from(&self, start: usize, message: &str) -> InvalidRequirement {
        InvalidRequirement {
            message: message.to_string(),
            at: Some(self.src[..start].chars().count()),
        }
    }

    /// `requirement_details = AT WS? URL (WS requirement_marker?)?
    ///                      | specifier requirement_marker?`; `Ok(true)` for a URL.
    fn details(&mut self) -> Result<bool, InvalidRequirement> {
        if self.eat("@") {
            self.ws();
            let url = self
                .rest()
                .find(is_python_space)
                .unwrap_or(self.rest().len());
            if url == 0 {
                return Err(self.error("Expected URL after @"));
            }
            self.pos += url;
            if self.pos == self.src.len() {
                return Ok(true);
            }
            if !self.ws() {
                return Err(self.error("Expected whitespace after URL"));
            }
            if self.pos < self.src.len() {
                self.requirement_marker("semicolon (after URL and whitespace)")?;
            }
            return Ok(true);
        }
        let specifier = self.specifier()?;
        if self.pos < self.src.len() {
            self.requirement_marker(if specifier {
                "comma (within version specifier), semicolon (after version specifier)"
            } else {
                "semicolon (after name with no version specifier)"
            })?;
        }
        Ok(false)
    }

    /// `requirement_marker = SEMICOLON marker`
    fn requirement_marker(&mut self, expected: &str) -> Result<(), InvalidRequirement> {
        if !self.eat(";") {
            return Err(self.error(format!("Expected {expected} or end")));
        }
        self.marker(0)
    }

    /// `specifier = LEFT_PARENTHESIS WS? version_many RIGHT_PARENTHESIS WS?
    ///            | version_many`; `Ok(true)` when it holds a specifier.
    fn specifier(&mut self) -> Result<bool, InvalidRequirement> {
        let open = self.pos;
        if !self.eat("(") {
            return self.version_many();
        }
        self.ws();
        let any = self.version_many()?;
        if !self.eat(")") {
            return Err(self.error_from(
                open,
                "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier",
            ));
        }
        self.ws();
        Ok(any)
    }

    /// `version_many = (SPECIFIER (WS? COMMA WS? SPECIFIER)*)?` — packaging first tries
    /// the whole list at once with `SpecifierSet` (`_try_parse_specifier_set`), then
    /// token by token; both paths are followed here, since they report differently.
    fn version_many(&mut self) -> Result<bool, InvalidRequirement> {
        if self.pos == self.src.len() {
            return Ok(false);
        }
        // A list `SpecifierSet` takes has an item: a bare `,` or blank is no list.
        if self.specifier_list() {
            return Ok(true);
        }
        let mut parsed = String::new();
        while let Some(m) = SPECIFIER_TOKEN.find(self.rest()) {
            let (start, spec) = (self.pos, m.as_str());
            self.pos += m.end();
            parsed.push_str(spec);
            if self.rest().starts_with(".*") {
                let exact =
                    spec.starts_with("!=") || (spec.starts_with("==") && !spec.starts_with("==="));
                return Err(self.error_from(
                    start,
                    if exact {
                        ".* suffix cannot be used with pre-release, post-release, dev or local versions"
                    } else {
                        ".* suffix can only be used with `==` or `!=` operators"
                    },
                ));
            }
            if is_local_label(self.rest()) {
                return Err(self.error_from(
                    start,
                    "Local version label can only be used with `==` or `!=` operators",
                ));
            }
            self.ws();
            if !self.eat(",") {
                break;
            }
            parsed.push(',');
            self.ws();
        }
        // `Requirement` then reads what the loop collected with `SpecifierSet`.
        check_specifier_set(&parsed)
            .map(|count| count > 0)
            .map_err(|message| InvalidRequirement { message, at: None })
    }

    /// `_try_parse_specifier_set`: the printable-ASCII run up to `;`, `)` or the end, if
    /// `SpecifierSet` takes it with no empty item but a trailing one; consumed if so.
    fn specifier_list(&mut self) -> bool {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c == '\t' || (' '..='~').contains(&c)) || c == ')' || c == ';')
            .unwrap_or(rest.len());
        let text = &rest[..len];
        if text.is_empty() || !(len == rest.len() || rest[len..].starts_with([';', ')'])) {
            return false;
        }
        let Ok(count) = check_specifier_set(text) else {
            return false;
        };
        let commas = text.matches(',').count();
        // One empty item, the last: `>=1.0,` (then there is at least one comma).
        let trailing = count == commas && text.trim_end_matches([' ', '\t']).ends_with(',');
        if count != commas + 1 && !trailing {
            return false;
        }
        self.pos += len;
        true
    }

    /// `marker = marker_atom (BOOLOP marker_atom)*`
    fn marker(&mut self, depth: usize) -> Result<(), InvalidRequirement> {
        self.marker_atom(depth)?;
        while self.keyword("or") || self.keyword("and") {
            self.marker_atom(depth)?;
        }
        Ok(())
    }

    /// `marker_atom = WS? (LEFT_PARENTHESIS marker RIGHT_PARENTHESIS | marker_item) WS?`
    fn marker_atom(&mut self, depth: usize) -> Result<(), InvalidRequirement> {
        self.ws();
        let open = self.pos;
        if self.rest().starts_with('(') {
            if depth >= MAX_MARKER_NESTING {
                return Err(self.error(format!(
                    "Marker expression is nested more than {MAX_MARKER_NESTING} levels deep"
                )));
            }
            self.pos += 1;
            self.marker(depth + 1)?;
            if !self.eat(")") {
                return Err(self.error_from(
                    open,
                    "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression",
                ));
            }
        } else {
            self.marker_var()?;
            self.ws();
            self.marker_op()?;
            self.ws();
            self.marker_var()?;
        }
        self.ws();
        Ok(())
    }

    /// `marker_var = VARIABLE | QUOTED_STRING`; packaging compares any two of them.
    fn marker_var(&mut self) -> Result<(), InvalidRequirement> {
        if let Some(var) = VARIABLES.iter().find(|v| {
            self.rest().starts_with(*v)
                && self.boundary(self.pos)
                && self.boundary(self.pos + v.len())
        }) {
            self.pos += var.len();
            return Ok(());
        }
        let start = self.pos;
        let Some(quote) = self
            .rest()
            .chars()
            .next()
            .filter(|c| matches!(c, '\'' | '"'))
        else {
            return Err(self.error("Expected a marker variable or quoted string"));
        };
        let Some(len) = self.rest()[1..].find(quote) else {
            return Err(self.error("Expected a marker variable or quoted string"));
        };
        let inner = &self.rest()[1..1 + len];
        self.pos += len + 2;
        if is_python_string_body(inner) {
            Ok(())
        } else {
            Err(self.error_from(start, "Invalid quoted string"))
        }
    }

    /// `marker_op = IN | NOT WS IN | OP`
    fn marker_op(&mut self) -> Result<(), InvalidRequirement> {
        if self.keyword("in") {
            return Ok(());
        }
        if self.keyword("not") {
            if !self.ws() {
                return Err(self.error("Expected whitespace after 'not'"));
            }
            if !self.keyword("in") {
                return Err(self.error("Expected 'in' after 'not'"));
            }
            return Ok(());
        }
        for op in ["===", "==", "~=", "!=", "<=", ">=", "<", ">"] {
            if self.eat(op) {
                return Ok(());
            }
        }
        Err(self
            .error("Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in"))
    }
}

/// `VERSION_LOCAL_LABEL_TRAIL`: `\+[a-z0-9]+(?:[-_\.][a-z0-9]+)*` (lower case only).
fn is_local_label(rest: &str) -> bool {
    let mut chars = rest.chars();
    chars.next() == Some('+')
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests;
