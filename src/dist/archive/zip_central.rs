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
    /// The name `zipfile` finds the member by (`ZipInfo.filename`): cut at a NUL, or the
    /// Info-ZIP Unicode Path extra's name when that extra's CRC matches.
    pub lookup: String,
    /// General-purpose flags.
    pub flags: u16,
    /// CRC-32 of the uncompressed data.
    pub crc: u32,
    /// Where its local header is (ZIP64-corrected, prepended data accounted for).
    pub header_offset: u64,
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
    // Local headers move with the directory when data was prepended.
    let concat = start.wrapping_sub(end.dir_offset);
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
        // `ZipFile._RealGetContents`: a version needed past 6.3 is `NotImplementedError`.
        let needed = u16_at(&head, 6) & 0xff;
        if needed > 63 {
            return Err(CentralError::Crash(format!(
                "zip file version {}.{}",
                needed / 10,
                needed % 10
            )));
        }
        let name = decode_name(&raw_name, flags)?;
        let mut entry = CentralEntry {
            lookup: name.split('\0').next().unwrap_or_default().to_string(),
            name,
            method: u16_at(&head, 10),
            compressed: u64::from(u32_at(&head, 20)),
            size: u64::from(u32_at(&head, 24)),
            flags,
            crc: u32_at(&head, 16),
            header_offset: u64::from(u32_at(&head, 42)),
        };
        decode_extra(&mut entry, &raw_name, &extra)?;
        entry.header_offset = entry.header_offset.wrapping_add(concat);
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

/// `ZipInfo._decodeExtra` (CPython 3.12+): sizes of 0xFFFFFFFF are read from the ZIP64
/// extra, in order (uncompressed, compressed, offset), a field that does not fit is
/// `BadZipFile`; an Info-ZIP Unicode Path extra of version 1 whose CRC matches the raw name
/// renames the member for lookups, and one that is not UTF-8 is `BadZipFile`.
fn decode_extra(
    entry: &mut CentralEntry,
    raw_name: &[u8],
    mut extra: &[u8],
) -> Result<(), CentralError> {
    while extra.len() >= 4 {
        let (id, size) = (u16_at(extra, 0), usize::from(u16_at(extra, 2)));
        if size + 4 > extra.len() {
            return Err(CentralError::Bad(format!(
                "Corrupt extra field {id:04x} (size={size})"
            )));
        }
        let data = &extra[4..4 + size];
        if id == 0x0001 {
            zip64_fields(entry, data)?;
        } else if id == 0x7075 {
            if data.len() < 5 {
                return Err(bad("Corrupt unicode path extra field (0x7075)"));
            }
            let name_crc = u32_at(data, 1);
            if data[0] == 1 && name_crc == crc32(raw_name) {
                let unicode = std::str::from_utf8(&data[5..]).map_err(|_| {
                    bad("Corrupt unicode path extra field (0x7075): invalid utf-8 bytes")
                })?;
                if !unicode.is_empty() {
                    entry.lookup = unicode.split('\0').next().unwrap_or_default().to_string();
                }
            }
        }
        extra = &extra[4 + size..];
    }
    Ok(())
}

fn zip64_fields(entry: &mut CentralEntry, mut data: &[u8]) -> Result<(), CentralError> {
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
    if entry.header_offset == 0xFFFF_FFFF {
        entry.header_offset = take("Header offset")?;
    }
    Ok(())
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
}

#[cfg(test)]
mod tests;
