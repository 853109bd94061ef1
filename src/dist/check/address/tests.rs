use super::*;

/// Each field, the address Python 3.13's strict `email.utils.parseaddr` finds in it (empty:
/// none), and whether PyPI accepts the field: `email-validator` 2.4 on that address, or
/// nothing to check. Recorded from the real functions, as Warehouse calls them.
const ORACLE: &[(&str, &str, bool)] = &[
    ("a@b.org", "a@b.org", true),
    ("Jane <a@b.org>", "a@b.org", true),
    ("a@b.org (Jane Doe)", "a@b.org", true),
    ("(Jane) a@b.org", "a@b.org", true),
    ("<a@b.org>", "a@b.org", true),
    ("a@b.o-rg", "a@b.o-rg", true),
    ("Jane <a@b.org", "a@b.org", true),
    ("a@b.org>", "", true),
    ("a@xn--bcher-kva.example", "a@xn--bcher-kva.example", true),
    ("a@bücher.example", "a@bücher.example", true),
    ("a@b.c", "a@b.c", true),
    ("a@b.org (x (y) z)", "a@b.org", true),
    ("\"Jane (x)\" <a@b.org>", "a@b.org", true),
    ("a@b.org (unclosed", "", true),
    ("a+tag@b.org", "a+tag@b.org", true),
    ("a@sub.b.org", "a@sub.b.org", true),
    ("A@B.ORG", "A@B.ORG", true),
    ("(Jane \"Q) a@b.org", "a@b.org", true),
    ("\"Jane (x\" <a@b.org>", "a@b.org", true),
    ("\"x)\" <a@b.org>", "a@b.org", true),
    ("a@b.org (x))", "", true),
    ("a@b", "a@b", false),
    ("@b.org", "@b.org", false),
    ("a@.org", "a@.org", false),
    ("a@b..org", "a@b..org", false),
    ("a@-b.org", "a@-b.org", false),
    ("a@b-.org", "a@b-.org", false),
    ("a@b_c.org", "a@b_c.org", false),
    ("a b@c.org", "a b@c.org", false),
    ("Jane a@b.org>", "", true),
    ("\"a b\"@c.org", "\"a b\"@c.org", false),
    ("<>a@b.org", "", true),
    ("a@1.2", "a@1.2", false),
    ("a.@b.org", "a.@b.org", false),
    (".a@b.org", ".a@b.org", false),
    ("a..b@c.org", "a..b@c.org", false),
    ("a@b.org.", "a@b.org.", false),
    ("a[b@c.org", "", true),
    ("a:b@c.org", "b@c.org", true),
    ("a;b@c.org", "", true),
    ("a\\b@c.org", "a\\b@c.org", false),
    ("a\"b@c.org", "a", false),
    ("<a<b@c.org>", "", true),
    ("a!b@c.org", "a!b@c.org", true),
    (
        "a#$%&'*+-/=?^_`{|}~@c.org",
        "a#$%&'*+-/=?^_`{|}~@c.org",
        true,
    ),
    ("é@c.org", "é@c.org", true),
    ("a\u{7f}b@c.org", "a\u{7f}b@c.org", false),
    ("a\tb@c.org", "a\tb@c.org", false),
    ("a(b@c.org", "", true),
    ("<a)b@c.org>", "", true),
    ("<a:b@c.org>", "", true),
    ("<a>b@c.org>", "", true),
    ("<a@b@c.org>", "", true),
    ("a@b@c.org", "", true),
    ("a@b.org <c@d.org>", "", true),
    ("x <a@b.org> y", "", true),
    ("<a@b.org> <c@d.org>", "", true),
    ("\"a\"@b.org", "\"a\"@b.org", false),
    ("a @b.org", "a@b.org", true),
    ("a@ b.org", "a@b.org", true),
    ("a@b. org", "a@b.org", true),
    ("a@b .org", "a@b.org", true),
    ("a@b.org x y", "a@b.orgxy", true),
    ("a@b.org -x", "a@b.org-x", true),
    ("a@b.org<", "", true),
    ("a @ b.org", "a@b.org", true),
    ("a. b@c.org", "a.b@c.org", true),
    ("a@b.org\t", "a@b.org", true),
    ("a@b.org )", "", true),
    ("a@b.org;x", "", true),
    ("a@b.org:x", "", true),
    ("a@b.org\"x\"", "", true),
    ("a@b.org [x]", "", true),
    ("a@[1.2.3.4]", "", true),
    ("a:b:c@d.org", "c@d.org", true),
    ("Team: a@b.org;", "a@b.org", true),
    ("Team: a@b.org, c@d.org;", "", true),
    ("x: <a@b.org>", "a@b.org", true),
    ("a@b.org, ", "", true),
    ("A <a@b.org>, nobody", "", true),
    ("\"Doe, J\" <nobody>", "nobody", false),
    ("A <a@b.org>, C <c@d.org>", "", true),
    ("(c) nobody", "nobody", false),
    ("a(x)@b.org", "a@b.org", true),
    ("o'neil@b.org", "o'neil@b.org", true),
    ("a\u{a0}b@c.org", "a\u{a0}b@c.org", false),
    ("ü@b.org", "ü@b.org", true),
    ("a@b.test", "a@b.test", false),
    ("a@x.local", "a@x.local", false),
    ("a@B.TEST", "a@B.TEST", false),
    ("a@test.org", "a@test.org", true),
    ("a@home.arpa", "a@home.arpa", false),
    ("<@route:a@b.org>", "a@b.org", true),
    ("<@r1,@r2:a@b.org>", "", true),
    ("\"a\\\"b\" <c@d.org>", "c@d.org", true),
    ("a\\@b.org", "a\\@b.org", false),
    ("Jane \\(x <a@b.org>", "Jane", false),
    ("\"Jane\" a@b.org", "\"Jane\" a@b.org", false),
    ("Jane Doe a@b.org", "Jane Doe a@b.org", false),
    ("a@b.org\r\n c", "", true),
    ("a@b.org, c@d.org", "", true),
    ("", "", true),
    ("   ", "", true),
    ("nobody", "nobody", false),
    ("Jane <>", "", true),
    ("<a@b.org", "a@b.org", true),
    ("a@b.org (\"x)\")", "", true),
    ("a@b.org (x\\))", "a@b.org", true),
    ("a@b.org (\\(x)", "a@b.org", true),
    ("a@b(c).org", "a@b.org", true),
    ("a.b(c)@d.org", "a.b@d.org", true),
    ("\"Doe, Jane\" <jane@b.org>", "jane@b.org", true),
    ("=?utf-8?q?J=C3=A9?= <a@b.org>", "a@b.org", true),
    ("Jané <a@b.org>", "a@b.org", true),
    ("a@b.org;", "", true),
    ("a@b.org,", "a@b.org", true),
    ("a@b.c1", "a@b.c1", false),
    ("a@b.123", "a@b.123", false),
    ("a@123.org", "a@123.org", true),
    ("a@b.-org", "a@b.-org", false),
    ("a@b.org-", "a@b.org-", false),
    ("a@bücher", "a@bücher", false),
    ("a@ü.ü", "a@ü.ü", true),
    ("a@b.o_rg", "a@b.o_rg", false),
    ("A.B@C.ORG", "A.B@C.ORG", true),
    ("a@b.org (c) d", "a@b.orgd", true),
    ("a..@b.org", "a..@b.org", false),
    ("\"a\".b@c.org", "\"a\".b@c.org", false),
    ("a@\"b\".org", "", true),
    ("a@b.org\"", "", true),
    ("\"<a@b.org>\"", "<a@b.org>", false),
    ("a<b>@c.org", "", true),
    ("<a@b.org>>", "", true),
    ("<<a@b.org>>", "", true),
    ("a\u{200b}b@c.org", "a\u{200b}b@c.org", false),
    ("a@b\u{a0}.org", "a@b\u{a0}.org", false),
    ("éé@é.org", "éé@é.org", true),
    // Line breaks are white space between the parts (a folded header).
    ("a\n@b.org", "a@b.org", true),
    ("Jane\n<a@b.org>", "a@b.org", true),
    ("a@b.org\n(x)", "a@b.org", true),
    ("<\na@b.org>", "a@b.org", true),
    ("a@\nb.org", "a@b.org", true),
    ("a\r@b.org", "a@b.org", true),
    ("a.\nb@c.org", "a.b@c.org", true),
    ("x:\na@b.org;", "a@b.org", true),
    ("\"J\n\" <a@b.org>", "a@b.org", true),
    ("a@b.org,\n c@d.org", "", true),
    // Unsafe characters, one of each kind: a C1 control, a soft hyphen (format), private use.
    ("a\u{80}b@c.org", "a\u{80}b@c.org", false),
    ("a\u{ad}b@c.org", "a\u{ad}b@c.org", false),
    ("a\u{e000}b@c.org", "a\u{e000}b@c.org", false),
    ("a\u{f0000}b@c.org", "a\u{f0000}b@c.org", false),
    // A backslash escapes a parenthesis inside a comment; a CR ends a comment level.
    ("(a(b\\)c)d) a@b.org", "a@b.org", true),
    ("(a\rb) a@b.org", "", true),
];

