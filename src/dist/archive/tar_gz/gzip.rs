//! A gzip stream: one or more gzip members one after another, inflated as CPython's `gzip`
//! module reads them (`gzip._GzipReader`, which Warehouse's `tarfile.open(…, "r:gz")` uses).
//!
//! flate2's `MultiGzDecoder` is close but refuses what CPython takes: zero bytes padding
//! after a member (CPython skips them), a wrong header CRC (CPython never checks it),
//! reserved flag bits and names over 64 KiB. So the member framing is done here and only the
//! deflate data goes to flate2. Failures are told with the compressed byte where they were
//! met, since PyPI's own answer ("Invalid distribution file. None") says nothing. The expanded
//! size is counted against a budget (see `super::budget`).

use std::io::{self, BufRead, Read};

use flate2::{Crc, FlushDecompress, Status};

use super::super::inflater::Inflater;

/// Why the stream stopped: what CPython raises there, or our budget.
#[derive(Debug, thiserror::Error)]
pub(super) enum GzipError {
    /// `EOFError`: the compressed data ends inside a member.
    #[error("gzip stream ends before its end marker at byte {at}")]
    Truncated {
        /// Compressed bytes read.
        at: u64,
    },
    /// `zlib.error`: the deflate data is corrupt.
    #[error("deflate data is corrupt at byte {at}: {what}")]
    Corrupt {
        /// Compressed bytes read.
        at: u64,
        /// zlib's words.
        what: String,
    },
    /// `gzip.BadGzipFile`: a bad member header or trailer.
    #[error("{what} at byte {at}")]
    BadGzip {
        /// Compressed bytes read.
        at: u64,
        /// What was wrong.
        what: &'static str,
    },
    /// Our own bound, not CPython's.
    #[error("stopped after expanding {0} bytes")]
    Budget(u64),
    /// The file could not be read.
    #[error("cannot read file")]
    Io(#[source] io::Error),
}

/// Counts the compressed bytes taken from the file.
struct Counted<R> {
    inner: R,
    at: u64,
}

impl<R: BufRead> Counted<R> {
    fn fill(&mut self) -> Result<&[u8], GzipError> {
        self.inner.fill_buf().map_err(GzipError::Io)
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.at += n as u64;
    }

    /// `_read_exact`: `n` bytes or `EOFError`.
    fn exact<const N: usize>(&mut self) -> Result<[u8; N], GzipError> {
        let mut out = [0u8; N];
        let mut got = 0;
        while got < N {
            let buf = self.fill()?;
            if buf.is_empty() {
                return Err(GzipError::Truncated { at: self.at });
            }
            let n = buf.len().min(N - got);
            out[got..got + n].copy_from_slice(&buf[..n]);
            self.consume(n);
            got += n;
        }
        Ok(out)
    }

    fn skip_exact(&mut self, mut n: u64) -> Result<(), GzipError> {
        while n > 0 {
            let buf = self.fill()?;
            if buf.is_empty() {
                return Err(GzipError::Truncated { at: self.at });
            }
            let take = (buf.len() as u64).min(n) as usize;
            self.consume(take);
            n -= take as u64;
        }
        Ok(())
    }

