//! Host-side memory protections of loaded segments, computed apart from
//! the mprotect(2) calls that apply them.
//!
//! The C monitor mprotects each PT_LOAD segment's pages in the host mapping
//! of guest memory according to p_flags, so a kernel's text is read-only
//! to the guest as well (KVM refuses guest writes to pages the host mapped
//! read-only). We do the same. When host pages are larger than the guest's
//! 4 KiB page, a host page shared by several segments gets the union of
//! their permissions.

use std::io;

use super::error::ElfError;
use super::phdr::{Segment, PF_R, PF_W, PF_X};

/// One mprotect(2) call: guest range `start..start+len` gets `prot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protection {
    /// Index of the program header the range (first) belongs to.
    pub index: u16,
    pub start: u64,
    pub len: u64,
    /// PROT_* bits.
    pub prot: i32,
}

impl Protection {
    fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }
}

/// PROT_* bits for p_flags.
pub fn prot_of(flags: u32) -> i32 {
    let mut prot = libc::PROT_NONE;
    if flags & PF_R != 0 {
        prot |= libc::PROT_READ;
    }
    if flags & PF_W != 0 {
        prot |= libc::PROT_WRITE;
    }
    if flags & PF_X != 0 {
        prot |= libc::PROT_EXEC;
    }
    prot
}

fn push(runs: &mut Vec<Protection>, run: Protection) {
    if run.len == 0 {
        return;
    }
    if let Some(last) = runs.last_mut() {
        if last.end() == run.start && last.prot == run.prot {
            last.len = last.len.saturating_add(run.len);
            return;
        }
    }
    runs.push(run);
}

/// The protections to apply, in address order, for checked segments
/// (non-overlapping, ending below 2^64 - page) and a power-of-two `page`.
pub fn plan(segments: &[Segment], page: u64) -> Vec<Protection> {
    let mut segs: Vec<&Segment> = segments.iter().filter(|s| s.memsz > 0).collect();
    segs.sort_by_key(|s| s.gpa);
    let mask = page.saturating_sub(1);
    let mut runs: Vec<Protection> = Vec::new();
    for s in segs {
        let start = s.gpa & !mask;
        let end = s.end().saturating_add(mask) & !mask;
        let prot = prot_of(s.flags);
        let mut from = start;
        // Non-overlapping segments can share only their first host page
        // with the previous run.
        if let Some(last) = runs.last_mut() {
            if last.end() > start {
                let shared_end = start.saturating_add(page);
                let shared_prot = last.prot | prot;
                let last_index = last.index;
                if last.start < start {
                    last.len = start.saturating_sub(last.start);
                } else {
                    runs.pop();
                }
                push(
                    &mut runs,
                    Protection {
                        index: last_index,
                        start,
                        len: page,
                        prot: shared_prot,
                    },
                );
                from = shared_end;
            }
        }
        if from < end {
            push(
                &mut runs,
                Protection {
                    index: s.index,
                    start: from,
                    len: end.saturating_sub(from),
                    prot,
                },
            );
        }
    }
    runs
}

/// The host's page size.
pub fn host_page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n)
        .ok()
        .filter(|p| p.is_power_of_two())
        .unwrap_or(4096)
}

