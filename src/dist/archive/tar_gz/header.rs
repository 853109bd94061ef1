//! Tar member headers, read as CPython's `tarfile` reads them (`TarInfo.frombuf` and the
//! `_proc_*` methods): where a member's name comes from (ustar prefix, GNU long name, pax
//! `path`, global pax headers), where its data ends, and whether `issparse()` holds.
//!
//! Python is the reference because Warehouse decides with it: a header `tarfile` takes as the
//! end of the archive (a bad checksum after the first member) is the end here too, and a
//! member it calls sparse is sparse here.

use std::io::Read;

use super::fields::{Records, checksums, get, nti, nts, pax_records, py_int, set, text};
use super::gzip::{GzipError, gzip_error};
use crate::dist::archive::MAX_SPECIAL_ENTRY;

const BLOCK: u64 = 512;
/// How deep pax and long-name headers may chain. Python's `tarfile` recurses once per header
/// (three frames each) and raises `RecursionError` past 1000 frames: a chain of 399 pax
/// headers already fails in a bare interpreter (Warehouse's deeper stack fails sooner), so
/// deeper chains are refused by PyPI as well, and our stack stays small.
const MAX_CHAIN: usize = 400;

/// What `tarfile` raises while reading a header (its exception classes).
#[derive(Debug)]
pub(super) enum HeaderError {
    /// `EmptyHeaderError`: the stream ended cleanly where a header starts.
    Empty,
    /// `TruncatedHeaderError`: less than a block.
    Truncated,
    /// `EOFHeaderError`: a zero block.
    EndBlock,
    /// `InvalidHeaderError`: a bad checksum or number.
    Invalid(&'static str),
    /// `SubsequentHeaderError`: the header after a pax or long-name header is bad.
    Subsequent(&'static str),
    /// Python raises something `tarfile` does not handle (`ValueError` and the like).
    Unhandled(&'static str),
    /// The gzip stream failed (or met our budget).
    Stream(GzipError),
    /// A header larger than we read.
    TooLarge(&'static str),
}

impl HeaderError {
    fn words(&self) -> &'static str {
        match self {
            Self::Empty => "empty header",
            Self::Truncated => "truncated header",
            Self::EndBlock => "end of file header",
            Self::Invalid(w) | Self::Subsequent(w) | Self::Unhandled(w) | Self::TooLarge(w) => w,
            Self::Stream(_) => "stream error",
        }
    }
}

/// One archive member, as `tarfile` sees it.
#[derive(Debug)]
pub(super) struct Member {
    /// `TarInfo.name`.
    pub(super) name: String,
    /// `TarInfo.type` (one byte).
    pub(super) kind: u8,
    /// `TarInfo.size`.
    pub(super) size: i128,
    /// `issparse()`.
    pub(super) sparse: bool,
}

impl Member {
    /// `isreg()` / `isfile()`.
    pub(super) fn is_file(&self) -> bool {
        matches!(self.kind, b'0' | 0 | b'7' | b'S')
    }

    fn is_dir(&self) -> bool {
        self.kind == b'5'
    }

    /// Python skips the data of regular files and of types it does not know, and
    /// `extractfile` reads both as files.
    pub(super) fn has_data(&self) -> bool {
        self.is_file() || !b"0\x001234567LKS".contains(&self.kind)
    }
}

/// `tarfile`'s reading position over the inflated stream.
pub(super) struct TarReader<R> {
    inner: R,
    /// Bytes read so far (`fileobj.tell()`).
    pub(super) pos: u64,
    /// Where the next header starts (`TarFile.offset`).
    pub(super) next_header: u64,
    /// Global pax records (`TarFile.pax_headers`), in insertion order.
    globals: Records,
}

fn block(size: i128) -> Result<u64, HeaderError> {
    if size < 0 {
        return Err(HeaderError::Invalid("invalid offset"));
    }
    let size = u64::try_from(size).unwrap_or(u64::MAX);
    Ok(size.div_ceil(BLOCK).saturating_mul(BLOCK))
}

impl<R: Read> TarReader<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            pos: 0,
            next_header: 0,
            globals: Vec::new(),
        }
    }

    /// `fileobj.read(n)`: fewer bytes only at the clean end of the stream.
    pub(super) fn read_up_to(&mut self, n: u64, out: &mut Vec<u8>) -> Result<u64, GzipError> {
        let before = out.len();
        (&mut self.inner)
            .take(n)
            .read_to_end(out)
            .map_err(gzip_error)?;
        let got = (out.len() - before) as u64;
        self.pos += got;
        Ok(got)
    }

    /// Reads and drops up to `n` bytes; how many there were.
    pub(super) fn skip(&mut self, n: u64) -> Result<u64, GzipError> {
        let got = io_copy(&mut (&mut self.inner).take(n))?;
        self.pos += got;
        Ok(got)
    }

