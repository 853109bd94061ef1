use super::*;

const DI: &str = "pkg-1.0.dist-info";
const MEMBERS: &[&str] = &[
    "pkg/__init__.py",
    "pkg/",
    "pkg-1.0.dist-info/METADATA",
    "pkg-1.0.dist-info/RECORD",
];

fn rows(text: &str) -> Result<Vec<String>, Stop> {
    first_fields(text)
}

fn fields(v: &[&str]) -> Result<Vec<String>, Stop> {
    Ok(v.iter().map(|s| s.to_string()).collect())
}

#[test]
fn a_complete_record_is_ok() {
    let record = "pkg/__init__.py,sha256=abc,3\r\npkg-1.0.dist-info/METADATA,sha256=d,4\r\n\
                  pkg-1.0.dist-info/RECORD,,\r\n";
    assert_eq!(check(record.as_bytes(), MEMBERS, DI), RecordVerdict::Ok);
    // Signatures of RECORD need not be listed (under this wheel's dist-info only).
    let mut members = MEMBERS.to_vec();
    members.extend([
        "pkg-1.0.dist-info/RECORD.jws",
        "pkg-1.0.dist-info/RECORD.p7s",
    ]);
    assert_eq!(check(record.as_bytes(), &members, DI), RecordVerdict::Ok);
    members.push("other-1.0.dist-info/RECORD.jws");
    assert_eq!(
        check(record.as_bytes(), &members, DI),
        RecordVerdict::Mismatch {
            record_is_missing: vec!["other-1.0.dist-info/RECORD.jws".into()],
            wheel_is_missing: vec![],
        }
    );
}

#[test]
fn differences_are_listed_both_ways_sorted() {
    let record = "pkg\\__init__.py\nzz.py\naa.py\npkg/\n";
    let members = ["pkg/__init__.py", "pkg\\", "b.py", "a.py", "pkg\\x.py"];
    assert_eq!(
        check(record.as_bytes(), &members, DI),
        RecordVerdict::Mismatch {
            // A member's backslash is not made a slash; RECORD's is.
            record_is_missing: vec!["a.py".into(), "b.py".into(), "pkg\\x.py".into()],
            wheel_is_missing: vec!["aa.py".into(), "pkg/".into(), "zz.py".into()],
        }
    );
    assert_eq!(
        check(b"", &[] as &[&str], DI),
        RecordVerdict::Ok,
        "an empty RECORD in an empty archive"
    );
}

#[test]
fn refusals_and_the_crash() {
    assert_eq!(
        check(b"caf\xe9.py,,\n", MEMBERS, DI),
        RecordVerdict::Unreadable {
            reason: "not UTF-8".into()
        }
    );
    assert_eq!(
        check(b"a,,\n\nb,,\n", MEMBERS, DI),
        RecordVerdict::Crash { line: 2 }
    );
    let long = format!("a,{}\n", "x".repeat(FIELD_SIZE_LIMIT + 1));
    assert_eq!(
        check(long.as_bytes(), MEMBERS, DI),
        RecordVerdict::Unreadable {
            reason: "field larger than field limit (131072)".into()
        }
    );
    // The first problem met decides: a CSV error before a blank line, and the reverse.
    let text = format!("{}\n\n", "x".repeat(FIELD_SIZE_LIMIT + 1));
    assert!(matches!(
        check(text.as_bytes(), MEMBERS, DI),
        RecordVerdict::Unreadable { .. }
    ));
    let text = format!("\n{}\n", "x".repeat(FIELD_SIZE_LIMIT + 1));
    assert_eq!(
        check(text.as_bytes(), MEMBERS, DI),
        RecordVerdict::Crash { line: 1 }
    );
}

#[test]
fn the_field_limit_counts_characters_of_every_field() {
    let limit = FIELD_SIZE_LIMIT;
    assert_eq!(rows(&"é".repeat(limit)), fields(&[&"é".repeat(limit)]));
    assert!(rows(&format!("a,{}", "é".repeat(limit + 1))).is_err());
    assert!(rows(&format!("a,{},b", "x".repeat(limit))).is_ok());
    // Each field starts afresh, and so does each row.
    let two = format!("{0},{0}\n{0}", "x".repeat(limit));
    assert!(rows(&two).is_ok());
    // A quoted field over two lines counts both (and no line break).
    let split = format!("\"{}\n{}\"", "x".repeat(limit - 1), "x");
    assert_eq!(rows(&split), fields(&[&"x".repeat(limit)]));
    let split = format!("\"{}\n{}\"", "x".repeat(limit), "x");
    assert!(rows(&split).is_err());
}

#[test]
fn quoting_follows_the_excel_dialect() {
    assert_eq!(rows("\"a,b\",c"), fields(&["a,b"]));
    assert_eq!(rows("\"a\"\"b\""), fields(&["a\"b"]));
    // Text after a closing quote is kept (not strict); a quote inside a field is literal.
    assert_eq!(rows("\"a\"b,c\nx\"y\"z"), fields(&["ab", "x\"y\"z"]));
    assert_eq!(rows("\"\"\n,\n ,\n\" a\" "), fields(&["", "", " ", " a "]));
    // A quoted field runs over line breaks, which it does not keep.
    assert_eq!(rows("\"a\r\n\nb\"\nc"), fields(&["ab", "c"]));
    // An unterminated one ends at the end of the text.
    assert_eq!(rows("x\n\"a,b"), fields(&["x", "a,b"]));
    assert_eq!(rows("x\n\""), fields(&["x", ""]));
    assert_eq!(rows("a\0b"), fields(&["a\0b"]));
    // Only the first field is kept.
    assert_eq!(rows("a,\"b\",c\nd"), fields(&["a", "d"]));
    assert_eq!(rows("\"a\",b"), fields(&["a"]));
}

#[test]
fn an_empty_row_is_told_by_its_line() {
    assert_eq!(rows("a\n\nb"), Err(Stop::EmptyRow(2)));
    assert_eq!(rows("\n"), Err(Stop::EmptyRow(1)));
    assert_eq!(rows("a\r\n\r\n"), Err(Stop::EmptyRow(2)));
    assert_eq!(rows("a\n\r"), Err(Stop::EmptyRow(2)));
    // Not empty: a line break at the end, or an empty line inside quotes.
    assert_eq!(rows("a\n"), fields(&["a"]));
    assert_eq!(rows("\"a\n\nb\""), fields(&["ab"]));
    assert_eq!(rows(""), fields(&[]));
}

#[test]
fn lines_split_as_python_splits_them() {
    let all = "a\nb\rc\r\nd\u{b}e\u{c}f\u{1c}g\u{1d}h\u{1e}i\u{85}j\u{2028}k\u{2029}l";
    assert_eq!(
        splitlines(all).collect::<Vec<_>>(),
        "abcdefghijkl".chars().map(String::from).collect::<Vec<_>>()
    );
    assert_eq!(splitlines("a\n\n").collect::<Vec<_>>(), ["a", ""]);
    assert_eq!(splitlines("\r\r\n").collect::<Vec<_>>(), ["", ""]);
    assert_eq!(
        splitlines("a\u{1f}b\u{a0}").collect::<Vec<_>>(),
        ["a\u{1f}b\u{a0}"]
    );
    assert_eq!(splitlines("").count(), 0);
}
