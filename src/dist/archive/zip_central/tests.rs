use super::super::zipcraft::{Craft, MODULE, Member, Zip64End, valid, with};
use super::*;

const META: &str = "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n";

fn central(bytes: &[u8]) -> Result<Central, CentralError> {
    read(&mut io::Cursor::new(bytes), bytes.len() as u64, 100)
}

fn is_zip(bytes: &[u8]) -> bool {
    is_zipfile(&mut io::Cursor::new(bytes), bytes.len() as u64).unwrap()
}

fn bad_message(bytes: &[u8]) -> String {
    match central(bytes) {
        Err(CentralError::Bad(m)) => m,
        other => panic!("{other:?}"),
    }
}

#[test]
fn names_decode_as_zipfile_decodes_them() {
    assert_eq!(decode_name(b"a/b.py", 0).unwrap(), "a/b.py");
    assert_eq!(decode_name(&[0x82, 0x80, 0xff], 0).unwrap(), "éÇ\u{a0}");
    assert_eq!(decode_name("é".as_bytes(), FLAG_UTF8).unwrap(), "é");
    assert_eq!(decode_name("é".as_bytes(), 0).unwrap(), "├⌐");
    assert!(matches!(
        decode_name(&[0xff], FLAG_UTF8),
        Err(CentralError::Crash(_))
    ));
}

#[test]
fn the_directory_is_found_through_a_comment_and_prepended_data() {
    let mut craft = Craft::of(valid(META));
    let plain = central(&craft.build()).unwrap();
    assert_eq!(plain.entries.len(), 4);
    assert_eq!(plain.entries[0].name, MODULE);
    assert_eq!(plain.entries[0].size, 6);
    assert_eq!(plain.entries[0].compressed, 6);
    craft.comment = b"made by hand".to_vec();
    craft.prepend = vec![7; 100];
    let found = central(&craft.build()).unwrap();
    assert_eq!(found.entries.len(), 4);
    assert!(is_zip(&craft.build()));
    // The end record's signature inside the comment is taken for the end record, as
    // zipfile takes it: too close to the end, no end record; farther, a wrong one.
    craft.comment = b"PK\x05\x06 is in here too".to_vec();
    assert!(!is_zip(&craft.build()));
    assert_eq!(bad_message(&craft.build()), "File is not a zip file");
    craft.comment = b"PK\x05\x06 is in here too, far enough".to_vec();
    assert!(central(&craft.build()).is_err());
}

#[test]
fn zip64_end_records_replace_the_end_record() {
    let mut craft = Craft::of(valid(META));
    craft.zip64 = Some(Zip64End {
        extensible: 0,
        locator: true,
        on_disk: None,
    });
    // The plain end record's count is wrong; the ZIP64 one is used.
    craft.records = Some(0);
    assert_eq!(central(&craft.build()).unwrap().entries.len(), 4);
    assert!(is_zip(&craft.build()));
    // A locator that says the archive spans disks.
    let mut bytes = craft.build();
    let locator = bytes.len() - 22 - 20;
    bytes[locator + 16] = 2;
    assert_eq!(
        bad_message(&bytes),
        "zipfiles that span multiple disks are not supported"
    );
    bytes[locator + 16] = 1;
    bytes[locator + 4] = 1;
    assert_eq!(
        bad_message(&bytes),
        "zipfiles that span multiple disks are not supported"
    );
}