#[test]
fn fields_are_read_and_judged_as_warehouse_reads_and_judges_them() {
    for (field, address, accepted) in ORACLE {
        let parsed = parse(field);
        match &parsed {
            Parsed::One(a) => assert_eq!(a, address, "{field:?}"),
            _ => assert_eq!(*address, "", "{field:?} gave {parsed:?}"),
        }
        let ours = match parsed {
            Parsed::One(a) => is_valid_email(&a),
            _ => true,
        };
        assert_eq!(ours, *accepted, "{field:?} read as {address:?}");
    }
}

#[test]
fn several_addresses_are_a_list() {
    assert_eq!(
        parse("A <a@b.org>, nobody, (c) c@d.org"),
        Parsed::List(vec!["a@b.org".into(), "nobody".into(), "c@d.org".into()])
    );
    assert_eq!(
        parse("Team: a@b.org, c@d.org;"),
        Parsed::List(vec!["a@b.org".into(), "c@d.org".into()])
    );
    assert_eq!(parse("a@b.org ("), Parsed::Nothing);
    assert_eq!(parse(""), Parsed::Nothing);
}

#[test]
fn deep_nesting_is_read_without_exhausting_the_stack() {
    // Recorded from Python 3.13: comments nest as deep as they like; groups too, as far as
    // its recursion goes.
    let comments = format!("{}{} a@b.org", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(parse(&comments), Parsed::One("a@b.org".into()));
    assert_eq!(
        parse(&format!("{}a@b.org", "x:".repeat(70))),
        Parsed::One("a@b.org".into())
    );
    // Groups one after another are not nested: three hundred of them are all read.
    let groups = vec!["g: a@b.org;"; 300].join(", ");
    assert!(matches!(parse(&groups), Parsed::List(a) if a.len() == 300));
    // Past what any field holds, the field is given up: no address, nothing refused.
    assert_eq!(parse(&":".repeat(100_000)), Parsed::Nothing);
    assert_eq!(
        parse(&format!("{}a@b.org", "x:".repeat(100_000))),
        Parsed::Nothing
    );
}
