//! Inline markup: emphasis, strong, literals, interpreted text and roles, references,
//! inline targets, substitution and footnote references — found with docutils' `Inliner`
//! rules, where a start-string must follow whitespace, an opener or a delimiter, must not be
//! quoted (`'*'`), and needs a matching end-string followed by whitespace or punctuation.

use std::sync::OnceLock;

use super::body::Document;
use super::directives::{self, RoleCheck};
use super::names::normalize;
use super::{Failure, Step};

/// Stands for a backslash-escaped character (docutils' `escape2null`).
const ESC: char = '\0';

const OPENERS: &str = "\"'(<\\[{\u{f3a}\u{f3c}\u{169b}\u{2045}\u{207d}\u{208d}\u{2329}\u{2768}\u{276a}\u{276c}\u{276e}\u{2770}\u{2772}\u{2774}\u{27c5}\u{27e6}\u{27e8}\u{27ea}\u{27ec}\u{27ee}\u{2983}\u{2985}\u{2987}\u{2989}\u{298b}\u{298d}\u{298f}\u{2991}\u{2993}\u{2995}\u{2997}\u{29d8}\u{29da}\u{29fc}\u{2e22}\u{2e24}\u{2e26}\u{2e28}\u{3008}\u{300a}\u{300c}\u{300e}\u{3010}\u{3014}\u{3016}\u{3018}\u{301a}\u{301d}\u{301d}\u{fd3e}\u{fe17}\u{fe35}\u{fe37}\u{fe39}\u{fe3b}\u{fe3d}\u{fe3f}\u{fe41}\u{fe43}\u{fe47}\u{fe59}\u{fe5b}\u{fe5d}\u{ff08}\u{ff3b}\u{ff5b}\u{ff5f}\u{ff62}\u{ab}\u{2018}\u{201c}\u{2039}\u{2e02}\u{2e04}\u{2e09}\u{2e0c}\u{2e1c}\u{2e20}\u{201a}\u{201e}\u{bb}\u{2019}\u{201d}\u{203a}\u{2e03}\u{2e05}\u{2e0a}\u{2e0d}\u{2e1d}\u{2e21}\u{201b}\u{201f}";
const CLOSERS: &str = "\"')>\\]}\u{f3b}\u{f3d}\u{169c}\u{2046}\u{207e}\u{208e}\u{232a}\u{2769}\u{276b}\u{276d}\u{276f}\u{2771}\u{2773}\u{2775}\u{27c6}\u{27e7}\u{27e9}\u{27eb}\u{27ed}\u{27ef}\u{2984}\u{2986}\u{2988}\u{298a}\u{298c}\u{298e}\u{2990}\u{2992}\u{2994}\u{2996}\u{2998}\u{29d9}\u{29db}\u{29fd}\u{2e23}\u{2e25}\u{2e27}\u{2e29}\u{3009}\u{300b}\u{300d}\u{300f}\u{3011}\u{3015}\u{3017}\u{3019}\u{301b}\u{301e}\u{301f}\u{fd3f}\u{fe18}\u{fe36}\u{fe38}\u{fe3a}\u{fe3c}\u{fe3e}\u{fe40}\u{fe42}\u{fe44}\u{fe48}\u{fe5a}\u{fe5c}\u{fe5e}\u{ff09}\u{ff3d}\u{ff5d}\u{ff60}\u{ff63}\u{bb}\u{2019}\u{201d}\u{203a}\u{2e03}\u{2e05}\u{2e0a}\u{2e0d}\u{2e1d}\u{2e21}\u{201b}\u{201f}\u{ab}\u{2018}\u{201c}\u{2039}\u{2e02}\u{2e04}\u{2e09}\u{2e0c}\u{2e1c}\u{2e20}\u{201a}\u{201e}";
/// docutils' `punctuation_chars.delimiters`, a regex character class (ranges with `-`).
const DELIMITERS: &str = "-/:\u{58a}\u{a1}\u{b7}\u{bf}\u{37e}\u{387}\u{55a}-\u{55f}\u{589}\u{5be}\u{5c0}\u{5c3}\u{5c6}\u{5f3}\u{5f4}\u{609}\u{60a}\u{60c}\u{60d}\u{61b}\u{61e}\u{61f}\u{66a}-\u{66d}\u{6d4}\u{700}-\u{70d}\u{7f7}-\u{7f9}\u{830}-\u{83e}\u{964}\u{965}\u{970}\u{df4}\u{e4f}\u{e5a}\u{e5b}\u{f04}-\u{f12}\u{f85}\u{fd0}-\u{fd4}\u{104a}-\u{104f}\u{10fb}\u{1361}-\u{1368}\u{1400}\u{166d}\u{166e}\u{16eb}-\u{16ed}\u{1735}\u{1736}\u{17d4}-\u{17d6}\u{17d8}-\u{17da}\u{1800}-\u{180a}\u{1944}\u{1945}\u{19de}\u{19df}\u{1a1e}\u{1a1f}\u{1aa0}-\u{1aa6}\u{1aa8}-\u{1aad}\u{1b5a}-\u{1b60}\u{1c3b}-\u{1c3f}\u{1c7e}\u{1c7f}\u{1cd3}\u{2010}-\u{2017}\u{2020}-\u{2027}\u{2030}-\u{2038}\u{203b}-\u{203e}\u{2041}-\u{2043}\u{2047}-\u{2051}\u{2053}\u{2055}-\u{205e}\u{2cf9}-\u{2cfc}\u{2cfe}\u{2cff}\u{2e00}\u{2e01}\u{2e06}-\u{2e08}\u{2e0b}\u{2e0e}-\u{2e1b}\u{2e1e}\u{2e1f}\u{2e2a}-\u{2e2e}\u{2e30}\u{2e31}\u{3001}-\u{3003}\u{301c}\u{3030}\u{303d}\u{30a0}\u{30fb}\u{a4fe}\u{a4ff}\u{a60d}-\u{a60f}\u{a673}\u{a67e}\u{a6f2}-\u{a6f7}\u{a874}-\u{a877}\u{a8ce}\u{a8cf}\u{a8f8}-\u{a8fa}\u{a92e}\u{a92f}\u{a95f}\u{a9c1}-\u{a9cd}\u{a9de}\u{a9df}\u{aa5c}-\u{aa5f}\u{aade}\u{aadf}\u{abeb}\u{fe10}-\u{fe16}\u{fe19}\u{fe30}-\u{fe32}\u{fe45}\u{fe46}\u{fe49}-\u{fe4c}\u{fe50}-\u{fe52}\u{fe54}-\u{fe58}\u{fe5f}-\u{fe61}\u{fe63}\u{fe68}\u{fe6a}\u{fe6b}\u{ff01}-\u{ff03}\u{ff05}-\u{ff07}\u{ff0a}\u{ff0c}-\u{ff0f}\u{ff1a}\u{ff1b}\u{ff1f}\u{ff20}\u{ff3c}\u{ff61}\u{ff64}\u{ff65}\u{10100}\u{10101}\u{1039f}\u{103d0}\u{10857}\u{1091f}\u{1093f}\u{10a50}-\u{10a58}\u{10a7f}\u{10b39}-\u{10b3f}\u{110bb}\u{110bc}\u{110be}-\u{110c1}\u{12470}-\u{12473}";
const CLOSING_DELIMITERS: &str = "\\.,;!?";

