//! Identity-mapped guest page tables (4 KiB granule, 40-bit addresses),
//! built as bytes into a buffer that stands for the page-table area.
//!
//! Mapped: guest RAM except its first page, as normal write-back memory
//! (executable at EL1), and the 1 GiB MMIO window as Device-nGnRE.
//! Nothing else is mapped, so a guest NULL dereference or a stray access
//! above its RAM faults inside the guest.
//!
//! Differences from upstream (intended): upstream maps the whole 4 GiB
//! below the MMIO window with 1 GiB blocks whatever the RAM size, page 0
//! included. We map exactly `[4 KiB, ram_size)`, using 1 GiB, 2 MiB and
//! 4 KiB entries as alignment allows. Descriptor attributes, the
//! level-0 table at `PAGE_TABLE_BASE` and the MMIO block are the same.

use super::layout::{
    GUEST_PAGE_SIZE, MAX_RAM_SIZE, MMIO_BASE, MMIO_SIZE, PAGE_TABLE_BASE, PAGE_TABLE_END,
};
use std::fmt;

/// Bits `[1:0]` of a table descriptor (levels 0-2) or page descriptor (level 3).
pub const DESC_TABLE_OR_PAGE: u64 = 0b11;
/// Bits `[1:0]` of a block descriptor (levels 1-2).
pub const DESC_BLOCK: u64 = 0b01;
/// Access flag: set, so the first access does not fault.
pub const ATTR_AF: u64 = 1 << 10;
/// Shareability field: inner shareable.
pub const ATTR_SH_INNER: u64 = 3 << 8;
/// Privileged execute-never.
pub const ATTR_PXN: u64 = 1 << 53;
/// Unprivileged execute-never.
pub const ATTR_UXN: u64 = 1 << 54;

/// MAIR_EL1 slot holding Device-nGnRE (see `regs::MAIR_EL1_VALUE`).
pub const MT_DEVICE_NGNRE: u64 = 1;
/// MAIR_EL1 slot holding normal write-back memory.
pub const MT_NORMAL: u64 = 4;

/// AttrIndx field of a leaf descriptor.
pub const fn attr_index(slot: u64) -> u64 {
    slot << 2
}

/// Leaf attributes for guest RAM: normal memory, EL1 read/write/execute,
/// EL0 execute-never (upstream's PROT_SECT_NORMAL_EXEC without type bits).
pub const RAM_ATTRS: u64 = ATTR_AF | ATTR_SH_INNER | ATTR_UXN | attr_index(MT_NORMAL);
/// Leaf attributes for the MMIO window: device memory, never executable.
pub const MMIO_ATTRS: u64 =
    ATTR_AF | ATTR_SH_INNER | ATTR_PXN | ATTR_UXN | attr_index(MT_DEVICE_NGNRE);

/// Output-address bits of a descriptor (4 KiB granule, up to 48-bit PA).
pub const ADDR_MASK: u64 = 0x0000_ffff_ffff_f000;

/// Entries per table (4 KiB / 8 bytes).
pub const ENTRIES: u64 = 512;

/// log2 of the span of one entry at each level (0..=3).
pub const LEVEL_SHIFT: [u32; 4] = [39, 30, 21, 12];

/// Table pages a build can need: levels 0 and 1, level 2 and 3 tables for
/// the first 2 MiB (page 0 is left out), and level 2 and 3 tables for RAM
/// ending inside a 1 GiB and a 2 MiB block. A buffer this size always
/// suffices for `build_identity_tables`.
pub const MAX_TABLE_PAGES: usize = 6;

/// One identity-mapped range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub size: u64,
    pub attrs: u64,
}

/// What the guest's tables map for a given RAM size, in build order.
pub fn mapped_regions(ram_size: u64) -> [Region; 2] {
    [
        Region {
            start: GUEST_PAGE_SIZE,
            size: ram_size - GUEST_PAGE_SIZE,
            attrs: RAM_ATTRS,
        },
        Region {
            start: MMIO_BASE,
            size: MMIO_SIZE,
            attrs: MMIO_ATTRS,
        },
    ]
}

/// The result of a build: where the root table is and how much of the
/// area was used (pages are allocated from the start of the area).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageTables {
    /// Guest physical address of the level-0 table (value for TTBR0_EL1).
    pub root: u64,
    /// Number of 4 KiB table pages written at the start of the area.
    pub pages: usize,
}

