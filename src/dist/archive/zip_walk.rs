//! PyPI's ZIP record walk: every record of the archive read in file order from byte 0 —
//! local file headers, central-directory headers, the ZIP64 end record and locator, the end
//! record — and held against the central directory, so that a reader that streams local
//! headers and one that trusts the central directory cannot see different files.
//!
//! This follows Warehouse's `warehouse/utils/zipfiles.py` (`validate_zipfile`, called by
//! `_is_valid_dist_file` in `warehouse/forklift/legacy.py`; warehouse#18492, #18846,
//! #19777). Each refusal carries its `<what>` in Warehouse's words; PyPI answers
//! "Invalid distribution file. ZIP archive not accepted: <what>. See
//! https://docs.pypi.org/archives for more information". Only headers are read: member
//! data is skipped with a seek.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Seek, SeekFrom};

use super::zip_central::{
    Central, SIG_CENTRAL, SIG_EOCD, SIG_EOCD64, SIG_EOCD64_LOCATOR, SIG_LOCAL,
};

/// Extra fields that may not appear twice in one local header: ZIP64 and the Info-ZIP
/// Unicode Path (a harmless repeated extra, such as NTFS 0x000a, is accepted).
const NO_DUPLICATE_EXTRAS: [u16; 2] = [0x0001, 0x7075];
const ZIP64_EXTRA: u16 = 0x0001;
const UNICODE_PATH_EXTRA: u16 = 0x7075;
const MAX32: u64 = 0xFFFF_FFFF;

/// Where the walk stopped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Framing {
    /// Warehouse's `<what>`.
    pub what: &'static str,
    /// The member the record names, when it names one.
    pub member: Option<String>,
    /// Byte offset of the record.
    pub offset: u64,
}

/// Why the walk could not finish.
#[derive(Debug, thiserror::Error)]
pub(super) enum WalkError {
    /// A rule of PyPI's is broken.
    #[error("ZIP archive not accepted: {}", .0.what)]
    Refused(Framing),
    /// Reading the file failed.
    #[error("cannot read file")]
    Io(#[source] io::Error),
}

/// A byte source with its position and length known, so that reads past the end are seen
/// as Warehouse's `_read_check` sees them.
struct Cursor<R> {
    src: R,
    pos: u64,
    len: u64,
}

impl<R: Read + Seek> Cursor<R> {
    /// `_read_check`: exactly `n` bytes, or "Malformed zip file".
    fn take(&mut self, n: usize, record: u64) -> Result<Vec<u8>, WalkError> {
        if self.pos + n as u64 > self.len {
            return Err(refuse("Malformed zip file", None, record));
        }
        let mut buf = vec![0; n];
        self.src.read_exact(&mut buf).map_err(WalkError::Io)?;
        self.pos += n as u64;
        Ok(buf)
    }