    /// Skips through the next byte equal to `stop`, or to the end (CPython's loop over
    /// `fp.read(1)` for the name and comment stops at either).
    fn skip_through(&mut self, stop: u8) -> Result<(), GzipError> {
        loop {
            let buf = self.fill()?;
            if buf.is_empty() {
                return Ok(());
            }
            match buf.iter().position(|&b| b == stop) {
                Some(i) => {
                    self.consume(i + 1);
                    return Ok(());
                }
                None => {
                    let n = buf.len();
                    self.consume(n);
                }
            }
        }
    }
}

enum State {
    /// Before a member's header (or the end of the stream).
    Header,
    /// Inside a member's deflate data.
    Body,
    /// The deflate data ended: the trailer is checked on the next read, not before (CPython
    /// reads it only when more bytes are asked for, so a bad trailer after the tar's end is
    /// never seen by PyPI).
    Trailer,
    /// No more members.
    Done,
}

/// Inflated bytes of every member, in order.
///
/// Errors surface when the bytes they are in are asked for, never earlier. CPython's reader
/// asks ahead (a buffer of 8 KiB or more of inflated bytes), so corrupt deflate data a few KiB
/// past the tar's end can fail PyPI's read and not ours: a refusal we miss, never one we
/// make up; the buffer's size differs between Python versions.
pub(super) struct GzipStream<R> {
    input: Counted<R>,
    inflate: Inflater,
    crc: Crc,
    state: State,
    expanded: u64,
    budget: u64,
    /// An error met after some bytes were already handed out in the same call.
    pending: Option<GzipError>,
}

impl<R: BufRead> GzipStream<R> {
    pub(super) fn new(input: R, budget: u64) -> Self {
        Self {
            input: Counted {
                inner: input,
                at: 0,
            },
            inflate: Inflater::take(),
            crc: Crc::new(),
            state: State::Header,
            expanded: 0,
            budget,
            pending: None,
        }
    }

    /// `_read_gzip_header`: false at the clean end of the stream.
    fn header(&mut self) -> Result<bool, GzipError> {
        let start = self.input.at;
        let buf = self.input.fill()?;
        if buf.is_empty() {
            return Ok(false);
        }
        // `fp.read(2)` may give one byte at the very end: not the magic either.
        let magic: Vec<u8> = buf.iter().take(2).copied().collect();
        if magic != [0x1f, 0x8b] {
            return Err(GzipError::BadGzip {
                at: start,
                what: "not a gzip member (no magic bytes)",
            });
        }
        self.input.consume(2);
        let [method, flags, ..] = self.input.exact::<8>()?;
        if method != 8 {
            return Err(GzipError::BadGzip {
                at: start,
                what: "gzip member with a compression method other than deflate",
            });
        }
        if flags & 4 != 0 {
            let len = u16::from_le_bytes(self.input.exact::<2>()?);
            self.input.skip_exact(u64::from(len))?;
        }
        if flags & 8 != 0 {
            self.input.skip_through(0)?;
        }
        if flags & 16 != 0 {
            self.input.skip_through(0)?;
        }
        if flags & 2 != 0 {
            self.input.exact::<2>()?;
        }
        Ok(true)
    }

    /// `_read_eof`: the CRC and length, then any zero padding.
    fn trailer(&mut self) -> Result<(), GzipError> {
        let at = self.input.at;
        let trailer = self.input.exact::<8>()?;
        let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        if crc != self.crc.sum() {
            return Err(GzipError::BadGzip {
                at,
                what: "gzip member fails its CRC check",
            });
        }
        if size != self.crc.amount() {
            return Err(GzipError::BadGzip {
                at,
                what: "gzip member's trailer gives the wrong length",
            });
        }
        loop {
            let buf = self.input.fill()?;
            let zeros = buf.iter().take_while(|&&b| b == 0).count();
            let whole = zeros == buf.len();
            self.input.consume(zeros);
            if !whole || zeros == 0 {
                return Ok(());
            }
        }
    }

    fn inflate_into(&mut self, out: &mut [u8]) -> Result<usize, GzipError> {
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Header => {
                    if self.header()? {
                        self.inflate.reset(false);
                        self.crc.reset();
                        self.state = State::Body;
                    } else {
                        self.state = State::Done;
                    }
                }
                State::Trailer => {
                    self.trailer()?;
                    self.state = State::Header;
                }
                State::Body => {
                    let at = self.input.at;
                    let input = self.input.fill()?;
                    let at_end = input.is_empty();
                    let (before_in, before_out) =
                        (self.inflate.total_in(), self.inflate.total_out());
                    let status = self.inflate.decompress(input, out, FlushDecompress::None);
                    let used = (self.inflate.total_in() - before_in) as usize;
                    let made = (self.inflate.total_out() - before_out) as usize;
                    self.input.consume(used);
                    self.crc.update(&out[..made]);
                    let error = match status {
                        Ok(Status::StreamEnd) => {
                            self.state = State::Trailer;
                            None
                        }
                        Ok(_) if made == 0 && used == 0 && at_end => {
                            Some(GzipError::Truncated { at: self.input.at })
                        }
                        Ok(_) => None,
                        Err(e) => Some(GzipError::Corrupt {
                            at: at + used as u64,
                            what: e.message().unwrap_or("invalid data").to_string(),
                        }),
                    };
                    match (made, error) {
                        (0, Some(e)) => return Err(e),
                        (_, e) => {
                            self.pending = e;
                            if made > 0 {
                                return Ok(made);
                            }
                        }
                    }
                }
            }
        }
    }
}

