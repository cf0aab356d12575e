//! Program headers: decoding the table and checking every PT_LOAD segment
//! against the file, guest memory and the other segments.

use super::error::ElfError;
use super::header::{u32_at, u64_at};
use super::{MIN_GPA, PAGE_SIZE, PHDR_SIZE};

/// p_type of a segment to load.
pub const PT_LOAD: u32 = 1;
/// p_flags bits.
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

/// Byte offsets of the Elf64_Phdr fields.
pub mod off {
    pub const P_TYPE: usize = 0;
    pub const P_FLAGS: usize = 4;
    pub const P_OFFSET: usize = 8;
    pub const P_VADDR: usize = 16;
    pub const P_PADDR: usize = 24;
    pub const P_FILESZ: usize = 32;
    pub const P_MEMSZ: usize = 40;
    pub const P_ALIGN: usize = 48;
}

/// One decoded Elf64_Phdr (p_vaddr is not used: the monitor loads at p_paddr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramHeader {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub paddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

/// Decode a program header table (`PHDR_SIZE` bytes per entry).
pub fn parse_table(table: &[u8]) -> Vec<ProgramHeader> {
    table
        .chunks_exact(PHDR_SIZE)
        .map(|e| ProgramHeader {
            p_type: u32_at(e, off::P_TYPE),
            flags: u32_at(e, off::P_FLAGS),
            offset: u64_at(e, off::P_OFFSET),
            paddr: u64_at(e, off::P_PADDR),
            filesz: u64_at(e, off::P_FILESZ),
            memsz: u64_at(e, off::P_MEMSZ),
            align: u64_at(e, off::P_ALIGN),
        })
        .collect()
}

/// A PT_LOAD segment that passed every check: its file bytes
/// `offset..offset+filesz` go to guest `gpa..gpa+filesz`, and guest
/// `gpa+filesz..gpa+memsz` is zeroed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Index of its program header.
    pub index: u16,
    pub gpa: u64,
    pub offset: u64,
    pub filesz: u64,
    pub memsz: u64,
    /// p_flags (PF_R, PF_W, PF_X).
    pub flags: u32,
}

impl Segment {
    /// One past the last guest byte of the segment.
    pub fn end(&self) -> u64 {
        // Checked in `check_segment`: cannot overflow.
        self.gpa.saturating_add(self.memsz)
    }

    /// Whether the segment asks to be both writable and executable.
    pub fn is_write_exec(&self) -> bool {
        self.flags & PF_W != 0 && self.flags & PF_X != 0
    }
}

/// The segments to load, in program header order, and the kernel end: the
/// highest segment end, each rounded up to its p_align when that is a power
/// of two (what the C monitor reports as the end of the kernel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub segments: Vec<Segment>,
    pub end: u64,
}

/// Check one PT_LOAD header and return it as a segment and its aligned end.
fn check_segment(
    index: u16,
    ph: &ProgramHeader,
    mem_size: u64,
) -> Result<(Segment, u64), ElfError> {
    let ProgramHeader {
        flags,
        offset,
        paddr,
        filesz,
        memsz,
        align,
        ..
    } = *ph;
    if filesz > memsz {
        return Err(ElfError::FileszExceedsMemsz {
            index,
            filesz,
            memsz,
        });
    }
    if offset.checked_add(filesz).is_none() {
        return Err(ElfError::FileRangeOverflow {
            index,
            offset,
            filesz,
        });
    }
    let Some(end) = paddr.checked_add(memsz) else {
        return Err(ElfError::AddressOverflow {
            index,
            paddr,
            memsz,
        });
    };
    if paddr < MIN_GPA {
        return Err(ElfError::BelowMinimum {
            index,
            paddr,
            min: MIN_GPA,
        });
    }
    if paddr % PAGE_SIZE != 0 {
        return Err(ElfError::Misaligned {
            index,
            paddr,
            page: PAGE_SIZE,
        });
    }
    // As in the C monitor, the segment must end strictly below mem_size.
    if end >= mem_size {
        return Err(ElfError::OutsideMemory {
            index,
            paddr,
            memsz,
            mem_size,
        });
    }
    let aligned_end = if align.is_power_of_two() {
        let mask = align.wrapping_sub(1);
        match end.checked_add(mask) {
            Some(e) => e & !mask,
            None => {
                return Err(ElfError::AddressOverflow {
                    index,
                    paddr,
                    memsz,
                })
            }
        }
    } else {
        // p_align 0 or not a power of two: no rounding, as upstream.
        end
    };
    if aligned_end > mem_size {
        return Err(ElfError::AlignedEndOutsideMemory {
            index,
            end: aligned_end,
            align,
            mem_size,
        });
    }
    Ok((
        Segment {
            index,
            gpa: paddr,
            offset,
            filesz,
            memsz,
            flags,
        },
        aligned_end,
    ))
}

/// Check every PT_LOAD segment; other segment types are ignored.
pub fn plan(phdrs: &[ProgramHeader], mem_size: u64) -> Result<Plan, ElfError> {
    let mut segments = Vec::new();
    let mut end = 0u64;
    for (i, ph) in phdrs.iter().enumerate() {
        if ph.p_type != PT_LOAD {
            continue;
        }
        // The header checked e_phnum < 0xffff, so every index fits.
        let index = u16::try_from(i).unwrap_or(u16::MAX);
        let (seg, seg_end) = check_segment(index, ph, mem_size)?;
        end = end.max(seg_end);
        segments.push(seg);
    }
    if segments.is_empty() {
        return Err(ElfError::NoLoadSegments);
    }
    check_overlaps(&segments)?;
    Ok(Plan { segments, end })
}

/// Refuse segments sharing guest addresses (empty segments share none).
fn check_overlaps(segments: &[Segment]) -> Result<(), ElfError> {
    let mut sorted: Vec<&Segment> = segments.iter().filter(|s| s.memsz > 0).collect();
    sorted.sort_by_key(|s| (s.gpa, s.index));
    for pair in sorted.windows(2) {
        if let [a, b] = pair {
            if a.end() > b.gpa {
                return Err(ElfError::Overlap {
                    first: a.index,
                    first_end: a.end(),
                    second: b.index,
                    second_start: b.gpa,
                });
            }
        }
    }
    Ok(())
}
