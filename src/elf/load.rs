//! Copying checked segments into guest memory and zeroing their bss.

use super::error::{ElfError, Part};
use super::phdr::Segment;
use super::source::{read_full, ReadAt};

/// The guest bytes `gpa..gpa+len` of `mem`, or the segment's bounds error.
fn guest_range<'m>(
    mem: &'m mut [u8],
    seg: &Segment,
    gpa: u64,
    len: u64,
) -> Result<&'m mut [u8], ElfError> {
    let mem_size = mem.len() as u64;
    let outside = || ElfError::OutsideMemory {
        index: seg.index,
        paddr: seg.gpa,
        memsz: seg.memsz,
        mem_size,
    };
    let start = usize::try_from(gpa).map_err(|_| outside())?;
    let len = usize::try_from(len).map_err(|_| outside())?;
    let end = start.checked_add(len).ok_or_else(outside)?;
    mem.get_mut(start..end).ok_or_else(outside)
}

/// Copy each segment's file bytes to its guest address and zero the rest of
/// its memory size. The segments were checked against `mem`'s size already;
/// the accesses are bounds-checked again all the same.
pub fn copy_segments<R: ReadAt + ?Sized>(
    src: &R,
    segments: &[Segment],
    mem: &mut [u8],
) -> Result<(), ElfError> {
    for seg in segments {
        let dst = guest_range(mem, seg, seg.gpa, seg.filesz)?;
        let got = read_full(src, dst, seg.offset).map_err(|err| ElfError::Read {
            part: Part::Segment(seg.index),
            offset: seg.offset,
            err,
        })?;
        if got as u64 != seg.filesz {
            return Err(ElfError::Truncated {
                part: Part::Segment(seg.index),
                offset: seg.offset,
                len: seg.filesz,
                got: got as u64,
            });
        }
        let bss_start = seg.gpa.saturating_add(seg.filesz);
        let bss_len = seg.memsz.saturating_sub(seg.filesz);
        guest_range(mem, seg, bss_start, bss_len)?.fill(0);
    }
    Ok(())
}
