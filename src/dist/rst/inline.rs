//! Inline markup: emphasis, strong, literals, interpreted text and roles, references,
//! inline targets, substitution and footnote references — found with docutils' `Inliner`
//! rules, where a start-string must follow whitespace, an opener or a delimiter, must not be
//! quoted (`'*'`), and needs a matching end-string followed by whitespace or punctuation.

use super::body::Document;
use super::directives::{self, RoleCheck};
use super::names::normalize;
use super::punctuation::{ESC, end_ok, is_space, quoted, simplename_ends, start_ok};
use super::{Failure, Step};

/// Removes escape markers (the escaped characters stay).
fn unescape(chars: &[char]) -> String {
    chars.iter().filter(|c| **c != ESC).collect()
}

/// Parses one text (a paragraph, a title, a term ...) that starts at `line`. Returns its
/// plain text, which section titles need for their implicit target names.
pub(super) fn parse(doc: &mut Document, text: &str, line: usize) -> Step<String> {
    let mut chars = Vec::with_capacity(text.len());
    let mut it = text.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            chars.push(ESC);
            if let Some(n) = it.next() {
                chars.push(n);
            }
        } else {
            chars.push(c);
        }
    }
    Inliner {
        doc,
        chars: &chars,
        line,
        plain: String::new(),
    }
    .run()
}

struct Inliner<'a> {
    doc: &'a mut Document,
    chars: &'a [char],
    line: usize,
    plain: String,
}

/// What an inline construct found at a position did.
enum Found {
    /// The construct ends here; scanning resumes after it (a fresh `remaining` string).
    Consumed { end: usize, text: String },
    /// The start-string was quoted; scanning goes on after it.
    Skip(usize),
}

