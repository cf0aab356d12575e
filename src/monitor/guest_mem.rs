//! The one checked accessor for guest memory: a (gpa, size) range becomes a
//! host pointer only if it lies inside the guest's memory.

use std::fmt;
use std::mem::size_of;
use std::panic::Location;

use crate::abi::{ukvm_gpa_t, UkvmHv};
use crate::diag;

/// A guest access outside guest memory, or one whose end overflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestAccessError {
    pub gpa: ukvm_gpa_t,
    pub size: usize,
}

impl fmt::Display for GuestAccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Invalid guest access: gpa=0x{:x}, sz={}",
            self.gpa, self.size
        )
    }
}

impl std::error::Error for GuestAccessError {}

impl GuestAccessError {
    /// Die with the C monitor's message, naming the Rust call site the way
    /// upstream names `__FILE__:__LINE__`.
    #[track_caller]
    pub fn die(self) -> ! {
        let at = Location::caller();
        diag::die(&format!("{}:{}: {}", at.file(), at.line(), self))
    }
}

/// Upstream's rule, kept exactly: `gpa` must be below `mem_size`, `gpa +
/// size` must not overflow 64 bits, and `gpa + size` must also be below
/// `mem_size` (so a range ending exactly at the top of memory is refused,
/// as upstream refuses it).
pub fn check_range(mem_size: usize, gpa: ukvm_gpa_t, size: usize) -> Result<(), GuestAccessError> {
    let err = GuestAccessError { gpa, size };
    let limit = mem_size as u64;
    if gpa >= limit {
        return Err(err);
    }
    match gpa.checked_add(size as u64) {
        Some(end) if end < limit => Ok(()),
        _ => Err(err),
    }
}

/// A view of guest memory: `size` bytes at host address `base`.
#[derive(Debug, Clone, Copy)]
pub struct GuestMem {
    base: *mut u8,
    size: usize,
    /// Whether the loaded kernel's host protections apply (the real guest
    /// memory of a `ukvm_hv`): then a write into the kernel's read-only
    /// text or data is refused instead of faulting the monitor.
    kernel_protections: bool,
}

impl GuestMem {
    /// # Safety
    /// `base` must point to `size` bytes that stay mapped and writable for
    /// as long as this view (or pointers it returns) is used.
    pub unsafe fn new(base: *mut u8, size: usize) -> Self {
        GuestMem {
            base,
            size,
            kernel_protections: false,
        }
    }

