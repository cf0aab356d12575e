//! Why an ELF file was refused: one variant per problem, carrying the numbers.

use std::fmt;
use std::io;

/// The part of the file a read was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The 64-byte ELF file header.
    Header,
    /// The program header table.
    ProgramHeaders,
    /// The file contents of the PT_LOAD segment described by phdr[index].
    Segment(u16),
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Header => write!(f, "ELF header"),
            Part::ProgramHeaders => write!(f, "program header table"),
            Part::Segment(i) => write!(f, "phdr[{i}] file contents"),
        }
    }
}

/// An ELF file the loader refuses, or could not read.
///
/// `Display` gives one line. Format problems start with "Exec format error",
/// the words the C monitor prints for every malformed file; the rest of the
/// line names the field and the values at fault.
#[derive(Debug)]
pub enum ElfError {
    /// The file could not be opened.
    Open(io::Error),
    /// The path names a FIFO, socket or device, not a file: reading it
    /// could block forever (upstream's monitor hangs on a FIFO).
    NotRegularFile { kind: &'static str },
    /// Reading the file failed (not a short read: an I/O error).
    Read {
        part: Part,
        offset: u64,
        err: io::Error,
    },
    /// The file ends before `len` bytes at `offset` could be read.
    Truncated {
        part: Part,
        offset: u64,
        len: u64,
        got: u64,
    },
    /// The first four bytes are not 0x7f 'E' 'L' 'F'.
    BadMagic([u8; 4]),
    /// EI_CLASS is not ELFCLASS64.
    BadClass(u8),
    /// EI_DATA is not ELFDATA2LSB.
    BadData(u8),
    /// EI_VERSION is not EV_CURRENT.
    BadIdentVersion(u8),
    /// e_version is not EV_CURRENT.
    BadVersion(u32),
    /// e_type is not ET_EXEC.
    BadType(u16),
    /// e_machine is not the one this monitor runs.
    BadMachine { found: u16, expected: u16 },
    /// e_phentsize is not the size of an Elf64_Phdr.
    BadPhentsize(u16),
    /// e_phnum is 0.
    NoProgramHeaders,
    /// e_phnum is PN_XNUM (extended numbering, not supported).
    ExtendedPhnum,
    /// e_phoff plus the table size does not fit in 64 bits.
    PhdrTableOverflow { phoff: u64, size: u64 },
    /// No PT_LOAD segment at all.
    NoLoadSegments,
    /// p_filesz is larger than p_memsz.
    FileszExceedsMemsz { index: u16, filesz: u64, memsz: u64 },
    /// p_offset + p_filesz does not fit in 64 bits.
    FileRangeOverflow {
        index: u16,
        offset: u64,
        filesz: u64,
    },
    /// p_paddr + p_memsz (or its rounding to p_align) does not fit in 64 bits.
    AddressOverflow { index: u16, paddr: u64, memsz: u64 },
    /// The segment starts below the lowest address a kernel may use.
    BelowMinimum { index: u16, paddr: u64, min: u64 },
    /// p_paddr is not aligned to a guest page.
    Misaligned { index: u16, paddr: u64, page: u64 },
    /// The segment does not fit inside guest memory.
    OutsideMemory {
        index: u16,
        paddr: u64,
        memsz: u64,
        mem_size: u64,
    },
    /// The segment's end rounded up to p_align lies past guest memory.
    AlignedEndOutsideMemory {
        index: u16,
        end: u64,
        align: u64,
        mem_size: u64,
    },
    /// Two PT_LOAD segments share guest addresses: `first` is the one at
    /// the lower address.
    Overlap {
        first: u16,
        first_end: u64,
        second: u16,
        second_start: u64,
    },
    /// e_entry is not inside any PT_LOAD segment.
    EntryOutsideSegments { entry: u64 },
    /// Setting host memory protections for a segment failed.
    Protect {
        index: u16,
        gpa: u64,
        len: u64,
        err: io::Error,
    },
}

impl ElfError {
    /// The I/O error behind this one, if any: the C monitor reports those
    /// as `file: <strerror>` rather than as a format error.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            ElfError::Open(e) | ElfError::Read { err: e, .. } => Some(e),
            _ => None,
        }
    }
}

const ENOEXEC: &str = "Exec format error";

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ElfError::*;
        match self {
            Open(e) => write!(f, "cannot open: {e}"),
            NotRegularFile { kind } => write!(f, "not a regular file (a {kind})"),
            Read { part, offset, err } => {
                write!(f, "cannot read {part} at offset {offset:#x}: {err}")
            }
            Protect {
                index,
                gpa,
                len,
                err,
            } => write!(
                f,
                "cannot set protection of phdr[{index}] memory \
                 {gpa:#x}+{len:#x}: {err}"
            ),
            _ => {
                write!(f, "{ENOEXEC}: ")?;
                self.fmt_format_problem(f)
            }
        }
    }
}

