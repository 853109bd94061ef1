//! E-mail addresses as Warehouse reads them (`forklift/metadata.py`): the address Python's
//! `email.utils.parseaddr` finds in the whole field, then `email_validator.validate_email(
//! address, check_deliverability=False)` on it, and only when an address was found.
//!
//! Warehouse runs Python 3.14, whose `parseaddr` is strict: unbalanced parentheses, a domain
//! literal left unparsed, or more than one address give ('', ''), and PyPI then checks
//! nothing. A port of the parser, not a pattern, because what it drops and joins decides
//! the verdict: `a @ b.org` is `a@b.org`, `a@b.org>` and `Jane a@b.org>` are no address.

/// What `parseaddr` reads in a field.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// One address: PyPI validates it.
    One(String),
    /// Several: strict `parseaddr` gives none, so PyPI validates none of them.
    List(Vec<String>),
    /// No address at all (a parse failure): PyPI validates nothing.
    Nothing,
}

/// Python's strict `email.utils.parseaddr(value)`, keeping the whole list when there are
/// several addresses.
pub fn parse(value: &str) -> Parsed {
    if !parentheses_balance(value) {
        return Parsed::Nothing;
    }
    let mut parser = Parser::new(value);
    let mut addresses = parser.address_list();
    if parser.too_deep {
        return Parsed::Nothing;
    }
    // A domain literal the parser could not read leaves a `[` behind: a failure.
    for a in &mut addresses {
        if a.contains('[') {
            a.clear();
        }
    }
    // No address at all falls to the last arm.
    match addresses.len() {
        1 => match addresses.pop() {
            Some(a) if !a.is_empty() => Parsed::One(a),
            _ => Parsed::Nothing,
        },
        // Strict `getaddresses` trusts a list only when it holds one address per comma
        // outside quoted names; anything else is a parse failure, not a list.
        n if n
            == 1 + unquoted(value)
                .iter()
                .filter(|c| **c == Char::Plain(','))
                .count() =>
        {
            Parsed::List(addresses)
        }
        _ => Parsed::Nothing,
    }
}

