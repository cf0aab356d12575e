//! ELF loader for unikernel images: checks every field it relies on, copies
//! PT_LOAD segments into guest memory and reports entry point and kernel end.
//!
//! The checking and copying work on any [`ReadAt`] byte source and a plain
//! `&mut [u8]` of guest memory, on any host. [`load_guest`] adds what the
//! monitor needs on top: opening the file and setting host protections on
//! the segments. `ukvm_elf_load`, the C entry point, is in `ffi`.
//!
//! Accepted, as by the C monitor: 64-bit little-endian ET_EXEC files for the
//! host's machine, PT_LOAD segments loaded at p_paddr, kernel end rounded up
//! to p_align. Refused with an error where the C monitor crashed or accepted
//! nonsense: p_filesz > p_memsz, e_phentsize other than 56, e_phnum 0 or
//! PN_XNUM, reads past the end of the file, segments below 1 MiB, not
//! page-aligned, overlapping or past guest memory, any arithmetic overflow,
//! and an entry point outside every segment.

#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

mod error;
mod ffi;
pub mod header;
mod load;
pub mod phdr;
pub mod protect;
mod source;

use std::fs::File;
use std::path::Path;

pub use error::{ElfError, Part};
pub use phdr::Segment;
pub use source::{read_full, ReadAt};

/// e_machine of x86_64.
pub const EM_X86_64: u16 = 62;
/// e_machine of AArch64.
pub const EM_AARCH64: u16 = 183;

/// The e_machine this build runs kernels for.
#[cfg(target_arch = "x86_64")]
pub const HOST_MACHINE: u16 = EM_X86_64;
/// The e_machine this build runs kernels for.
#[cfg(target_arch = "aarch64")]
pub const HOST_MACHINE: u16 = EM_AARCH64;
/// The e_machine this build runs kernels for (none on this architecture).
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub const HOST_MACHINE: u16 = 0;

/// Size of an Elf64_Phdr, the only e_phentsize accepted.
pub const PHDR_SIZE: usize = 56;
/// Lowest guest address a segment may start at; the monitor keeps page
/// tables, boot info and the command line below it.
pub const MIN_GPA: u64 = 0x10_0000;
/// Guest page size: segments start on this boundary.
pub const PAGE_SIZE: u64 = 0x1000;

/// What a successful load tells the monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// e_entry: where the vCPU starts.
    pub entry: u64,
    /// First guest address past the kernel: the highest segment end, each
    /// rounded up to its p_align if that is a power of two.
    pub end: u64,
    /// The loaded PT_LOAD segments, in program header order.
    pub segments: Vec<Segment>,
}

/// Check the ELF image in `src` and load it into `mem` (guest physical
/// address 0 at `mem[0]`). Nothing outside the segments' ranges of `mem` is
/// written, and nothing at all unless the headers passed every check.
pub fn load<R: ReadAt + ?Sized>(src: &R, mem: &mut [u8], machine: u16) -> Result<Loaded, ElfError> {
    let mut ehdr = [0u8; header::EHDR_SIZE];
    let got = read_full(src, &mut ehdr, 0).map_err(|err| ElfError::Read {
        part: Part::Header,
        offset: 0,
        err,
    })?;
    if got < ehdr.len() {
        // Say "not an ELF file" rather than "too short" when we can tell.
        if got >= 4 {
            header::check_magic(&ehdr)?;
        }
        return Err(ElfError::Truncated {
            part: Part::Header,
            offset: 0,
            len: header::EHDR_SIZE as u64,
            got: got as u64,
        });
    }
    let hdr = header::parse(&ehdr, machine)?;

    let size = hdr.phdr_table_size();
    // At most 0xfffe * 56 bytes: e_phnum is a u16 and PN_XNUM is refused.
    let mut table = vec![0u8; usize::try_from(size).unwrap_or(0)];
    let part = Part::ProgramHeaders;
    let got = read_full(src, &mut table, hdr.phoff).map_err(|err| ElfError::Read {
        part,
        offset: hdr.phoff,
        err,
    })?;
    if got as u64 != size {
        return Err(ElfError::Truncated {
            part,
            offset: hdr.phoff,
            len: size,
            got: got as u64,
        });
    }
    let phdrs = phdr::parse_table(&table);
    let plan = phdr::plan(&phdrs, mem.len() as u64)?;
    if !plan
        .segments
        .iter()
        .any(|s| s.gpa <= hdr.entry && hdr.entry < s.end())
    {
        return Err(ElfError::EntryOutsideSegments { entry: hdr.entry });
    }
    load::copy_segments(src, &plan.segments, mem)?;
    Ok(Loaded {
        entry: hdr.entry,
        end: plan.end,
        segments: plan.segments,
    })
}

/// Open `path` and [`load`] it.
pub fn load_path(path: &Path, mem: &mut [u8], machine: u16) -> Result<Loaded, ElfError> {
    load(&open_kernel(path)?, mem, machine)
}

/// Open the kernel image for reading. O_NONBLOCK keeps open(2) from
/// waiting for a writer when the path is a FIFO; anything but a regular
/// file (or a directory, whose reads fail with EISDIR as upstream reports)
/// is refused before a read could block.
fn open_kernel(path: &Path) -> Result<File, ElfError> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(ElfError::Open)?;
    let kind = file.metadata().map_err(ElfError::Open)?.file_type();
    let refused = if kind.is_fifo() {
        "FIFO"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_char_device() {
        "character device"
    } else if kind.is_block_device() {
        "block device"
    } else {
        return Ok(file);
    };
    Err(ElfError::NotRegularFile { kind: refused })
}

/// Load the kernel at `path` into the guest memory mapping `mem` of
/// `mem_size` bytes, then set each segment's host protections from its
/// p_flags, as the C monitor does. Prints the C monitor's warning for a
/// segment that asks to be writable and executable.
///
/// # Safety
///
/// `mem` must be the page-aligned start of a mapping of `mem_size` bytes,
/// readable and writable, that nothing else accesses during the call; after
/// it, the segments' pages may be read-only or not accessible to the host.
pub unsafe fn load_guest(
    path: &Path,
    mem: *mut u8,
    mem_size: usize,
    machine: u16,
) -> Result<Loaded, ElfError> {
    let loaded = {
        // SAFETY: the caller guarantees `mem` is valid for reads and writes
        // of `mem_size` bytes and not accessed elsewhere meanwhile; the slice
        // is dropped before the protections change.
        let slice = unsafe { std::slice::from_raw_parts_mut(mem, mem_size) };
        load_path(path, slice, machine)?
    };
    for seg in loaded.segments.iter().filter(|s| s.is_write_exec()) {
        crate::diag::warn(&format!(
            "{}: Warning: phdr[{}] requests WRITE and EXEC permissions",
            path.display(),
            seg.index
        ));
    }
    // SAFETY: as required of our caller; no reference into `mem` is live.
    unsafe { protect::apply(mem, mem_size, &loaded.segments) }?;
    Ok(loaded)
}

#[cfg(test)]
mod tests;