impl<R: BufRead> Read for GzipStream<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.pending.take() {
            return Err(io::Error::other(e));
        }
        if out.is_empty() {
            return Ok(0);
        }
        let room = self.budget.saturating_sub(self.expanded);
        if room == 0 {
            // At the budget: more data is an error, the clean end is not.
            let mut probe = [0u8; 1];
            return match self.inflate_into(&mut probe) {
                Ok(0) => Ok(0),
                Ok(_) => Err(io::Error::other(GzipError::Budget(self.expanded))),
                Err(e) => Err(io::Error::other(e)),
            };
        }
        let len = (out.len() as u64).min(room) as usize;
        let n = self
            .inflate_into(&mut out[..len])
            .map_err(io::Error::other)?;
        self.expanded += n as u64;
        Ok(n)
    }
}

/// The stream error inside an `io::Error` from [`GzipStream`], if it is one.
pub(super) fn gzip_error(e: io::Error) -> GzipError {
    if e.get_ref().is_some_and(|inner| inner.is::<GzipError>()) {
        match e.into_inner().map(|inner| inner.downcast::<GzipError>()) {
            Some(Ok(gz)) => *gz,
            _ => unreachable!("checked above"),
        }
    } else {
        GzipError::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn all(bytes: &[u8], budget: u64) -> Result<Vec<u8>, GzipError> {
        let mut out = Vec::new();
        GzipStream::new(bytes, budget)
            .read_to_end(&mut out)
            .map_err(gzip_error)?;
        Ok(out)
    }

    #[test]
    fn members_and_zero_padding_read_as_one_stream() {
        let mut bytes = gz(b"hello ");
        bytes.extend_from_slice(&[0; 100]);
        bytes.extend(gz(b"world"));
        bytes.extend_from_slice(&[0; 3]);
        assert_eq!(all(&bytes, u64::MAX).unwrap(), b"hello world");
    }

    #[test]
    fn a_header_crc_and_reserved_flags_are_not_checked() {
        let mut bytes = gz(b"data");
        bytes[3] |= 2 | 0xe0; // FHCRC and the reserved bits
        bytes.splice(10..10, [0xde, 0xad]);
        assert_eq!(all(&bytes, u64::MAX).unwrap(), b"data");
    }

    #[test]
    fn breaks_are_told_with_their_byte() {
        let bytes = gz(&[7u8; 10_000]);
        let cut = &bytes[..bytes.len() - 12];
        assert!(matches!(
            all(cut, u64::MAX),
            Err(GzipError::Truncated { .. })
        ));
        let mut crc = bytes.clone();
        let n = crc.len();
        crc[n - 8] ^= 1;
        let e = all(&crc, u64::MAX).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("gzip member fails its CRC check at byte {}", n - 8)
        );
        let mut garbage = bytes.clone();
        garbage.extend_from_slice(b"junk");
        let e = all(&garbage, u64::MAX).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("not a gzip member (no magic bytes) at byte {n}")
        );
        let mut corrupt = gz(b"x");
        corrupt[10] = 0xff; // a reserved block type
        let e = all(&corrupt, u64::MAX).unwrap_err();
        assert!(matches!(e, GzipError::Corrupt { at: 11, .. }), "{e:?}");
    }

    #[test]
    fn the_budget_stops_more_data_but_not_the_end() {
        let bytes = gz(&[0u8; 4096]);
        assert_eq!(all(&bytes, 4096).unwrap().len(), 4096);
        assert!(matches!(all(&bytes, 4095), Err(GzipError::Budget(4095))));
    }
}