impl PageTables {
    /// Bytes at the start of the area that hold tables.
    pub fn len(&self) -> usize {
        self.pages * GUEST_PAGE_SIZE as usize
    }

    /// Whether no table was written (never the case after a build).
    pub fn is_empty(&self) -> bool {
        self.pages == 0
    }
}

/// Why page tables could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagingError {
    /// RAM reaches into the MMIO window.
    RamTooLarge { ram_size: u64 },
    /// RAM does not even cover the page-table area.
    RamTooSmall { ram_size: u64 },
    /// RAM size is not a whole number of guest pages.
    RamUnaligned { ram_size: u64 },
    /// The buffer standing for the page-table area is too small.
    AreaFull { area_len: usize },
    /// A range would need a table where a leaf already is (or vice versa).
    Overlap { addr: u64 },
}

impl fmt::Display for PagingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PagingError::RamTooLarge { ram_size } => write!(
                f,
                "The guest memory [0x{ram_size:x}] exceeds the max size [0x{MAX_RAM_SIZE:x}]"
            ),
            PagingError::RamTooSmall { ram_size } => write!(
                f,
                "guest memory of 0x{ram_size:x} bytes does not cover the page tables (need 0x{PAGE_TABLE_END:x})"
            ),
            PagingError::RamUnaligned { ram_size } => {
                write!(f, "guest memory size 0x{ram_size:x} is not a multiple of 4 KiB")
            }
            PagingError::AreaFull { area_len } => {
                write!(f, "page tables do not fit in 0x{area_len:x} bytes")
            }
            PagingError::Overlap { addr } => {
                write!(f, "page table mappings overlap at 0x{addr:x}")
            }
        }
    }
}

impl std::error::Error for PagingError {}

/// Build identity page tables for `ram_size` bytes of RAM plus the MMIO
/// window into `area`, whose byte 0 is guest address `PAGE_TABLE_BASE`.
///
/// Only the returned `len()` bytes at the start of `area` are meaningful
/// (they are fully written, zeroes included); the rest is untouched.
pub fn build_identity_tables(area: &mut [u8], ram_size: u64) -> Result<PageTables, PagingError> {
    if ram_size > MAX_RAM_SIZE {
        return Err(PagingError::RamTooLarge { ram_size });
    }
    if ram_size < PAGE_TABLE_END {
        return Err(PagingError::RamTooSmall { ram_size });
    }
    if ram_size % GUEST_PAGE_SIZE != 0 {
        return Err(PagingError::RamUnaligned { ram_size });
    }
    let mut b = Builder { area, pages: 0 };
    let root = b.alloc()?;
    for r in mapped_regions(ram_size) {
        b.map(root, 0, r.start, r.start + r.size, r.attrs)?;
    }
    Ok(PageTables {
        root,
        pages: b.pages,
    })
}

struct Builder<'a> {
    area: &'a mut [u8],
    pages: usize,
}

