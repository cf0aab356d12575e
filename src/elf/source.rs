//! Where the loader reads from: positioned reads, never trusting a file size.
//!
//! The loader asks for exact byte ranges and treats a short read as a file
//! that ends too early, so a file that shrinks or grows while it is loaded
//! can only produce an error, never an access out of bounds.

use std::io;

/// A source of bytes read at absolute offsets (pread(2)-like).
pub trait ReadAt {
    /// Read at most `buf.len()` bytes starting at `offset`; returns how many
    /// were read, 0 meaning the end of the source.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

impl ReadAt for std::fs::File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = match usize::try_from(offset) {
            Ok(s) if s < self.len() => s,
            _ => return Ok(0),
        };
        let avail = self.get(start..).unwrap_or_default();
        let n = avail.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.as_slice().read_at(buf, offset)
    }
}

/// Offsets beyond this cannot be passed to pread(2) (off_t is signed):
/// they lie past the end of any file.
const MAX_OFFSET: u64 = i64::MAX as u64;

/// Fill `buf` from `offset`, retrying short reads and EINTR. Returns the
/// number of bytes read, which is less than `buf.len()` only if the source
/// ends first.
pub fn read_full<R: ReadAt + ?Sized>(src: &R, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0usize;
    while let Some(rest) = buf.get_mut(done..) {
        if rest.is_empty() {
            break;
        }
        let pos = match offset.checked_add(done as u64) {
            Some(p) if p <= MAX_OFFSET => p,
            _ => break,
        };
        match src.read_at(rest, pos) {
            Ok(0) => break,
            // A source claiming more than it was asked for is clamped.
            Ok(n) => done = done.saturating_add(n.min(rest.len())),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]
mod tests {
    use super::*;

    #[test]
    fn slice_reads_clamp_at_end() {
        let data = [1u8, 2, 3, 4];
        let mut buf = [0u8; 3];
        assert_eq!(read_full(&data[..], &mut buf, 2).unwrap(), 2);
        assert_eq!(buf, [3, 4, 0]);
        assert_eq!(read_full(&data[..], &mut buf, 4).unwrap(), 0);
        assert_eq!(read_full(&data[..], &mut buf, u64::MAX).unwrap(), 0);
    }

    /// A source that returns one byte per call and an EINTR in between.
    struct Dribble(std::cell::Cell<bool>, Vec<u8>);
    impl ReadAt for Dribble {
        fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
            if self.0.replace(!self.0.get()) {
                return Err(io::Error::from(io::ErrorKind::Interrupted));
            }
            self.1.read_at(&mut buf[..1], offset)
        }
    }

    #[test]
    fn short_reads_and_eintr_are_retried() {
        let src = Dribble(std::cell::Cell::new(true), vec![9, 8, 7]);
        let mut buf = [0u8; 3];
        assert_eq!(read_full(&src, &mut buf, 0).unwrap(), 3);
        assert_eq!(buf, [9, 8, 7]);
    }

    #[test]
    fn offsets_past_off_t_are_end_of_file() {
        let f = std::fs::File::open("/proc/self/exe").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(read_full(&f, &mut buf, 1 << 63).unwrap(), 0);
        assert_eq!(read_full(&f, &mut buf, u64::MAX - 3).unwrap(), 0);
    }
}
