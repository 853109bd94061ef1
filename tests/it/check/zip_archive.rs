//! PyPI's ZIP record rules (issue 21, points 1 and 2): one crafted wheel per rule, each
//! otherwise valid, checked by the real binary; the archives Warehouse accepts stay
//! accepted. Python's own `zipfile` confirms what makes each one what it is — and that it
//! opens every one of them, so only a walk of the records can tell them apart.

use crate::common;

use std::path::Path;

use common::dists::metadata;
use common::zipcraft::{self, Craft, MODULE, Member, walk_cases, wheel};
use common::{measured, publish};

const FILE: &str = "demo-1.0-py3-none-any.whl";

/// PyPI's line for a record rule.
fn record_rule(what: &str) -> String {
    format!(
        "{FILE}: Invalid distribution file. ZIP archive not accepted: {what}. See https://docs.pypi.org/archives for more information"
    )
}

fn valid() -> Vec<Member> {
    zipcraft::valid(&metadata("demo", "1.0", ""))
}

fn with(member: &str, change: impl Fn(&mut Member)) -> Vec<Member> {
    zipcraft::with(&metadata("demo", "1.0", ""), member, change)
}

/// What Python's `zipfile` and `tarfile` make of a file.
#[derive(serde::Deserialize, Debug)]
struct Facts {
    opens: bool,
    is_zipfile: bool,
    is_tarfile: bool,
    names: Vec<String>,
    comments: usize,
    flags: u32,
    methods: Vec<u32>,
}

const FACTS: &str = r#"
import json, sys, tarfile, zipfile
out = []
for path in json.load(sys.stdin):
    f = {"opens": False, "is_zipfile": zipfile.is_zipfile(path),
         "is_tarfile": tarfile.is_tarfile(path), "names": [], "comments": 0, "flags": 0,
         "methods": []}
    try:
        with zipfile.ZipFile(path) as z:
            f["opens"] = True
            for i in z.infolist():
                f["names"].append(i.orig_filename)
                f["comments"] += bool(i.comment)
                f["flags"] |= i.flag_bits
                f["methods"].append(i.compress_type)
    except Exception:
        pass
    out.append(f)
print(json.dumps(out))
"#;

struct Case {
    label: &'static str,
    craft: Craft,
    /// `None`: accepted (exit 0, no error).
    refused: Option<String>,
    /// What Python must say about it.
    python: fn(&Facts) -> bool,
}

/// What Python must see in each case of the walk's table.
fn python_sees(label: &str) -> fn(&Facts) -> bool {
    let opens: fn(&Facts) -> bool = |f| f.opens;
    match label {
        "valid" => |f| f.opens && f.is_zipfile && !f.is_tarfile,
        "archive-wide comment" => opens,
        "directory entries" => |f| f.names.iter().any(|n| n == "demo/"),
        "a harmless repeated extra (NTFS 0x000a twice)" => opens,
        "ZIP64 sizes in the local header only" => opens,
        "a UTF-8 name with the UTF-8 flag" => |f| f.names.iter().any(|n| n == "demo/ünï.py"),
        "per-entry comment" => |f| f.opens && f.comments == 1,
        "control character in a name" => |f| f.names.iter().any(|n| n.contains('\u{1}')),
        "DEL in a name" => opens,
        "a UTF-8 name without the UTF-8 flag" => {
            |f| f.opens && !f.names.iter().any(|n| n == "demo/ünï.py")
        }
        "a name that is not UTF-8" => opens,
        "a local entry the central directory does not list" => {
            |f| f.opens && !f.names.iter().any(|n| n == MODULE)
        }
        "a central entry with no local header" => {
            |f| f.opens && f.names.iter().any(|n| n == MODULE)
        }
        "the same name in two local headers" => {
            |f| f.names.iter().filter(|n| *n == MODULE).count() == 2
        }
        "the same name twice in the central directory" => {
            |f| f.names.iter().filter(|n| *n == MODULE).count() == 2
        }
        "two central directories" => opens,
        "local and central uncompressed sizes differ" => opens,
        "local and central compressed sizes differ" => opens,
        "a data descriptor" => |f| f.opens && f.flags & 0x0008 != 0,
        "the end record counts one record too many" => opens,
        "the end record's offset is wrong" => opens,
        "data prepended" => opens,
        "a gap before the central directory" => opens,
        "trailing data" => opens,
        "the Unicode Path extra twice" => opens,
        "a Unicode Path extra that is not UTF-8" => opens,
        "an extra field longer than its room" => opens,
        "a ZIP64 extra of a length ZIP64 never has" => opens,
        _ => opens,
    }
}

