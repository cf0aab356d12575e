//! A small, independent AArch64 stage-1 table walker (4 KiB granule,
//! 40-bit VA, start at level 0) for checking page-table bytes in tests.

/// Leaf attribute bits: upper [63:52] and lower [11:2].
pub const LEAF_ATTR_MASK: u64 = 0xfff0_0000_0000_0ffc;
const OA_MASK: u64 = 0x0000_ffff_ffff_f000;
const SHIFT: [u32; 4] = [39, 30, 21, 12];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf {
    /// Output address for the walked VA.
    pub pa: u64,
    /// Leaf attributes (LEAF_ATTR_MASK bits of the descriptor).
    pub attrs: u64,
    /// Level the leaf was found at (1 = 1 GiB block, 2 = 2 MiB, 3 = page).
    pub level: usize,
}

/// Walk `va` through tables stored in `area` (byte 0 = guest address
/// `base`), starting at the table at guest address `root`. Ok(None) means
/// the VA is unmapped; Err describes a malformed table.
pub fn walk(area: &[u8], base: u64, root: u64, va: u64) -> Result<Option<Leaf>, String> {
    if va >> 40 != 0 {
        return Ok(None);
    }
    let mut table = root;
    for (level, &shift) in SHIFT.iter().enumerate() {
        let idx = (va >> shift) & 511;
        let addr = table + idx * 8;
        let off = addr
            .checked_sub(base)
            .ok_or_else(|| format!("table entry 0x{addr:x} below the area"))?
            as usize;
        let bytes = area
            .get(off..off + 8)
            .ok_or_else(|| format!("table entry 0x{addr:x} past the area"))?;
        let desc = u64::from_le_bytes(bytes.try_into().unwrap());
        if desc & 1 == 0 {
            return Ok(None);
        }
        let is_table_or_page = desc & 2 != 0;
        if level == 3 {
            if !is_table_or_page {
                return Err(format!("reserved descriptor 0x{desc:x} at level 3"));
            }
        } else if is_table_or_page {
            table = desc & OA_MASK;
            continue;
        } else if level == 0 {
            return Err(format!("block descriptor 0x{desc:x} at level 0"));
        }
        let span = 1u64 << shift;
        let out = desc & OA_MASK & !(span - 1);
        if desc & OA_MASK & (span - 1) != 0 {
            return Err(format!("misaligned block 0x{desc:x} at level {level}"));
        }
        return Ok(Some(Leaf {
            pa: out | (va & (span - 1)),
            attrs: desc & LEAF_ATTR_MASK,
            level,
        }));
    }
    unreachable!("level 3 always returns")
}
