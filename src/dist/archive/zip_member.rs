//! A member's bytes, read as Python's `zipfile` reads them (`ZipFile.open` and `ZipExtFile`):
//! from the local header the central directory points at, whose name must be the central
//! one, through stored or deflate data, at most the declared size, its CRC-32 checked when
//! the data ends (the declared size counts as an end).
//!
//! PyPI reads `WHEEL`, `RECORD`, `METADATA`, `entry_points.txt` and every scanned `.py` this
//! way; what `zipfile` raises decides PyPI's answer: `BadZipFile` is a refusal ("Invalid
//! distribution file. None" while PyPI validates the archive), anything else a 500.

use std::io::{self, Read, Seek, SeekFrom};

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
    inflater: &mut Inflater,
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
    let bytes = match entry.method {
        0 => {
            let mut bytes = Vec::new();
            src.take(entry.compressed.min(entry.size))
                .read_to_end(&mut bytes)
                .map_err(MemberError::Io)?;
            bytes
        }
        8 => inflater.inflate(src, entry)?,
        other => return Err(MemberError::Unsupported(other)),
    };
    // `ZipExtFile` checks the CRC when its data ends: the stream's end, the compressed
    // bytes running out, or the declared size reached, whichever comes first.
    let mut crc = flate2::Crc::new();
    crc.update(&bytes);
    if crc.sum() != entry.crc {
        return Err(MemberError::Bad(format!(
            "Bad CRC-32 for file {:?}",
            entry.name
        )));
    }
    Ok(bytes)
}

/// One raw-deflate decompressor (the thread's, [`super::inflater`]) and input buffer, reused
/// for every member of an archive: a fresh decoder per member costs more than inflating a
/// small `.py`, and leaves its state resident.
pub(super) struct Inflater {
    z: super::inflater::Inflater,
    input: Vec<u8>,
}

impl Inflater {
    pub(super) fn new() -> Self {
        Inflater {
            z: super::inflater::Inflater::take(),
            input: Vec::new(),
        }
    }