impl Builder<'_> {
    /// Take the next zeroed page of the area; returns its guest address.
    fn alloc(&mut self) -> Result<u64, PagingError> {
        let page = GUEST_PAGE_SIZE as usize;
        let start = self.pages * page;
        let full = PagingError::AreaFull {
            area_len: self.area.len(),
        };
        let bytes = self.area.get_mut(start..start + page).ok_or(full)?;
        bytes.fill(0);
        self.pages += 1;
        Ok(PAGE_TABLE_BASE + start as u64)
    }

    fn slot(&mut self, table: u64, idx: u64) -> &mut [u8] {
        // `table` came from `alloc`, so the page lies inside the area.
        let off = (table - PAGE_TABLE_BASE + idx * 8) as usize;
        &mut self.area[off..off + 8]
    }

    fn get(&mut self, table: u64, idx: u64) -> u64 {
        let mut v = [0u8; 8];
        v.copy_from_slice(self.slot(table, idx));
        u64::from_le_bytes(v)
    }

    fn set(&mut self, table: u64, idx: u64, desc: u64) {
        self.slot(table, idx).copy_from_slice(&desc.to_le_bytes());
    }

    /// Map `[va, end)` identically through the table at `level`.
    fn map(
        &mut self,
        table: u64,
        level: usize,
        mut va: u64,
        end: u64,
        attrs: u64,
    ) -> Result<(), PagingError> {
        let shift = LEVEL_SHIFT[level];
        let span = 1u64 << shift;
        while va < end {
            let idx = (va >> shift) % ENTRIES;
            let entry_end = (va & !(span - 1)) + span;
            let chunk_end = end.min(entry_end);
            let whole = va % span == 0 && chunk_end == entry_end;
            let old = self.get(table, idx);
            if whole && level >= 1 {
                if old != 0 {
                    return Err(PagingError::Overlap { addr: va });
                }
                let kind = if level == 3 {
                    DESC_TABLE_OR_PAGE
                } else {
                    DESC_BLOCK
                };
                self.set(table, idx, va | attrs | kind);
            } else {
                let next = if old == 0 {
                    let t = self.alloc()?;
                    self.set(table, idx, t | DESC_TABLE_OR_PAGE);
                    t
                } else if old & 0b11 == DESC_TABLE_OR_PAGE {
                    old & ADDR_MASK
                } else {
                    return Err(PagingError::Overlap { addr: va });
                };
                self.map(next, level + 1, va, chunk_end, attrs)?;
            }
            va = chunk_end;
        }
        Ok(())
    }
}

