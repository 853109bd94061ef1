use super::super::zip_central;
use super::super::zipcraft::{Craft, MODULE, Member, valid, walk_cases, with};
use super::*;

const META: &str = "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n";

/// What the walk says of an archive `zipfile` opens.
fn verdict(bytes: &[u8]) -> Result<(), Framing> {
    let len = bytes.len() as u64;
    let mut src = std::io::Cursor::new(bytes);
    let central = zip_central::read(&mut src, len, 1000).expect("zipfile opens it");
    match walk(&mut src, len, &central) {
        Ok(()) => Ok(()),
        Err(WalkError::Refused(framing)) => Err(framing),
        Err(WalkError::Io(e)) => panic!("{e}"),
    }
}

#[test]
fn every_case_of_the_table_gets_warehouses_verdict() {
    for case in walk_cases(META) {
        let got = verdict(&case.craft.build()).err().map(|f| f.what);
        assert_eq!(got, case.what, "{}", case.label);
    }
}

#[test]
fn a_refusal_names_the_member_and_the_record_offset() {
    // The module is the first member: its local header is at 0, the central
    // directory's first header right after the last member's data.
    let bytes = Craft::of(with(META, MODULE, |m| m.flags |= 0x0008)).build();
    let framing = verdict(&bytes).unwrap_err();
    assert_eq!(framing.member.as_deref(), Some(MODULE));
    assert_eq!(framing.offset, 0);

    let members = with(META, MODULE, |m| m.comment = b"c".to_vec());
    let locals: usize = members
        .iter()
        .map(|m| 30 + m.name.len() + m.local_extra.len() + m.data.len())
        .sum();
    let framing = verdict(&Craft::of(members).build()).unwrap_err();
    assert_eq!(framing.what, "Comment in central directory");
    assert_eq!(framing.member.as_deref(), Some(MODULE));
    assert_eq!(framing.offset, locals as u64);

    let mut craft = Craft::of(valid(META));
    craft.append = b"xyz".to_vec();
    let len = craft.build().len() as u64;
    let framing = verdict(&craft.build()).unwrap_err();
    assert_eq!((framing.what, framing.offset), ("Trailing data", len - 3));
}

#[test]
fn local_zip64_sizes_follow_warehouses_reading() {
    // (extra length, method, local sizes) → the sizes read, or malformed.
    let q = |v: u64| v.to_le_bytes();
    let sixteen = [q(7), q(9)].concat();
    assert_eq!(zip64_local_sizes(&sixteen, 8, 1, MAX32), Some((9, 7)));
    assert_eq!(zip64_local_sizes(&sixteen, 8, MAX32, 1), Some((9, 1)));
    let twenty_four = [q(7), q(9), q(0)].concat();
    assert_eq!(zip64_local_sizes(&twenty_four, 0, 3, 4), Some((9, 4)));
    let mut twenty_eight = twenty_four.clone();
    twenty_eight.extend_from_slice(&[0; 4]);
    assert_eq!(zip64_local_sizes(&twenty_eight, 0, 3, MAX32), Some((9, 7)));
    // Eight bytes: one size, for stored members only.
    assert_eq!(zip64_local_sizes(&q(5), 0, 1, 2), Some((5, 2)));
    assert_eq!(zip64_local_sizes(&q(5), 0, 1, MAX32), Some((5, 5)));
    assert_eq!(zip64_local_sizes(&q(5), 8, 1, 2), None);
    // Empty: only when neither size asks for it.
    assert_eq!(zip64_local_sizes(&[], 8, 1, 2), Some((1, 2)));
    assert_eq!(zip64_local_sizes(&[], 8, MAX32, 2), None);
    assert_eq!(zip64_local_sizes(&[], 8, 1, MAX32), None);
    for odd in [4, 12, 20, 32] {
        assert_eq!(zip64_local_sizes(&vec![0; odd], 0, 1, 2), None, "{odd}");
    }
}

#[test]
fn only_the_zip64_and_unicode_path_extras_may_not_repeat() {
    for (id, refused) in [
        (0x0001u16, true),
        (0x7075, true),
        (0x000a, false),
        (0x5455, false),
    ] {
        let body: Vec<u8> = if id == 0x0001 {
            vec![]
        } else {
            vec![1, 0, 0, 0, 0]
        };
        let one = [
            id.to_le_bytes().to_vec(),
            (body.len() as u16).to_le_bytes().to_vec(),
            body,
        ]
        .concat();
        let bytes = Craft::of(with(META, MODULE, |m| {
            m.local_extra = [one.clone(), one.clone()].concat();
        }))
        .build();
        let got = verdict(&bytes).err().map(|f| f.what);
        let want = refused.then_some("Invalid duplicate extra in local file");
        assert_eq!(got, want, "{id:#06x}");
    }
}

#[test]
fn an_unprintable_byte_anywhere_in_a_name_is_refused() {
    for byte in [0x00u8, 0x09, 0x1f, 0x7f] {
        for at in [0, 3] {
            let mut name = b"demo/x.py".to_vec();
            name.insert(at, byte);
            let mut members = valid(META);
            members.push(Member {
                name,
                ..Member::new("", b"")
            });
            let got = verdict(&Craft::of(members).build()).err().map(|f| f.what);
            assert_eq!(got, Some("Invalid character in filename"), "{byte:#x}@{at}");
        }
    }
    for fine in [0x20u8, 0x7e, 0x80] {
        assert!(!has_unprintable(&[b'a', fine]), "{fine:#x}");
    }
}
