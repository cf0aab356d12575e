//! The one checked accessor for guest memory. A (gpa, size) range passes
//! upstream's range check, then the host-protection snapshot for the kind
//! of access, and only then becomes a `VolatileSlice` (vm-memory) or a
//! typed `read_obj`/`write_obj` of a `ByteValued` guest struct. Guest RAM
//! is never turned into `&[u8]`: the guest may change it at any time.

use std::cell::UnsafeCell;
use std::fmt;
use std::panic::Location;

use vm_memory::{ByteValued, Bytes, GuestAddress, GuestMemoryBackend, GuestMemoryMmap, VolatileSlice};

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

    /// Read a guest struct (or integer) at `gpa`; any alignment.
    pub fn read_obj<T: ByteValued>(&self, gpa: ukvm_gpa_t) -> Result<T, MemError> {
        let s = self.readable(gpa, size_of::<T>())?;
        // The slice is exactly size_of::<T>() bytes, so this cannot fail.
        s.read_obj(0).map_err(|_| MemError::Range(GuestAccessError { gpa, size: size_of::<T>() }))
    }

    /// Write a guest struct (or one field of it: an integer at the field's
    /// address) at `gpa`; any alignment.
    pub fn write_obj<T: ByteValued>(&self, gpa: ukvm_gpa_t, value: T) -> Result<(), MemError> {
        let s = self.writable(gpa, size_of::<T>())?;
        s.write_obj(value, 0)
            .map_err(|_| MemError::Range(GuestAccessError { gpa, size: size_of::<T>() }))
    }

    /// Host pointer to `size` checked bytes at `gpa`, for C callers
    /// (`ukvm_checked_gpa_p`): range check only, as upstream.
    pub(crate) fn host_ptr(&self, gpa: ukvm_gpa_t, size: usize) -> Result<*mut u8, GuestAccessError> {
        self.check(gpa, size)?;
        Ok(self.base.wrapping_add(gpa as usize))
    }
}

/// Transitional: the accessor's former interface, kept only until the
/// Rust blk/net modules use the one above (see core-interface.md). New
/// code must not use these.
impl GuestMem {
    /// Former `GuestMem::new`: [`from_raw`](Self::from_raw) with nothing
    /// protected.
    ///
    /// # Safety
    /// As for [`from_raw`](Self::from_raw).
    pub unsafe fn new(base: *mut u8, size: usize) -> GuestMem {
        // SAFETY: forwarded caller guarantee.
        unsafe { GuestMem::from_raw(base, size, Protections::none()) }
    }

    /// Former `GuestMem::from_hv`: a view of `hv`'s memory, nothing
    /// protected.
    ///
    /// # Safety
    /// `hv` must point to a valid `struct ukvm_hv` whose `mem`/`mem_size`
    /// describe mapped guest memory that outlives the view.
    pub unsafe fn from_hv(hv: *const crate::abi::UkvmHv) -> GuestMem {
        // SAFETY: the caller guarantees `hv` is valid to read.
        let hv = unsafe { &*hv };
        // SAFETY: the caller guarantees the memory it describes.
        unsafe { GuestMem::from_raw(hv.mem, hv.mem_size, Protections::none()) }
    }

    /// Former `ptr`: range check only.
    pub fn ptr(&self, gpa: ukvm_gpa_t, size: usize) -> Result<*mut u8, GuestAccessError> {
        self.host_ptr(gpa, size)
    }

    /// Former `read`: [`read_obj`](Self::read_obj), any refusal as a range
    /// error.
    pub fn read<T: ByteValued>(&self, gpa: ukvm_gpa_t) -> Result<T, GuestAccessError> {
        self.read_obj(gpa).map_err(|e| e.range())
    }

    /// Former `write`: [`write_obj`](Self::write_obj), any refusal as a
    /// range error.
    pub fn write<T: ByteValued>(&self, gpa: ukvm_gpa_t, value: T) -> Result<(), GuestAccessError> {
        self.write_obj(gpa, value).map_err(|e| e.range())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{ukvm_blkread, ukvm_poll};
    use crate::elf::protect::Protection;

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
        assert_eq!(MemError::NotWritable(e).to_string(), e.to_string());
    }

    fn page() -> u64 {
        crate::elf::protect::host_page_size()
    }