#[test]
fn central_extras_are_read_as_zipfile_reads_them() {
    let extra = |fields: &[u64]| -> Vec<u8> {
        let mut e = [
            1u16.to_le_bytes(),
            ((fields.len() * 8) as u16).to_le_bytes(),
        ]
        .concat();
        for f in fields {
            e.extend_from_slice(&f.to_le_bytes());
        }
        e
    };
    let entry = |size, compressed| CentralEntry {
        name: String::new(),
        method: 0,
        compressed,
        size,
        lookup: String::new(),
        flags: 0,
        crc: 0,
        header_offset: 0,
    };
    let zip64_sizes = |e: &mut CentralEntry, offset: u64, extra: &[u8]| {
        e.header_offset = offset;
        decode_extra(e, b"", extra)
    };
    let mut e = entry(0xFFFF_FFFF, 0xFFFF_FFFF);
    zip64_sizes(&mut e, 0xFFFF_FFFF, &extra(&[7, 9, 11])).unwrap();
    assert_eq!((e.size, e.compressed), (7, 9));
    let mut e = entry(5, 0xFFFF_FFFF);
    zip64_sizes(&mut e, 0, &extra(&[9])).unwrap();
    assert_eq!((e.size, e.compressed), (5, 9));
    let mut e = entry(0xFFFF_FFFF, 3);
    zip64_sizes(&mut e, 0, &extra(&[7])).unwrap();
    assert_eq!((e.size, e.compressed), (7, 3));
    // Fields the header asks for and the extra lacks.
    for (size, compressed, offset, fields, missing) in [
        (0xFFFF_FFFF, 0, 0, vec![], "File size"),
        (0, 0xFFFF_FFFF, 0, vec![], "Compress size"),
        (0, 0, 0xFFFF_FFFF, vec![], "Header offset"),
        (0xFFFF_FFFF, 0xFFFF_FFFF, 0, vec![1], "Compress size"),
    ] {
        let mut e = entry(size, compressed);
        match zip64_sizes(&mut e, offset, &extra(&fields)) {
            Err(CentralError::Bad(m)) => assert_eq!(
                m,
                format!("Corrupt zip64 extra field. {missing} not found.")
            ),
            other => panic!("{other:?}"),
        }
    }
    let mut e = entry(1, 1);
    assert!(matches!(
        zip64_sizes(&mut e, 0, &[0x0a, 0, 9, 0, 1]),
        Err(CentralError::Bad(m)) if m == "Corrupt extra field 000a (size=9)"
    ));
    // Other extras, and a short tail, are passed over.
    let mut e = entry(1, 1);
    zip64_sizes(&mut e, 0, &[0x0a, 0, 1, 0, 1, 0xff]).unwrap();
    assert_eq!((e.size, e.compressed), (1, 1));
    // The ZIP64 extra gives the header's offset too.
    let mut e = entry(1, 1);
    zip64_sizes(&mut e, 0xFFFF_FFFF, &extra(&[42])).unwrap();
    assert_eq!(e.header_offset, 42);
    // The Unicode Path extra renames the member when its CRC is the raw name's.
    let unicode = |version: u8, crc: u32, name: &[u8]| {
        let mut e = [
            0x7075u16.to_le_bytes(),
            ((5 + name.len()) as u16).to_le_bytes(),
        ]
        .concat();
        e.push(version);
        e.extend_from_slice(&crc.to_le_bytes());
        e.extend_from_slice(name);
        e
    };
    let raw = b"demo/x.py";
    let crc = crc32(raw);
    let named = |extra: &[u8]| {
        let mut e = entry(1, 1);
        e.lookup = "demo/x.py".into();
        decode_extra(&mut e, raw, extra).map(|()| e.lookup)
    };
    assert_eq!(
        named(&unicode(1, crc, "d\u{e9}mo/x.py".as_bytes())).unwrap(),
        "d\u{e9}mo/x.py"
    );
    assert_eq!(named(&unicode(1, crc ^ 1, b"other")).unwrap(), "demo/x.py");
    assert_eq!(named(&unicode(2, crc, b"other")).unwrap(), "demo/x.py");
    assert_eq!(named(&unicode(1, crc, b"")).unwrap(), "demo/x.py");
    assert!(
        matches!(named(&unicode(1, crc, b"\xff")), Err(CentralError::Bad(m)) if m.ends_with("invalid utf-8 bytes"))
    );
    assert!(
        matches!(named(&[0x75, 0x70, 2, 0, 1, 0]), Err(CentralError::Bad(m)) if m == "Corrupt unicode path extra field (0x7075)")
    );
}