    /// The guest memory of `hv`.
    ///
    /// # Safety
    /// `hv` must point to a valid `struct ukvm_hv` whose `mem`/`mem_size`
    /// describe mapped guest memory.
    pub unsafe fn from_hv(hv: *const UkvmHv) -> Self {
        // SAFETY: the caller guarantees `hv` is valid to read.
        let hv = unsafe { &*hv };
        GuestMem {
            base: hv.mem,
            size: hv.mem_size,
            kernel_protections: true,
        }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Host pointer to `size` bytes at `gpa`, if the range passes the check.
    pub fn ptr(&self, gpa: ukvm_gpa_t, size: usize) -> Result<*mut u8, GuestAccessError> {
        check_range(self.size, gpa, size)?;
        // The check guarantees gpa < mem_size, which fits in usize.
        // SAFETY: gpa + size <= mem_size, so the result stays inside the
        // mapping `base` points to.
        Ok(unsafe { self.base.add(gpa as usize) })
    }

    /// Like [`ptr`](Self::ptr), for a range the monitor will write: also
    /// refused where the loader left the kernel's pages read-only in the
    /// host. Check this before work whose result goes there (POLL checks
    /// before it sleeps).
    pub fn writable_ptr(&self, gpa: ukvm_gpa_t, size: usize) -> Result<*mut u8, GuestAccessError> {
        let p = self.ptr(gpa, size)?;
        if self.kernel_protections && !crate::elf::protect::host_writable(gpa, size as u64) {
            return Err(GuestAccessError { gpa, size });
        }
        Ok(p)
    }

    /// Read a `T` (any alignment) at `gpa`.
    pub fn read<T: Copy>(&self, gpa: ukvm_gpa_t) -> Result<T, GuestAccessError> {
        let p = self.ptr(gpa, size_of::<T>())?;
        // SAFETY: `ptr` checked that size_of::<T>() bytes at p are guest
        // memory; guest structs are plain integers, valid for any bits.
        Ok(unsafe { std::ptr::read_unaligned(p as *const T) })
    }

    /// Write a `T` (any alignment) at `gpa`. Refused, like an out-of-range
    /// access, where the loader left the kernel's pages read-only in the
    /// host (a guest asking for a result in its own text): upstream's
    /// monitor takes a SIGSEGV there.
    pub fn write<T: Copy>(&self, gpa: ukvm_gpa_t, value: T) -> Result<(), GuestAccessError> {
        let p = self.writable_ptr(gpa, size_of::<T>())?;
        // SAFETY: as in `read`; guest memory is writable.
        unsafe { std::ptr::write_unaligned(p as *mut T, value) };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEM: usize = 0x1000;

    #[test]
    fn inside_is_accepted() {
        assert_eq!(check_range(MEM, 0, 16), Ok(()));
        assert_eq!(check_range(MEM, 0x100, 0x100), Ok(()));
        assert_eq!(check_range(MEM, (MEM - 2) as u64, 1), Ok(()));
    }

    #[test]
    fn gpa_at_or_past_end_is_refused() {
        assert!(check_range(MEM, MEM as u64, 0).is_err());
        assert!(check_range(MEM, MEM as u64 + 1, 0).is_err());
        assert!(check_range(MEM, u64::MAX, 0).is_err());
    }

    #[test]
    fn zero_size_at_last_byte_is_accepted() {
        assert_eq!(check_range(MEM, (MEM - 1) as u64, 0), Ok(()));
    }

    #[test]
    fn range_ending_exactly_at_top_is_refused_like_upstream() {
        assert!(check_range(MEM, (MEM - 1) as u64, 1).is_err());
        assert!(check_range(MEM, 0, MEM).is_err());
    }

    #[test]
    fn range_past_end_is_refused() {
        assert!(check_range(MEM, 0x800, 0x900).is_err());
        assert!(check_range(MEM, 0, usize::MAX).is_err());
    }

    #[test]
    fn overflowing_end_is_refused() {
        // With a huge memory size, only the overflow test can catch these.
        assert!(check_range(usize::MAX, 1, usize::MAX).is_err());
        assert!(check_range(usize::MAX, (usize::MAX - 1) as u64, 2).is_err());
        assert_eq!(check_range(usize::MAX, 1, 2), Ok(()));
    }

    #[test]
    fn agrees_with_wide_arithmetic_near_every_boundary() {
        // Reference: the rule computed in 128 bits, where nothing wraps.
        let reference = |mem: usize, gpa: u64, size: usize| {
            let end = gpa as u128 + size as u128;
            (gpa as u128) < mem as u128 && end <= u64::MAX as u128 && end < mem as u128
        };
        let mems = [0usize, 1, 2, 4096, 0x20_0000, usize::MAX - 1, usize::MAX];
        let mut points: Vec<u64> = vec![0, 1, 2, u64::MAX - 1, u64::MAX, 1 << 63];
        for m in mems {
            for d in 0..3u64 {
                points.push((m as u64).wrapping_sub(d));
                points.push((m as u64).wrapping_add(d));
            }
        }
        for &mem in &mems {
            for &gpa in &points {
                for &size in &points {
                    let size = size as usize;
                    assert_eq!(
                        check_range(mem, gpa, size).is_ok(),
                        reference(mem, gpa, size),
                        "mem={mem:#x} gpa={gpa:#x} size={size:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_memory_refuses_everything() {
        assert!(check_range(0, 0, 0).is_err());
    }

    #[test]
    fn error_names_gpa_in_hex_and_size_in_decimal() {
        let e = check_range(MEM, 0x1234, 16).unwrap_err();
        assert_eq!(e.to_string(), "Invalid guest access: gpa=0x1234, sz=16");
    }

    #[test]
    fn typed_access_round_trips_unaligned() {
        let mut buf = vec![0u8; 64];
        // SAFETY: buf outlives `mem`.
        let mem = unsafe { GuestMem::new(buf.as_mut_ptr(), buf.len()) };
        mem.write::<u64>(3, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(mem.read::<u64>(3).unwrap(), 0x1122_3344_5566_7788);
        assert_eq!(buf[3], 0x88);
        assert!(mem.write::<u64>(56, 1).is_err(), "ends at the top");
        assert!(mem.read::<u64>(60).is_err());
    }
}
