//! The raw-deflate inflater a checking thread reuses from member to member and file to file.
//!
//! zlib-rs takes an inflater's state (about 140 KiB) with `posix_memalign`; glibc's heap
//! gives such blocks back in pieces it seldom joins again, so a fresh inflater per member
//! left ~100 KiB resident per file checked: 210 MB for a 2,000-file release. One inflater
//! per thread, reset between streams, allocates that state once.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

use flate2::Decompress;

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

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{FlushDecompress, Status};
    use std::io::Write;

    #[test]
    fn one_state_per_thread_reset_between_streams() {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&b"hello ".repeat(1000)).unwrap();
        let packed = e.finish().unwrap();
        for _ in 0..3 {
            let mut z = Inflater::take();
            let mut out = Vec::with_capacity(6000);
            let status = z
                .decompress_vec(&packed, &mut out, FlushDecompress::Finish)
                .unwrap();
            assert_eq!((status, out.len()), (Status::StreamEnd, 6000));
            drop(z);
            // The state went back to this thread's spare.
            assert!(SPARE.with(|s| s.borrow().is_some()));
        }
    }
}
