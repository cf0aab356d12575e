//! Which guest ranges the monitor may read or write through its own
//! mapping: the kernel's segment protections (the loader maps text and
//! read-only data read-only in the host too), snapshotted at module setup.

use crate::elf::protect::{self, Protection};

/// The host-side protections of guest memory (kernel segments only; the
/// rest of guest memory is readable and writable).
#[derive(Debug, Clone, Default)]
pub struct Protections(Vec<Protection>);

impl Protections {
    /// The protections the loader applied to the running kernel: take
    /// them after the kernel is loaded (module setup runs after the load).
    pub fn current() -> Self {
        Protections(protect::applied())
    }

    /// Everything readable and writable (tests, embedders without a loader).
    pub fn none() -> Self {
        Protections(Vec::new())
    }

    /// Explicit protection runs (tests).
    pub fn from_runs(runs: Vec<Protection>) -> Self {
        Protections(runs)
    }

    fn allows(&self, gpa: u64, len: u64, need: i32) -> bool {
        let end = gpa.saturating_add(len);
        self.0
            .iter()
            .all(|p| p.prot & need == need || p.start.saturating_add(p.len) <= gpa || end <= p.start)
    }

    /// The monitor may read `len` bytes at `gpa` without faulting.
    pub fn readable(&self, gpa: u64, len: u64) -> bool {
        self.allows(gpa, len, libc::PROT_READ)
    }

    /// The monitor may write `len` bytes at `gpa` without faulting.
    pub fn writable(&self, gpa: u64, len: u64) -> bool {
        self.allows(gpa, len, libc::PROT_WRITE)
    }

    /// Both (request structs are read, then their result is stored).
    pub fn read_writable(&self, gpa: u64, len: u64) -> bool {
        self.allows(gpa, len, libc::PROT_READ | libc::PROT_WRITE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_at_0x10000() -> Protections {
        Protections::from_runs(vec![
            Protection {
                index: 0,
                start: 0x10000,
                len: 0x1000,
                prot: libc::PROT_READ | libc::PROT_EXEC,
            },
            Protection {
                index: 1,
                start: 0x11000,
                len: 0x1000,
                prot: libc::PROT_READ | libc::PROT_WRITE,
            },
            Protection {
                index: 2,
                start: 0x12000,
                len: 0x1000,
                prot: libc::PROT_NONE,
            },
        ])
    }

    #[test]
    fn text_is_readable_not_writable() {
        let p = text_at_0x10000();
        assert!(p.readable(0x10000, 0x1000));
        assert!(!p.writable(0x10000, 1));
        assert!(!p.writable(0x10fff, 1));
        assert!(!p.read_writable(0x10800, 16));
    }

    #[test]
    fn ranges_touching_text_only_at_its_edges_are_writable() {
        let p = text_at_0x10000();
        assert!(p.writable(0xf000, 0x1000), "ends where text starts");
        assert!(p.writable(0x11000, 0x1000), "data after text");
        assert!(!p.writable(0xf000, 0x1001), "one byte into text");
        assert!(!p.writable(0x10fff, 0x2), "straddles text and data");
    }

    #[test]
    fn no_access_pages_are_neither() {
        let p = text_at_0x10000();
        assert!(!p.readable(0x12000, 1));
        assert!(!p.writable(0x12fff, 1));
        assert!(p.readable(0x13000, 100));
    }

    #[test]
    fn empty_ranges_and_no_kernel_allow_everything() {
        let p = text_at_0x10000();
        assert!(p.writable(0x10000, 0));
        assert!(Protections::none().read_writable(0x10000, u64::MAX));
    }

    #[test]
    fn huge_ranges_saturate_instead_of_wrapping() {
        let p = text_at_0x10000();
        assert!(!p.writable(0, u64::MAX));
        assert!(p.writable(0x20000, u64::MAX));
    }
}