fn delimiter_ranges() -> &'static [(char, char)] {
    static RANGES: OnceLock<Vec<(char, char)>> = OnceLock::new();
    RANGES.get_or_init(|| {
        let chars: Vec<char> = DELIMITERS.chars().collect();
        let mut out = Vec::new();
        let mut k = 0;
        while k < chars.len() {
            // The first `-` is literal; any other sits between the ends of a range.
            if k > 0 && k + 2 < chars.len() && chars[k + 1] == '-' {
                out.push((chars[k], chars[k + 2]));
                k += 3;
            } else {
                out.push((chars[k], chars[k]));
                k += 1;
            }
        }
        out
    })
}

fn is_delimiter(c: char) -> bool {
    delimiter_ranges()
        .iter()
        .any(|(a, b)| (*a..=*b).contains(&c))
}

/// Whitespace as Python's `\s` sees it (the escape marker is not whitespace).
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Before a start-string: the beginning, whitespace, an opener or a delimiter.
fn start_ok(chars: &[char], base: usize, p: usize) -> bool {
    p == base || {
        let c = chars[p - 1];
        is_space(c) || OPENERS.contains(c) || is_delimiter(c)
    }
}

/// After an end-string: the end, whitespace, the escape marker, or closing punctuation.
fn end_ok(chars: &[char], p: usize) -> bool {
    chars.get(p).is_none_or(|&c| {
        is_space(c)
            || c == ESC
            || CLOSING_DELIMITERS.contains(c)
            || is_delimiter(c)
            || CLOSERS.contains(c)
    })
}

/// docutils' `match_chars`: an opener and its closer (or a quote pair) around a start-string.
fn quoted(pre: char, post: char) -> bool {
    let Some(i) = OPENERS.chars().position(|c| c == pre) else {
        return false;
    };
    if CLOSERS.chars().nth(i) == Some(post) {
        return true;
    }
    let pairs: &[(char, &str)] = &[
        ('\u{bb}', "\u{bb}"),
        ('\u{2018}', "\u{201a}"),
        ('\u{2019}', "\u{2019}"),
        ('\u{201a}', "\u{2018}\u{2019}"),
        ('\u{201c}', "\u{201e}"),
        ('\u{201e}', "\u{201c}\u{201d}"),
        ('\u{201d}', "\u{201d}"),
        ('\u{203a}', "\u{203a}"),
    ];
    pairs
        .iter()
        .any(|(open, closes)| *open == pre && closes.contains(post))
}

/// A word character of a `simplename` (Python's `\w`, without the underscore).
fn word(c: char) -> bool {
    c.is_alphanumeric() && c != '_'
}

/// Every end of a `simplename` starting at `p`, longest first.
pub(super) fn simplename_ends(chars: &[char], p: usize) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut k = p;
    loop {
        let start = k;
        while k < chars.len() && word(chars[k]) {
            k += 1;
        }
        if k == start {
            break;
        }
        ends.push(k);
        if k + 1 < chars.len() && "-._+:".contains(chars[k]) && word(chars[k + 1]) {
            k += 1;
        } else {
            break;
        }
    }
    ends.reverse();
    ends
}

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
            if c[q] == '`' && before_ok {
                if let Some(end) = self.interpreted_end(q + 1) {
                    break Some((q, end));
                }
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
    use super::super::{Verdict, check};

    fn message(text: &str) -> String {
        match check(text) {
            Verdict::Fails(f) => format!("{:?}: {}", f.line, f.message),
            Verdict::Renders => "renders".to_string(),
        }
    }

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
