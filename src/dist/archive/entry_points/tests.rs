use super::EntryPointsError::*;
use super::*;

fn ok(text: &str) {
    assert_eq!(check(text.as_bytes()), Ok(()), "{text:?}");
}

fn err(text: &str, expected: EntryPointsError) {
    assert_eq!(check(text.as_bytes()), Err(expected), "{text:?}");
}

fn name(name: &str, section: &str) -> EntryPointsError {
    InvalidName {
        name: name.into(),
        section: section.into(),
    }
}

#[test]
fn what_setuptools_writes_reads() {
    ok("");
    ok("[console_scripts]\nfoo = foo.cli:main\nfoo-bar.baz_2 = x:y\n\n[gui_scripts]\ng=x\n");
    ok("[pytest11]\nplugin name with spaces = p:q\n");
    ok("[console_scripts]\r\nfoo = a:b\r\n");
    ok("# comment\n; another\n\n[console_scripts]\n  # indented comment\nfoo = a:b\n");
    ok("[console_scripts]\nCafé_中Ⅻ½٣ = a:b\n");
}

#[test]
fn the_file_must_be_utf8_and_keeps_its_bom() {
    assert_eq!(check(b"[console_scripts]\nfoo = caf\xe9\n"), Err(NotUtf8));
    // The BOM is part of the first line, which is then not a section header.
    err(
        "\u{feff}[console_scripts]\nfoo = a:b\n",
        MissingSectionHeader { line: 1 },
    );
    // ... but a comment after it is still no comment: it is a line before any header.
    err("\u{feff}# c\n[x]\n", MissingSectionHeader { line: 1 });
}

#[test]
fn lines_before_any_section_are_refused() {
    err(
        "foo = a:b\n[console_scripts]\n",
        MissingSectionHeader { line: 1 },
    );
    err("\n\n  junk\n", MissingSectionHeader { line: 3 });
    // "[]" is not a header: the pattern needs one character between the brackets.
    err("[]\n", MissingSectionHeader { line: 1 });
}

#[test]
fn section_headers_run_to_the_last_bracket_and_ignore_what_follows() {
    ok("[console_scripts] trailing junk\nfoo = a:b\n");
    // "[a]b]" is section "a]b"; "[]]" is section "]".
    ok("[a]b]\nx = 1\n[]]\ny = 2\n");
    // The header is taken whole: "[ console_scripts ]" is another section.
    ok("[ console_scripts ]\nbad name = a:b\n");
    err(
        "[console_scripts]x]\n[console_scripts]x]\n",
        DuplicateSection {
            line: 2,
            section: "console_scripts]x".into(),
        },
    );
    err(
        "[console_scripts] x\nbad name = a:b\n",
        name("bad name", "console_scripts"),
    );
}

#[test]
fn lines_that_are_not_options_are_refused_at_the_end() {
    err("[x]\nfoo\n", Parsing { line: 2 });
    err("[x]\n= value\n", Parsing { line: 2 });
    err("[x]\n  =value\n", Parsing { line: 2 });
    // Only `=` delimits (not `:`).
    err("[x]\nfoo: bar\n", Parsing { line: 2 });
    // Every bad line is collected; the first is reported.
    err("[x]\nfoo\nbar\n", Parsing { line: 2 });
    // A fatal error later in the file wins over a collected one.
    err(
        "[x]\nfoo\n[x]\n",
        DuplicateSection {
            line: 3,
            section: "x".into(),
        },
    );
}

#[test]
fn duplicates_are_refused_case_sensitively() {
    err(
        "[a]\nx = 1\n[b]\n[a]\n",
        DuplicateSection {
            line: 4,
            section: "a".into(),
        },
    );
    err(
        "[a]\nx = 1\nx=2\n",
        DuplicateOption {
            line: 3,
            section: "a".into(),
            option: "x".into(),
        },
    );
    // Names are compared after trimming the space before `=`.
    err(
        "[a]\nx = 1\nx\t= 2\n",
        DuplicateOption {
            line: 3,
            section: "a".into(),
            option: "x".into(),
        },
    );
    // Two empty names: the second is a duplicate (raised at once).
    err(
        "[a]\n=1\n=2\n",
        DuplicateOption {
            line: 3,
            section: "a".into(),
            option: "".into(),
        },
    );
    ok("[a]\nx = 1\nX = 2\n[A]\nx = 3\n[b]\nx = 4\n");
}

#[test]
fn default_may_repeat_but_not_its_options() {
    ok("[DEFAULT]\na = 1\n[DEFAULT]\nb = 2\n");
    err(
        "[DEFAULT]\na = 1\n[DEFAULT]\na = 2\n",
        DuplicateOption {
            line: 4,
            section: "DEFAULT".into(),
            option: "a".into(),
        },
    );
    // A section may repeat an inherited name.
    ok("[DEFAULT]\na = 1\n[console_scripts]\na = 2\n");
}

