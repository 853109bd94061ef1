//! A ZIP archive's central directory, as Python's `zipfile` reads it: the end record found
//! from the file's end (the archive comment searched back up to 64 KiB), the ZIP64 end
//! records when a locator stands before it, then every central-directory header.
//!
//! PyPI opens each upload with `zipfile.ZipFile` before anything else; its view of the
//! members (names decoded as UTF-8 only when flagged so, cp437 otherwise; sizes taken from
//! the ZIP64 extra when the header says 0xFFFFFFFF) is what its record walk
//! ([`super::zip_walk`]) compares the local headers against. Only headers are read.

use std::io::{self, Read, Seek, SeekFrom};

pub(super) const SIG_CENTRAL: [u8; 4] = *b"PK\x01\x02";
pub(super) const SIG_LOCAL: [u8; 4] = *b"PK\x03\x04";
pub(super) const SIG_EOCD: [u8; 4] = *b"PK\x05\x06";
pub(super) const SIG_EOCD64: [u8; 4] = *b"PK\x06\x06";
pub(super) const SIG_EOCD64_LOCATOR: [u8; 4] = *b"PK\x06\x07";

const EOCD_LEN: u64 = 22;
const EOCD64_LEN: u64 = 56;
const LOCATOR_LEN: u64 = 20;
const CENTRAL_LEN: usize = 46;
/// General-purpose flag bit 11: the name is UTF-8.
const FLAG_UTF8: u16 = 0x0800;

/// cp437's upper half, as Python decodes it (bytes below 0x80 are ASCII).
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// One member as the central directory lists it.
#[derive(Debug, Clone)]
pub(super) struct CentralEntry {
    /// The name as `zipfile` decodes it (`ZipInfo.orig_filename`).
    pub name: String,
    /// The compression method.
    pub method: u16,
    /// Compressed size (ZIP64-corrected).
    pub compressed: u64,
    /// Uncompressed size (ZIP64-corrected).
    pub size: u64,
}

/// The central directory.
#[derive(Debug, Default)]
pub(super) struct Central {
    /// Every header, in order (duplicates kept).
    pub entries: Vec<CentralEntry>,
}

/// Why `zipfile` cannot open the archive (its `BadZipFile` message), or a read failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum CentralError {
    /// `zipfile.BadZipFile` (PyPI: "File is not a zipfile" or an unexplained refusal).
    #[error("{0}")]
    Bad(String),
    /// `zipfile` raises something other than `BadZipFile` (PyPI answers 500).
    #[error("{0}")]
    Crash(String),
    /// More members than we read.
    #[error("archive has more than {0} entries")]
    TooMany(usize),
    /// Reading the file failed.
    #[error("cannot read file")]
    Io(#[source] io::Error),
}

