//! The requirement grammar against packaging, case by case.

use super::*;

fn ok(req: &str) -> bool {
    parse(req).is_ok()
}

#[test]
fn what_packaging_accepts_and_the_pep508_crate_did_not() {
    assert!(ok("foo; 'a' in extras"));
    assert!(ok("foo ()"));
    assert!(ok("foo===bar"));
    assert!(ok("foo>=3.8,"));
    assert!(ok("foo_"));
    assert!(ok("foo; dependency_groups == 'a'"));
    assert!(ok("foo;os_name=='\\N{LATIN SMALL LETTER A}'"));
    assert!(!ok("foo;os_name=='\\N{LATIN SMALL LETTER A'"));
}

#[test]
fn what_packaging_refuses() {
    assert_eq!(
        parse("foo-").unwrap_err().to_string(),
        "Expected semicolon (after name with no version specifier) or end (at character 4)"
    );
    assert!(!ok("foo (,>=1)"));
    assert!(!ok("foo==1.0.*+x"));
    assert!(!ok("foo>=1.0.*"));
    assert!(!ok("foo===a,b"));
    assert!(!ok("foo; os_name == 'a\\'"));
    assert!(!ok("foo; os_name == '\\x4'"));
    // A backslash before CR LF continues the line (both consumed); before a lone CR
    // it escapes only the CR.
    assert!(ok("foo; os_name == 'a\\\r\nb'"));
    assert!(!ok("foo; os_name == 'a\\\r\\N{!}'"));
    assert!(!ok("foo; os_nam == 'a'"));
    assert!(!ok("a-:"));
    assert!(!ok("x; extra == \"cli\" \"漢字\""));
    assert!(ok("x; os_name == \"漢字\""));
}

#[test]
fn urls() {
    assert_eq!(
        parse("foo @ https://x.org"),
        Ok(ValidRequirement { url: true })
    );
    assert_eq!(parse("foo>=1"), Ok(ValidRequirement { url: false }));
    assert!(ok("foo@https://x.org;os_name=='a'")); // the URL runs to the end
    assert!(!ok("foo @"));
    // Python whitespace other than space and tab ends the URL but is not `WS`.
    assert_eq!(
        parse("foo @ https://x.org\x0c; os_name == 'a'")
            .unwrap_err()
            .message,
        "Expected whitespace after URL"
    );
}

/// packaging 25's first line of `InvalidRequirement` for each (the message users see).
#[test]
fn messages_are_packagings() {
    let cases = [
        (
            "foo==1.0a1.*",
            ".* suffix cannot be used with pre-release, post-release, dev or local versions",
        ),
        (
            "foo!=1.0a1.*",
            ".* suffix cannot be used with pre-release, post-release, dev or local versions",
        ),
        (
            "foo>=1.0.*",
            ".* suffix can only be used with `==` or `!=` operators",
        ),
        (
            "foo>=1.0+abc",
            "Local version label can only be used with `==` or `!=` operators",
        ),
        (
            "foo >=1.0 junk",
            "Expected comma (within version specifier), semicolon (after version specifier) or end",
        ),
        (
            "foo>=1.0,<2)",
            "Expected comma (within version specifier), semicolon (after version specifier) or end",
        ),
        (
            "foo (>=1.0",
            "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier",
        ),
        (
            "foo ==1.0;os_name==\"a\" x",
            "Expected end of dependency specifier",
        ),
    ];
    for (requirement, message) in cases {
        assert_eq!(
            parse(requirement).unwrap_err().message,
            message,
            "{requirement}"
        );
    }
}
