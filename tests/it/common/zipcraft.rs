//! ZIP archives written record by record, so that a test can break exactly one thing a ZIP
//! writer would never break: a per-entry comment, a name missing from one directory, a size
//! that differs between the local and the central header, bytes where no record starts.
//! Members are stored (method 0) unless a test says otherwise.

/// One member: what its local header and its central-directory header say.
#[derive(Clone, Debug)]
pub struct Member {
    pub name: Vec<u8>,
    /// The name in the central directory, when it differs from the local one.
    pub central_name: Option<Vec<u8>>,
    pub data: Vec<u8>,
    pub flags: u16,
    pub method: u16,
    pub local_extra: Vec<u8>,
    pub central_extra: Vec<u8>,
    pub comment: Vec<u8>,
    /// (compressed, uncompressed) written in the local header instead of the true sizes.
    pub local_sizes: Option<(u32, u32)>,
    /// Written as a local header (with its data).
    pub local: bool,
    /// Listed in the central directory (how many times).
    pub central: usize,
}

impl Member {
    pub fn new(name: &str, data: &[u8]) -> Self {
        Member {
            name: name.as_bytes().to_vec(),
            central_name: None,
            data: data.to_vec(),
            flags: 0,
            method: 0,
            local_extra: Vec::new(),
            central_extra: Vec::new(),
            comment: Vec::new(),
            local_sizes: None,
            local: true,
            central: 1,
        }
    }
}

/// A whole archive.
#[derive(Clone, Debug, Default)]
pub struct Craft {
    pub members: Vec<Member>,
    /// Bytes before the first local header.
    pub prepend: Vec<u8>,
    /// Bytes between the last local entry and the central directory.
    pub gap: Vec<u8>,
    /// Bytes after the end record.
    pub append: Vec<u8>,
    /// The archive-wide comment.
    pub comment: Vec<u8>,
    /// The central directory written twice (the end record describes the second).
    pub second_central: bool,
    /// Records count written in the end record instead of the true one.
    pub records: Option<u16>,
    /// Offset written in the end record instead of the true one.
    pub offset: Option<u32>,
    /// ZIP64 end records before the end record.
    pub zip64: Option<Zip64End>,
}

/// The ZIP64 end record and its locator, as written.
#[derive(Clone, Debug)]
pub struct Zip64End {
    /// Bytes of "extensible data" after the record's fixed fields.
    pub extensible: usize,
    /// Whether the locator follows it.
    pub locator: bool,
    /// Records on this disk written instead of the true count.
    pub on_disk: Option<u64>,
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

/// The members of a valid wheel `{stem}-…whl` with `metadata`, RECORD listing them all.
pub fn wheel(stem: &str, metadata: &str, extra: &[(&str, &[u8])]) -> Vec<Member> {
    let package = stem.split('-').next().unwrap();
    let di = format!("{stem}.dist-info");
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (format!("{package}/__init__.py"), b"x = 1\n".to_vec()),
        (format!("{di}/METADATA"), metadata.as_bytes().to_vec()),
        (
            format!("{di}/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .to_vec(),
        ),
    ];
    files.extend(extra.iter().map(|(n, b)| (n.to_string(), b.to_vec())));
    let mut record: String = files.iter().map(|(n, _)| format!("{n},,\n")).collect();
    record.push_str(&format!("{di}/RECORD,,\n"));
    files.push((format!("{di}/RECORD"), record.into_bytes()));
    files.iter().map(|(n, b)| Member::new(n, b)).collect()
}

impl Craft {
    pub fn of(members: Vec<Member>) -> Self {
        Craft {
            members,
            ..Craft::default()
        }
    }