fn bad(what: &str) -> CentralError {
    CentralError::Bad(what.to_string())
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Reads up to `len` bytes at `at` (fewer at the end of the file).
fn read_at<R: Read + Seek>(src: &mut R, at: u64, len: u64) -> Result<Vec<u8>, CentralError> {
    src.seek(SeekFrom::Start(at)).map_err(CentralError::Io)?;
    let mut buf = Vec::new();
    src.take(len)
        .read_to_end(&mut buf)
        .map_err(CentralError::Io)?;
    Ok(buf)
}

/// A name as `zipfile` decodes it: UTF-8 when flagged, cp437 otherwise.
pub(super) fn decode_name(raw: &[u8], flags: u16) -> Result<String, CentralError> {
    if flags & FLAG_UTF8 != 0 {
        return String::from_utf8(raw.to_vec()).map_err(|_| {
            CentralError::Crash("a central-directory name flagged UTF-8 is not UTF-8".into())
        });
    }
    Ok(raw
        .iter()
        .map(|&b| {
            if b < 0x80 {
                b as char
            } else {
                CP437_HIGH
                    .chars()
                    .nth(usize::from(b - 0x80))
                    .expect("128 chars")
            }
        })
        .collect())
}

/// The end record's values `zipfile` uses.
#[derive(Debug, Clone, Copy)]
struct End {
    /// Where the end record starts.
    location: u64,
    entries: u64,
    dir_size: u64,
    dir_offset: u64,
    zip64: bool,
}

/// `_EndRecData`: the end record, from the file's last 22 bytes or searched back through
/// the comment (the last occurrence of its signature wins); `None` when there is none.
fn end_record<R: Read + Seek>(src: &mut R, len: u64) -> Result<Option<End>, CentralError> {
    if len < EOCD_LEN {
        return Ok(None);
    }
    let tail = read_at(src, len - EOCD_LEN, EOCD_LEN)?;
    let (record, location) = if tail[..4] == SIG_EOCD && tail[20..22] == [0, 0] {
        (tail, len - EOCD_LEN)
    } else {
        let start = len.saturating_sub((1 << 16) + EOCD_LEN);
        let data = read_at(src, start, len - start)?;
        let Some(found) = data.windows(4).rposition(|w| w == SIG_EOCD) else {
            return Ok(None);
        };
        let record = data[found..].iter().take(EOCD_LEN as usize).copied();
        let record: Vec<u8> = record.collect();
        if record.len() as u64 != EOCD_LEN {
            return Ok(None);
        }
        (record, start + found as u64)
    };
    let end = End {
        location,
        entries: u64::from(u16_at(&record, 10)),
        dir_size: u64::from(u32_at(&record, 12)),
        dir_offset: u64::from(u32_at(&record, 16)),
        zip64: false,
    };
    end_record64(src, end)
}

/// `_EndRecData64`: a ZIP64 locator right before the end record points the way to the ZIP64
/// end record, whose values replace the end record's (when it is where it should be).
fn end_record64<R: Read + Seek>(src: &mut R, end: End) -> Result<Option<End>, CentralError> {
    let Some(locator_at) = end.location.checked_sub(LOCATOR_LEN) else {
        return Ok(Some(end));
    };
    let locator = read_at(src, locator_at, LOCATOR_LEN)?;
    if locator[..4] != SIG_EOCD64_LOCATOR {
        return Ok(Some(end));
    }
    if u32_at(&locator, 4) != 0 || u32_at(&locator, 16) > 1 {
        return Err(bad("zipfiles that span multiple disks are not supported"));
    }
    let Some(record_at) = locator_at.checked_sub(EOCD64_LEN) else {
        return Ok(Some(end));
    };
    let record = read_at(src, record_at, EOCD64_LEN)?;
    if record[..4] != SIG_EOCD64 {
        return Ok(Some(end));
    }
    Ok(Some(End {
        entries: u64_at(&record, 32),
        dir_size: u64_at(&record, 40),
        dir_offset: u64_at(&record, 48),
        zip64: true,
        ..end
    }))
}

/// Where the central directory starts once data prepended to the archive is accounted
/// for (`zipfile`'s `concat`), or `None` when that would be before the file's start.
fn directory_start(end: &End) -> Option<u64> {
    let mut concat =
        i128::from(end.location) - i128::from(end.dir_size) - i128::from(end.dir_offset);
    if end.zip64 {
        concat -= i128::from(EOCD64_LEN + LOCATOR_LEN);
    }
    u64::try_from(i128::from(end.dir_offset) + concat).ok()
}

/// `zipfile.is_zipfile` (CPython 3.14's `_check_zipfile`): an end record, and either an
/// empty archive or a central-directory signature where the end record says it starts.
pub(super) fn is_zipfile<R: Read + Seek>(src: &mut R, len: u64) -> Result<bool, CentralError> {
    let end = match end_record(src, len) {
        Ok(Some(end)) => end,
        Ok(None) | Err(CentralError::Bad(_)) => return Ok(false),
        Err(e) => return Err(e),
    };
    if end.entries == 0 && end.dir_size == 0 && end.dir_offset == 0 {
        return Ok(true);
    }
    let Some(start) = directory_start(&end) else {
        return Ok(false);
    };
    if end.dir_size < CENTRAL_LEN as u64 {
        return Ok(false);
    }
    let head = read_at(src, start, 4)?;
    Ok(head == SIG_CENTRAL)
}

/// `ZipFile._RealGetContents`: every central-directory header, read where the end record
/// says the directory is.
pub(super) fn read<R: Read + Seek>(
    src: &mut R,
    len: u64,
    max: usize,
) -> Result<Central, CentralError> {
    let end = end_record(src, len)?.ok_or_else(|| bad("File is not a zip file"))?;
    let start = directory_start(&end).ok_or_else(|| bad("Bad offset for central directory"))?;
    // Read as zipfile reads it (its size as the end record says, short at the file's end),
    // one header at a time: memory follows the names actually there, not a claimed size.
    src.seek(SeekFrom::Start(start)).map_err(CentralError::Io)?;
    let mut dir = io::BufReader::new(src.take(end.dir_size));
    let mut central = Central::default();
    let mut at = 0u64;
    while at < end.dir_size {
        if central.entries.len() == max {
            return Err(CentralError::TooMany(max));
        }
        let head = up_to(&mut dir, CENTRAL_LEN)?;
        if head.len() != CENTRAL_LEN {
            return Err(bad("Truncated central directory"));
        }
        if head[..4] != SIG_CENTRAL {
            return Err(bad("Bad magic number for central directory"));
        }
        let flags = u16_at(&head, 8);
        let (name_len, extra_len, comment_len) = (
            usize::from(u16_at(&head, 28)),
            usize::from(u16_at(&head, 30)),
            usize::from(u16_at(&head, 32)),
        );
        // zipfile takes short fields at the directory's end without complaint.
        let raw_name = up_to(&mut dir, name_len)?;
        let extra = up_to(&mut dir, extra_len)?;
        up_to(&mut dir, comment_len)?;
        let mut entry = CentralEntry {
            name: decode_name(&raw_name, flags)?,
            method: u16_at(&head, 10),
            compressed: u64::from(u32_at(&head, 20)),
            size: u64::from(u32_at(&head, 24)),
        };
        zip64_sizes(&mut entry, u32_at(&head, 42), &extra)?;
        central.entries.push(entry);
        at += (CENTRAL_LEN + name_len + extra_len + comment_len) as u64;
    }
    Ok(central)
}

/// At most `n` bytes (fewer at the end).
fn up_to(src: &mut impl Read, n: usize) -> Result<Vec<u8>, CentralError> {
    let mut buf = Vec::with_capacity(n);
    src.take(n as u64)
        .read_to_end(&mut buf)
        .map_err(CentralError::Io)?;
    Ok(buf)
}

/// `ZipInfo._decodeExtra`: sizes of 0xFFFFFFFF are read from the ZIP64 extra, in order
/// (uncompressed, compressed, offset); a field that does not fit is `BadZipFile`.
fn zip64_sizes(
    entry: &mut CentralEntry,
    offset: u32,
    mut extra: &[u8],
) -> Result<(), CentralError> {
    while extra.len() >= 4 {
        let (id, size) = (u16_at(extra, 0), usize::from(u16_at(extra, 2)));
        if size + 4 > extra.len() {
            return Err(CentralError::Bad(format!(
                "Corrupt extra field {id:04x} (size={size})"
            )));
        }
        if id == 0x0001 {
            let mut data = &extra[4..4 + size];
            let mut take = |field: &str| -> Result<u64, CentralError> {
                let value = data.get(..8).ok_or_else(|| {
                    CentralError::Bad(format!("Corrupt zip64 extra field. {field} not found."))
                })?;
                let value = u64_at(value, 0);
                data = &data[8..];
                Ok(value)
            };
            if entry.size == 0xFFFF_FFFF {
                entry.size = take("File size")?;
            }
            if entry.compressed == 0xFFFF_FFFF {
                entry.compressed = take("Compress size")?;
            }
            if offset == 0xFFFF_FFFF {
                take("Header offset")?;
            }
        }
        extra = &extra[4 + size..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::zipcraft::{Craft, MODULE, Zip64End, valid, with};
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
    fn central_zip64_extras_give_the_sizes_zipfile_reads() {
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
}