fn cases() -> Vec<Case> {
    let meta = metadata("demo", "1.0", "");
    let mut out: Vec<Case> = walk_cases(&meta)
        .into_iter()
        .map(|c| Case {
            label: c.label,
            craft: c.craft,
            refused: c.what.map(record_rule),
            python: python_sees(c.label),
        })
        .collect();
    out.push(Case {
        label: "a member compressed with bzip2",
        craft: {
            let mut members = valid();
            let mut m = Member::new("demo/data.bin", b"BZh91AY&SY");
            m.method = 12;
            members.insert(1, m);
            Craft::of(members)
        },
        refused: Some(format!(
            "{FILE}: Invalid distribution file. File does not use a supported compression type (demo/data.bin (method 12))"
        )),
        python: |f| f.opens && f.methods.contains(&12),
    });
    // A ZIP whose first 512 bytes are also a valid tar header: an unknown extra field of
    // the first local header (no CRC covers it) supplies the header's numeric fields and
    // its checksum.
    let mut members = valid();
    let mut first = Member::new("a", b"");
    let payload_at = 30 + 1 + 4;
    let mut payload = vec![0u8; 500];
    payload[100 - payload_at..156 - payload_at].copy_from_slice(
        b"0000644\x000000000\x000000000\x0000000000000\x0000000000000\x00        ",
    );
    first.local_extra = [0xcafeu16.to_le_bytes(), 500u16.to_le_bytes()].concat();
    first.local_extra.extend_from_slice(&payload);
    members.insert(0, first);
    let bytes = Craft::of(members.clone()).build();
    let sum: u32 = bytes[..512].iter().map(|&b| u32::from(b)).sum();
    let at = 148 - payload_at + 4;
    members[0].local_extra[at..at + 8].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    out.push(Case {
        label: "both a zip and a tar",
        craft: Craft::of(members),
        refused: Some(format!(
            "{FILE}: Invalid distribution file. File is both a zip and a tar file"
        )),
        python: |f| f.opens && f.is_zipfile && f.is_tarfile,
    });
    out
}

