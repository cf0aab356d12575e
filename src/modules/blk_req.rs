//! Block geometry and request validation (pure): which byte range of the
//! disk a guest request covers, or why it is refused.

/// Bytes per sector, as upstream: fixed at 512.
pub const SECTOR_SIZE: u64 = 512;

/// What the guest is told about the disk (BLKINFO).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub sector_size: u64,
    pub num_sectors: u64,
    pub rw: bool,
}

impl Geometry {
    /// The geometry of an image of `file_size` bytes: whole 512-byte
    /// sectors only (a trailing partial sector is not visible, as upstream).
    pub fn for_size(file_size: u64, rw: bool) -> Self {
        Geometry {
            sector_size: SECTOR_SIZE,
            num_sectors: file_size / SECTOR_SIZE,
            rw,
        }
    }

    /// Bytes the guest can address.
    pub fn capacity(&self) -> u64 {
        self.num_sectors.saturating_mul(self.sector_size)
    }

    /// The disk offset of a request for `len` bytes at `sector`, if the
    /// whole range lies on the disk. As upstream: the sector must exist and
    /// `sector * 512 + len` must not pass the end; `len` need not be a
    /// multiple of the sector size, and 0 is allowed. Unlike upstream, a
    /// `len` above SSIZE_MAX is simply out of range (no assertion).
    pub fn span(&self, sector: u64, len: u64) -> Option<u64> {
        if sector >= self.num_sectors {
            return None;
        }
        let pos = sector.checked_mul(self.sector_size)?;
        let end = pos.checked_add(len)?;
        (end <= self.capacity() && end <= i64::MAX as u64).then_some(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(sectors: u64) -> Geometry {
        Geometry::for_size(sectors * 512, true)
    }

    #[test]
    fn geometry_counts_whole_sectors() {
        assert_eq!(Geometry::for_size(0, true).num_sectors, 0);
        assert_eq!(Geometry::for_size(511, true).num_sectors, 0);
        assert_eq!(Geometry::for_size(512 * 3 + 100, true).num_sectors, 3);
        assert_eq!(Geometry::for_size(1 << 20, false).sector_size, 512);
    }

    #[test]
    fn requests_inside_the_disk_are_accepted() {
        let g = disk(8);
        assert_eq!(g.span(0, 512), Some(0));
        assert_eq!(g.span(7, 512), Some(7 * 512));
        assert_eq!(g.span(0, 8 * 512), Some(0));
        assert_eq!(g.span(3, 0), Some(3 * 512));
        assert_eq!(
            g.span(2, 100),
            Some(1024),
            "partial sectors allowed, as upstream"
        );
    }

    #[test]
    fn requests_past_the_end_are_refused() {
        let g = disk(8);
        assert_eq!(g.span(8, 0), None, "sector must exist");
        assert_eq!(g.span(7, 513), None);
        assert_eq!(g.span(0, 8 * 512 + 1), None);
        assert_eq!(g.span(u64::MAX, 1), None);
        assert_eq!(disk(0).span(0, 0), None, "empty disk has no sector 0");
    }

    #[test]
    fn lengths_that_crash_upstream_are_plain_errors() {
        let g = disk(8);
        assert_eq!(g.span(0, i64::MAX as u64 + 1), None, "len > SSIZE_MAX");
        assert_eq!(g.span(1, u64::MAX), None, "pos + len wraps");
        assert_eq!(g.span(0, u64::MAX), None);
    }

    #[test]
    fn huge_disks_do_not_overflow() {
        let g = Geometry {
            sector_size: 512,
            num_sectors: u64::MAX / 256,
            rw: true,
        };
        assert_eq!(g.capacity(), u64::MAX);
        assert_eq!(g.span(1 << 40, 512), Some(1 << 49));
        assert_eq!(g.span(u64::MAX / 512, 0), None, "beyond off_t");
        assert_eq!(g.span(u64::MAX / 512 + 1, 0), None, "position overflows");
        assert_eq!(g.span(1 << 54, 1 << 62), None, "beyond off_t");
    }

    #[test]
    fn agrees_with_wide_arithmetic() {
        for sectors in [0u64, 1, 2, 8, 1000] {
            let g = disk(sectors);
            for sector in [0u64, 1, 2, 7, 8, 999, 1000, u64::MAX] {
                for len in [0u64, 1, 511, 512, 513, 4096, 512 * 1000, u64::MAX] {
                    let end = sector as u128 * 512 + len as u128;
                    let want = sector < sectors && end <= sectors as u128 * 512;
                    assert_eq!(
                        g.span(sector, len).is_some(),
                        want,
                        "{sectors} {sector} {len}"
                    );
                }
            }
        }
    }
}