/// Apply the protections of `segments` to the host mapping of guest memory.
///
/// # Safety
///
/// `mem` must be the start of a mapping of at least `mem_size` bytes that the
/// caller owns, and no Rust reference into the affected ranges may be used
/// to write after this call (the pages may become read-only).
pub unsafe fn apply(mem: *mut u8, mem_size: usize, segments: &[Segment]) -> Result<(), ElfError> {
    let plan = plan(segments, host_page_size());
    for &p in &plan {
        let fail = |err: io::Error| ElfError::Protect {
            index: p.index,
            gpa: p.start,
            len: p.len,
            err,
        };
        if p.end() > mem_size as u64 {
            return Err(fail(io::Error::new(
                io::ErrorKind::InvalidInput,
                "guest memory size is not a multiple of the host page size",
            )));
        }
        let (Ok(start), Ok(len)) = (usize::try_from(p.start), usize::try_from(p.len)) else {
            return Err(fail(io::Error::from(io::ErrorKind::InvalidInput)));
        };
        // SAFETY: start + len <= mem_size (checked above), so the range lies
        // inside the caller's mapping; mprotect only changes its permissions.
        let rc = unsafe { libc::mprotect(mem.add(start).cast(), len, p.prot) };
        if rc != 0 {
            return Err(fail(io::Error::last_os_error()));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]
mod tests {
    use super::*;
    use libc::{PROT_EXEC as X, PROT_READ as R, PROT_WRITE as W};

    fn seg(index: u16, gpa: u64, memsz: u64, flags: u32) -> Segment {
        Segment {
            index,
            gpa,
            offset: 0,
            filesz: 0,
            memsz,
            flags,
        }
    }

    fn run(index: u16, start: u64, len: u64, prot: i32) -> Protection {
        Protection {
            index,
            start,
            len,
            prot,
        }
    }

    #[test]
    fn flags_map_to_prot_bits() {
        assert_eq!(prot_of(0), libc::PROT_NONE);
        assert_eq!(prot_of(PF_R | PF_X), R | X);
        assert_eq!(prot_of(PF_R | PF_W), R | W);
        assert_eq!(prot_of(PF_R | PF_W | PF_X | 0xff00_0000), R | W | X);
    }

    #[test]
    fn small_pages_one_run_per_segment_rounded_up() {
        let segs = [
            seg(0, 0x100000, 0x13, PF_R | PF_X),
            seg(1, 0x101000, 0x1001, PF_R),
            seg(3, 0x103000, 0x10, PF_R | PF_W),
        ];
        assert_eq!(
            plan(&segs, 0x1000),
            vec![
                run(0, 0x100000, 0x1000, R | X),
                run(1, 0x101000, 0x2000, R),
                run(3, 0x103000, 0x1000, R | W)
            ]
        );
    }

    #[test]
    fn adjacent_same_protection_merges_and_empty_segments_vanish() {
        let segs = [
            seg(1, 0x101000, 0x1000, PF_R),
            seg(0, 0x100000, 0x1000, PF_R),
            seg(2, 0x102000, 0, PF_X),
        ];
        assert_eq!(plan(&segs, 0x1000), vec![run(0, 0x100000, 0x2000, R)]);
    }

    #[test]
    fn large_host_pages_share_with_union() {
        // 64 KiB host pages: text and rodata share the first page, data
        // starts inside that page too and runs on into the next.
        let segs = [
            seg(0, 0x100000, 0x1000, PF_R | PF_X),
            seg(1, 0x101000, 0x1000, PF_R),
            seg(2, 0x102000, 0x10000, PF_R | PF_W),
        ];
        assert_eq!(
            plan(&segs, 0x10000),
            vec![
                run(0, 0x100000, 0x10000, R | W | X),
                run(2, 0x110000, 0x10000, R | W)
            ]
        );
    }

    #[test]
    fn apply_makes_text_read_only() {
        let page = host_page_size() as usize;
        let size = page * 4;
        // SAFETY: anonymous private mapping, unmapped below.
        let mem = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                R | W,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(mem, libc::MAP_FAILED);
        let segs = [
            seg(0, page as u64, 1, PF_R | PF_X),
            seg(1, 2 * page as u64, 1, PF_R | PF_W),
        ];
        // SAFETY: mem is our mapping of `size` bytes; nothing writes to it after.
        unsafe { apply(mem.cast(), size, &segs) }.unwrap();
        // mincore-free check: /proc/self/maps shows the permissions.
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let text = format!("{:x}-", mem as usize + page);
        let line = maps
            .lines()
            .find(|l| l.starts_with(&text))
            .expect("text mapping listed");
        assert!(line.contains(" r-xp "), "{line}");
        let data = format!("{:x}-", mem as usize + 2 * page);
        let line = maps
            .lines()
            .find(|l| l.starts_with(&data))
            .expect("data mapping listed");
        assert!(line.contains(" rw-p "), "{line}");
        // The monitor's snapshot reads the same from the kernel.
        let p = crate::monitor::Protections::of_mapping(mem.cast(), size).unwrap();
        let page = page as u64;
        assert!(!p.writable(page, 1) && !p.writable(0, page + 1) && !p.writable(2 * page - 1, 2));
        assert!(p.writable(0, page) && p.writable(2 * page, 100) && p.readable(page, page));
        // SAFETY: unmapping our own mapping.
        unsafe { libc::munmap(mem, size) };
    }

    #[test]
    fn apply_refuses_ranges_past_memory() {
        let page = host_page_size() as usize;
        let segs = [seg(0, 0, 1, PF_R)];
        let mut buf = vec![0u8; 16];
        // SAFETY: the range check fails before any mprotect call.
        let err = unsafe { apply(buf.as_mut_ptr(), page - 1, &segs) }.unwrap_err();
        assert!(
            matches!(
                err,
                ElfError::Protect {
                    index: 0,
                    gpa: 0,
                    ..
                }
            ),
            "{err}"
        );
    }
}