// The worst case fits in the page-table area of the layout.
const _: () =
    assert!(PAGE_TABLE_BASE + (MAX_TABLE_PAGES as u64) * GUEST_PAGE_SIZE <= PAGE_TABLE_END);

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;

    fn entry(area: &[u8], table: u64, idx: u64) -> u64 {
        let off = (table - PAGE_TABLE_BASE + idx * 8) as usize;
        u64::from_le_bytes(area[off..off + 8].try_into().unwrap())
    }

    fn area() -> Vec<u8> {
        vec![0xa5; (PAGE_TABLE_END - PAGE_TABLE_BASE) as usize]
    }

    #[test]
    fn attribute_values_match_upstream_constants() {
        // PROT_SECT_NORMAL_EXEC and PROT_SECT_DEVICE_nGnRE in upstream.
        assert_eq!(RAM_ATTRS | DESC_BLOCK, 0x0040_0000_0000_0711);
        assert_eq!(MMIO_ATTRS | DESC_BLOCK, 0x0060_0000_0000_0705);
    }

    #[test]
    fn small_ram_layout_is_exact() {
        let mut a = area();
        let pt = build_identity_tables(&mut a, 512 * MIB).unwrap();
        assert_eq!(pt.root, 0x10000);
        // L0, L1, L2 for the first GiB, L3 for the first 2 MiB.
        assert_eq!(pt.pages, 4);
        assert_eq!(entry(&a, 0x10000, 0), 0x11000 | 3);
        assert!((1..512).all(|i| entry(&a, 0x10000, i) == 0));
        assert_eq!(entry(&a, 0x11000, 0), 0x12000 | 3);
        assert_eq!(entry(&a, 0x11000, 4), MMIO_BASE | MMIO_ATTRS | 1);
        for i in [1, 2, 3, 5, 511] {
            assert_eq!(entry(&a, 0x11000, i), 0, "L1[{i}]");
        }
        assert_eq!(entry(&a, 0x12000, 0), 0x13000 | 3);
        for i in 1..256 {
            assert_eq!(entry(&a, 0x12000, i), (i << 21) | RAM_ATTRS | 1);
        }
        assert!((256..512).all(|i| entry(&a, 0x12000, i) == 0));
        assert_eq!(entry(&a, 0x13000, 0), 0, "zero page is unmapped");
        for i in 1..512 {
            assert_eq!(entry(&a, 0x13000, i), (i << 12) | RAM_ATTRS | 3);
        }
        // Bytes past the used pages are left alone.
        assert!(a[pt.len()..].iter().all(|&b| b == 0xa5));
    }

    #[test]
    fn full_4gib_uses_gib_blocks() {
        let mut a = area();
        let pt = build_identity_tables(&mut a, 4 * GIB).unwrap();
        assert_eq!(pt.pages, 4);
        for i in 1..4 {
            assert_eq!(entry(&a, 0x11000, i), (i * GIB) | RAM_ATTRS | 1);
        }
        assert!((1..512).all(|i| entry(&a, 0x12000, i) == (i << 21) | RAM_ATTRS | 1));
    }

    #[test]
    fn partial_last_gib_gets_its_own_level2_table() {
        let mut a = area();
        let ram = GIB + 6 * MIB;
        let pt = build_identity_tables(&mut a, ram).unwrap();
        assert_eq!(pt.pages, 5);
        assert_eq!(entry(&a, 0x11000, 1), 0x14000 | 3);
        for i in 0..3 {
            assert_eq!(entry(&a, 0x14000, i), (GIB + (i << 21)) | RAM_ATTRS | 1);
        }
        assert_eq!(entry(&a, 0x14000, 3), 0);
    }

    #[test]
    fn smallest_ram_maps_pages_of_first_block() {
        let mut a = area();
        let pt = build_identity_tables(&mut a, 2 * MIB).unwrap();
        assert_eq!(pt.pages, 4);
        assert_eq!(entry(&a, 0x12000, 1), 0);
        assert_eq!(entry(&a, 0x13000, 511), (511 << 12) | RAM_ATTRS | 3);
    }

    #[test]
    fn ram_not_ending_on_a_block_uses_pages() {
        let mut a = area();
        build_identity_tables(&mut a, 3 * MIB).unwrap();
        // L2[1] is a table covering [2 MiB, 4 MiB); only its first half is mapped.
        assert_eq!(entry(&a, 0x12000, 1), 0x14000 | 3);
        assert_eq!(entry(&a, 0x14000, 0), (2 * MIB) | RAM_ATTRS | 3);
        assert_eq!(
            entry(&a, 0x14000, 255),
            (2 * MIB + 255 * 4096) | RAM_ATTRS | 3
        );
        assert_eq!(entry(&a, 0x14000, 256), 0);
    }

    #[test]
    fn bad_sizes_are_rejected() {
        let mut a = area();
        assert_eq!(
            build_identity_tables(&mut a, 4 * GIB + 2 * MIB),
            Err(PagingError::RamTooLarge {
                ram_size: 4 * GIB + 2 * MIB
            })
        );
        assert_eq!(
            build_identity_tables(&mut a, 0),
            Err(PagingError::RamTooSmall { ram_size: 0 })
        );
        assert_eq!(
            build_identity_tables(&mut a, 2 * MIB + 1),
            Err(PagingError::RamUnaligned {
                ram_size: 2 * MIB + 1
            })
        );
        assert_eq!(
            PagingError::RamTooLarge {
                ram_size: 0x100200000
            }
            .to_string(),
            "The guest memory [0x100200000] exceeds the max size [0x100000000]"
        );
    }

    #[test]
    fn too_small_area_is_an_error_not_a_panic() {
        for len in [0usize, 100, 4096, 3 * 4096, 4 * 4096 - 1] {
            let mut a = vec![0u8; len];
            assert_eq!(
                build_identity_tables(&mut a, 512 * MIB),
                Err(PagingError::AreaFull { area_len: len })
            );
        }
        let mut a = vec![0u8; 4 * 4096];
        assert!(build_identity_tables(&mut a, 512 * MIB).is_ok());
    }

    #[test]
    fn worst_case_needs_max_table_pages() {
        // RAM ending inside both a 1 GiB and a 2 MiB block, above 1 GiB.
        let ram = GIB + 2 * MIB + 3 * 4096;
        let mut a = vec![0u8; MAX_TABLE_PAGES * 4096];
        assert_eq!(
            build_identity_tables(&mut a, ram).unwrap().pages,
            MAX_TABLE_PAGES
        );
        let mut small = vec![0u8; (MAX_TABLE_PAGES - 1) * 4096];
        assert!(matches!(
            build_identity_tables(&mut small, ram),
            Err(PagingError::AreaFull { .. })
        ));
        // Every other shape needs fewer.
        for ram in [
            2 * MIB,
            3 * MIB + 4096,
            512 * MIB,
            GIB,
            3 * GIB + 2 * MIB,
            4 * GIB,
        ] {
            let mut a = vec![0u8; MAX_TABLE_PAGES * 4096];
            assert!(build_identity_tables(&mut a, ram).unwrap().pages <= MAX_TABLE_PAGES);
        }
    }
}
