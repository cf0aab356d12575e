//! The ELF file header: decoding its 64 bytes and checking the fields the
//! monitor depends on.

use super::error::ElfError;
use super::PHDR_SIZE;

/// Size of an Elf64_Ehdr.
pub const EHDR_SIZE: usize = 64;

const ELFMAG: [u8; 4] = [0x7f, b'E', b'L', b'F'];
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const EV_CURRENT: u8 = 1;
const ET_EXEC: u16 = 2;
/// e_phnum value announcing extended numbering (count in section 0).
const PN_XNUM: u16 = 0xffff;

/// Byte offsets of the Elf64_Ehdr fields we read.
pub mod off {
    pub const EI_CLASS: usize = 4;
    pub const EI_DATA: usize = 5;
    pub const EI_VERSION: usize = 6;
    pub const E_TYPE: usize = 16;
    pub const E_MACHINE: usize = 18;
    pub const E_VERSION: usize = 20;
    pub const E_ENTRY: usize = 24;
    pub const E_PHOFF: usize = 32;
    pub const E_PHENTSIZE: usize = 54;
    pub const E_PHNUM: usize = 56;
}

/// The header fields the loader uses, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub entry: u64,
    pub phoff: u64,
    pub phnum: u16,
}

impl Header {
    /// Size in bytes of the program header table.
    pub fn phdr_table_size(&self) -> u64 {
        u64::from(self.phnum).saturating_mul(PHDR_SIZE as u64)
    }
}

/// Read `N` bytes at `at`; zeros if out of range (callers pass constants
/// inside the buffer, so that never happens).
pub(super) fn bytes_at<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(s) = at.checked_add(N).and_then(|end| b.get(at..end)) {
        out.copy_from_slice(s);
    }
    out
}

pub(super) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes_at(b, at))
}

pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes_at(b, at))
}

pub(super) fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes_at(b, at))
}

/// Check the four magic bytes 0x7f 'E' 'L' 'F'.
pub fn check_magic(b: &[u8]) -> Result<(), ElfError> {
    let magic: [u8; 4] = bytes_at(b, 0);
    if magic != ELFMAG {
        return Err(ElfError::BadMagic(magic));
    }
    Ok(())
}

/// Check an ELF header for a 64-bit little-endian executable for `machine`
/// with a usable program header table.
pub fn parse(b: &[u8; EHDR_SIZE], machine: u16) -> Result<Header, ElfError> {
    check_magic(b)?;
    let class = b[off::EI_CLASS];
    if class != ELFCLASS64 {
        return Err(ElfError::BadClass(class));
    }
    let data = b[off::EI_DATA];
    if data != ELFDATA2LSB {
        return Err(ElfError::BadData(data));
    }
    let ident_version = b[off::EI_VERSION];
    if ident_version != EV_CURRENT {
        return Err(ElfError::BadIdentVersion(ident_version));
    }
    let e_type = u16_at(b, off::E_TYPE);
    if e_type != ET_EXEC {
        return Err(ElfError::BadType(e_type));
    }
    let found = u16_at(b, off::E_MACHINE);
    if found != machine {
        return Err(ElfError::BadMachine {
            found,
            expected: machine,
        });
    }
    let version = u32_at(b, off::E_VERSION);
    if version != u32::from(EV_CURRENT) {
        return Err(ElfError::BadVersion(version));
    }
    let phentsize = u16_at(b, off::E_PHENTSIZE);
    if usize::from(phentsize) != PHDR_SIZE {
        return Err(ElfError::BadPhentsize(phentsize));
    }
    let phnum = u16_at(b, off::E_PHNUM);
    if phnum == 0 {
        return Err(ElfError::NoProgramHeaders);
    }
    if phnum == PN_XNUM {
        return Err(ElfError::ExtendedPhnum);
    }
    let header = Header {
        entry: u64_at(b, off::E_ENTRY),
        phoff: u64_at(b, off::E_PHOFF),
        phnum,
    };
    let size = header.phdr_table_size();
    if header.phoff.checked_add(size).is_none() {
        return Err(ElfError::PhdrTableOverflow {
            phoff: header.phoff,
            size,
        });
    }
    Ok(header)
}