    /// Four host pages: page 1 read-only, page 2 without access, in the
    /// snapshot only (the mapping itself stays read-write: a wrong answer
    /// shows as a passed access, not a crash).
    fn protected() -> GuestMem {
        let mem = GuestMem::anonymous(4 * page() as usize).unwrap();
        let runs = [
            Protection { index: 0, start: page(), len: page(), prot: libc::PROT_READ },
            Protection { index: 1, start: 2 * page(), len: page(), prot: libc::PROT_NONE },
        ];
        mem.set_protections(Protections::from_runs(&runs));
        mem
    }

    #[test]
    fn typed_access_round_trips_unaligned() {
        let mem = GuestMem::anonymous(64 << 10).unwrap();
        mem.write_obj::<u64>(3, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(mem.read_obj::<u64>(3).unwrap(), 0x1122_3344_5566_7788);
        assert_eq!(mem.read_obj::<u8>(3).unwrap(), 0x88);
        let top = (64 << 10) - 8;
        assert_eq!(
            mem.write_obj::<u64>(top, 1),
            Err(MemError::Range(GuestAccessError { gpa: top, size: 8 })),
            "ends at the top"
        );
        let r = ukvm_blkread { sector: 1, data: 2, len: 3, ret: -1, ..Default::default() };
        mem.write_obj(0x101, r).unwrap();
        let back: ukvm_blkread = mem.read_obj(0x101).unwrap();
        assert_eq!((back.sector, back.data, back.len, back.ret), (1, 2, 3, -1));
    }

    #[test]
    fn protections_refuse_by_kind() {
        let mem = protected();
        let p = page();
        assert_eq!(mem.read_obj::<u32>(p).unwrap(), 0, "read-only page reads");
        assert_eq!(
            mem.write_obj::<u32>(p + 4, 1),
            Err(MemError::NotWritable(GuestAccessError { gpa: p + 4, size: 4 }))
        );
        assert_eq!(
            mem.read_obj::<ukvm_poll>(2 * p - 8).map(|_| ()),
            Err(MemError::NotReadable(GuestAccessError { gpa: 2 * p - 8, size: 16 })),
            "straddles into the PROT_NONE page"
        );
        assert!(mem.readable(0, p as usize).is_ok() && mem.writable(3 * p, 16).is_ok());
        assert!(!mem.can_write(p - 1, 2) && mem.can_write(p - 1, 1));
        assert!(!mem.can_read(2 * p, 1) && mem.can_read(3 * p, 1));
        assert!(mem.writable(p, 0).is_ok(), "empty ranges touch nothing");
        assert!(!mem.can_read(4 * p, 0), "but are range-checked");
    }

    #[test]
    fn refresh_reads_the_real_mapping() {
        let mem = GuestMem::anonymous(4 * page() as usize).unwrap();
        let p = page() as usize;
        // SAFETY: page 1 lies inside the mapping; no slice of it is live.
        let rc = unsafe { libc::mprotect(mem.host_base().add(p).cast(), p, libc::PROT_READ) };
        assert_eq!(rc, 0);
        assert!(mem.can_write(p as u64, 1), "snapshot not taken yet");
        mem.refresh_protections(Protections::none);
        assert!(!mem.can_write(p as u64, 1) && mem.can_read(p as u64, p));
        assert!(mem.can_write(0, p) && mem.can_write(2 * p as u64, p));
    }

    #[test]
    fn slices_see_what_typed_access_wrote() {
        let mem = GuestMem::anonymous(64 << 10).unwrap();
        mem.writable(0x200, 5).unwrap().copy_from(b"hello");
        let mut got = [0u8; 5];
        mem.readable(0x200, 5).unwrap().copy_to(&mut got[..]);
        assert_eq!(&got, b"hello");
        assert_eq!(mem.read_obj::<[u8; 5]>(0x200).unwrap(), *b"hello");
    }

    #[test]
    fn a_view_of_foreign_memory_checks_the_same_way() {
        let mut buf = vec![0u8; 256];
        // SAFETY: buf outlives the view.
        let mem = unsafe { GuestMem::from_raw(buf.as_mut_ptr(), buf.len(), Protections::none()) };
        mem.write_obj::<u16>(10, 0xbeef).unwrap();
        assert!(mem.read_obj::<u64>(250).is_err());
        assert_eq!(mem.host_ptr(16, 8).unwrap() as usize, buf.as_ptr() as usize + 16);
        drop(mem);
        assert_eq!(u16::from_ne_bytes([buf[10], buf[11]]), 0xbeef);
    }
}