#[test]
fn a_damaged_directory_is_zipfiles_bad_zip_file() {
    let bytes = Craft::of(valid(META)).build();
    assert_eq!(
        bad_message(&bytes[..bytes.len() / 2]),
        "File is not a zip file"
    );
    assert_eq!(bad_message(b"PK\x05\x06"), "File is not a zip file");
    // The end record says the directory is longer than it is.
    let mut long = bytes.clone();
    let n = long.len();
    let size = u32::from_le_bytes(long[n - 10..n - 6].try_into().unwrap());
    long[n - 10..n - 6].copy_from_slice(&(size + 10).to_le_bytes());
    assert_eq!(bad_message(&long), "Bad magic number for central directory");
    // A directory that starts before the file does.
    let mut before = bytes.clone();
    before[n - 10..n - 6].copy_from_slice(&(n as u32 * 2).to_le_bytes());
    assert_eq!(bad_message(&before), "Bad offset for central directory");
    // The last header cut short.
    let members = with(META, MODULE, |_| {});
    let whole = Craft::of(members).build();
    let n = whole.len();
    let mut cut = whole.clone();
    let size = u32::from_le_bytes(cut[n - 10..n - 6].try_into().unwrap());
    cut[n - 10..n - 6].copy_from_slice(&(size + 20).to_le_bytes());
    cut.splice(n - 22..n - 22, [b'P', b'K', 1, 2]);
    assert!(matches!(central(&cut), Err(CentralError::Bad(_))));
    // More members than allowed.
    assert!(matches!(
        read(&mut io::Cursor::new(&whole), n as u64, 3),
        Err(CentralError::TooMany(3))
    ));
}

#[test]
fn is_zipfile_wants_a_directory_where_the_end_record_points() {
    assert!(is_zip(&Craft::of(valid(META)).build()));
    assert!(!is_zip(b"not a zip at all, not even close to one"));
    // An empty archive is a zip.
    assert!(is_zip(&Craft::of(Vec::new()).build()));
    // An end record alone, claiming a directory that is not there.
    let mut lone = vec![0u8; 100];
    lone.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0\x2e\0\0\0\x10\0\0\0\0\0");
    assert!(!is_zip(&lone));
    // A directory too short for one header.
    let mut short = vec![0u8; 100];
    short.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0\x10\0\0\0\x10\0\0\0\0\0");
    assert!(!is_zip(&short));
}

#[test]
fn the_end_record_is_found_as_zipfile_finds_it() {
    // Its offset field spelling the end record's signature: the last 22 bytes are the end
    // record (no comment), so it is taken as it is, not searched for.
    let signature_offset = u32::from_le_bytes(*b"PK\x05\x06");
    let mut craft = Craft::of(valid(META));
    craft.offset = Some(signature_offset);
    assert_eq!(central(&craft.build()).unwrap().entries.len(), 4);
    // A comment that ends in two NULs: the last 22 bytes are not an end record.
    let mut craft = Craft::of(valid(META));
    craft.comment = b"made by hand\0\0".to_vec();
    assert_eq!(central(&craft.build()).unwrap().entries.len(), 4);
    // The longest comment there can be: the search reaches back exactly far enough.
    craft.comment = vec![b'c'; 65535];
    assert_eq!(central(&craft.build()).unwrap().entries.len(), 4);
    assert!(is_zip(&craft.build()));
}

#[test]
fn an_empty_archive_is_one_by_the_zip64_end_records_counts() {
    // ZIP64 end record: 1 entry, a directory of 0 bytes at 0; locator; an end record of
    // zeros. Not empty (one entry), and no directory where it says: not a zip.
    let mut bytes = b"PK\x06\x06".to_vec();
    bytes.extend_from_slice(&44u64.to_le_bytes());
    bytes.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    bytes.extend_from_slice(&1u64.to_le_bytes());
    bytes.extend_from_slice(&1u64.to_le_bytes());
    bytes.extend_from_slice(&0u64.to_le_bytes());
    bytes.extend_from_slice(&0u64.to_le_bytes());
    bytes.extend_from_slice(b"PK\x06\x07\0\0\0\0");
    bytes.extend_from_slice(&0u64.to_le_bytes());
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend_from_slice(b"PK\x05\x06");
    bytes.extend_from_slice(&[0; 18]);
    assert!(!is_zip(&bytes));
    // The same with no entries is an empty archive, which is a zip.
    bytes[24..32].copy_from_slice(&0u64.to_le_bytes());
    bytes[32..40].copy_from_slice(&0u64.to_le_bytes());
    assert!(is_zip(&bytes));
}