    /// `_seek_check`: moves on, past the end if asked (the next read then fails).
    /// A relative seek, so that a buffered source keeps its buffer over small members.
    fn skip(&mut self, n: u64) -> Result<(), WalkError> {
        let from = self.pos;
        self.pos = self.pos.saturating_add(n);
        if self.pos <= self.len {
            let step = i64::try_from(n).expect("within the file's length");
            debug_assert_eq!(from + n, self.pos);
            self.src.seek_relative(step).map_err(WalkError::Io)?;
        }
        Ok(())
    }
}

fn refuse(what: &'static str, member: Option<&str>, offset: u64) -> WalkError {
    WalkError::Refused(Framing {
        what,
        member: member.map(str::to_string),
        offset,
    })
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(
        b[at..at + 4].try_into().expect("4 bytes"),
    ))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// `UNPRINTABLE_CHARS`: bytes 0x00–0x1F and DEL.
fn has_unprintable(name: &[u8]) -> bool {
    name.iter().any(|&b| b < 0x20 || b == 0x7f)
}

/// What the walk keeps between records.
#[derive(Default)]
struct State {
    local_names: HashSet<Vec<u8>>,
    central_names: HashSet<Vec<u8>>,
    central_records: u64,
    central_offset: Option<u64>,
    central_size: u64,
    /// The end record's (or ZIP64 end record's) records, size and offset.
    end_values: Option<(u64, u64, u64)>,
    eocd64_seen: bool,
    locator_seen: bool,
}

/// Walks every record of the archive (`_validate_zipfile`). `central` is the directory as
/// `zipfile` read it; `len` the file's length.
pub(super) fn walk<R: Read + Seek>(src: R, len: u64, central: &Central) -> Result<(), WalkError> {
    let mut sizes: HashMap<&str, (u64, u64)> = HashMap::new();
    for entry in &central.entries {
        sizes.insert(&entry.name, (entry.compressed, entry.size));
    }
    let mut cur = Cursor { src, pos: 0, len };
    cur.src.seek(SeekFrom::Start(0)).map_err(WalkError::Io)?;
    let mut st = State::default();
    loop {
        let at = cur.pos;
        let signature = cur.take(4, at)?;
        // An end record after a ZIP64 end record needs the locator between them.
        if signature == SIG_EOCD && st.eocd64_seen && !st.locator_seen {
            return Err(refuse("Malformed zip file", None, at));
        }
        match <[u8; 4]>::try_from(signature.as_slice()).expect("4 bytes") {
            SIG_CENTRAL => central_header(&mut cur, &mut st, at)?,
            SIG_LOCAL => {
                let name = local_header(&mut cur, &sizes, at)?;
                if !st.local_names.insert(name.clone()) {
                    let shown = String::from_utf8_lossy(&name);
                    return Err(refuse(
                        "Duplicate filename in local headers",
                        Some(&shown),
                        at,
                    ));
                }
            }
            SIG_EOCD => {
                end_record(&mut cur, &mut st, at)?;
                break;
            }
            SIG_EOCD64 => {
                st.eocd64_seen = true;
                let body = cur.take(52, at)?;
                let (size, on_disk, records) =
                    (u64_at(&body, 0), u64_at(&body, 20), u64_at(&body, 28));
                if on_disk != records {
                    return Err(refuse("Malformed zip file", None, at));
                }
                if size != 44 {
                    return Err(refuse("ZIP64 extensible data not allowed", None, at));
                }
                st.end_values = Some((records, u64_at(&body, 36), u64_at(&body, 44)));
            }
            SIG_EOCD64_LOCATOR => {
                cur.take(16, at)?;
                st.locator_seen = true;
            }
            _ => return Err(refuse("Unknown record signature", None, at)),
        }
    }
    // Concatenated archives, or anything appended after the end record.
    if cur.pos != cur.len {
        return Err(refuse("Trailing data", None, cur.pos.min(cur.len)));
    }
    Ok(())
}

/// `_handle_central_directory_header` and the walk's bookkeeping around it.
fn central_header<R: Read + Seek>(
    cur: &mut Cursor<R>,
    st: &mut State,
    at: u64,
) -> Result<(), WalkError> {
    st.central_offset.get_or_insert(at);
    st.central_records += 1;
    let body = cur.take(42, at)?;
    let (name_len, extra_len, comment_len) = (
        usize::from(u16_at(&body, 24)),
        usize::from(u16_at(&body, 26)),
        u16_at(&body, 28),
    );
    if comment_len != 0 {
        // The name is not read yet; say which member by reading it anyway.
        let name = cur.take(name_len, at).unwrap_or_default();
        let shown = String::from_utf8_lossy(&name);
        return Err(refuse("Comment in central directory", Some(&shown), at));
    }
    let name = cur.take(name_len, at)?;
    let extra = cur.take(extra_len, at)?;
    let shown = String::from_utf8_lossy(&name).into_owned();
    if has_unprintable(&name) {
        return Err(refuse("Invalid character in filename", Some(&shown), at));
    }
    st.central_size += 46 + name.len() as u64 + extra.len() as u64;
    if st.central_names.contains(&name) {
        return Err(refuse(
            "Duplicate filename in central directory",
            Some(&shown),
            at,
        ));
    }
    if !st.local_names.contains(&name) {
        return Err(refuse(
            "Missing filename in local headers",
            Some(&shown),
            at,
        ));
    }
    st.central_names.insert(name);
    Ok(())
}

/// `_handle_local_file_header`: returns the member's raw name, the cursor past its data.
fn local_header<R: Read + Seek>(
    cur: &mut Cursor<R>,
    sizes: &HashMap<&str, (u64, u64)>,
    at: u64,
) -> Result<Vec<u8>, WalkError> {
    let body = cur.take(26, at)?;
    let (flags, method) = (u16_at(&body, 2), u16_at(&body, 4));
    let (mut compressed, mut size) = (u32_at(&body, 14), u32_at(&body, 18));
    let (name_len, extra_len) = (
        usize::from(u16_at(&body, 22)),
        usize::from(u16_at(&body, 24)),
    );
    let name = cur.take(name_len, at)?;
    let extra = cur.take(extra_len, at)?;
    let shown = String::from_utf8_lossy(&name).into_owned();
    let member = Some(shown.as_str());
    if has_unprintable(&name) {
        return Err(refuse("Invalid character in filename", member, at));
    }
    let mut rest = extra.as_slice();
    let mut seen = HashSet::new();
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err(refuse("Malformed zip file", member, at));
        }
        let (id, len) = (u16_at(rest, 0), usize::from(u16_at(rest, 2)));
        if len + 4 > rest.len() {
            return Err(refuse("Malformed zip file", member, at));
        }
        if !seen.insert(id) && NO_DUPLICATE_EXTRAS.contains(&id) {
            return Err(refuse("Invalid duplicate extra in local file", member, at));
        }
        let data = &rest[4..4 + len];
        if id == ZIP64_EXTRA {
            (compressed, size) = zip64_local_sizes(data, method, compressed, size)
                .ok_or_else(|| refuse("Malformed zip file", member, at))?;
        } else if id == UNICODE_PATH_EXTRA {
            // Version (1 byte) and the name's CRC-32 (4 bytes), then the name.
            let unicode = data.get(5..).unwrap_or_default();
            if has_unprintable(unicode) {
                return Err(refuse("Invalid character in filename", member, at));
            }
            if std::str::from_utf8(unicode).is_err() {
                return Err(refuse("Filename not valid UTF-8", member, at));
            }
        }
        rest = &rest[4 + len..];
    }
    // Bit 3: sizes follow the data in a data descriptor, which PyPI does not allow.
    if flags & 0x0008 != 0 {
        return Err(refuse("ZIP contains a data descriptor", member, at));
    }
    // The local name is read as UTF-8 whatever the flag says, the central one as zipfile
    // decodes it: a UTF-8 name without the UTF-8 flag is not found.
    let Ok(decoded) = std::str::from_utf8(&name) else {
        return Err(refuse("Filename not unicode", member, at));
    };
    let Some(&(want_compressed, want_size)) = sizes.get(decoded) else {
        return Err(refuse("Filename not in central directory", member, at));
    };
    if want_compressed != compressed {
        return Err(refuse("Mis-matched data size", member, at));
    }
    if want_size != size {
        return Err(refuse("Mis-matched file size", member, at));
    }
    cur.skip(compressed)?;
    Ok(name)
}