    fn read_block(&mut self) -> Result<Vec<u8>, HeaderError> {
        let mut buf = Vec::with_capacity(BLOCK as usize);
        self.read_up_to(BLOCK, &mut buf)
            .map_err(HeaderError::Stream)?;
        Ok(buf)
    }

    /// `TarInfo.fromtarfile`: the next member, through any pax and long-name headers.
    pub(super) fn member(&mut self) -> Result<Member, HeaderError> {
        self.member_at(0, true)
    }

    fn member_at(&mut self, depth: usize, dircheck: bool) -> Result<Member, HeaderError> {
        if depth > MAX_CHAIN {
            return Err(HeaderError::Unhandled(
                "extended headers chained beyond Python's recursion limit",
            ));
        }
        let buf = self.read_block()?;
        if buf.is_empty() {
            return Err(HeaderError::Empty);
        }
        if buf.len() < BLOCK as usize {
            return Err(HeaderError::Truncated);
        }
        if buf.iter().all(|&b| b == 0) {
            return Err(HeaderError::EndBlock);
        }
        let chksum = nti(&buf[148..156])?;
        if !checksums(&buf).contains(&chksum) {
            return Err(HeaderError::Invalid("bad checksum"));
        }
        for range in [100..108, 108..116, 116..124, 136..148, 329..337, 337..345] {
            nti(&buf[range])?;
        }
        let mut member = Member {
            name: text(nts(&buf[..100])),
            kind: buf[156],
            size: nti(&buf[124..136])?,
            sparse: false,
        };
        let prefix = if buf[345] == 0 {
            &[][..]
        } else {
            nts(&buf[345..500])
        };
        if dircheck && member.kind == 0 && member.name.ends_with('/') {
            member.kind = b'5';
        }
        let mut gnu_sparse = None;
        if member.kind == b'S' {
            // Four inline (offset, size) pairs; a bad number is a bad header.
            for i in 0..4 {
                let at = 386 + 24 * i;
                nti(&buf[at..at + 12])?;
                nti(&buf[at + 12..at + 24])?;
            }
            gnu_sparse = Some((buf[482] != 0, nti(&buf[483..495])?));
        }
        if member.is_dir() {
            member.name = member.name.trim_end_matches('/').to_string();
        }
        if !prefix.is_empty() && !b"LKS".contains(&member.kind) {
            member.name = format!("{}/{}", text(prefix), member.name);
        }
        match member.kind {
            b'L' | b'K' => self.long_name(member, depth),
            b'S' => {
                let (extended, real_size) = gnu_sparse.unwrap_or_default();
                self.old_sparse(member, extended, real_size)
            }
            b'x' | b'g' | b'X' => self.pax(member, depth),
            _ => {
                // `_proc_builtin`
                let data = if member.has_data() {
                    block(member.size)?
                } else {
                    0
                };
                self.next_header = self.pos.saturating_add(data);
                let globals = self.globals.clone();
                apply_pax(&mut member, &globals)?;
                if member.is_dir() {
                    member.name = member.name.trim_end_matches('/').to_string();
                }
                Ok(member)
            }
        }
    }

    /// A special header's data: Python reads it whole; we keep at most
    /// [`MAX_SPECIAL_ENTRY`] bytes and read past the rest. Whether the data went on past
    /// what we kept comes back with it.
    fn special_data(&mut self, member: &Member) -> Result<(Vec<u8>, bool), HeaderError> {
        let len = block(member.size)?;
        let keep = len.min(MAX_SPECIAL_ENTRY.next_multiple_of(BLOCK));
        let mut buf = Vec::new();
        self.read_up_to(keep, &mut buf)
            .map_err(HeaderError::Stream)?;
        let skipped = self.skip(len - keep).map_err(HeaderError::Stream)?;
        Ok((buf, skipped > 0))
    }

    fn subsequent(&mut self, depth: usize) -> Result<Member, HeaderError> {
        self.member_at(depth + 1, false).map_err(|e| match e {
            HeaderError::Stream(_) | HeaderError::Unhandled(_) | HeaderError::TooLarge(_) => e,
            other => HeaderError::Subsequent(other.words()),
        })
    }

    /// `_proc_gnulong`.
    fn long_name(&mut self, header: Member, depth: usize) -> Result<Member, HeaderError> {
        let (buf, cut) = self.special_data(&header)?;
        if header.kind == b'L' && cut && !buf.contains(&0) {
            return Err(HeaderError::TooLarge(
                "GNU long name larger than 1048576 bytes",
            ));
        }
        let mut next = self.subsequent(depth)?;
        if header.kind == b'L' {
            next.name = text(nts(&buf));
            if next.kind == b'5' && !next.name.ends_with('/') {
                next.kind = 0;
            } else if next.kind == 0 && next.name.ends_with('/') {
                next.kind = b'5';
            }
        }
        if next.is_dir() {
            next.name = next
                .name
                .strip_suffix('/')
                .unwrap_or(&next.name)
                .to_string();
        }
        Ok(next)
    }

