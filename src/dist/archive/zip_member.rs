//! A member's bytes, read as Python's `zipfile` reads them (`ZipFile.open` and `ZipExtFile`):
//! from the local header the central directory points at, whose name must be the central
//! one, through stored or deflate data, at most the declared size, its CRC-32 checked when
//! the data ends.
//!
//! PyPI reads `WHEEL`, `RECORD`, `METADATA`, `entry_points.txt` and every scanned `.py` this
//! way; what `zipfile` raises decides PyPI's answer: `BadZipFile` is a refusal ("Invalid
//! distribution file. None" while PyPI validates the archive), anything else a 500.

use std::io::{self, Read, Seek, SeekFrom};

use flate2::read::DeflateDecoder;

use super::zip_central::{CentralEntry, SIG_LOCAL, decode_name};

/// Why a member could not be read.
#[derive(Debug, thiserror::Error)]
pub(super) enum MemberError {
    /// `zipfile.BadZipFile`.
    #[error("{0}")]
    Bad(String),
    /// Another exception of `zipfile` or `zlib` (PyPI answers 500).
    #[error("{0}")]
    Crash(String),
    /// Larger than the caller reads.
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    /// A compression method `zipfile` reads and we do not (PyPI refuses it anyway).
    #[error("compression method {0}")]
    Unsupported(u16),
    /// Reading the file failed.
    #[error("cannot read file")]
    Io(#[source] io::Error),
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// Reads `entry` from `src`, at most `limit` bytes of it.
pub(super) fn read<R: Read + Seek>(
    src: &mut R,
    entry: &CentralEntry,
    limit: u64,
) -> Result<Vec<u8>, MemberError> {
    if entry.size > limit {
        return Err(MemberError::TooLarge(limit));
    }
    src.seek(SeekFrom::Start(entry.header_offset))
        .map_err(MemberError::Io)?;
    let mut header = Vec::with_capacity(30);
    src.by_ref()
        .take(30)
        .read_to_end(&mut header)
        .map_err(MemberError::Io)?;
    if header.len() != 30 {
        return Err(MemberError::Bad("Truncated file header".into()));
    }
    if header[..4] != SIG_LOCAL {
        return Err(MemberError::Bad("Bad magic number for file header".into()));
    }
    let (local_flags, name_len, extra_len) =
        (u16_at(&header, 6), u16_at(&header, 26), u16_at(&header, 28));
    let mut raw_name = Vec::new();
    src.by_ref()
        .take(u64::from(name_len))
        .read_to_end(&mut raw_name)
        .map_err(MemberError::Io)?;
    src.seek(SeekFrom::Current(i64::from(extra_len)))
        .map_err(MemberError::Io)?;
    if entry.flags & 0x0020 != 0 {
        return Err(MemberError::Crash(
            "compressed patched data (flag bit 5)".into(),
        ));
    }
    if entry.flags & 0x0040 != 0 {
        return Err(MemberError::Crash("strong encryption (flag bit 6)".into()));
    }
    // The local name, decoded by the local header's own UTF-8 flag, must be the central one.
    let local = decode_name(&raw_name, local_flags)
        .map_err(|_| MemberError::Crash("a local name flagged UTF-8 is not UTF-8".into()))?;
    if local != entry.name {
        return Err(MemberError::Bad(format!(
            "File name in directory {:?} and header {:?} differ.",
            entry.name, local
        )));
    }
    if entry.flags & 0x0001 != 0 {
        return Err(MemberError::Crash(format!(
            "File {:?} is encrypted, password required for extraction",
            entry.name
        )));
    }
    let data = src.take(entry.compressed);
    let (bytes, ended) = match entry.method {
        0 => read_to(data, entry.size)?,
        8 => read_to(DeflateDecoder::new(data), entry.size)?,
        other => return Err(MemberError::Unsupported(other)),
    };
    // `ZipExtFile` checks the CRC once the data has ended, not when it stops at the
    // declared size first.
    if ended {
        let mut crc = flate2::Crc::new();
        crc.update(&bytes);
        if crc.sum() != entry.crc {
            return Err(MemberError::Bad(format!(
                "Bad CRC-32 for file {:?}",
                entry.name
            )));
        }
    }
    Ok(bytes)
}

/// Reads at most `size` bytes, and whether the data ended there (nothing more to read).
/// A deflate stream that is corrupt is `zlib.error`; one cut short just ends.
fn read_to(mut reader: impl Read, size: u64) -> Result<(Vec<u8>, bool), MemberError> {
    let mut bytes = Vec::new();
    let fail = |e: io::Error| match e.kind() {
        io::ErrorKind::UnexpectedEof => None,
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => Some(MemberError::Crash(
            format!("Error -3 while decompressing data: {e}"),
        )),
        _ => Some(MemberError::Io(e)),
    };
    match reader.by_ref().take(size).read_to_end(&mut bytes) {
        Ok(_) => {}
        Err(e) => match fail(e) {
            Some(err) => return Err(err),
            None => return Ok((bytes, true)),
        },
    }
    let mut one = [0u8; 1];
    let ended = match reader.read(&mut one) {
        Ok(n) => n == 0,
        Err(e) => match fail(e) {
            Some(err) => return Err(err),
            None => true,
        },
    };
    Ok((bytes, ended))
}
