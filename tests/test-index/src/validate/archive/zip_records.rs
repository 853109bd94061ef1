//! ZIP framing: the archive read once from its first byte as a sequence of records —
//! local file headers with their data, central-directory headers, the ZIP64 end record
//! and its locator, the end record — each known by its signature. PyPI refuses an archive
//! whose records a streaming reader and a central-directory reader would read apart
//! (warehouse#18492, #18846, #19777: `warehouse/utils/zipfiles.py`, called last in
//! `_is_valid_dist_file`). A small walk of its own, not every rule: what it finds wrong is
//! Warehouse's `<what>` in "ZIP archive not accepted: <what>. See …".

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Seek, SeekFrom};

const LOCAL: [u8; 4] = *b"PK\x03\x04";
const CENTRAL: [u8; 4] = *b"PK\x01\x02";
const END: [u8; 4] = *b"PK\x05\x06";
const END64: [u8; 4] = *b"PK\x06\x06";
const END64_LOCATOR: [u8; 4] = *b"PK\x06\x07";

/// Extra fields a header may carry only once: ZIP64 sizes, Info-ZIP Unicode path.
const ZIP64_EXTRA: u16 = 0x0001;
const UNICODE_PATH_EXTRA: u16 = 0x7075;

/// What the central directory (as the archive reader read it) says of each member:
/// name → (compressed size, size). Local headers must agree. Keyed by the name's bytes:
/// Python's `zipfile` decodes a name without the UTF-8 flag as cp437, so PyPI also
/// refuses a non-ASCII UTF-8 name that lacks the flag; this walk does not.
pub type Directory = HashMap<Vec<u8>, (u64, u64)>;

/// Why the walk stopped: Warehouse's `<what>`.
type Refusal = &'static str;

const MALFORMED: Refusal = "Malformed zip file";

/// Reads exactly `n` bytes, or refuses as malformed (`_read_check`).
fn take(reader: &mut impl Read, n: usize) -> Result<Vec<u8>, Refusal> {
    let mut buf = vec![0; n];
    reader.read_exact(&mut buf).map_err(|_| MALFORMED)?;
    Ok(buf)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

/// Control characters (C0 and DEL) in a name.
fn unprintable(name: &[u8]) -> bool {
    name.iter().any(|&b| b < 0x20 || b == 0x7f)
}

/// The walk's position and what it has seen so far.
struct Walk<'a, R> {
    reader: R,
    pos: u64,
    directory: &'a Directory,
    local_names: HashSet<Vec<u8>>,
    central_names: HashSet<Vec<u8>>,
}

impl<R: Read + Seek> Walk<'_, R> {
    fn take(&mut self, n: usize) -> Result<Vec<u8>, Refusal> {
        let bytes = take(&mut self.reader, n)?;
        self.pos += n as u64;
        Ok(bytes)
    }

    /// Moves past `n` bytes; past the end is allowed, the next read then fails.
    fn skip(&mut self, n: u64) -> Result<(), Refusal> {
        self.pos += n;
        let step = i64::try_from(n).map_err(|_| MALFORMED)?;
        self.reader.seek_relative(step).map_err(|_| MALFORMED)
    }

    /// A local file header and its data; returns the name.
    fn local(&mut self) -> Result<Vec<u8>, Refusal> {
        let head = self.take(26)?;
        let (flags, method) = (u16_at(&head, 2), u16_at(&head, 4));
        let (mut compressed, mut size) =
            (u64::from(u32_at(&head, 14)), u64::from(u32_at(&head, 18)));
        let name = self.take(usize::from(u16_at(&head, 22)))?;
        let mut extra = &self.take(usize::from(u16_at(&head, 24)))?[..];
        if unprintable(&name) {
            return Err("Invalid character in filename");
        }
        let mut seen = HashSet::new();
        while !extra.is_empty() {
            if extra.len() < 4 {
                return Err(MALFORMED);
            }
            let (id, len) = (u16_at(extra, 0), usize::from(u16_at(extra, 2)));
            let Some(data) = extra.get(4..4 + len) else {
                return Err(MALFORMED);
            };
            if !seen.insert(id) && matches!(id, ZIP64_EXTRA | UNICODE_PATH_EXTRA) {
                return Err("Invalid duplicate extra in local file");
            }
            if id == ZIP64_EXTRA {
                (compressed, size) = zip64_sizes(data, method, compressed, size)?;
            } else if id == UNICODE_PATH_EXTRA {
                // Version (1 byte) and the name's CRC-32 (4) come first.
                let unicode_name = data.get(5..).unwrap_or_default();
                if unprintable(unicode_name) {
                    return Err("Invalid character in filename");
                }
                if std::str::from_utf8(unicode_name).is_err() {
                    return Err("Filename not valid UTF-8");
                }
            }
            extra = &extra[4 + len..];
        }
        // Bit 3: sizes follow the data, so a streaming reader and the directory may differ.
        if flags & 0x08 != 0 {
            return Err("ZIP contains a data descriptor");
        }
        if std::str::from_utf8(&name).is_err() {
            return Err("Filename not unicode");
        }
        let Some(&(want_compressed, want_size)) = self.directory.get(&name) else {
            return Err("Filename not in central directory");
        };
        if want_compressed != compressed {
            return Err("Mis-matched data size");
        }
        if want_size != size {
            return Err("Mis-matched file size");
        }
        self.skip(compressed)?;
        Ok(name)
    }

    /// A central-directory header; returns the name and the record's length.
    fn central(&mut self) -> Result<(Vec<u8>, u64), Refusal> {
        let head = self.take(42)?;
        let (name_len, extra_len) = (u16_at(&head, 24), u16_at(&head, 26));
        if u16_at(&head, 28) != 0 {
            return Err("Comment in central directory");
        }
        let name = self.take(usize::from(name_len))?;
        self.take(usize::from(extra_len))?;
        if unprintable(&name) {
            return Err("Invalid character in filename");
        }
        Ok((name, 46 + u64::from(name_len) + u64::from(extra_len)))
    }

    /// The end record: (records, directory size, directory offset).
    fn end(&mut self) -> Result<(u64, u64, u64), Refusal> {
        let body = self.take(18)?;
        if u16_at(&body, 4) != u16_at(&body, 6) {
            return Err(MALFORMED);
        }
        self.skip(u64::from(u16_at(&body, 16)))?; // the archive comment
        Ok((
            u64::from(u16_at(&body, 6)),
            u64::from(u32_at(&body, 8)),
            u64::from(u32_at(&body, 12)),
        ))
    }

    /// The ZIP64 end record: (records, directory size, directory offset).
    fn end64(&mut self) -> Result<(u64, u64, u64), Refusal> {
        let body = self.take(52)?;
        if u64_at(&body, 20) != u64_at(&body, 28) {
            return Err(MALFORMED);
        }
        if u64_at(&body, 0) != 44 {
            return Err("ZIP64 extensible data not allowed");
        }
        Ok((u64_at(&body, 28), u64_at(&body, 36), u64_at(&body, 44)))
    }
}

