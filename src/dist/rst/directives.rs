//! The directives and interpreted-text roles of plain docutils — what PyPI knows. Sphinx's
//! (`toctree`, `autofunction`, `versionadded`, `:ref:`, `:func:` ...) are errors there.

/// How a directive's block is read (docutils' `Directive` class attributes).
#[derive(Debug, Clone, Copy)]
pub(super) struct Spec {
    /// The canonical name (aliases such as `code-block` map to `code`).
    pub(super) name: &'static str,
    pub(super) required: usize,
    pub(super) optional: usize,
    pub(super) final_whitespace: bool,
    pub(super) has_content: bool,
    pub(super) options: &'static [&'static str],
    pub(super) content: Content,
}

/// What a directive does with its content.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Content {
    /// Parsed as body elements, and required.
    Body,
    /// Parsed as body elements, optional (`figure` caption, `class`, `line-block` ...).
    OptionalBody,
    /// Kept as text (code, math, raw ...), required.
    Literal,
    /// Kept as text, optional.
    OptionalLiteral,
    /// Inline markup only (`parsed-literal`).
    Inline,
    /// Nothing is checked.
    Other,
}

const NAME: &[&str] = &["class", "name"];

macro_rules! spec {
    ($name:expr, $req:expr, $opt:expr, $ws:expr, $content:expr, $options:expr, $kind:expr) => {
        Spec {
            name: $name,
            required: $req,
            optional: $opt,
            final_whitespace: $ws,
            has_content: $content,
            options: $options,
            content: $kind,
        }
    };
}

/// docutils 0.23's directive registry (`docutils.parsers.rst.directives`).
const SPECS: &[Spec] = &[
    spec!("admonition", 1, 0, true, true, NAME, Content::Body),
    spec!("attention", 0, 0, true, true, NAME, Content::Body),
    spec!("caution", 0, 0, true, true, NAME, Content::Body),
    spec!("class", 1, 0, true, true, &[], Content::OptionalBody),
    spec!(
        "code",
        0,
        1,
        false,
        true,
        &["class", "name", "number-lines"],
        Content::Literal
    ),
    spec!("compound", 0, 0, false, true, NAME, Content::Body),
    spec!("container", 0, 1, true, true, &["name"], Content::Body),
    spec!(
        "contents",
        0,
        1,
        true,
        false,
        &["backlinks", "class", "depth", "local"],
        Content::Other
    ),
    spec!(
        "csv-table",
        0,
        1,
        true,
        true,
        &[
            "align",
            "class",
            "delim",
            "encoding",
            "escape",
            "file",
            "header",
            "header-rows",
            "keepspace",
            "name",
            "quote",
            "stub-columns",
            "url",
            "width",
            "widths"
        ],
        Content::Other
    ),
    spec!("danger", 0, 0, true, true, NAME, Content::Body),
    spec!("date", 0, 0, false, true, &[], Content::Other),
    spec!("default-role", 0, 1, false, false, &[], Content::Other),
    spec!("epigraph", 0, 0, false, true, &[], Content::Body),
    spec!("error", 0, 0, true, true, NAME, Content::Body),
    spec!(
        "figure",
        1,
        0,
        true,
        true,
        &[
            "align", "alt", "class", "figclass", "figname", "figwidth", "height", "loading",
            "name", "scale", "target", "width"
        ],
        Content::OptionalBody
    ),
    spec!("footer", 0, 0, false, true, &[], Content::Body),
    spec!("header", 0, 0, false, true, &[], Content::Body),
    spec!("highlights", 0, 0, false, true, &[], Content::Body),
    spec!("hint", 0, 0, true, true, NAME, Content::Body),
    spec!(
        "image",
        1,
        0,
        true,
        false,
        &[
            "align", "alt", "class", "height", "loading", "name", "scale", "target", "width"
        ],
        Content::Other
    ),
    spec!("important", 0, 0, true, true, NAME, Content::Body),
    spec!(
        "include",
        1,
        0,
        true,
        false,
        &[
            "class",
            "code",
            "encoding",
            "end-before",
            "end-line",
            "literal",
            "name",
            "number-lines",
            "parser",
            "start-after",
            "start-line",
            "tab-width"
        ],
        Content::Other
    ),
    spec!("line-block", 0, 0, false, true, NAME, Content::Inline),
    spec!(
        "list-table",
        0,
        1,
        true,
        true,
        &[
            "align",
            "class",
            "header-rows",
            "name",
            "stub-columns",
            "width",
            "widths"
        ],
        Content::Body
    ),
    spec!("math", 0, 0, false, true, NAME, Content::OptionalLiteral),
    spec!("meta", 0, 0, false, true, &[], Content::Other),
    spec!("note", 0, 0, true, true, NAME, Content::Body),
    spec!("parsed-literal", 0, 0, false, true, NAME, Content::Inline),
    spec!("pull-quote", 0, 0, false, true, &[], Content::Body),
    spec!(
        "raw",
        1,
        0,
        true,
        true,
        &["class", "encoding", "file", "url"],
        Content::Other
    ),
    spec!("replace", 0, 0, false, true, &[], Content::Other),
    spec!(
        "restructuredtext-test-directive",
        0,
        1,
        true,
        true,
        &["option"],
        Content::Other
    ),
    spec!("role", 0, 0, false, true, &[], Content::Other),
    spec!("rubric", 1, 0, true, false, NAME, Content::Other),
    spec!(
        "sectnum",
        0,
        0,
        false,
        false,
        &["depth", "prefix", "start", "suffix"],
        Content::Other
    ),
    spec!(
        "sidebar",
        0,
        1,
        true,
        true,
        &["class", "name", "subtitle"],
        Content::Body
    ),
    spec!(
        "table",
        0,
        1,
        true,
        true,
        &["align", "class", "name", "width", "widths"],
        Content::Body
    ),
    spec!(
        "target-notes",
        0,
        0,
        false,
        false,
        &["class"],
        Content::Other
    ),
    spec!("tip", 0, 0, true, true, NAME, Content::Body),
    spec!("title", 1, 0, true, false, &[], Content::Other),
    spec!("topic", 1, 0, true, true, NAME, Content::Body),
    spec!(
        "unicode",
        1,
        0,
        true,
        false,
        &["ltrim", "rtrim", "trim"],
        Content::Other
    ),
    spec!("warning", 0, 0, true, true, NAME, Content::Body),
];

