//! A wheel's `entry_points.txt` and `RECORD`: our verdicts must be Warehouse's
//! (`warehouse/utils/wheel.py`, `_validate_entrypoints` and `_validate_record`) on thousands
//! of generated files built from what steers `configparser` and `csv`: headers, names with
//! odd characters, comments, indentation, blank lines, duplicates, a BOM, CR, CRLF, every
//! line break `str.splitlines()` knows, quotes, and fields at the size limit. The oracle is
//! the venv's real Python (3.11) doing what Warehouse does; Warehouse runs 3.14, whose
//! `configparser._read_inner` and `_csv.c` reader agree with 3.11 on these inputs.

use crate::common;

use pypi_publish::dist::archive::entry_points::{self, EntryPointsError};
use pypi_publish::dist::archive::record::{self, FIELD_SIZE_LIMIT, RecordVerdict};

/// Pieces of an option name: plain words, the characters `[\w.-]` excludes or Unicode
/// counts differently (marks, circled letters, numbers), and white space Python strips.
const NAME_PIECES: &[&str] = &[
    "foo", "bar", "x-1", "b.c", "_", " ", "\t", ":", "/", "é", "中", "Ⅻ", "½", "٣", "ि", "Ⓐ",
    "\u{301}", "·", "$", ";", "#", "[", "]", "\u{a0}", "\u{3000}", "\u{1c}", "\u{1f}", "\u{2028}",
    "\u{85}", "\r", "\u{b}", "=",
];
const SECTIONS: &[&str] = &[
    "console_scripts",
    "gui_scripts",
    "DEFAULT",
    "other",
    "console_scripts]x",
    " console_scripts",
    "]",
    "",
];
const INDENTS: &[&str] = &["", "", "", "", " ", "  ", "\t", "\u{a0}", "\u{1c}"];
const COMMON_NAMES: &[&str] = &["foo", "bar", "baz", "x-1", "b.c", "Foo"];

fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}

fn entry_points_text(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut text = String::new();
    if rng.u8(..100) < 3 {
        text.push('\u{feff}');
    }
    let lines = rng.usize(0..=8);
    for i in 0..lines {
        let indent = pick(rng, INDENTS);
        let line = match rng.u8(..100) {
            // The first line is most often a header, so that the rest is read.
            _ if i == 0 && rng.u8(..100) < 85 => format!("[{}]", pick(rng, SECTIONS)),
            0..15 => {
                let section = pick(rng, SECTIONS);
                match rng.u8(..4) {
                    0 => format!("[{section}] junk"),
                    1 => format!("{indent}[{section}]"),
                    2 if rng.bool() => format!("[{section}"),
                    _ => format!("[{section}]"),
                }
            }
            15..65 => {
                let name = if rng.u8(..100) < 60 {
                    pick(rng, COMMON_NAMES).to_string()
                } else {
                    (0..rng.usize(0..=3))
                        .map(|_| pick(rng, NAME_PIECES))
                        .collect()
                };
                let delimiter = pick(rng, &[" = ", "=", " =", "\t=\t", "= "]);
                format!("{indent}{name}{delimiter}mod.sub:func")
            }
            65..73 => format!("{indent}{} comment = x", pick(rng, &["#", ";"])),
            73..81 => pick(rng, &["", "  ", "\t", "\u{a0}", "\u{2028}"]).to_string(),
            81..87 => format!("{indent}bare word"),
            _ => format!("{}  continued value", pick(rng, INDENTS)),
        };
        text.push_str(&line);
        if i + 1 < lines || rng.bool() {
            text.push_str(match rng.u8(..20) {
                0..17 => "\n",
                17..19 => "\r\n",
                _ => "\r",
            });
        }
    }
    let mut bytes = text.into_bytes();
    if rng.u8(..100) < 2 {
        let at = rng.usize(..=bytes.len());
        bytes.insert(at, 0xff);
    }
    bytes
}

/// Our verdict in the oracle's words: the exception's class (or "ok", "utf8", "name") and
/// its line number or the name refused.
fn ours(bytes: &[u8]) -> (String, String) {
    let (kind, detail) = match entry_points::check(bytes) {
        Ok(()) => ("ok", String::new()),
        Err(EntryPointsError::NotUtf8) => ("utf8", String::new()),
        Err(EntryPointsError::MissingSectionHeader { line }) => {
            ("MissingSectionHeaderError", line.to_string())
        }
        Err(EntryPointsError::Parsing { line }) => ("ParsingError", line.to_string()),
        Err(EntryPointsError::DuplicateSection { line, .. }) => {
            ("DuplicateSectionError", line.to_string())
        }
        Err(EntryPointsError::DuplicateOption { line, .. }) => {
            ("DuplicateOptionError", line.to_string())
        }
        Err(EntryPointsError::InvalidName { name, section }) => {
            ("name", format!("{section}:{name}"))
        }
    };
    (kind.to_string(), detail)
}