    /// The archive's bytes.
    pub fn build(&self) -> Vec<u8> {
        let mut out = self.prepend.clone();
        let mut offsets = Vec::new();
        for m in &self.members {
            offsets.push((out.len() - self.prepend.len()) as u32);
            if !m.local {
                continue;
            }
            let size = m.data.len() as u32;
            let (compressed, uncompressed) = m.local_sizes.unwrap_or((size, size));
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&m.flags.to_le_bytes());
            out.extend_from_slice(&m.method.to_le_bytes());
            out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
            out.extend_from_slice(&crc32(&m.data).to_le_bytes());
            out.extend_from_slice(&compressed.to_le_bytes());
            out.extend_from_slice(&uncompressed.to_le_bytes());
            out.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
            out.extend_from_slice(&(m.local_extra.len() as u16).to_le_bytes());
            out.extend_from_slice(&m.name);
            out.extend_from_slice(&m.local_extra);
            out.extend_from_slice(&m.data);
        }
        out.extend_from_slice(&self.gap);
        let mut central = Vec::new();
        let mut records = 0u16;
        for (m, &offset) in self.members.iter().zip(&offsets) {
            for _ in 0..m.central {
                records = records.wrapping_add(1);
                let name = m.central_name.as_ref().unwrap_or(&m.name);
                let size = m.data.len() as u32;
                central.extend_from_slice(b"PK\x01\x02");
                central.extend_from_slice(&20u16.to_le_bytes());
                central.extend_from_slice(&20u16.to_le_bytes());
                central.extend_from_slice(&m.flags.to_le_bytes());
                central.extend_from_slice(&m.method.to_le_bytes());
                central.extend_from_slice(&[0, 0, 0x21, 0]);
                central.extend_from_slice(&crc32(&m.data).to_le_bytes());
                central.extend_from_slice(&size.to_le_bytes());
                central.extend_from_slice(&size.to_le_bytes());
                central.extend_from_slice(&(name.len() as u16).to_le_bytes());
                central.extend_from_slice(&(m.central_extra.len() as u16).to_le_bytes());
                central.extend_from_slice(&(m.comment.len() as u16).to_le_bytes());
                central.extend_from_slice(&[0; 8]); // disk, attributes
                central.extend_from_slice(&offset.to_le_bytes());
                central.extend_from_slice(name);
                central.extend_from_slice(&m.central_extra);
                central.extend_from_slice(&m.comment);
            }
        }
        if self.second_central {
            out.extend_from_slice(&central);
        }
        let central_at = (out.len() - self.prepend.len()) as u32;
        out.extend_from_slice(&central);
        if let Some(z) = &self.zip64 {
            let at = (out.len() - self.prepend.len()) as u64;
            let count = u64::from(records);
            out.extend_from_slice(b"PK\x06\x06");
            out.extend_from_slice(&(44 + z.extensible as u64).to_le_bytes());
            out.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&z.on_disk.unwrap_or(count).to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&(central.len() as u64).to_le_bytes());
            out.extend_from_slice(&u64::from(central_at).to_le_bytes());
            out.extend(std::iter::repeat_n(0u8, z.extensible));
            if z.locator {
                out.extend_from_slice(b"PK\x06\x07");
                out.extend_from_slice(&0u32.to_le_bytes());
                out.extend_from_slice(&at.to_le_bytes());
                out.extend_from_slice(&1u32.to_le_bytes());
            }
        }
        let records = self.records.unwrap_or(records);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&records.to_le_bytes());
        out.extend_from_slice(&records.to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.offset.unwrap_or(central_at).to_le_bytes());
        out.extend_from_slice(&(self.comment.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.comment);
        out.extend_from_slice(&self.append);
        out
    }
}

/// A ZIP64 end record (counts and offsets zero) with `extensible` bytes of extensible data.
pub fn zip64_end_record(extensible: usize) -> Vec<u8> {
    let mut out = b"PK\x06\x06".to_vec();
    out.extend_from_slice(&(44 + extensible as u64).to_le_bytes());
    out.extend_from_slice(&[45, 0, 45, 0]);
    out.extend(std::iter::repeat_n(0u8, 40 + extensible));
    out
}

/// One archive of the walk's table: what PyPI's record walk says of it (`None`: accepted).
pub struct WalkCase {
    pub label: &'static str,
    pub craft: Craft,
    pub what: Option<&'static str>,
}

/// The member every case that changes one member changes.
pub const MODULE: &str = "demo/__init__.py";

/// A valid `demo-1.0` wheel with `metadata`.
pub fn valid(metadata: &str) -> Vec<Member> {
    wheel("demo-1.0", metadata, &[])
}

/// The members of a valid wheel with one changed.
pub fn with(metadata: &str, member: &str, change: impl Fn(&mut Member)) -> Vec<Member> {
    let mut members = valid(metadata);
    let m = members
        .iter_mut()
        .find(|m| m.name == member.as_bytes())
        .expect("member exists");
    change(m);
    members
}

