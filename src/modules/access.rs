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

/// A guest's request struct, read once; its out fields are stored one by
/// one, as upstream stores them, never the whole struct: a read whose data
/// buffer overlaps the request would otherwise get the request's stale
/// bytes back over the data just read.
pub struct Request<T: Copy> {
    at: *mut T,
    /// The request as read (its in fields); answer with [`store`](Self::store).
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

    /// Store `value` into the one field of the guest's struct that `field`
    /// picks from [`v`](Self::v) (`|r| &r.ret`), leaving every other byte
    /// of the struct as it is in guest memory now.
    pub fn store<F: Copy>(&self, field: fn(&T) -> &F, value: F) {
        let offset = (field(&self.v) as *const F as usize).wrapping_sub(&self.v as *const T as usize);
        assert!(
            offset.checked_add(size_of::<F>()).is_some_and(|end| end <= size_of::<T>()),
            "Request::store: the selector must pick a field of the request"
        );
        // SAFETY: the field lies inside the struct's size_of::<T>() bytes
        // (asserted above), which `read` checked are guest memory the host
        // may write; no alignment is assumed.
        unsafe { std::ptr::write_unaligned(self.at.cast::<u8>().add(offset).cast::<F>(), value) }
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

    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Req {
        input: u64,
        len: u64,
        ret: i32,
    }

    #[test]
    fn store_writes_only_the_chosen_field() {
        let mut buf = [0xaau8; 64];
        // SAFETY: buf outlives `mem`.
        let mem = unsafe { GuestMem::new(buf.as_mut_ptr(), buf.len()) };
        mem.write(3, Req { input: 1, len: 2, ret: 3 }).unwrap();
        let r = Request::<Req>::read(&mem, &Protections::none(), 3, "t").unwrap();
        assert_eq!((r.v.input, r.v.len, r.v.ret), (1, 2, 3));
        // Guest bytes change after the read (as a read into the request
        // itself changes them): only the stored field is written back.
        mem.write::<u64>(3, 0x1111).unwrap();
        mem.write::<u64>(11, 0x2222).unwrap();
        r.store(|q| &q.ret, -1);
        let now: Req = mem.read(3).unwrap();
        assert_eq!((now.input, now.len, now.ret), (0x1111, 0x2222, -1));
        r.store(|q| &q.len, 7);
        assert_eq!(mem.read::<Req>(3).unwrap().len, 7);
        assert_eq!(&buf[..3], &[0xaa; 3], "nothing before the struct");
        assert!(buf[3 + size_of::<Req>()..].iter().all(|&b| b == 0xaa), "nothing after it");
    }

    #[test]
    #[should_panic(expected = "must pick a field")]
    fn store_refuses_a_selector_outside_the_struct() {
        static ELSEWHERE: i32 = 0;
        let mut buf = [0u8; 64];
        // SAFETY: buf outlives `mem`.
        let mem = unsafe { GuestMem::new(buf.as_mut_ptr(), buf.len()) };
        let r = Request::<Req>::read(&mem, &Protections::none(), 0, "t").unwrap();
        r.store(|_| &ELSEWHERE, 1);
    }

    #[test]
    fn huge_ranges_saturate_instead_of_wrapping() {
        let p = text_at_0x10000();
        assert!(!p.writable(0, u64::MAX));
        assert!(p.writable(0x20000, u64::MAX));
    }
}