const ENTRY_POINTS_ORACLE: &str = r#"
import configparser, json, re, sys
class CaseSensitiveConfigParser(configparser.ConfigParser):
    optionxform = staticmethod(str)
NAME = re.compile(r"[\w.-]+")
def verdict(raw):
    try:
        text = bytes(raw).decode()
    except UnicodeError:
        return ("utf8", "")
    parser = CaseSensitiveConfigParser(delimiters=("=",))
    try:
        parser.read_string(text)
    except configparser.MissingSectionHeaderError as e:
        return (type(e).__name__, str(e.lineno))
    except configparser.ParsingError as e:
        return ("ParsingError", str(e.errors[0][0]))
    except configparser.Error as e:
        return (type(e).__name__, str(e.lineno))
    for section in ("console_scripts", "gui_scripts"):
        try:
            names = parser[section]
        except KeyError:
            continue
        for name in names:
            if NAME.fullmatch(name) is None:
                return ("name", f"{section}:{name}")
    return ("ok", "")
print(json.dumps([verdict(raw) for raw in json.load(sys.stdin)]))
"#;

#[test]
fn generated_entry_points_are_judged_as_warehouse_does() {
    let mut rng = fastrand::Rng::with_seed(20081);
    let texts: Vec<Vec<u8>> = (0..5000).map(|_| entry_points_text(&mut rng)).collect();
    let oracle: Vec<(String, String)> = common::venv_python_json(ENTRY_POINTS_ORACLE, &[], &texts);
    let mut wrong = Vec::new();
    let mut kinds = std::collections::BTreeMap::new();
    for (text, theirs) in texts.iter().zip(&oracle) {
        *kinds.entry(theirs.0.clone()).or_insert(0) += 1;
        let ours = ours(text);
        if &ours != theirs {
            wrong.push(format!(
                "{:?}: ours {ours:?}, Warehouse {theirs:?}",
                String::from_utf8_lossy(text)
            ));
        }
    }
    eprintln!("Warehouse's verdicts: {kinds:?}");
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        texts.len(),
        wrong[..wrong.len().min(30)].join("\n")
    );
    // Every outcome is met often enough to say something.
    for kind in [
        "ok",
        "utf8",
        "MissingSectionHeaderError",
        "ParsingError",
        "DuplicateSectionError",
        "DuplicateOptionError",
        "name",
    ] {
        let n = kinds.get(kind).copied().unwrap_or(0);
        assert!(n >= 40, "only {n} {kind}: {kinds:?}");
    }
}

/// Archive members: plain files, directories (either slash), RECORD's signatures (this
/// wheel's and another's), names CSV must quote, and names with line breaks in them.
const MEMBERS: &[&str] = &[
    "pkg/__init__.py",
    "pkg/a b.py",
    "pkg\\win.py",
    "pkg/win.py",
    "pkg/",
    "pkg\\",
    "é/ü.py",
    "pkg/x,y.py",
    "pkg/q\"t.py",
    "pkg/l\u{85}f.py",
    "pkg-1.0.dist-info/METADATA",
    "pkg-1.0.dist-info/RECORD",
    "pkg-1.0.dist-info/RECORD.jws",
    "pkg-1.0.dist-info/RECORD.p7s",
    "other-1.0.dist-info/RECORD.p7s",
];
const BREAKS: &[&str] = &[
    "\n", "\n", "\n", "\n", "\r\n", "\r\n", "\r", "\u{b}", "\u{c}", "\u{1c}", "\u{85}", "\u{2028}",
];
const FIELD_PIECES: &[&str] = &["a", ",", "\"", "\\", " ", "é", "\0", "/"];