/// `email.utils._check_parenthesis`: outside quoted names (backslash escapes honoured),
/// parentheses never close more than they opened and all close in the end.
fn parentheses_balance(value: &str) -> bool {
    let mut depth = 0i64;
    for c in unquoted(value) {
        match c {
            Char::Plain('(') => depth += 1,
            Char::Plain(')') => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

#[derive(Clone, Copy, PartialEq)]
enum Char {
    Plain(char),
    Escaped,
}

/// `email.utils._strip_quoted_realnames` over `_iter_escaped_chars`: the characters outside
/// closed double quotes; an escaped character is never a quote or a parenthesis, and an
/// unclosed quote keeps the rest.
fn unquoted(value: &str) -> Vec<Char> {
    let mut chars = Vec::new();
    let mut escape = false;
    for c in value.chars() {
        chars.push(if escape {
            escape = false;
            Char::Escaped
        } else if c == '\\' {
            escape = true;
            continue;
        } else {
            Char::Plain(c)
        });
    }
    if escape {
        chars.push(Char::Plain('\\'));
    }
    let (mut out, mut start, mut open) = (Vec::new(), 0, None);
    for (i, c) in chars.iter().enumerate() {
        if *c == Char::Plain('"') {
            match open {
                None => open = Some(i),
                Some(o) => {
                    out.extend_from_slice(&chars[start..o]);
                    start = i + 1;
                    open = None;
                }
            }
        }
    }
    out.extend_from_slice(&chars[start..]);
    out
}

const SPECIALS: &str = "()<>@,:;.\"[]";
const LWS: &str = " \t";

/// `email._parseaddr.AddrlistClass`, reading addresses only (names and comments are
/// skipped, not kept).
struct Parser {
    field: Vec<char>,
    pos: usize,
    /// Groups open around the current address.
    groups: usize,
    /// Groups nested past [`MAX_GROUPS`]: the field is given up.
    too_deep: bool,
}

/// Python reads a group inside a group by recursion, as this port does; no real field
/// nests more than one, and a generated one must not exhaust the stack.
const MAX_GROUPS: usize = 256;

impl Parser {
    fn new(value: &str) -> Self {
        Self {
            field: value.chars().collect(),
            pos: 0,
            groups: 0,
            too_deep: false,
        }
    }

    fn peek(&self) -> Option<char> {
        self.field.get(self.pos).copied()
    }

    fn is_atom_end(c: char) -> bool {
        SPECIALS.contains(c) || LWS.contains(c) || c == '\r' || c == '\n'
    }

    /// Skips white space and comments; returns the spaces and tabs skipped.
    fn skip_space(&mut self) -> String {
        let mut ws = String::new();
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
                if c == ' ' || c == '\t' {
                    ws.push(c);
                }
                self.pos += 1;
            } else if c == '(' {
                self.skip_comment();
            } else {
                break;
            }
        }
        ws
    }

    fn address_list(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while self.pos < self.field.len() {
            let found = self.address();
            if found.is_empty() {
                out.push(String::new());
            } else {
                out.extend(found);
            }
        }
        out
    }

    fn address(&mut self) -> Vec<String> {
        self.skip_space();
        let start = self.pos;
        let phrase = self.phrase_list();
        self.skip_space();
        let found = match self.peek() {
            None => phrase.into_iter().take(1).collect(),
            Some('.' | '@') => {
                self.pos = start;
                vec![self.addr_spec()]
            }
            Some(':') if self.groups == MAX_GROUPS => {
                self.too_deep = true;
                self.pos = self.field.len();
                Vec::new()
            }
            Some(':') => {
                let mut group = Vec::new();
                self.pos += 1;
                self.groups += 1;
                while self.pos < self.field.len() {
                    self.skip_space();
                    if self.peek() == Some(';') {
                        self.pos += 1;
                        break;
                    }
                    group.extend(self.address());
                }
                self.groups -= 1;
                group
            }
            Some('<') => vec![self.route_addr()],
            Some(c) => {
                if !phrase.is_empty() {
                    phrase.into_iter().take(1).collect()
                } else {
                    if SPECIALS.contains(c) {
                        self.pos += 1;
                    }
                    Vec::new()
                }
            }
        };
        self.skip_space();
        if self.peek() == Some(',') {
            self.pos += 1;
        }
        found
    }

    /// `<[@route,...:]addr-spec>`: the route is skipped.
    fn route_addr(&mut self) -> String {
        self.pos += 1;
        self.skip_space();
        let mut expect_route = false;
        let mut address = String::new();
        while let Some(c) = self.peek() {
            if expect_route {
                self.domain();
                expect_route = false;
            } else if c == '>' {
                self.pos += 1;
                break;
            } else if c == '@' {
                self.pos += 1;
                expect_route = true;
            } else if c == ':' {
                self.pos += 1;
            } else {
                address = self.addr_spec();
                self.pos += 1;
                break;
            }
            self.skip_space();
        }
        address
    }

    fn addr_spec(&mut self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let pop_space = |parts: &mut Vec<String>| {
            if parts.last().is_some_and(|p| p.trim().is_empty()) {
                parts.pop();
            }
        };
        self.skip_space();
        while let Some(c) = self.peek() {
            let mut keep_space = true;
            if c == '.' {
                pop_space(&mut parts);
                parts.push(".".into());
                self.pos += 1;
                keep_space = false;
            } else if c == '"' {
                let quoted = self.delimited('"', "\"\r");
                parts.push(format!(
                    "\"{}\"",
                    quoted.replace('\\', "\\\\").replace('"', "\\\"")
                ));
            } else if Self::is_atom_end(c) {
                pop_space(&mut parts);
                break;
            } else {
                parts.push(self.atom(Self::is_atom_end));
            }
            let ws = self.skip_space();
            if keep_space && !ws.is_empty() {
                parts.push(ws);
            }
        }
        let local = parts.concat();
        if self.peek() != Some('@') {
            return local;
        }
        self.pos += 1;
        self.skip_space();
        let domain = self.domain();
        if domain.is_empty() {
            return String::new();
        }
        format!("{local}@{domain}")
    }

    fn domain(&mut self) -> String {
        let mut domain = String::new();
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' {
                self.pos += 1;
            } else if c == '(' {
                self.skip_comment();
            } else if c == '[' {
                let literal = self.delimited('[', "]\r");
                domain.push_str(&format!("[{literal}]"));
            } else if c == '.' {
                self.pos += 1;
                domain.push('.');
            } else if c == '@' {
                // bpo-34155: `a@b.org@c.org` is no address.
                return String::new();
            } else if Self::is_atom_end(c) {
                break;
            } else {
                domain.push_str(&self.atom(Self::is_atom_end));
            }
        }
        domain
    }

    /// The text up to one of `ends`, from just after `begin`; backslash escapes the next
    /// character.
    fn delimited(&mut self, begin: char, ends: &str) -> String {
        if self.peek() != Some(begin) {
            return String::new();
        }
        let mut text = String::new();
        let mut escaped = false;
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.pos += 1;
            if escaped {
                text.push(c);
                escaped = false;
            } else if ends.contains(c) {
                break;
            } else if c == '\\' {
                escaped = true;
            } else {
                text.push(c);
            }
        }
        text
    }

    /// Skips a comment. Python reads a nested comment by recursion; each level ends at its
    /// own `)` or CR, so counting the levels reads the same without a stack to exhaust.
    fn skip_comment(&mut self) {
        let (mut depth, mut escaped) = (0usize, false);
        while let Some(c) = self.peek() {
            self.pos += 1;
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '(' {
                depth += 1;
            } else if c == ')' || c == '\r' {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
        }
    }

    fn atom(&mut self, ends: fn(char) -> bool) -> String {
        let mut atom = String::new();
        while let Some(c) = self.peek().filter(|c| !ends(*c)) {
            atom.push(c);
            self.pos += 1;
        }
        atom
    }

    /// Words (atoms, with dots, and quoted strings) up to the next special.
    fn phrase_list(&mut self) -> Vec<String> {
        let mut words = Vec::new();
        while let Some(c) = self.peek() {
            if " \t\r\n".contains(c) {
                self.pos += 1;
            } else if c == '"' {
                words.push(self.delimited('"', "\"\r"));
            } else if c == '(' {
                self.skip_comment();
            } else if Self::is_phrase_end(c) {
                break;
            } else {
                words.push(self.atom(Self::is_phrase_end));
            }
        }
        words
    }

    fn is_phrase_end(c: char) -> bool {
        c != '.' && Self::is_atom_end(c)
    }
}

