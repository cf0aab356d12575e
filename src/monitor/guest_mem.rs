//! The one checked accessor for guest memory. A (gpa, size) range passes
//! upstream's range check, then the host-protection snapshot for the kind
//! of access, and only then becomes a `VolatileSlice` (vm-memory) or a
//! typed `read_obj`/`write_obj` of a `ByteValued` guest struct. Guest RAM
//! is never turned into `&[u8]`: the guest may change it at any time.

use std::cell::UnsafeCell;
use std::fmt;
use std::panic::Location;

use vm_memory::{
    ByteValued, GuestAddress, GuestMemoryBackend, GuestMemoryMmap, VolatileMemory, VolatileSlice,
};

use crate::abi::ukvm_gpa_t;
use crate::diag;
use crate::monitor::protections::Protections;

/// A guest access outside guest memory, or one whose end overflows:
/// upstream's fatal `Invalid guest access`.
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

/// Why a checked access was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemError {
    /// Outside guest memory by upstream's rule (upstream exits).
    Range(GuestAccessError),
    /// Inside guest memory, but the host mapping may not be read there (a
    /// segment without PF_R).
    NotReadable(GuestAccessError),
    /// Inside guest memory, but the host mapping may not be written there
    /// (the kernel's text or read-only data).
    NotWritable(GuestAccessError),
}

impl MemError {
    /// The range that was refused.
    pub fn range(&self) -> GuestAccessError {
        match *self {
            MemError::Range(e) | MemError::NotReadable(e) | MemError::NotWritable(e) => e,
        }
    }

    /// Refused by the protections, not by the range check: a module may
    /// answer the guest with an error instead of ending the monitor.
    pub fn is_protection(&self) -> bool {
        !matches!(self, MemError::Range(_))
    }

    /// Die as upstream does for a bad guest range (`file:line: Invalid guest
    /// access: ...`), for every kind: where upstream does not check
    /// protections it would take a SIGSEGV instead.
    #[track_caller]
    pub fn die(self) -> ! {
        self.range().die()
    }
}

impl From<GuestAccessError> for MemError {
    fn from(e: GuestAccessError) -> Self {
        MemError::Range(e)
    }
}

impl fmt::Display for MemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Upstream's wording for all three (see `die`).
        self.range().fmt(f)
    }
}

impl std::error::Error for MemError {}

/// Why guest memory could not be created.
#[derive(Debug)]
pub struct AllocError(pub String);

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error allocating guest memory: {}", self.0)
    }
}

impl std::error::Error for AllocError {}

/// Guest physical memory `0..size`: a `GuestMemoryMmap` the monitor owns,
/// or a view of memory a C caller owns (a `struct ukvm_hv` that is not
/// ours), plus the host-protection snapshot every access is checked
/// against.
///
/// Not `Sync` (nor `Send`): the monitor runs its guest on one thread, and
/// the snapshot is replaced in place.
pub struct GuestMem {
    base: *mut u8,
    size: usize,
    prot: UnsafeCell<Protections>,
    /// Keeps the mapping alive when the monitor owns it.
    map: Option<GuestMemoryMmap>,
}

impl fmt::Debug for GuestMem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuestMem")
            .field("base", &self.base)
            .field("size", &self.size)
            .field("owned", &self.map.is_some())
            .finish()
    }
}