/// One wheel per rule of Warehouse's record walk (`warehouse/utils/zipfiles.py`), each
/// otherwise valid, and the archives it accepts. Shared by the walk's unit tests and the
/// end-to-end test of `check`.
pub fn walk_cases(metadata: &str) -> Vec<WalkCase> {
    vec![
        WalkCase {
            label: "valid",
            craft: Craft::of(valid(metadata)),
            what: None,
        },
        WalkCase {
            label: "archive-wide comment",
            craft: Craft {
                comment: b"made by hand".to_vec(),
                ..Craft::of(valid(metadata))
            },
            what: None,
        },
        WalkCase {
            label: "directory entries",
            craft: {
                let mut members = valid(metadata);
                members.insert(0, Member::new("demo/", b""));
                Craft::of(members)
            },
            what: None,
        },
        WalkCase {
            label: "a harmless repeated extra (NTFS 0x000a twice)",
            craft: Craft::of(with(metadata, MODULE, |m| {
                for _ in 0..2 {
                    m.local_extra
                        .extend_from_slice(&[0x0a, 0, 4, 0, 0, 0, 0, 0]);
                }
            })),
            what: None,
        },
        WalkCase {
            label: "ZIP64 sizes in the local header only",
            craft: Craft::of(with(metadata, MODULE, |m| {
                let size = m.data.len() as u64;
                m.local_sizes = Some((u32::MAX, u32::MAX));
                m.local_extra = [1u16.to_le_bytes(), 16u16.to_le_bytes()].concat();
                m.local_extra.extend_from_slice(&size.to_le_bytes());
                m.local_extra.extend_from_slice(&size.to_le_bytes());
            })),
            what: None,
        },
        WalkCase {
            label: "a UTF-8 name with the UTF-8 flag",
            craft: Craft::of(with(metadata, MODULE, |m| {
                m.name = "demo/ünï.py".as_bytes().to_vec();
                m.flags |= 0x0800;
            })),
            what: None,
        },
        WalkCase {
            label: "per-entry comment",
            craft: Craft::of(with(metadata, MODULE, |m| m.comment = b"hello".to_vec())),
            what: Some("Comment in central directory"),
        },
        WalkCase {
            label: "control character in a name",
            craft: Craft::of(with(metadata, MODULE, |m| {
                m.name = b"demo/a\x01.py".to_vec()
            })),
            what: Some("Invalid character in filename"),
        },
        WalkCase {
            label: "DEL in a name",
            craft: Craft::of(with(metadata, MODULE, |m| {
                m.name = b"demo/a\x7f.py".to_vec()
            })),
            what: Some("Invalid character in filename"),
        },
        WalkCase {
            label: "a UTF-8 name without the UTF-8 flag",
            craft: Craft::of(with(metadata, MODULE, |m| {
                m.name = "demo/ünï.py".as_bytes().to_vec();
            })),
            what: Some("Filename not in central directory"),
        },
        WalkCase {
            label: "a name that is not UTF-8",
            craft: Craft::of(with(metadata, MODULE, |m| {
                m.name = b"demo/\xff.py".to_vec()
            })),
            what: Some("Filename not unicode"),
        },
        WalkCase {
            label: "a local entry the central directory does not list",
            craft: Craft::of(with(metadata, MODULE, |m| m.central = 0)),
            what: Some("Filename not in central directory"),
        },
        WalkCase {
            label: "a central entry with no local header",
            craft: Craft::of(with(metadata, MODULE, |m| m.local = false)),
            what: Some("Missing filename in local headers"),
        },
        WalkCase {
            label: "the same name in two local headers",
            craft: {
                let mut members = valid(metadata);
                members.push(Member::new(MODULE, b"y = 2\n"));
                Craft::of(members)
            },
            what: Some("Duplicate filename in local headers"),
        },
        WalkCase {
            label: "the same name twice in the central directory",
            craft: Craft::of(with(metadata, MODULE, |m| m.central = 2)),
            what: Some("Duplicate filename in central directory"),
        },
        WalkCase {
            label: "two central directories",
            craft: Craft {
                second_central: true,
                ..Craft::of(valid(metadata))
            },
            what: Some("Duplicate filename in central directory"),
        },
        WalkCase {
            label: "local and central uncompressed sizes differ",
            craft: Craft::of(with(metadata, MODULE, |m| {
                let n = m.data.len() as u32;
                m.local_sizes = Some((n, n + 1));
            })),
            what: Some("Mis-matched file size"),
        },
        WalkCase {
            label: "local and central compressed sizes differ",
            craft: Craft::of(with(metadata, MODULE, |m| {
                let n = m.data.len() as u32;
                m.local_sizes = Some((n + 1, n));
            })),
            what: Some("Mis-matched data size"),
        },
        WalkCase {
            label: "a data descriptor",
            craft: Craft::of(with(metadata, MODULE, |m| m.flags |= 0x0008)),
            what: Some("ZIP contains a data descriptor"),
        },
        WalkCase {
            label: "the end record counts one record too many",
            craft: Craft {
                records: Some(5),
                ..Craft::of(valid(metadata))
            },
            what: Some("Mismatched central directory records"),
        },
        WalkCase {
            label: "the end record's offset is wrong",
            craft: Craft {
                offset: Some(3),
                ..Craft::of(valid(metadata))
            },
            what: Some("Mismatched central directory offset"),
        },
        WalkCase {
            label: "data prepended",
            craft: Craft {
                prepend: b"#!/bin/sh\nexit 0\n".to_vec(),
                ..Craft::of(valid(metadata))
            },
            what: Some("Unknown record signature"),
        },
        WalkCase {
            label: "a gap before the central directory",
            craft: Craft {
                gap: vec![0; 64],
                ..Craft::of(valid(metadata))
            },
            what: Some("Unknown record signature"),
        },
        WalkCase {
            label: "trailing data",
            craft: Craft {
                append: b"appended".to_vec(),
                ..Craft::of(valid(metadata))
            },
            what: Some("Trailing data"),
        },
        WalkCase {
            label: "the Unicode Path extra twice",
            craft: Craft::of(with(metadata, MODULE, |m| {
                let mut extra = vec![0x75, 0x70, 5 + 16, 0, 1, 0, 0, 0, 0];
                extra.extend_from_slice(b"demo/__init__.py");
                m.local_extra = [extra.clone(), extra].concat();
            })),
            what: Some("Invalid duplicate extra in local file"),
        },
        WalkCase {
            label: "a Unicode Path extra that is not UTF-8",
            craft: Craft::of(with(metadata, MODULE, |m| {
                m.local_extra = vec![0x75, 0x70, 7, 0, 1, 0, 0, 0, 0, 0xc3, 0x28];
            })),
            what: Some("Filename not valid UTF-8"),
        },
        WalkCase {
            label: "an extra field longer than its room",
            craft: Craft::of(with(metadata, MODULE, |m| {
                m.local_extra = vec![0x0a, 0, 200, 0, 1, 2, 3, 4];
            })),
            what: Some("Malformed zip file"),
        },
        WalkCase {
            label: "a ZIP64 extra of a length ZIP64 never has",
            craft: Craft::of(with(metadata, MODULE, |m| {
                m.local_extra = vec![1, 0, 4, 0, 1, 2, 3, 4];
            })),
            what: Some("Malformed zip file"),
        },
        WalkCase {
            label: "extra fields in the central directory",
            craft: Craft::of(with(metadata, MODULE, |m| {
                m.central_extra = vec![0x0a, 0, 4, 0, 1, 2, 3, 4];
            })),
            what: None,
        },
        WalkCase {
            label: "ZIP64 end records",
            craft: Craft {
                zip64: Some(Zip64End {
                    extensible: 0,
                    locator: true,
                    on_disk: None,
                }),
                ..Craft::of(valid(metadata))
            },
            what: None,
        },
        // As ZIP64 writers write it: the plain end record's fields all ones, the values in
        // the ZIP64 end record.
        WalkCase {
            label: "ZIP64 end records with the plain one's fields all ones",
            craft: Craft {
                zip64: Some(Zip64End {
                    extensible: 0,
                    locator: true,
                    on_disk: None,
                }),
                records: Some(0xFFFF),
                offset: Some(0xFFFF_FFFF),
                ..Craft::of(valid(metadata))
            },
            what: None,
        },
        // A ZIP64 end record before the central directory, where zipfile does not look.
        WalkCase {
            label: "a ZIP64 end record without its locator",
            craft: Craft {
                gap: zip64_end_record(0),
                ..Craft::of(valid(metadata))
            },
            what: Some("Malformed zip file"),
        },
        WalkCase {
            label: "ZIP64 extensible data",
            craft: Craft {
                gap: zip64_end_record(12),
                ..Craft::of(valid(metadata))
            },
            what: Some("ZIP64 extensible data not allowed"),
        },
        WalkCase {
            label: "a ZIP64 end record whose counts differ",
            craft: Craft {
                zip64: Some(Zip64End {
                    extensible: 0,
                    locator: true,
                    on_disk: Some(1),
                }),
                ..Craft::of(valid(metadata))
            },
            what: Some("Malformed zip file"),
        },
    ]
}