fn record_case(rng: &mut fastrand::Rng) -> (Vec<u8>, Vec<String>) {
    let members: Vec<String> = MEMBERS
        .iter()
        .filter(|_| rng.u8(..100) < 70)
        .map(|m| m.to_string())
        .collect();
    // A third list exactly the archive's files, quoted where CSV needs it.
    let exact = rng.u8(..100) < 33;
    let listed: Vec<&str> = if exact {
        members
            .iter()
            .map(String::as_str)
            .filter(|m| !m.ends_with(['/', '\\']) && !m.starts_with("pkg-1.0.dist-info/RECORD."))
            .collect()
    } else {
        MEMBERS
            .iter()
            .copied()
            .filter(|_| rng.u8(..100) < 80)
            .collect()
    };
    let mut rows: Vec<String> = Vec::new();
    for member in listed {
        let name = match rng.u8(..10) {
            _ if exact && member.contains([',', '"', '\u{85}']) => {
                format!("\"{}\"", member.replace('"', "\"\""))
            }
            0..6 if member.contains([',', '"', '\u{85}']) => {
                format!("\"{}\"", member.replace('"', "\"\""))
            }
            6 if !exact => member.replace('/', "\\"),
            _ => member.to_string(),
        };
        rows.push(match rng.u8(..3) {
            0 => format!("{name},sha256=47DEQpj8,12"),
            1 => format!("{name},,"),
            _ => name,
        });
    }
    for _ in 0..rng.usize(0..=2) * usize::from(!exact) {
        rows.push(
            (0..rng.usize(1..=5))
                .map(|_| pick(rng, FIELD_PIECES))
                .collect(),
        );
    }
    match rng.u8(..100) {
        0..8 => rows.insert(rng.usize(..=rows.len()), String::new()),
        8..12 => {
            let len = FIELD_SIZE_LIMIT - 1 + rng.usize(..4);
            let field = "x".repeat(len);
            let quoted = if rng.bool() {
                format!("\"{field}\"")
            } else {
                field
            };
            rows.insert(rng.usize(..=rows.len()), quoted);
        }
        _ => {}
    }
    rng.shuffle(&mut rows);
    let mut text = String::new();
    for row in &rows {
        text.push_str(row);
        text.push_str(pick(rng, BREAKS));
    }
    let mut bytes = text.into_bytes();
    if rng.u8(..100) < 3 {
        bytes.insert(rng.usize(..=bytes.len()), 0xc3);
    }
    (bytes, members)
}

const RECORD_ORACLE: &str = r#"
import csv, json, sys
def verdict(raw, members, dist_info):
    try:
        text = bytes(raw).decode()
    except UnicodeError:
        return ["unreadable", [], []]
    try:
        entries = {fn.replace("\\", "/") for fn, *_ in csv.reader(text.splitlines())}
    except csv.Error:
        return ["unreadable", [], []]
    except ValueError:
        return ["crash", [], []]
    exempt = {f"{dist_info}/RECORD.jws", f"{dist_info}/RECORD.p7s"}
    files = {m for m in members if not m.endswith(("/", "\\")) and m not in exempt}
    if files == entries:
        return ["ok", [], []]
    return ["mismatch", sorted(files - entries), sorted(entries - files)]
print(json.dumps([verdict(*case) for case in json.load(sys.stdin)]))
"#;

#[test]
fn generated_records_are_judged_as_warehouse_does() {
    let dist_info = "pkg-1.0.dist-info";
    let mut rng = fastrand::Rng::with_seed(19135);
    let cases: Vec<(Vec<u8>, Vec<String>, &str)> = (0..800)
        .map(|_| {
            let (bytes, members) = record_case(&mut rng);
            (bytes, members, dist_info)
        })
        .collect();
    let oracle: Vec<(String, Vec<String>, Vec<String>)> =
        common::venv_python_json(RECORD_ORACLE, &[], &cases);
    let mut wrong = Vec::new();
    let mut kinds = std::collections::BTreeMap::new();
    for ((bytes, members, _), theirs) in cases.iter().zip(&oracle) {
        *kinds.entry(theirs.0.clone()).or_insert(0) += 1;
        let ours = match record::check(bytes, members, dist_info) {
            RecordVerdict::Ok => ("ok".to_string(), vec![], vec![]),
            RecordVerdict::Unreadable { .. } => ("unreadable".to_string(), vec![], vec![]),
            RecordVerdict::Crash { .. } => ("crash".to_string(), vec![], vec![]),
            RecordVerdict::Mismatch {
                record_is_missing,
                wheel_is_missing,
            } => ("mismatch".to_string(), record_is_missing, wheel_is_missing),
        };
        if &ours != theirs {
            wrong.push(format!(
                "{:?} {members:?}: ours {ours:?}, Warehouse {theirs:?}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            ));
        }
    }
    eprintln!("Warehouse's verdicts: {kinds:?}");
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        cases.len(),
        wrong[..wrong.len().min(20)].join("\n")
    );
    for (kind, least) in [
        ("ok", 10),
        ("unreadable", 15),
        ("crash", 30),
        ("mismatch", 200),
    ] {
        let n = kinds.get(kind).copied().unwrap_or(0);
        assert!(n >= least, "only {n} {kind}: {kinds:?}");
    }
}