/// `email_validator.validate_email(address, check_deliverability=False)` with its defaults
/// (internationalized characters allowed; quoted local parts, domain literals and
/// special-use domains not). Refuses only what it refuses; a few of its rules (lengths,
/// IDNA's finer points) are left out, which can only let an address through.
pub fn is_valid_email(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels[labels.len() - 1].to_ascii_lowercase();
    !local.is_empty()
        && !local.split('.').any(str::is_empty)
        && local.chars().all(|c| {
            c == '.' || atext(c) || (!c.is_ascii() && !c.is_whitespace() && !is_unsafe(c))
        })
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        // All top-level domains end with a letter (its IDNA form, for a non-ASCII one: left
        // unjudged).
        && (!tld.is_ascii() || tld.ends_with(|c: char| c.is_ascii_alphabetic()))
        && !SPECIAL_USE_DOMAINS.contains(&tld.as_str())
}

/// Some of the characters email-validator calls unsafe (Unicode categories C and Z): the
/// controls, the invisible format characters and the private-use planes.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}')
        || matches!(c, '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{e000}'..='\u{f8ff}')
        || c >= '\u{f0000}'
}

/// email-validator's `SPECIAL_USE_DOMAIN_NAMES`, refused as a domain's last label.
const SPECIAL_USE_DOMAINS: &[&str] = &["arpa", "invalid", "local", "localhost", "onion", "test"];

#[cfg(test)]
mod tests;