/// The English aliases docutils maps to canonical names.
const ALIASES: &[(&str, &str)] = &[
    ("code-block", "code"),
    ("sourcecode", "code"),
    ("rst-class", "class"),
    ("section-numbering", "sectnum"),
];

/// Looks a directive up as docutils does (case-insensitively, English aliases included).
pub(super) fn spec(name: &str) -> Option<&'static Spec> {
    let name = name.to_lowercase();
    let canonical = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name.as_str(), |(_, c)| c);
    SPECS.iter().find(|s| s.name == canonical)
}

/// Roles that resolve to a working role function.
const ROLES: &[&str] = &[
    "abbreviation",
    "ab",
    "acronym",
    "ac",
    "code",
    "emphasis",
    "literal",
    "math",
    "pep-reference",
    "pep",
    "rfc-reference",
    "rfc",
    "strong",
    "subscript",
    "sub",
    "superscript",
    "sup",
    "title-reference",
    "title",
    "t",
];

/// Registered, but docutils raises "not implemented" for them.
const UNIMPLEMENTED: &[&str] = &[
    "anonymous-reference",
    "citation-reference",
    "footnote-reference",
    "named-reference",
    "substitution-reference",
    "uri-reference",
    "uri",
    "url",
    "target",
    "index",
    "i",
    "restructuredtext-unimplemented-role",
];

/// The outcome of running a role.
pub(super) enum RoleCheck {
    Known,
    Fails(String),
}

/// docutils' role lookup and the checks its role functions make on their text.
pub(super) fn check_role(role: &str, text: &str, custom: &[String]) -> RoleCheck {
    let name = role.to_lowercase();
    if custom.contains(&name) {
        return RoleCheck::Known;
    }
    if UNIMPLEMENTED.contains(&name.as_str()) {
        return RoleCheck::Fails(format!("Interpreted text role \"{role}\" not implemented."));
    }
    if name == "raw" {
        return RoleCheck::Fails("raw (and derived) roles disabled".to_string());
    }
    if !ROLES.contains(&name.as_str()) {
        return RoleCheck::Fails(format!("Unknown interpreted text role \"{role}\"."));
    }
    // Python's `int()` on the text (for `:rfc:`, on the part before a `#section`).
    let number = |t: &str| t.trim().parse::<i64>().ok();
    match name.as_str() {
        "pep" | "pep-reference" if number(text).is_none_or(|n| !(0..=9999).contains(&n)) => {
            RoleCheck::Fails(format!(
                "PEP number must be a number from 0 to 9999; \"{text}\" is invalid."
            ))
        }
        "rfc" | "rfc-reference"
            if number(text.split('#').next().unwrap_or("")).is_none_or(|n| n < 1) =>
        {
            RoleCheck::Fails(format!(
                "RFC number must be a number greater than or equal to 1; \"{text}\" is invalid."
            ))
        }
        _ => RoleCheck::Known,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sphinx_is_not_docutils() {
        assert!(spec("code-block").is_some_and(|s| s.name == "code"));
        assert!(spec("NOTE").is_some());
        assert!(spec("toctree").is_none());
        assert!(spec("versionadded").is_none());
        assert!(matches!(check_role("emphasis", "x", &[]), RoleCheck::Known));
        assert!(matches!(check_role("func", "x", &[]), RoleCheck::Fails(_)));
        assert!(matches!(check_role("pep", "8", &[]), RoleCheck::Known));
    }
}