/// The sizes a ZIP64 extra field gives, by its length (APPNOTE 4.5.3).
fn zip64_sizes(
    data: &[u8],
    method: u16,
    compressed: u64,
    size: u64,
) -> Result<(u64, u64), Refusal> {
    const MAX: u64 = 0xFFFF_FFFF;
    match data.len() {
        0 if compressed == MAX || size == MAX => Err(MALFORMED),
        0 => Ok((compressed, size)),
        // Only the size: the data must be stored, so both sizes are that one.
        8 if method != 0 => Err(MALFORMED),
        8 => {
            let given = u64_at(data, 0);
            Ok((given, if size == MAX { given } else { size }))
        }
        16 | 24 | 28 => {
            let size = if size == MAX { u64_at(data, 0) } else { size };
            Ok((u64_at(data, 8), size))
        }
        _ => Err(MALFORMED),
    }
}

/// Walks `reader` (`len` bytes) from its start; `Err(<what>)` names the first record that
/// PyPI refuses. `directory` is the central directory as the archive reader saw it.
pub fn check(reader: impl Read + Seek, len: u64, directory: &Directory) -> Result<(), Refusal> {
    let mut walk = Walk {
        reader,
        pos: 0,
        directory,
        local_names: HashSet::new(),
        central_names: HashSet::new(),
    };
    walk.reader
        .seek(SeekFrom::Start(0))
        .map_err(|_| MALFORMED)?;
    let (mut records, mut directory_size, mut directory_at) = (0u64, 0u64, None);
    let mut from_end: Option<(u64, u64, u64)> = None;
    let (mut seen_end64, mut seen_locator) = (false, false);
    loop {
        let at = walk.pos;
        let signature: [u8; 4] = walk.take(4)?.try_into().unwrap_or_default();
        match signature {
            CENTRAL => {
                directory_at.get_or_insert(at);
                records += 1;
                let (name, record_len) = walk.central()?;
                directory_size += record_len;
                if walk.central_names.contains(&name) {
                    return Err("Duplicate filename in central directory");
                }
                if !walk.local_names.contains(&name) {
                    return Err("Missing filename in local headers");
                }
                walk.central_names.insert(name);
            }
            LOCAL => {
                let name = walk.local()?;
                if !walk.local_names.insert(name) {
                    return Err("Duplicate filename in local headers");
                }
            }
            END => {
                // After a ZIP64 end record, only once its locator has been read.
                if seen_end64 && !seen_locator {
                    return Err(MALFORMED);
                }
                directory_at.get_or_insert(at);
                let classic = walk.end()?;
                // A ZIP64 archive's figures are the ZIP64 record's.
                let (want_records, want_size, want_at) = match from_end {
                    Some(figures) if seen_locator => figures,
                    _ => classic,
                };
                if want_records != records {
                    return Err("Mismatched central directory records");
                }
                if Some(want_at) != directory_at {
                    return Err("Mismatched central directory offset");
                }
                if want_size != directory_size {
                    return Err("Mismatched central directory size");
                }
                break;
            }
            END64 => {
                seen_end64 = true;
                from_end = Some(walk.end64()?);
            }
            END64_LOCATOR => {
                walk.take(16)?;
                seen_locator = true;
            }
            _ => return Err("Unknown record signature"),
        }
    }
    if walk.central_names != walk.local_names {
        return Err("Mis-matched local headers and central directory");
    }
    // A second archive (or anything else) appended after the end record.
    if walk.pos != len {
        return Err("Trailing data");
    }
    Ok(())
}