impl GuestMem {
    /// `size` bytes of fresh anonymous guest RAM at guest address 0,
    /// nothing protected.
    pub fn anonymous(size: usize) -> Result<GuestMem, AllocError> {
        let map = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), size)])
            .map_err(|e| AllocError(e.to_string()))?;
        let base = map
            .get_host_address(GuestAddress(0))
            .map_err(|e| AllocError(e.to_string()))?;
        Ok(GuestMem {
            base,
            size,
            prot: UnsafeCell::new(Protections::none()),
            map: Some(map),
        })
    }

    /// A view of `size` bytes at `base` that the caller owns (a C caller's
    /// `struct ukvm_hv`), with the given protections.
    ///
    /// # Safety
    /// `base..base+size` must stay mapped for as long as the view and the
    /// slices it hands out are used. Its protections are what `prot` says
    /// or more permissive.
    pub unsafe fn from_raw(base: *mut u8, size: usize, prot: Protections) -> GuestMem {
        GuestMem {
            base,
            size,
            prot: UnsafeCell::new(prot),
            map: None,
        }
    }

    /// Host address of guest physical address 0 (`struct ukvm_hv`'s `mem`).
    pub fn host_base(&self) -> *mut u8 {
        self.base
    }

    /// Size in bytes (`mem_size`).
    pub fn size(&self) -> usize {
        self.size
    }

    /// The vm-memory object, when the monitor owns the memory.
    pub fn mmap(&self) -> Option<&GuestMemoryMmap> {
        self.map.as_ref()
    }

    /// Replace the protection snapshot: at start-up, after the kernel is
    /// loaded and every module is set up, or by whatever changes guest
    /// protections later.
    pub fn set_protections(&self, p: Protections) {
        // SAFETY: GuestMem is not Sync, so no other thread sees the cell;
        // no reference into it outlives a call of `with_protections`,
        // which runs no foreign code while it holds one.
        unsafe { *self.prot.get() = p }
    }

    /// Re-read the protections of the mapping from the kernel. Falls back
    /// to `fallback` where `/proc/self/maps` cannot be read.
    pub fn refresh_protections(&self, fallback: impl FnOnce() -> Protections) {
        let p = Protections::of_mapping(self.base, self.size).unwrap_or_else(|_| fallback());
        self.set_protections(p);
    }

    fn with_protections<R>(&self, f: impl FnOnce(&Protections) -> R) -> R {
        // SAFETY: see `set_protections`: single thread, and `f` (our own
        // range checks) cannot call `set_protections`.
        f(unsafe { &*self.prot.get() })
    }

    /// A copy of the current snapshot.
    pub fn protections(&self) -> Protections {
        self.with_protections(Protections::clone)
    }

    /// Upstream's range check alone (what C's `UKVM_CHECKED_GPA_P` does).
    pub fn check(&self, gpa: ukvm_gpa_t, size: usize) -> Result<(), GuestAccessError> {
        check_range(self.size, gpa, size)
    }

    /// The host may read `len` bytes at `gpa` (inside memory and readable).
    pub fn can_read(&self, gpa: ukvm_gpa_t, len: usize) -> bool {
        self.check(gpa, len).is_ok() && self.with_protections(|p| p.readable(gpa, len as u64))
    }

    /// The host may write `len` bytes at `gpa` (inside memory and writable).
    pub fn can_write(&self, gpa: ukvm_gpa_t, len: usize) -> bool {
        self.check(gpa, len).is_ok() && self.with_protections(|p| p.writable(gpa, len as u64))
    }

    fn slice(&self, gpa: ukvm_gpa_t, len: usize) -> VolatileSlice<'_> {
        // SAFETY: callers passed check_range, so gpa < size and gpa + len <
        // size: the range lies inside the mapping, which lives as long as
        // `self` (owned, or the caller's promise to `from_raw`). Everything
        // else that touches guest RAM is the guest itself or C code through
        // raw pointers, never a Rust reference.
        unsafe { VolatileSlice::new(self.base.add(gpa as usize), len) }
    }

    /// `len` bytes at `gpa` that the host may read: a source for writes to
    /// files, taps and stdout.
    pub fn readable(&self, gpa: ukvm_gpa_t, len: usize) -> Result<VolatileSlice<'_>, MemError> {
        let e = GuestAccessError { gpa, size: len };
        self.check(gpa, len)?;
        if !self.with_protections(|p| p.readable(gpa, len as u64)) {
            return Err(MemError::NotReadable(e));
        }
        Ok(self.slice(gpa, len))
    }

    /// `len` bytes at `gpa` that the host may write: a destination for
    /// reads from files and taps.
    pub fn writable(&self, gpa: ukvm_gpa_t, len: usize) -> Result<VolatileSlice<'_>, MemError> {
        let e = GuestAccessError { gpa, size: len };
        self.check(gpa, len)?;
        if !self.with_protections(|p| p.writable(gpa, len as u64)) {
            return Err(MemError::NotWritable(e));
        }
        Ok(self.slice(gpa, len))
    }

    /// Read a guest struct (or integer) at `gpa`; any alignment. One
    /// volatile load of the whole value.
    #[inline]
    pub fn read_obj<T: ByteValued>(&self, gpa: ukvm_gpa_t) -> Result<T, MemError> {
        let s = self.readable(gpa, size_of::<T>())?;
        // The slice is exactly size_of::<T>() bytes, so this cannot fail.
        let r = s.get_ref::<T>(0).map_err(|_| {
            MemError::Range(GuestAccessError {
                gpa,
                size: size_of::<T>(),
            })
        })?;
        Ok(r.load())
    }

    /// Write a guest struct (or one field of it: an integer at the field's
    /// address) at `gpa`; any alignment. One volatile store.
    #[inline]
    pub fn write_obj<T: ByteValued>(&self, gpa: ukvm_gpa_t, value: T) -> Result<(), MemError> {
        let s = self.writable(gpa, size_of::<T>())?;
        let r = s.get_ref::<T>(0).map_err(|_| {
            MemError::Range(GuestAccessError {
                gpa,
                size: size_of::<T>(),
            })
        })?;
        r.store(value);
        Ok(())
    }

    /// Host pointer to `size` checked bytes at `gpa`, for C callers
    /// (`ukvm_checked_gpa_p`): range check only, as upstream.
    pub(crate) fn host_ptr(
        &self,
        gpa: ukvm_gpa_t,
        size: usize,
    ) -> Result<*mut u8, GuestAccessError> {
        self.check(gpa, size)?;
        Ok(self.base.wrapping_add(gpa as usize))
    }
}

#[cfg(test)]
mod tests;