impl ElfError {
    fn fmt_format_problem(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ElfError::*;
        match self {
            Truncated {
                part,
                offset,
                len,
                got,
            } => write!(
                f,
                "{part} ({len:#x} bytes at offset {offset:#x}) runs past the \
                 end of the file ({got:#x} bytes there)"
            ),
            BadMagic(m) => write!(
                f,
                "not an ELF file (magic {:02x} {:02x} {:02x} {:02x})",
                m[0], m[1], m[2], m[3]
            ),
            BadClass(c) => write!(f, "ELF class {c} is not ELFCLASS64 (2)"),
            BadData(d) => {
                write!(f, "data encoding {d} is not little-endian ELFDATA2LSB (1)")
            }
            BadIdentVersion(v) => write!(f, "EI_VERSION {v} is not EV_CURRENT (1)"),
            BadVersion(v) => write!(f, "e_version {v} is not EV_CURRENT (1)"),
            BadType(t) => write!(f, "e_type {t} is not ET_EXEC (2)"),
            BadMachine { found, expected } => write!(
                f,
                "e_machine {found} ({}) is not {expected} ({})",
                machine_name(*found),
                machine_name(*expected)
            ),
            BadPhentsize(s) => {
                write!(f, "e_phentsize {s} is not the size of Elf64_Phdr (56)")
            }
            NoProgramHeaders => write!(f, "no program headers (e_phnum is 0)"),
            ExtendedPhnum => write!(
                f,
                "e_phnum 0xffff (PN_XNUM, extended numbering) is not supported"
            ),
            PhdrTableOverflow { phoff, size } => write!(
                f,
                "program header table at offset {phoff:#x} size {size:#x} \
                 overflows 64 bits"
            ),
            NoLoadSegments => write!(f, "no PT_LOAD segment"),
            FileszExceedsMemsz {
                index,
                filesz,
                memsz,
            } => write!(
                f,
                "phdr[{index}]: p_filesz {filesz:#x} is larger than p_memsz {memsz:#x}"
            ),
            FileRangeOverflow {
                index,
                offset,
                filesz,
            } => write!(
                f,
                "phdr[{index}]: p_offset {offset:#x} + p_filesz {filesz:#x} \
                 overflows 64 bits"
            ),
            AddressOverflow {
                index,
                paddr,
                memsz,
            } => write!(
                f,
                "phdr[{index}]: p_paddr {paddr:#x} + p_memsz {memsz:#x} \
                 overflows 64 bits"
            ),
            BelowMinimum { index, paddr, min } => write!(
                f,
                "phdr[{index}]: p_paddr {paddr:#x} is below {min:#x}, \
                 where the monitor keeps its own data"
            ),
            Misaligned { index, paddr, page } => write!(
                f,
                "phdr[{index}]: p_paddr {paddr:#x} is not aligned to a \
                 {page:#x}-byte page"
            ),
            OutsideMemory {
                index,
                paddr,
                memsz,
                mem_size,
            } => write!(
                f,
                "phdr[{index}]: segment {paddr:#x}+{memsz:#x} does not fit in \
                 guest memory of {mem_size:#x} bytes"
            ),
            AlignedEndOutsideMemory {
                index,
                end,
                align,
                mem_size,
            } => write!(
                f,
                "phdr[{index}]: segment end rounded up to p_align {align:#x} \
                 is {end:#x}, past guest memory of {mem_size:#x} bytes"
            ),
            Overlap {
                first,
                first_end,
                second,
                second_start,
            } => write!(
                f,
                "phdr[{second}] starting at {second_start:#x} overlaps \
                 phdr[{first}] ending at {first_end:#x}"
            ),
            EntryOutsideSegments { entry } => {
                write!(
                    f,
                    "entry point e_entry {entry:#x} is not inside any PT_LOAD segment"
                )
            }
            Open(_) | NotRegularFile { .. } | Read { .. } | Protect { .. } => Ok(()),
        }
    }
}

fn machine_name(m: u16) -> &'static str {
    match m {
        super::EM_X86_64 => "x86_64",
        super::EM_AARCH64 => "aarch64",
        3 => "i386",
        40 => "arm",
        _ => "unknown",
    }
}

impl std::error::Error for ElfError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ElfError::Open(e)
            | ElfError::Read { err: e, .. }
            | ElfError::Protect { err: e, .. } => Some(e),
            _ => None,
        }
    }
}