#[test]
fn default_names_count_only_where_scripts_are_declared() {
    ok("[DEFAULT]\nbad name = 1\n[other]\nx = 2\n");
    err(
        "[DEFAULT]\nbad name = 1\n[gui_scripts]\n",
        name("bad name", "gui_scripts"),
    );
    err(
        "[console_scripts]\nok = 1\n[DEFAULT]\nbad/name = 1\n",
        name("bad/name", "console_scripts"),
    );
}

#[test]
fn script_names_are_word_characters_dots_and_dashes() {
    for bad in [
        "a b",
        "a/b",
        "../x",
        "a:b",
        "a$",
        "a·b",
        "Ⓐ",
        "हिंदी",
        "e\u{301}",
        "a\u{a0}b",
        "a+b",
    ] {
        err(
            &format!("[console_scripts]\n{bad} = m:f\n"),
            name(bad, "console_scripts"),
        );
    }
    for good in [
        "a", "_", "-", ".", "é", "ǅ", "中文", "Ⅻ", "½", "٣", "x-1.2_b",
    ] {
        ok(&format!("[console_scripts]\n{good} = m:f\n"));
        ok(&format!("[gui_scripts]\n{good} = m:f\n"));
    }
    // Other groups take any name.
    ok("[my.plugins]\nhi there/../x = m:f\n");
}

#[test]
fn deeper_lines_continue_the_value() {
    // "bad name" is indented deeper than "foo": part of foo's value, not an option.
    ok("[console_scripts]\nfoo = a\n  bad name = b\n\n   more\n");
    ok("[console_scripts]\n  foo = a\n   bad name\n");
    // Not deeper: an option of its own.
    err(
        "[console_scripts]\n  foo = a\n  bad name = b\n",
        name("bad name", "console_scripts"),
    );
    // A header ends the option; its indented lines are read afresh.
    err("[console_scripts]\n  junk\n", Parsing { line: 2 });
    // An empty name continues nothing.
    err("[x]\n= a\n  more\n", Parsing { line: 2 });
    // A comment line does not change the indentation level.
    ok("[x]\nfoo = a\n# c\n  more\n");
    // Indentation counts characters, and Python's white space includes U+001C..U+001F,
    // U+0085, U+00A0 and U+3000.
    ok("[x]\n\u{a0}foo = a\n\u{3000}\u{3000}junk\n");
    ok("[x]\nfoo = a\n\u{1c}junk\n\u{85}junk\n");
    err("[x]\n\u{3000}foo = a\n\u{a0}junk\n", Parsing { line: 3 });
}

#[test]
fn an_invalid_line_keeps_the_option_it_follows() {
    // "junk" fails but "foo" stays the option, so the deeper line after it continues it.
    err("[x]\nfoo = a\njunk\n  bar\n", Parsing { line: 3 });
    // ... and the level is now the invalid line's: "  foo = b" is deeper, so not a duplicate.
    err("[x]\n  foo = a\n junk\n  foo = b\n", Parsing { line: 3 });
}

#[test]
fn only_newline_ends_a_line() {
    // A lone CR, U+2028 or U+0085 inside a line does not split it.
    ok("[console_scripts]\rfoo = a:b\n");
    err("[x]\nfoo\rbar\n", Parsing { line: 2 });
    ok("[x]\nfoo = a\u{2028}bar\n");
    // ... but they are white space around names.
    ok("[console_scripts]\n\u{2028}foo\r = a:b\r\n");
    err("[x]\n\x0c\n\x0b#\nfoo\n", Parsing { line: 4 });
}

#[test]
fn python_space_and_word_are_python_s() {
    for c in [
        '\u{1c}', '\u{1f}', '\u{85}', '\u{a0}', '\u{2028}', '\u{3000}', '\t',
    ] {
        assert!(is_python_space(c), "{c:?}");
    }
    for c in ['\u{1b}', '\0', '\u{200b}', '\u{feff}', 'x'] {
        assert!(!is_python_space(c), "{c:?}");
    }
    for (c, word) in [
        ('\u{345}', false),
        ('\u{344}', false),
        ('\u{363}', false),
        ('\u{36f}', false),
        ('\u{370}', true),
        ('\u{93f}', false),
        ('\u{24b6}', false),
        ('\u{24e9}', false),
        ('\u{1f189}', false),
        ('\u{1f18a}', false),
        ('\u{2160}', true),
        ('_', true),
        ('a', true),
    ] {
        assert_eq!(is_python_word(c), word, "{c:?}");
    }
}

#[test]
fn errors_say_why_in_a_line() {
    assert_eq!(
        Parsing { line: 3 }.to_string(),
        "line 3: not `name = value`"
    );
    assert_eq!(
        DuplicateOption {
            line: 2,
            section: "console_scripts".into(),
            option: "x".into()
        }
        .to_string(),
        "line 2: duplicate option 'x' in section 'console_scripts'"
    );
    assert_eq!(
        name("a\tb", "gui_scripts").to_string(),
        "invalid entry point name 'a\\tb' in 'gui_scripts'"
    );
    assert_eq!(NotUtf8.to_string(), "not UTF-8");
}