impl Inliner<'_> {
    fn run(mut self) -> Step<String> {
        let chars = self.chars;
        let mut base = 0;
        let mut p = 0;
        let mut text_from = 0;
        while p < chars.len() {
            if !start_ok(chars, base, p) {
                p += 1;
                continue;
            }
            match self.construct(base, p)? {
                Some(Found::Consumed { end, text }) => {
                    self.plain.push_str(&unescape(&chars[text_from..p]));
                    self.plain.push_str(&text);
                    base = end;
                    p = end;
                    text_from = end;
                }
                Some(Found::Skip(end)) => {
                    base = end;
                    p = end;
                }
                None => p += 1,
            }
        }
        self.plain.push_str(&unescape(&chars[text_from..]));
        Ok(self.plain)
    }

    fn fail(&self, message: impl Into<String>) -> Failure {
        Failure::at(self.line, message)
    }

    /// The alternatives of docutils' initial pattern, tried in its order at position `p`.
    fn construct(&mut self, base: usize, p: usize) -> Step<Option<Found>> {
        let c = self.chars;
        let at = |k: usize| c.get(k).copied();
        let non_space_at = |k: usize| at(k).is_none_or(|x| !is_space(x));
        let start = if at(p) == Some('*') && at(p + 1) == Some('*') && non_space_at(p + 2) {
            Some(("**", 2))
        } else if at(p) == Some('*') && at(p + 1) != Some('*') && non_space_at(p + 1) {
            Some(("*", 1))
        } else if at(p) == Some('`') && at(p + 1) == Some('`') && non_space_at(p + 2) {
            Some(("``", 2))
        } else if at(p) == Some('_') && at(p + 1) == Some('`') && non_space_at(p + 2) {
            Some(("_`", 2))
        } else if at(p) == Some('|') && at(p + 1) != Some('|') && non_space_at(p + 1) {
            Some(("|", 1))
        } else {
            None
        };
        if let Some((kind, len)) = start {
            return self.simple(base, p, kind, len).map(Some);
        }
        if let Some(found) = self.whole(p)? {
            return Ok(Some(found));
        }
        self.backquote(base, p)
    }

    /// `quoted_start`: the start-string between a matching pair, or at the very end.
    fn quoted_start(&self, base: usize, p: usize, len: usize) -> bool {
        if p == base {
            return false;
        }
        match self.chars.get(p + len) {
            None => true,
            Some(&post) => quoted(self.chars[p - 1], post),
        }
    }

    /// Emphasis, strong, literal, inline target and substitution reference.
    fn simple(&mut self, base: usize, p: usize, kind: &str, len: usize) -> Step<Found> {
        let c = self.chars;
        if self.quoted_start(base, p, len) {
            return Ok(Found::Skip(p + len));
        }
        let from = p + len;
        let (end_str, escapes_block): (&[char], bool) = match kind {
            "**" => (&['*', '*'], true),
            "*" => (&['*'], true),
            "``" => (&['`', '`'], false),
            "_`" => (&['`'], true),
            _ => (&['|'], true),
        };
        let mut q = from;
        let found = loop {
            if q >= c.len() {
                break None;
            }
            let here = c[q..].starts_with(end_str);
            let before_ok = q == from || {
                let b = c[q - 1];
                !(is_space(b) || (escapes_block && b == ESC))
            };
            if here && before_ok {
                let mut end = q + end_str.len();
                if kind == "|" {
                    // `|name|`, `|name|_` or `|name|__`.
                    let mut best = None;
                    for extra in [0, 1, 2] {
                        if c[end..].iter().take(extra).all(|x| *x == '_')
                            && c.len() >= end + extra
                            && end_ok(c, end + extra)
                        {
                            best = Some(end + extra);
                        }
                    }
                    match best {
                        Some(e) => end = e,
                        None => {
                            q += 1;
                            continue;
                        }
                    }
                } else if !end_ok(c, end) {
                    q += 1;
                    continue;
                }
                break Some((q, end));
            }
            q += 1;
        };
        let name = match kind {
            "**" => "strong",
            "*" => "emphasis",
            "``" => "literal",
            "_`" => "target",
            _ => "substitution_reference",
        };
        let Some((q, end)) = found.filter(|(q, _)| *q > from) else {
            return Err(self.fail(format!("Inline {name} start-string without end-string.")));
        };
        let inner = unescape(&c[from..q]);
        match kind {
            "_`" => self
                .doc
                .names
                .explicit_target(&normalize(&inner), None, self.line)?,
            "|" => {
                self.doc.names.substitution_ref(&inner, self.line);
                let suffix: String = c[q + 1..end].iter().collect();
                if suffix == "__" {
                    self.doc.names.anonymous_ref();
                } else if suffix == "_" {
                    self.doc.names.reference(&normalize(&inner), self.line);
                }
            }
            _ => {}
        }
        Ok(Found::Consumed { end, text: inner })
    }

    /// A `name_` / `name__` reference or a `[label]_` footnote or citation reference.
    fn whole(&mut self, p: usize) -> Step<Option<Found>> {
        let c = self.chars;
        for end in simplename_ends(c, p) {
            for refend in [2, 1] {
                if c[end..].iter().take(refend).filter(|x| **x == '_').count() == refend
                    && end_ok(c, end + refend)
                {
                    let name: String = c[p..end].iter().collect();
                    if refend == 2 {
                        self.doc.names.anonymous_ref();
                    } else {
                        self.doc.names.reference(&normalize(&name), self.line);
                    }
                    return Ok(Some(Found::Consumed {
                        end: end + refend,
                        text: name,
                    }));
                }
            }
        }
        if c.get(p) != Some(&'[') {
            return Ok(None);
        }
        let label_end = match c.get(p + 1) {
            Some(d) if d.is_ascii_digit() => {
                let mut k = p + 1;
                while c.get(k).is_some_and(char::is_ascii_digit) {
                    k += 1;
                }
                Some(k)
            }
            Some('#') => Some(simplename_ends(c, p + 2).first().copied().unwrap_or(p + 2)),
            Some('*') => Some(p + 2),
            _ => simplename_ends(c, p + 1).first().copied(),
        };
        let Some(k) = label_end else {
            return Ok(None);
        };
        if c.get(k) != Some(&']') || c.get(k + 1) != Some(&'_') || !end_ok(c, k + 2) {
            return Ok(None);
        }
        let label: String = c[p + 1..k].iter().collect();
        self.doc.names.footnote_ref(&label, self.line);
        Ok(Some(Found::Consumed {
            end: k + 2,
            text: label,
        }))
    }

    /// Interpreted text (with an optional role) or a phrase reference.
    fn backquote(&mut self, base: usize, p: usize) -> Step<Option<Found>> {
        let c = self.chars;
        let mut prefix_role = None;
        let mut tick = p;
        if c[p] == ':' {
            let role = simplename_ends(c, p + 1).into_iter().find(|&e| {
                c.get(e) == Some(&':') && c.get(e + 1) == Some(&'`') && c.get(e + 2) != Some(&'`')
            });
            let Some(e) = role else {
                return Ok(None);
            };
            prefix_role = Some(c[p + 1..e].iter().collect::<String>());
            tick = e + 1;
        }
        if c.get(tick) != Some(&'`') || c.get(tick + 1) == Some(&'`') {
            return Ok(None);
        }
        if c.get(tick + 1).is_some_and(|x| is_space(*x)) {
            return Ok(None);
        }
        if prefix_role.is_none() && self.quoted_start(base, p, 1) {
            return Ok(Some(Found::Skip(p + 1)));
        }
        let from = tick + 1;
        let mut q = from;
        let found = loop {
            if q >= c.len() {
                break None;
            }
            let before_ok = q == from || {
                let b = c[q - 1];
                let escaped_space = q >= from + 2 && c[q - 2] == ESC;
                !((is_space(b) || b == ESC) && !escaped_space)
            };
            if c[q] == '`'
                && before_ok
                && let Some(end) = self.interpreted_end(q + 1)
            {
                break Some((q, end));
            }
            q += 1;
        };
        let Some((q, (end, suffix_role, refend))) = found.filter(|(q, _)| *q > from) else {
            return Err(self.fail(
                "Inline interpreted text or phrase reference start-string without end-string.",
            ));
        };
        if prefix_role.is_some() && suffix_role.is_some() {
            return Err(self.fail(
                "Multiple roles in interpreted text (both prefix and suffix present; only one allowed).",
            ));
        }
        let role = prefix_role.clone().or(suffix_role);
        let inner = &c[from..q];
        if refend > 0 {
            if role.is_some() {
                let position = if prefix_role.is_some() {
                    "prefix"
                } else {
                    "suffix"
                };
                return Err(self.fail(format!(
                    "Mismatch: both interpreted text role {position} and reference suffix."
                )));
            }
            let text = self.phrase_ref(inner, refend == 2)?;
            return Ok(Some(Found::Consumed { end, text }));
        }
        let text = unescape(inner);
        if let Some(role) = role {
            match directives::check_role(&role, &text, &self.doc.custom_roles) {
                RoleCheck::Known => {}
                RoleCheck::Fails(message) => return Err(self.fail(message)),
            }
        }
        Ok(Some(Found::Consumed { end, text }))
    }

    /// After a closing backquote: an optional `:role:`, an optional `_`/`__`, then an end.
    fn interpreted_end(&self, k: usize) -> Option<(usize, Option<String>, usize)> {
        let c = self.chars;
        let mut roles: Vec<(usize, Option<String>)> = Vec::new();
        if c.get(k) == Some(&':') {
            for e in simplename_ends(c, k + 1) {
                if c.get(e) == Some(&':') {
                    roles.push((e + 1, Some(c[k + 1..e].iter().collect())));
                }
            }
        }
        roles.push((k, None));
        for (after_role, role) in roles {
            for refend in [2, 1, 0] {
                let ok = c[after_role..]
                    .iter()
                    .take(refend)
                    .filter(|x| **x == '_')
                    .count()
                    == refend;
                if ok && end_ok(c, after_role + refend) {
                    return Some((after_role + refend, role, refend));
                }
            }
        }
        None
    }

    /// docutils' `phrase_ref`, with an embedded `<uri>` or `<alias_>` target.
    fn phrase_ref(&mut self, inner: &[char], anonymous: bool) -> Step<String> {
        let embedded = embedded_link(inner);
        let names = &mut self.doc.names;
        let Some((text_end, alias)) = embedded else {
            let text = unescape(inner);
            if anonymous {
                names.anonymous_ref();
            } else {
                names.reference(&normalize(&text), self.line);
            }
            return Ok(text);
        };
        let alias_text: String = alias.iter().filter(|c| **c != ESC).collect();
        let escaped_underscore = alias.len() >= 2 && alias[alias.len() - 2] == ESC;
        let looks_like_uri = {
            let scheme_len = alias_text
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || "+.-".contains(ch)))
                .unwrap_or(0);
            scheme_len > 0
                && alias_text.as_bytes()[0].is_ascii_alphabetic()
                && alias_text[scheme_len..].starts_with(':')
        };
        let is_name = alias_text.ends_with('_') && !escaped_underscore && !looks_like_uri;
        let mut text = unescape(&inner[..text_end]);
        if text.is_empty() {
            text.clone_from(&alias_text);
        }
        if is_name {
            names.reference(&normalize(&alias_text[..alias_text.len() - 1]), self.line);
        }
        if !anonymous {
            names.implicit_target(&normalize(&text), self.line);
        }
        Ok(text)
    }
}