    /// At most `entry.size` bytes out of its compressed data. A corrupt stream is
    /// `zlib.error`; one cut short just ends.
    fn inflate(
        &mut self,
        src: &mut impl Read,
        entry: &CentralEntry,
    ) -> Result<Vec<u8>, MemberError> {
        self.z.reset(false);
        self.input.clear();
        src.take(entry.compressed)
            .read_to_end(&mut self.input)
            .map_err(MemberError::Io)?;
        let size = usize::try_from(entry.size).map_err(|_| MemberError::TooLarge(entry.size))?;
        let mut out = Vec::with_capacity(size);
        let mut at = 0usize;
        while out.len() < size {
            let before = (self.z.total_in(), out.len());
            let status = self
                .z
                .decompress_vec(&self.input[at..], &mut out, flate2::FlushDecompress::None)
                .map_err(|e| {
                    MemberError::Crash(format!("Error -3 while decompressing data: {e}"))
                })?;
            at = usize::try_from(self.z.total_in())
                .unwrap_or(usize::MAX)
                .min(self.input.len());
            let stuck = (self.z.total_in(), out.len()) == before;
            if status == flate2::Status::StreamEnd || stuck {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::zip_central;
    use super::super::zipcraft::{Craft, MODULE, Member, valid, with};
    use super::*;

    const META: &str = "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n";

    /// Reads `name` from `bytes` as the wheel reader does.
    fn read_from(bytes: &[u8], name: &str, limit: u64) -> Result<Vec<u8>, MemberError> {
        let mut src = io::Cursor::new(bytes);
        let central = zip_central::read(&mut src, bytes.len() as u64, 100).unwrap();
        let entry = central.entries.iter().rfind(|e| e.lookup == name).unwrap();
        read(&mut src, entry, limit, &mut Inflater::new())
    }

    fn bad(result: Result<Vec<u8>, MemberError>) -> String {
        match result {
            Err(MemberError::Bad(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    fn crash(result: Result<Vec<u8>, MemberError>) -> String {
        match result {
            Err(MemberError::Crash(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    fn deflated(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn stored_and_deflated_members_read_back() {
        let bytes = Craft::of(valid(META)).build();
        assert_eq!(read_from(&bytes, MODULE, 100).unwrap(), b"x = 1\n");
        // Deflated: the central sizes are the compressed ones, the CRC the plain data's.
        let text = b"print('hello')\n".repeat(50);
        let mut members = valid(META);
        members.push(Member {
            method: 8,
            ..Member::new("demo/big.py", &text)
        });
        let mut craft = Craft::of(members);
        let plain = craft.build();
        // The writer stores `data` as given: put the deflated bytes in, keep the plain CRC
        // and size by patching the central record after building.
        let packed = deflated(&text);
        craft.members.last_mut().unwrap().data = packed.clone();
        let mut bytes = craft.build();
        let central =
            zip_central::read(&mut io::Cursor::new(&plain), plain.len() as u64, 100).unwrap();
        let crc = central.entries.last().unwrap().crc.to_le_bytes();
        let at = bytes.len() - 22 - (46 + "demo/big.py".len());
        bytes[at + 16..at + 20].copy_from_slice(&crc);
        bytes[at + 24..at + 28].copy_from_slice(&(text.len() as u32).to_le_bytes());
        assert_eq!(read_from(&bytes, "demo/big.py", 10_000).unwrap(), text);
        // Exactly as large as the caller reads: read.
        assert_eq!(
            read_from(&bytes, "demo/big.py", text.len() as u64).unwrap(),
            text
        );
        // Larger than the caller reads.
        assert!(matches!(
            read_from(&bytes, "demo/big.py", 10),
            Err(MemberError::TooLarge(10))
        ));
        // Corrupt deflate data is zlib's error, not zipfile's.
        let mut broken = bytes.clone();
        let data_at = broken
            .windows(packed.len())
            .position(|w| w == packed.as_slice())
            .unwrap();
        broken[data_at] = 0xff;
        broken[data_at + 1] = 0xff;
        assert!(crash(read_from(&broken, "demo/big.py", 10_000)).starts_with("Error -3"));
    }

    #[test]
    fn a_wrong_crc_is_bad_zip_file_once_the_data_ends() {
        let bytes = Craft::of(with(META, MODULE, |m| m.data = b"x = 2\n".to_vec())).build();
        assert!(read_from(&bytes, MODULE, 100).is_ok());
        // Change the data after the CRC was computed: same length, other bytes.
        let mut changed = bytes.clone();
        let at = changed.windows(6).position(|w| w == b"x = 2\n").unwrap();
        changed[at + 4] = b'3';
        assert_eq!(
            bad(read_from(&changed, MODULE, 100)),
            format!("Bad CRC-32 for file {MODULE:?}")
        );
        // Stopped at a declared size shorter than the data: the CRC is checked there too.
        let mut short = bytes.clone();
        let cd = short.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        short[cd + 24..cd + 28].copy_from_slice(&3u32.to_le_bytes());
        assert_eq!(
            bad(read_from(&short, MODULE, 100)),
            format!("Bad CRC-32 for file {MODULE:?}")
        );
    }

    #[test]
    fn the_local_header_must_be_there_and_name_the_member() {
        let bytes = Craft::of(valid(META)).build();
        let mut moved = bytes.clone();
        moved[0] = b'Q';
        assert_eq!(
            bad(read_from(&moved, MODULE, 100)),
            "Bad magic number for file header"
        );
        let renamed = Craft::of(with(META, MODULE, |m| {
            m.central_name = Some(b"demo/__init__.pz".to_vec());
        }))
        .build();
        assert_eq!(
            bad(read_from(&renamed, "demo/__init__.pz", 100)),
            "File name in directory \"demo/__init__.pz\" and header \"demo/__init__.py\" differ."
        );
        // A header that starts past the end of the file.
        let mut truncated = bytes.clone();
        let cd = truncated
            .windows(4)
            .position(|w| w == b"PK\x01\x02")
            .unwrap();
        truncated[cd + 42..cd + 46].copy_from_slice(&(bytes.len() as u32 - 10).to_le_bytes());
        assert_eq!(
            bad(read_from(&truncated, MODULE, 100)),
            "Truncated file header"
        );
        // The local name is decoded by the local header's own UTF-8 flag.
        let flagged = Craft::of(with(META, MODULE, |m| {
            m.name = "demo/é.py".as_bytes().to_vec();
            m.flags = 0x0800;
        }))
        .build();
        assert!(read_from(&flagged, "demo/é.py", 100).is_ok());
    }

    #[test]
    fn encrypted_and_patched_members_are_not_zipfiles_to_read() {
        for (flag, words) in [
            (0x0001u16, "is encrypted, password required for extraction"),
            (0x0020, "compressed patched data (flag bit 5)"),
            (0x0040, "strong encryption (flag bit 6)"),
        ] {
            let bytes = Craft::of(with(META, MODULE, |m| m.flags = flag)).build();
            assert!(
                crash(read_from(&bytes, MODULE, 100)).ends_with(words),
                "{flag:#x}"
            );
        }
        let bytes = Craft::of(with(META, MODULE, |m| m.method = 12)).build();
        assert!(matches!(
            read_from(&bytes, MODULE, 100),
            Err(MemberError::Unsupported(12))
        ));
    }
}
