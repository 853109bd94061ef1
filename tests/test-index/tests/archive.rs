//! PyPI's archive rules as the index refuses them (issue 21, point 7): ZIP framing
//! (warehouse#18492, #18846, #19777), sparse tar members (#20404) and invalid entry
//! points (#20081), each a crafted archive that is otherwise a good upload, answered 400
//! with Warehouse's message in the status line and the body. The framing rules look at
//! how the archive is written, not at what it holds: a directory entry and an
//! archive-wide comment are taken.

mod common;

use std::io::{Cursor, Seek, Write};

use common::{Dist, Form, Reply, Server, sdist, wheel};
use zip::ZipWriter;
use zip::write::{FullFileOptions, SimpleFileOptions};

const WHEEL: &str = "demo_pkg-1.0-py3-none-any.whl";
const SDIST: &str = "demo_pkg-1.0.tar.gz";

/// Writes a good wheel's members; `module` is the options of the package module.
fn members<W: Write + Seek>(zip: &mut ZipWriter<W>, module: FullFileOptions) {
    let plain = SimpleFileOptions::default();
    zip.start_file("demo_pkg/__init__.py", module).unwrap();
    zip.write_all(b"VALUE = 1\n").unwrap();
    for (name, bytes) in [
        (
            "METADATA",
            &b"Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\n"[..],
        ),
        ("WHEEL", b"Wheel-Version: 1.0\n"),
        ("RECORD", b""),
    ] {
        zip.start_file(format!("demo_pkg-1.0.dist-info/{name}"), plain)
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
}

/// A good wheel written to a seekable buffer, the package module with `module`.
fn wheel_written(module: FullFileOptions, archive_comment: &str) -> Dist {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.add_directory("demo_pkg/", SimpleFileOptions::default())
        .unwrap();
    members(&mut zip, module);
    zip.set_comment(archive_comment).unwrap();
    Dist {
        filename: WHEEL.to_owned(),
        bytes: zip.finish().unwrap().into_inner(),
    }
}

/// The upload of `dist` as demo-pkg 1.0.
fn upload(dist: &Dist) -> (Server, Reply) {
    let server = Server::start(&[]);
    let reply = server.upload(Some("SECRET"), &Form::new(dist, "demo-pkg", "1.0"));
    (server, reply)
}

/// Asserts Warehouse's `_exc_with_message(HTTPBadRequest, message)` page, and that
/// nothing was stored.
fn assert_refused(dist: &Dist, message: &str) {
    let (server, reply) = upload(dist);
    assert_eq!(reply.status_line(), format!("400 {message}"));
    assert_eq!(
        reply.text(),
        format!(
            "400 {message}\n\nThe server could not comply with the request since it is either malformed or otherwise incorrect.\n\n\n{message}\n\n"
        )
    );
    assert_eq!(server.stats()["uploads_stored"], 0);
}

fn zip_refusal(what: &str) -> String {
    format!(
        "Invalid distribution file. ZIP archive not accepted: {what}. See https://docs.pypi.org/archives for more information"
    )
}

/// Replaces every occurrence of `from` in `bytes` with `to` (same length).
fn patched(mut bytes: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut found = 0;
    for at in 0..=bytes.len() - from.len() {
        if &bytes[at..at + from.len()] == from {
            bytes[at..at + from.len()].copy_from_slice(to);
            found += 1;
        }
    }
    assert!(found > 0, "{from:?} not in the archive");
    bytes
}

#[test]
fn a_directory_entry_and_an_archive_comment_are_taken() {
    let dist = wheel_written(FullFileOptions::default(), "built by hand");
    let (server, reply) = upload(&dist);
    assert_eq!(reply.status_line(), "200 OK");
    assert_eq!(server.stats()["uploads_stored"], 1);
}

#[test]
fn a_comment_on_one_entry_is_refused() {
    let commented = FullFileOptions::default().with_file_comment("the module");
    assert_refused(
        &wheel_written(commented, ""),
        &zip_refusal("Comment in central directory"),
    );
}

#[test]
fn a_data_descriptor_is_refused() {
    // A writer that cannot seek back puts the sizes after the data (flag bit 3).
    let mut zip = ZipWriter::new_stream(Vec::new());
    members(&mut zip, FullFileOptions::default());
    let dist = Dist {
        filename: WHEEL.to_owned(),
        bytes: zip.finish().unwrap().into_inner(),
    };
    assert_refused(&dist, &zip_refusal("ZIP contains a data descriptor"));
}

#[test]
fn bytes_after_the_end_record_are_refused() {
    let mut dist = wheel(WHEEL);
    dist.bytes.extend_from_slice(b"appended");
    assert_refused(&dist, &zip_refusal("Trailing data"));
}

#[test]
fn bytes_before_the_first_record_are_refused() {
    // A self-extracting stub: readers that start from the end still find every member.
    let mut dist = wheel(WHEEL);
    dist.bytes
        .splice(0..0, b"#!/bin/sh\nexit 0\n".iter().copied());
    assert_refused(&dist, &zip_refusal("Unknown record signature"));
}

#[test]
fn the_same_name_twice_is_refused() {
    // Two members with the same bytes, the second renamed to the first in both headers.
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    members(&mut zip, FullFileOptions::default());
    for name in ["demo_pkg/one.py", "demo_pkg/two.py"] {
        zip.start_file(name, SimpleFileOptions::default()).unwrap();
        zip.write_all(b"SAME = 1\n").unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    let dist = Dist {
        filename: WHEEL.to_owned(),
        bytes: patched(bytes, b"demo_pkg/two.py", b"demo_pkg/one.py"),
    };
    assert_refused(&dist, &zip_refusal("Duplicate filename in local headers"));
}

/// A wheel of demo-pkg `version` with this `entry_points.txt`.
fn wheel_with_entry_points(version: &str, text: &[u8]) -> Dist {
    common::wheel_with(
        &format!("demo_pkg-{version}-py3-none-any.whl"),
        &[
            (
                "METADATA",
                b"Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\n",
            ),
            ("WHEEL", b"Wheel-Version: 1.0\n"),
            ("RECORD", b""),
            ("entry_points.txt", text),
        ],
    )
}

#[test]
fn invalid_entry_points_are_refused() {
    let refusal =
        format!("Wheel '{WHEEL}' has invalid entry points defined in the entry_points.txt file");
    for text in [
        // A script name that is a path.
        &b"[console_scripts]\n../demo = demo_pkg:main\n"[..],
        // configparser's errors: an option twice, a line without `=`, no section.
        b"[console_scripts]\ndemo = demo_pkg:main\ndemo = demo_pkg:other\n",
        b"[demo.plugins]\ndemo: demo_pkg:main\n",
        b"demo = demo_pkg:main\n",
        b"[console_scripts]\ndemo = \xff\n",
    ] {
        assert_refused(&wheel_with_entry_points("1.0", text), &refusal);
    }
    // A name of any script's letters, and any name outside the two script sections.
    let text = "[console_scripts]\ndémo-2.x = demo_pkg:main\n[demo.plugins]\n../x y = demo_pkg\n";
    let (_, reply) = upload(&wheel_with_entry_points("1.0", text.as_bytes()));
    assert_eq!(reply.status_line(), "200 OK");
}

/// (entry_points.txt, whether PyPI takes it): the corners of `configparser`'s reading
/// and of Python's `\w`, each judged again below by the venv's real `configparser`.
const ENTRY_POINTS: [(&str, bool); 32] = [
    ("", true),
    ("# only a comment\n\n", true),
    ("[console_scripts]\nfoo = a:b\n", true),
    ("[console_scripts]\r\nfoo = a:b\r\n../x = y\r\n", false),
    // Lines end at `\n` only: a lone `\r` is inside a line.
    ("[console_scripts]\rfoo = a:b\r", true),
    ("[console_scripts] after the header\nfoo = a:b\n", true),
    ("[ console_scripts ]\n../x = y\n", true),
    ("[console_scripts]\nFoo = a:b\nfoo = a:b\n", true),
    ("[console_scripts]\nfoo = a = b\n", true),
    ("[console_scripts]\nfoo bar = a:b\n", false),
    ("[console_scripts]\n= a:b\n", false),
    ("[console_scripts]\nfoo\n", false),
    ("[]\nfoo = a:b\n", false),
    ("[a\nfoo = a:b\n", false),
    ("  # an indented comment\n[a]\nx = 1\n", true),
    // Deeper than the option line continues its value; as deep is a new option.
    ("[console_scripts]\nfoo = a:b\n\n  ../bar = c\n", true),
    ("[console_scripts]\n  foo = a:b\n  ../bar = c\n", false),
    ("[console_scripts]\n  foo = a:b\n ../bar = c\n", false),
    ("[console_scripts]\nfoo = a:b\n\u{a0}../bar = c\n", true),
    ("[console_scripts]\nfoo = a:b\n\u{1c}../bar = c\n", true),
    ("[gui_scripts]\n[gui_scripts]\n", false),
    ("[DEFAULT]\nx = 1\n[DEFAULT]\ny = 2\n", true),
    ("[DEFAULT]\nx = 1\n[DEFAULT]\nx = 2\n", false),
    ("[DEFAULT]\n../x = 1\n[console_scripts]\nfoo = a:b\n", false),
    ("[DEFAULT]\n../x = 1\n[other]\n", true),
    // Python's `\w`: letters and numbers of every script, no marks or symbols.
    (
        "[console_scripts]\nnaïve = a:b\nⅫ = a:b\n½ = a:b\n٣ = a:b\n名前 = a:b\n",
        true,
    ),
    ("[console_scripts]\nnai\u{308}ve = a:b\n", false),
    ("[console_scripts]\nनमस्ते = a:b\n", false),
    ("[console_scripts]\nⓐ = a:b\n", false),
    ("[console_scripts]\nfoo·bar = a:b\n", false),
    ("[console_scripts]\n\u{feff}foo = a:b\n", false),
    ("\u{feff}[console_scripts]\nfoo = a:b\n", false),
];

/// What Warehouse's `validate_entrypoints` says of each text, run by the venv's Python.
fn configparser_verdicts() -> Vec<bool> {
    let script = r#"
import configparser, json, re, sys
class CaseSensitive(configparser.ConfigParser):
    optionxform = staticmethod(str)
def valid(text):
    parser = CaseSensitive(delimiters=("=",))
    try:
        parser.read_string(text)
    except configparser.Error:
        return False
    return all(re.fullmatch(r"[\w.-]+", name)
               for section in ("console_scripts", "gui_scripts") if section in parser
               for name in parser[section])
print(json.dumps([valid(text) for text in json.load(sys.stdin)]))
"#;
    let texts: Vec<&str> = ENTRY_POINTS.iter().map(|(text, _)| *text).collect();
    common::python_json(script, &texts)
}

#[test]
fn entry_points_are_read_as_configparser_reads_them() {
    let verdicts = configparser_verdicts();
    let table: Vec<bool> = ENTRY_POINTS.iter().map(|(_, valid)| *valid).collect();
    assert_eq!(table, verdicts, "the table is not what configparser says");
    let server = Server::start(&[]);
    for (i, (text, valid)) in ENTRY_POINTS.iter().enumerate() {
        // A release per case, so each accepted upload is a new file.
        let version = format!("1.{i}");
        let dist = wheel_with_entry_points(&version, text.as_bytes());
        let reply = server.upload(Some("SECRET"), &Form::new(&dist, "demo-pkg", &version));
        let expected = if *valid {
            "200 OK".to_owned()
        } else {
            format!(
                "400 Wheel '{}' has invalid entry points defined in the entry_points.txt file",
                dist.filename
            )
        };
        assert_eq!(reply.status_line(), expected, "{text:?}");
    }
}

/// An sdist whose `setup.py` is a sparse member: GNU type `S`, or pax records.
fn sparse_sdist(gnu_type: bool) -> Dist {
    let data = b"print('sparse')\n";
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let pkg_info = b"Metadata-Version: 2.1\n";
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o644);
    header.set_size(pkg_info.len() as u64);
    builder
        .append_data(&mut header, "demo_pkg-1.0/PKG-INFO", &pkg_info[..])
        .unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    if gnu_type {
        // Old GNU sparse: type `S`, one chunk of data at offset 0 (`tarfile._proc_sparse`).
        header.set_entry_type(tar::EntryType::GNUSparse);
        let gnu = header.as_gnu_mut().unwrap();
        gnu.sparse[0].offset = octal(0);
        gnu.sparse[0].numbytes = octal(data.len() as u64);
        gnu.realsize = octal(data.len() as u64);
    } else {
        // pax GNU sparse format 0.1: the map in the member's pax records.
        let map = format!("0,{}", data.len());
        let size = data.len().to_string();
        builder
            .append_pax_extensions([
                ("GNU.sparse.map", map.as_bytes()),
                ("GNU.sparse.size", size.as_bytes()),
            ])
            .unwrap();
    }
    builder
        .append_data(&mut header, "demo_pkg-1.0/setup.py", &data[..])
        .unwrap();
    Dist {
        filename: SDIST.to_owned(),
        bytes: builder.into_inner().unwrap().finish().unwrap(),
    }
}

/// A tar numeric field: octal digits, NUL-terminated.
fn octal(value: u64) -> [u8; 12] {
    let mut field = [0u8; 12];
    let digits = format!("{value:011o}");
    field[..11].copy_from_slice(digits.as_bytes());
    field
}

#[test]
fn sparse_members_are_refused() {
    let refusal = "Invalid distribution file. tar archive not accepted: Sparse members are not allowed. See https://docs.pypi.org/archives for more information";
    assert_refused(&sparse_sdist(true), refusal);
    assert_refused(&sparse_sdist(false), refusal);
    // The same sdist without the sparse record is taken.
    let (_, reply) = upload(&sdist(SDIST, b"print('sparse')\n"));
    assert_eq!(reply.status_line(), "200 OK");
}

/// A gzip of several members is one stream to Python's `gzip`, and PyPI takes it: the
/// sdist split in two members (each a complete gzip) is stored like the one-member file.
#[test]
fn an_sdist_of_two_gzip_members_is_taken() {
    use flate2::{Compression, read::GzDecoder, write::GzEncoder};
    use std::io::Read;
    let one = sdist(SDIST, b"print('two members')\n");
    let mut tar = Vec::new();
    GzDecoder::new(&one.bytes[..])
        .read_to_end(&mut tar)
        .unwrap();
    let half = tar.len() / 2;
    let mut bytes = Vec::new();
    for part in [&tar[..half], &tar[half..]] {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(part).unwrap();
        bytes.extend(gz.finish().unwrap());
    }
    let two = Dist { bytes, ..one };
    let (_, reply) = upload(&two);
    assert_eq!(reply.status_line(), "200 OK");
}
