//! The raw-deflate inflater a checking thread reuses from member to member and file to file,
//! and a reader of one deflated member through it.
//!
//! zlib-rs takes an inflater's state (about 140 KiB) with `posix_memalign`; glibc's heap
//! gives such blocks back in pieces it seldom joins again, so a fresh inflater per member
//! left ~100 KiB resident per file checked: 210 MB for a 2,000-file release. One inflater
//! per thread, reset between streams, allocates that state once.

use std::cell::RefCell;
use std::io::{self, BufRead, Read};
use std::ops::{Deref, DerefMut};

use flate2::{Decompress, FlushDecompress, Status};

thread_local! {
    static SPARE: RefCell<Option<Decompress>> = const { RefCell::new(None) };
}

/// A raw-deflate (no zlib header) inflater, fresh, taken from this thread's spare when there
/// is one and given back when dropped.
pub(super) struct Inflater(Option<Decompress>);

impl Inflater {
    pub(super) fn take() -> Self {
        let spare = SPARE.try_with(|s| s.borrow_mut().take()).ok().flatten();
        Inflater(Some(match spare {
            Some(mut d) => {
                d.reset(false);
                d
            }
            None => Decompress::new(false),
        }))
    }
}

impl Deref for Inflater {
    type Target = Decompress;
    fn deref(&self) -> &Decompress {
        self.0.as_ref().expect("held until dropped")
    }
}

impl DerefMut for Inflater {
    fn deref_mut(&mut self) -> &mut Decompress {
        self.0.as_mut().expect("held until dropped")
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        let state = self.0.take();
        let _ = SPARE.try_with(|s| *s.borrow_mut() = state);
    }
}

/// Inflates one raw-deflate stream read from `src`, as `flate2::read::DeflateDecoder` does
/// (the same ends and errors: `InvalidInput` for corrupt data, `UnexpectedEof` for a stream
/// cut short).
pub(super) struct InflateReader<R> {
    src: R,
    inflater: Inflater,
}

impl<R: BufRead> InflateReader<R> {
    pub(super) fn new(src: R) -> Self {
        Self {
            src,
            inflater: Inflater::take(),
        }
    }
}

impl<R: BufRead> Read for InflateReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let input = self.src.fill_buf()?;
            let eof = input.is_empty();
            let (before_in, before_out) = (self.inflater.total_in(), self.inflater.total_out());
            let flush = if eof {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let status = self.inflater.decompress(input, out, flush);
            let made = (self.inflater.total_out() - before_out) as usize;
            let used = (self.inflater.total_in() - before_in) as usize;
            self.src.consume(used);
            match status {
                Ok(Status::Ok | Status::BufError) if made == 0 && !eof && !out.is_empty() => {}
                // The input ended before the stream did.
                Ok(Status::Ok | Status::BufError) if made == 0 && !out.is_empty() => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "incomplete deflate stream",
                    ));
                }
                Ok(_) => return Ok(made),
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "corrupt deflate stream",
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn deflated(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn reads_as_flate2_reads_and_reuses_one_state() {
        let text: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let packed = deflated(&text);
        for _ in 0..3 {
            let mut ours = Vec::new();
            InflateReader::new(&packed[..])
                .read_to_end(&mut ours)
                .unwrap();
            assert_eq!(ours, text);
        }
        // The state went back to this thread's spare, reset before its next use.
        assert!(SPARE.with(|s| s.borrow().is_some()));
        let mut theirs = Vec::new();
        flate2::read::DeflateDecoder::new(&packed[..])
            .read_to_end(&mut theirs)
            .unwrap();
        assert_eq!(theirs, text);
    }

    #[test]
    fn corrupt_and_cut_streams_end_as_flate2_ends_them() {
        let packed = deflated(b"hello hello hello hello");
        // Block type 3 is reserved: corrupt.
        let corrupt = [0x07u8, 0, 0, 0];
        let err = InflateReader::new(&corrupt[..])
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let theirs = flate2::read::DeflateDecoder::new(&corrupt[..])
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(err.to_string(), theirs.to_string());
        // Cut short: both hand out what they could and stop.
        let cut = &packed[..packed.len() / 2];
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let a = InflateReader::new(cut)
            .read_to_end(&mut ours)
            .map_err(|e| e.kind());
        let b = flate2::read::DeflateDecoder::new(cut)
            .read_to_end(&mut theirs)
            .map_err(|e| e.kind());
        assert_eq!((a, ours), (b, theirs));
    }
}