/// `check` over a file on disk.
pub fn check_file(
    path: &std::path::Path,
    directory: &Directory,
) -> io::Result<Result<(), Refusal>> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    Ok(check(io::BufReader::new(file), len, directory))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;

    /// An archive written by `zip` (a directory, two files, an archive comment) and the
    /// directory its reader sees.
    fn written(options: SimpleFileOptions) -> (Vec<u8>, Directory) {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.add_directory("pkg/", options).unwrap();
        for (name, bytes) in [
            ("pkg/a.py", &b"A = 1\n"[..]),
            ("pkg/b.py", &[b'b'; 300][..]),
        ] {
            zip.start_file(name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.set_comment("an archive comment").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let directory = (0..archive.len())
            .map(|i| {
                let entry = archive.by_index_raw(i).unwrap();
                (
                    entry.name_raw().to_vec(),
                    (entry.compressed_size(), entry.size()),
                )
            })
            .collect();
        (bytes, directory)
    }

    fn walk(bytes: &[u8], directory: &Directory) -> Result<(), Refusal> {
        check(Cursor::new(bytes), bytes.len() as u64, directory)
    }

    /// Where the (last) end record starts.
    fn end_record(bytes: &[u8]) -> usize {
        bytes.windows(4).rposition(|w| w == END).unwrap()
    }

    /// `bytes` with a ZIP64 end record (`extensible` bytes after its fixed part) and
    /// its locator written before the end record, figures copied from it.
    fn with_zip64_end(bytes: &[u8], extensible: &[u8]) -> Vec<u8> {
        let end = end_record(bytes);
        let figure = |at: usize, len: usize| {
            let mut le = [0u8; 8];
            le[..len].copy_from_slice(&bytes[end + at..end + at + len]);
            le
        };
        let mut out = bytes[..end].to_vec();
        out.extend_from_slice(&END64);
        out.extend_from_slice(&(44 + extensible.len() as u64).to_le_bytes());
        out.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for (at, len) in [(10, 2), (10, 2), (12, 4), (16, 4)] {
            out.extend_from_slice(&figure(at, len));
        }
        out.extend_from_slice(extensible);
        out.extend_from_slice(&END64_LOCATOR);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(end as u64).to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&bytes[end..]);
        out
    }

    #[test]
    fn plain_and_zip64_archives_pass() {
        let (bytes, directory) = written(SimpleFileOptions::default());
        assert_eq!(walk(&bytes, &directory), Ok(()));
        let zip64 = with_zip64_end(&bytes, b"");
        assert_eq!(walk(&zip64, &directory), Ok(()));
        assert_eq!(
            walk(&with_zip64_end(&bytes, b"more"), &directory),
            Err("ZIP64 extensible data not allowed")
        );
        // Without its locator the ZIP64 end record is not taken.
        let locator = zip64.windows(4).position(|w| w == END64_LOCATOR).unwrap();
        let mut unlocated = zip64.clone();
        unlocated.drain(locator..locator + 20);
        assert_eq!(walk(&unlocated, &directory), Err(MALFORMED));
        // ZIP64 sizes in every local header.
        let (bytes, directory) = written(SimpleFileOptions::default().large_file(true));
        assert_eq!(walk(&bytes, &directory), Ok(()));
    }

    #[test]
    fn records_that_disagree_are_refused() {
        let (bytes, directory) = written(SimpleFileOptions::default());
        let end = end_record(&bytes);
        assert_eq!(walk(&bytes[..bytes.len() - 30], &directory), Err(MALFORMED));

        let mut fewer = bytes.clone();
        fewer[end + 8..end + 12].copy_from_slice(&[2, 0, 2, 0]);
        assert_eq!(
            walk(&fewer, &directory),
            Err("Mismatched central directory records")
        );

        let mut moved = bytes.clone();
        moved[end + 16] ^= 1;
        assert_eq!(
            walk(&moved, &directory),
            Err("Mismatched central directory offset")
        );

        let mut other_size = directory.clone();
        other_size.insert(b"pkg/b.py".to_vec(), (1, 300));
        assert_eq!(walk(&bytes, &other_size), Err("Mis-matched data size"));

        let mut missing = directory.clone();
        missing.remove(&b"pkg/a.py"[..]);
        assert_eq!(
            walk(&bytes, &missing),
            Err("Filename not in central directory")
        );

        // A control character in a name (local header first).
        let at = bytes.windows(8).position(|w| w == b"pkg/a.py").unwrap();
        let mut control = bytes.clone();
        control[at + 3] = b'\t';
        assert_eq!(
            walk(&control, &directory),
            Err("Invalid character in filename")
        );
    }
}