/// The sizes a local ZIP64 extra gives (`None`: "Malformed zip file"). Its length must be
/// 0, 8, 16, 24 or 28; with 8 bytes it holds one size, allowed only for stored members;
/// otherwise the uncompressed size replaces a 0xFFFFFFFF one and the compressed size is
/// always taken from it.
fn zip64_local_sizes(data: &[u8], method: u16, compressed: u64, size: u64) -> Option<(u64, u64)> {
    match data.len() {
        0 => (compressed != MAX32 && size != MAX32).then_some((compressed, size)),
        8 => {
            if method != 0 {
                return None;
            }
            let one = u64_at(data, 0);
            Some((one, if size == MAX32 { one } else { size }))
        }
        16 | 24 | 28 => {
            let size = if size == MAX32 { u64_at(data, 0) } else { size };
            Some((u64_at(data, 8), size))
        }
        _ => None,
    }
}

/// `_handle_eocd` and the checks of the directory it describes.
fn end_record<R: Read + Seek>(
    cur: &mut Cursor<R>,
    st: &mut State,
    at: u64,
) -> Result<(), WalkError> {
    st.central_offset.get_or_insert(at);
    let body = cur.take(18, at)?;
    let (on_disk, records) = (u64::from(u16_at(&body, 4)), u64::from(u16_at(&body, 6)));
    if on_disk != records {
        return Err(refuse("Malformed zip file", None, at));
    }
    let own = (records, u32_at(&body, 8), u32_at(&body, 12));
    // A ZIP64 archive's values are the ZIP64 end record's.
    let (records, size, offset) = match st.end_values {
        Some(values) if st.locator_seen => values,
        _ => own,
    };
    cur.skip(u64::from(u16_at(&body, 16)))?;
    if records != st.central_records {
        return Err(refuse("Mismatched central directory records", None, at));
    }
    if Some(offset) != st.central_offset {
        return Err(refuse("Mismatched central directory offset", None, at));
    }
    if size != st.central_size {
        return Err(refuse("Mismatched central directory size", None, at));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