    /// `_proc_sparse`: the old GNU sparse member, its extension blocks read.
    fn old_sparse(
        &mut self,
        mut member: Member,
        mut extended: bool,
        real_size: i128,
    ) -> Result<Member, HeaderError> {
        while extended {
            let buf = self.read_block()?;
            if buf.len() < BLOCK as usize {
                return Err(HeaderError::Unhandled("sparse extension block cut short"));
            }
            for i in 0..21 {
                nti(&buf[24 * i..24 * i + 12])?;
                nti(&buf[24 * i + 12..24 * i + 24])?;
            }
            extended = buf[504] != 0;
        }
        member.sparse = true;
        self.next_header = self.pos.saturating_add(block(member.size)?);
        member.size = real_size;
        Ok(member)
    }

    /// `_proc_pax`: an extended ('x', 'X') or global ('g') header and the member after it.
    fn pax(&mut self, header: Member, depth: usize) -> Result<Member, HeaderError> {
        let (buf, cut) = self.special_data(&header)?;
        let local = pax_records(&buf, cut)?;
        let mut records = if header.kind == b'g' {
            Vec::new()
        } else {
            self.globals.clone()
        };
        for (k, v) in &local {
            if header.kind == b'g' {
                set(&mut self.globals, k.clone(), v.clone());
            } else {
                set(&mut records, k.clone(), v.clone());
            }
        }
        if header.kind == b'g' {
            records = self.globals.clone();
        }
        let mut next = self.subsequent(depth)?;
        if let Some(map) = get(&records, b"GNU.sparse.map") {
            // Sparse 0.1: `int()` of each comma-separated number (a `ValueError` escapes).
            if map.split(|&b| b == b',').any(|n| py_int(n, 10).is_none()) {
                return Err(HeaderError::Unhandled("bad GNU.sparse.map"));
            }
            next.sparse = true;
        } else if get(&records, b"GNU.sparse.size").is_some() {
            // Sparse 0.0: this header's own offset/numbytes records.
            let numbers = local
                .iter()
                .filter(|(k, _)| k == b"GNU.sparse.offset" || k == b"GNU.sparse.numbytes");
            for (_, v) in numbers {
                py_int(v, 10).ok_or(HeaderError::Invalid("invalid header"))?;
            }
            next.sparse = true;
        } else if get(&records, b"GNU.sparse.major") == Some(b"1")
            && get(&records, b"GNU.sparse.minor") == Some(b"0")
        {
            self.sparse_map()?;
            next.sparse = true;
        }
        if header.kind != b'g' {
            let data_start = self.pos;
            apply_pax(&mut next, &records)?;
            if get(&records, b"size").is_some() {
                let data = if next.has_data() {
                    block(next.size)?
                } else {
                    0
                };
                self.next_header = data_start.saturating_add(data);
            }
        }
        Ok(next)
    }

    /// `_proc_gnusparse_10`: the sparse map in front of the data, newline-separated numbers;
    /// Python reads one more block when a number's newline is not in what it holds, and fails
    /// if it is not there either.
    fn sparse_map(&mut self) -> Result<(), HeaderError> {
        let bad = || HeaderError::Unhandled("bad GNU sparse 1.0 map");
        let number = |buf: &mut Vec<u8>| -> Option<i128> {
            let i = buf.iter().position(|&b| b == b'\n')?;
            let n = py_int(&buf[..i], 10);
            buf.drain(..=i);
            n
        };
        let mut buf = self.read_block()?;
        let fields = number(&mut buf).ok_or_else(bad)?;
        let mut read: i128 = 0;
        while read < fields.saturating_mul(2) {
            if !buf.contains(&b'\n') {
                self.read_up_to(BLOCK, &mut buf)
                    .map_err(HeaderError::Stream)?;
            }
            number(&mut buf).ok_or_else(bad)?;
            read += 1;
        }
        Ok(())
    }
}

/// `_apply_pax_info`: the records that rename or resize a member.
fn apply_pax(member: &mut Member, records: &Records) -> Result<(), HeaderError> {
    for (key, value) in records {
        match key.as_slice() {
            b"GNU.sparse.name" => member.name = text(value),
            b"GNU.sparse.size" | b"GNU.sparse.realsize" => {
                member.size =
                    py_int(value, 10).ok_or(HeaderError::Unhandled("bad GNU sparse size"))?;
            }
            b"path" => member.name = text(value).trim_end_matches('/').to_string(),
            b"size" => member.size = py_int(value, 10).unwrap_or(0),
            _ => {}
        }
    }
    Ok(())
}

fn io_copy(reader: &mut impl Read) -> Result<u64, GzipError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(gzip_error(e)),
        }
    }
}