/// `(?:[ \n]+|^)<(...)>$` at the end of a phrase: where the text ends and the alias.
fn embedded_link(inner: &[char]) -> Option<(usize, &[char])> {
    if inner.last() != Some(&'>') {
        return None;
    }
    let close = inner.len() - 1;
    let mut open = None;
    let mut k = close;
    while k > 0 {
        k -= 1;
        if inner[k] == '<' && !(k > 0 && inner[k - 1] == ESC) {
            open = Some(k);
            break;
        }
        if inner[k] == '>' && !(k > 0 && inner[k - 1] == ESC) {
            return None;
        }
    }
    let open = open?;
    let alias = &inner[open + 1..close];
    if alias.is_empty()
        || is_space(alias[0])
        || is_space(alias[alias.len() - 1])
        || alias[alias.len() - 1] == ESC
    {
        return None;
    }
    let mut text_end = open;
    while text_end > 0 && matches!(inner[text_end - 1], ' ' | '\n') {
        text_end -= 1;
    }
    if text_end == open && open != 0 {
        return None;
    }
    Some((text_end, alias))
}

#[cfg(test)]
mod tests {
    use super::super::message;

    #[test]
    fn start_strings_need_end_strings() {
        assert_eq!(
            message("a\nb *c\n"),
            "Some(1): Inline emphasis start-string without end-string."
        );
        assert_eq!(message("a * b and '*' and 2*3*4\n"), "renders");
        assert_eq!(message("*a* **b** ``c`` `d`\n"), "renders");
        assert_eq!(
            message("``open\n"),
            "Some(1): Inline literal start-string without end-string."
        );
        assert_eq!(
            message("`open\n"),
            "Some(1): Inline interpreted text or phrase reference start-string without end-string."
        );
        assert_eq!(message("x\\*y and snake_case_name\n"), "renders");
    }

    #[test]
    fn roles_are_docutils_roles() {
        assert_eq!(message(":emphasis:`x` :sub:`2` :code:`c`\n"), "renders");
        assert_eq!(
            message(":ref:`x`\n"),
            "Some(1): Unknown interpreted text role \"ref\"."
        );
    }

    #[test]
    fn references_resolve() {
        assert_eq!(message("`Link <http://x>`_ and Link_\n"), "renders");
        assert_eq!(message("foo_\n"), "Some(1): Unknown target name: \"foo\".");
        assert_eq!(message("`a`__\n\n__ http://x\n"), "renders");
        assert_eq!(message("Title\n=====\n\nSee Title_.\n"), "renders");
    }
}
