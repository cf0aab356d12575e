//! Which guest ranges the monitor may read or write through its own
//! mapping: the kernel's segment protections (the loader maps text and
//! read-only data read-only in the host too), snapshotted at module setup.

use std::mem::size_of;

use super::Fatal;
use crate::abi::ukvm_gpa_t;
use crate::elf::protect::{self, Protection};
use crate::monitor::GuestMem;

/// The host-side protections of guest memory (kernel segments only; the
/// rest of guest memory is readable and writable), kept as the ranges the
/// monitor may not write and may not read: a check looks only at those
/// (for a usual kernel, its text and rodata; nothing for reads).
#[derive(Debug, Clone, Default)]
pub struct Protections {
    no_write: Vec<(u64, u64)>,
    no_read: Vec<(u64, u64)>,
}

impl Protections {
    /// The protections the loader applied to the running kernel: take
    /// them after the kernel is loaded (module setup runs after the load).
    pub fn current() -> Self {
        Protections::from_runs(protect::applied())
    }

    /// Everything readable and writable (tests, embedders without a loader).
    pub fn none() -> Self {
        Protections::default()
    }

    /// Explicit protection runs (tests).
    pub fn from_runs(runs: Vec<Protection>) -> Self {
        let span = |p: &Protection| (p.start, p.start.saturating_add(p.len));
        Protections {
            no_write: runs
                .iter()
                .filter(|p| p.prot & libc::PROT_WRITE == 0)
                .map(span)
                .collect(),
            no_read: runs
                .iter()
                .filter(|p| p.prot & libc::PROT_READ == 0)
                .map(span)
                .collect(),
        }
    }

    fn clear_of(ranges: &[(u64, u64)], gpa: u64, len: u64) -> bool {
        let end = gpa.saturating_add(len);
        ranges.iter().all(|&(s, e)| e <= gpa || end <= s)
    }

    /// The monitor may read `len` bytes at `gpa` without faulting.
    pub fn readable(&self, gpa: u64, len: u64) -> bool {
        Self::clear_of(&self.no_read, gpa, len)
    }

    /// The monitor may write `len` bytes at `gpa` without faulting.
    pub fn writable(&self, gpa: u64, len: u64) -> bool {
        Self::clear_of(&self.no_write, gpa, len)
    }

    /// Both (request structs are read, then their result is stored).
    pub fn read_writable(&self, gpa: u64, len: u64) -> bool {
        self.readable(gpa, len) && self.writable(gpa, len)
    }
}

/// A guest's request struct, read once and answered in place.
pub struct Request<T: Copy> {
    at: *mut T,
    /// The request as read; set its out fields, then [`answer`](Self::answer).
    pub v: T,
}

impl<T: Copy> Request<T> {
    /// Read the `T` at `gpa`: it must be guest memory (upstream's check and
    /// exit) that the monitor may read and write (else it could not store
    /// the answer: `what` names the module in the message).
    pub fn read(mem: &GuestMem, prot: &Protections, gpa: ukvm_gpa_t, what: &'static str) -> Result<Self, Fatal> {
        let size = size_of::<T>();
        let at = mem.ptr(gpa, size)? as *mut T;
        if !prot.read_writable(gpa, size as u64) {
            return Err(Fatal::ReadOnlyRequest { what, gpa, size });
        }
        // SAFETY: `ptr` checked size_of::<T>() bytes of guest memory at
        // `at`, and the host may read them; guest ABI structs are plain
        // integers, valid for any bits; no alignment is assumed.
        let v = unsafe { std::ptr::read_unaligned(at) };
        Ok(Request { at, v })
    }

    /// Store the request, out fields set, back where the guest put it.
    pub fn answer(self) {
        // SAFETY: the same checked, host-writable guest bytes as in `read`.
        unsafe { std::ptr::write_unaligned(self.at, self.v) }
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