/// An end record whose counts and sizes are `fields`, after a ZIP64 end record and its
/// locator whose own are `zip64`: (entries, directory size, directory offset).
fn end_records(fields: (u16, u32, u32), zip64: (u64, u64, u64)) -> Vec<u8> {
    let mut bytes = b"PK\x06\x06".to_vec();
    bytes.extend_from_slice(&44u64.to_le_bytes());
    bytes.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    bytes.extend_from_slice(&zip64.0.to_le_bytes());
    bytes.extend_from_slice(&zip64.0.to_le_bytes());
    bytes.extend_from_slice(&zip64.1.to_le_bytes());
    bytes.extend_from_slice(&zip64.2.to_le_bytes());
    bytes.extend_from_slice(b"PK\x06\x07\0\0\0\0");
    bytes.extend_from_slice(&0u64.to_le_bytes());
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    bytes.extend_from_slice(&fields.0.to_le_bytes());
    bytes.extend_from_slice(&fields.0.to_le_bytes());
    bytes.extend_from_slice(&fields.1.to_le_bytes());
    bytes.extend_from_slice(&fields.2.to_le_bytes());
    bytes.extend_from_slice(&0u16.to_le_bytes());
    bytes
}

#[test]
fn emptiness_is_judged_on_the_zip64_end_records_values() {
    // Empty by its ZIP64 end record whatever the plain one says.
    assert!(is_zip(&end_records((0, 0, 5), (0, 0, 0))));
    assert!(is_zip(&end_records((0, 5, 0), (0, 0, 0))));
    assert!(is_zip(&end_records((3, 0, 0), (0, 0, 0))));
    // Not empty by it: then a directory must be where it says, and there is none.
    assert!(!is_zip(&end_records((0, 0, 0), (0, 0, 9))));
    assert!(!is_zip(&end_records((0, 0, 0), (0, 9, 0))));
    assert!(!is_zip(&end_records((0, 0, 0), (1, 0, 0))));
}

#[test]
fn a_directory_is_wanted_where_the_end_record_points() {
    // No entries counted, but a directory claimed: its first header must be there.
    let mut craft = Craft::of(valid(META));
    craft.records = Some(0);
    let bytes = craft.build();
    assert!(is_zip(&bytes));
    let mut broken = bytes.clone();
    let cd = broken.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    broken[cd + 3] = 9;
    assert!(!is_zip(&broken));
    // A directory of exactly one header with an empty name: 46 bytes is enough.
    let one = Craft::of(vec![Member::new("", b"")]).build();
    assert!(is_zip(&one));
    assert_eq!(central(&one).unwrap().entries.len(), 1);
}

#[test]
fn headers_with_comments_and_versions_are_read_as_zipfile_reads_them() {
    // A comment on the first entry: the next header is found after it.
    let bytes = Craft::of(with(META, MODULE, |m| m.comment = b"note".to_vec())).build();
    let names: Vec<String> = central(&bytes)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names.len(), 4);
    assert_eq!(names[1], "demo-1.0.dist-info/METADATA");
    // Version needed to extract: 6.3 is the most zipfile reads.
    let version = |needed: u8| {
        let mut bytes = Craft::of(valid(META)).build();
        let cd = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        bytes[cd + 6] = needed;
        central(&bytes).map(|c| c.entries.len())
    };
    assert_eq!(version(63).unwrap(), 4);
    assert!(matches!(version(64), Err(CentralError::Crash(m)) if m == "zip file version 6.4"));
}