fn write(dir: &Path, label: &str, bytes: &[u8]) -> std::path::PathBuf {
    let folder = dir.join(label.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(FILE);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn every_record_rule_refuses_with_pypis_words_and_the_rest_is_accepted() {
    let dir = common::tempdir();
    let cases = cases();
    let paths: Vec<_> = cases
        .iter()
        .map(|c| write(dir.path(), c.label, &c.craft.build()))
        .collect();
    let facts: Vec<Facts> = common::venv_python_json(FACTS, &[], &paths);
    for ((case, path), facts) in cases.iter().zip(&paths).zip(&facts) {
        assert!(
            (case.python)(facts),
            "{}: Python's zipfile does not see what the case is about: {facts:?}",
            case.label
        );
        let run = publish(path.parent().unwrap(), &["check", FILE]);
        match &case.refused {
            None => assert_eq!(run.code, Some(0), "{}: {}", case.label, run.all()),
            Some(line) => {
                assert_eq!(run.code, Some(1), "{}: {}", case.label, run.all());
                let first = run.stdout.lines().next().unwrap_or_default();
                assert!(
                    first.starts_with(line.as_str()),
                    "{}:\nwant {line}\ngot  {first}",
                    case.label
                );
            }
        }
    }
}

/// Another index does not apply PyPI's archive rules: the same file is a warning there.
#[test]
fn for_another_index_a_record_rule_is_a_warning() {
    let dir = common::tempdir();
    let craft = Craft::of(with(MODULE, |m| m.comment = b"hello".to_vec()));
    let path = write(dir.path(), "comment", &craft.build());
    let folder = path.parent().unwrap();
    let run = publish(
        folder,
        &[
            "check",
            "--repository-url",
            "https://devpi.example/alice/stable/",
            FILE,
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(
        run.all().contains("PyPI would refuse this file: Invalid distribution file. ZIP archive not accepted: Comment in central directory."),
        "{}",
        run.all()
    );
}

/// Warehouse finds the `.dist-info` folder from the filename's first two parts, verbatim.
#[test]
fn wheel_members_are_looked_for_where_warehouse_looks() {
    let dir = common::tempdir();
    let meta = metadata("demo", "1.0", "");
    let check = |label: &str, members: Vec<Member>| {
        let path = write(dir.path(), label, &Craft::of(members).build());
        publish(path.parent().unwrap(), &["check", FILE])
    };

    // A second, stray .dist-info folder: PyPI reads the one the filename names.
    let mut members = valid();
    members.push(Member::new(
        "other-2.0.dist-info/METADATA",
        metadata("other", "2.0", "").as_bytes(),
    ));
    members.retain(|m| !m.name.ends_with(b"/RECORD"));
    let mut record: String = members
        .iter()
        .map(|m| format!("{},,\n", String::from_utf8_lossy(&m.name)))
        .collect();
    record.push_str("demo-1.0.dist-info/RECORD,,\n");
    members.push(Member::new("demo-1.0.dist-info/RECORD", record.as_bytes()));
    let run = check("stray", members);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(
        run.all().contains("more than one .dist-info folder: PyPI accepts the wheel, pip will not install it (other-2.0.dist-info/METADATA)"),
        "{}",
        run.all()
    );

    // The folder spelled otherwise than the filename: METADATA is not found there.
    let members = wheel("Demo-1.0", &meta, &[])
        .into_iter()
        .map(|mut m| {
            m.name = String::from_utf8(m.name)
                .unwrap()
                .replace("Demo/", "demo/")
                .into_bytes();
            m
        })
        .collect();
    let run = check("spelled", members);
    assert_eq!(run.code, Some(1), "{}", run.all());
    for line in [
        "WHEEL not found at demo-1.0.dist-info/WHEEL",
        "Wheel 'demo-1.0-py3-none-any.whl' does not contain the required RECORD file: demo-1.0.dist-info/RECORD",
        "Wheel 'demo-1.0-py3-none-any.whl' does not contain the required METADATA file: demo-1.0.dist-info/METADATA (the metadata is at Demo-1.0.dist-info/METADATA)",
    ] {
        assert!(run.stdout.contains(line), "{line}\n{}", run.stdout);
    }
}

/// Warehouse writes `<filename>.metadata` beside the upload: a name of 247 bytes or more
/// makes that 256 bytes, over the file system's limit ("Filename is too long").
#[test]
fn a_wheel_filename_of_247_bytes_is_too_long_for_pypi() {
    let dir = common::tempdir();
    for (len, refused) in [(246, false), (247, true)] {
        // A long build tag: `demo-1.0-1aaaa…-py3-none-any.whl`.
        let file = format!("demo-1.0-1{}-py3-none-any.whl", "a".repeat(len - 27));
        let label = format!("len{}", file.len());
        let folder = dir.path().join(&label);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(&file), Craft::of(valid()).build()).unwrap();
        let run = publish(&folder, &["check", &file]);
        let line = format!("{file}: Filename is too long: '{file}'");
        assert_eq!(
            run.stdout.contains(&line),
            refused,
            "{} bytes:\n{}",
            file.len(),
            run.all()
        );
        if !refused {
            assert_eq!(file.len(), 246);
        } else {
            assert_eq!(file.len(), 247);
        }
    }
}

/// A `.tar.gz` with a ZIP appended: `tarfile` stops at the tar's end and never sees it,
/// `zipfile` finds its end record. PyPI refuses the pair (warehouse#19638).
#[test]
fn an_sdist_that_is_also_a_zip_is_refused() {
    let dir = common::tempdir();
    let meta = metadata("demo", "1.0", "");
    let path = common::dists::sdist_tar(
        dir.path(),
        "demo-1.0.tar.gz",
        &[
            ("demo-1.0/PKG-INFO", meta.as_bytes()),
            ("demo-1.0/setup.py", b""),
        ],
    );
    let clean = publish(dir.path(), &["check", "demo-1.0.tar.gz"]);
    assert_eq!(clean.code, Some(0), "{}", clean.all());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(Craft::of(vec![Member::new("x", b"y")]).build());
    std::fs::write(&path, bytes).unwrap();
    let facts: Vec<Facts> = common::venv_python_json(FACTS, &[], &[&path]);
    assert!(facts[0].is_tarfile && facts[0].is_zipfile, "{facts:?}");
    let run = publish(dir.path(), &["check", "demo-1.0.tar.gz"]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stdout.starts_with(
            "demo-1.0.tar.gz: Invalid distribution file. File is both a zip and a tar file"
        ),
        "{}",
        run.all()
    );
}

/// Hostile ZIPs (issue 21, point 8): what the records claim never drives what is read or
/// held. Each is refused or accepted in well under a second, in bounded memory.
#[test]
fn hostile_zips_are_bounded_in_time_and_memory() {
    let dir = common::tempdir();
    let d = dir.path();
    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();

    // An end record that claims 65535 entries and a 4 GiB directory; a ZIP64 end record
    // that claims 2^32 entries and 2^64 bytes.
    let mut bytes = Craft::of(valid()).build();
    let n = bytes.len();
    bytes[n - 12..n - 6].copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    cases.push(("claims", bytes, "corrupt or truncated zip archive"));

    let mut bytes = Craft::of(valid()).build();
    let eocd = bytes.len() - 22;
    let mut zip64 = b"PK\x06\x06".to_vec();
    zip64.extend_from_slice(&44u64.to_le_bytes());
    zip64.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    zip64.extend_from_slice(&(1u64 << 32).to_le_bytes());
    zip64.extend_from_slice(&(1u64 << 32).to_le_bytes());
    zip64.extend_from_slice(&u64::MAX.to_le_bytes());
    zip64.extend_from_slice(&0u64.to_le_bytes());
    let mut locator = b"PK\x06\x07".to_vec();
    locator.extend_from_slice(&0u32.to_le_bytes());
    locator.extend_from_slice(&(eocd as u64).to_le_bytes());
    locator.extend_from_slice(&1u32.to_le_bytes());
    let tail = bytes.split_off(eocd);
    bytes.extend(zip64);
    bytes.extend(locator);
    bytes.extend(tail);
    cases.push(("zip64-claims", bytes, "corrupt or truncated zip archive"));

    // 200,000 central entries pointing at one local header (overlapping entries); the end
    // record's 16-bit count wraps, zipfile reads the directory by its size.
    let mut members = valid();
    members[0].central = 200_000;
    cases.push((
        "overlap",
        Craft::of(members).build(),
        "Duplicate filename in central directory",
    ));

    // Extra fields whose sizes point past the end of the record and of the file.
    cases.push((
        "extra-past-end",
        Craft::of(with(MODULE, |m| {
            m.local_extra = vec![0x0a, 0, 0xff, 0xff];
            m.central_extra = vec![0x0a, 0, 0xff, 0xff];
        }))
        .build(),
        "Corrupt extra field",
    ));

    for (label, bytes, expected) in &cases {
        let path = write(d, label, bytes);
        let (run, took, _, hwm_kib) = measured(path.parent().unwrap(), &["check", FILE]);
        assert_eq!(run.code, Some(1), "{label}: {}", run.all());
        assert!(
            run.stdout.contains(expected),
            "{label}: want {expected:?}\n{}",
            run.stdout
        );
        eprintln!("{label}: {took:?}, VmHWM {} KiB", hwm_kib);
        // Well under a second on a quiet machine (the figures above); slack for a loaded one.
        assert!(took.as_secs_f64() < 5.0, "{label}: took {took:?}");
        assert!(hwm_kib < 64 * 1024, "{label}: {hwm_kib} KiB");
    }
}
