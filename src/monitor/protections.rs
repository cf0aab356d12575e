//! Which guest ranges the monitor may read or write through its own
//! mapping of guest memory: one snapshot of the host-side protections,
//! taken at start-up, consulted by every checked access.
//!
//! The loader maps a kernel's text and read-only data read-only in the
//! host too (as upstream does), a segment without PF_R is not readable at
//! all, and upstream's gdb module makes all of guest RAM read-write-execute
//! again in its setup. The snapshot is therefore taken after module setup,
//! from the kernel's own account of the mapping (`/proc/self/maps`), or
//! else from the loader's plan; nothing is looked up per hypercall.

use std::io;

use crate::elf::protect::{self, Protection};
use crate::elf::Segment;

/// Guest ranges (`start..end`, guest physical) the host may not read, and
/// those it may not write. Everything else of guest memory it may do both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protections {
    no_read: Vec<(u64, u64)>,
    no_write: Vec<(u64, u64)>,
}

fn clear_of(ranges: &[(u64, u64)], gpa: u64, len: u64) -> bool {
    if len == 0 {
        return true;
    }
    let end = gpa.saturating_add(len);
    ranges.iter().all(|&(s, e)| e <= gpa || end <= s)
}

fn push_merged(v: &mut Vec<(u64, u64)>, s: u64, e: u64) {
    if s >= e {
        return;
    }
    match v.last_mut() {
        Some(last) if last.1 == s => last.1 = e,
        _ => v.push((s, e)),
    }
}

impl Protections {
    /// Everything readable and writable: memory nobody has protected (tests,
    /// a monitor before its kernel is loaded).
    pub const fn none() -> Self {
        Protections {
            no_read: Vec::new(),
            no_write: Vec::new(),
        }
    }

    /// The loader's plan: protection runs in guest addresses, as
    /// `crate::elf::protect::plan` computes and `apply` applies them.
    pub fn from_runs(runs: &[Protection]) -> Self {
        let mut p = Protections::none();
        for r in runs {
            let (s, e) = (r.start, r.start.saturating_add(r.len));
            if r.prot & libc::PROT_READ == 0 {
                push_merged(&mut p.no_read, s, e);
            }
            if r.prot & libc::PROT_WRITE == 0 {
                push_merged(&mut p.no_write, s, e);
            }
        }
        p
    }

    /// What the loader applies for these loaded segments on this host
    /// (its page size decides how segments share pages).
    pub fn of_segments(segments: &[Segment]) -> Self {
        Self::from_runs(&protect::plan(segments, protect::host_page_size()))
    }

    /// The protections of the host mapping `base..base+size` (guest address
    /// 0 at `base`), as the kernel reports them now.
    pub fn of_mapping(base: *const u8, size: usize) -> io::Result<Self> {
        let maps = std::fs::read_to_string("/proc/self/maps")?;
        Ok(Self::from_maps(&maps, base as u64, size as u64))
    }

    /// Parse `/proc/self/maps` text for the mapping at host address `base`
    /// of `size` bytes. A part of it that no line covers (not mapped) counts
    /// as neither readable nor writable.
    pub fn from_maps(maps: &str, base: u64, size: u64) -> Self {
        let top = base.saturating_add(size);
        let mut p = Protections::none();
        // Lines are in address order; `at` is the first host address not
        // yet accounted for.
        let mut at = base;
        for line in maps.lines() {
            let Some((range, rest)) = line.split_once(' ') else {
                continue;
            };
            let Some((s, e)) = range.split_once('-') else {
                continue;
            };
            let (Ok(s), Ok(e)) = (u64::from_str_radix(s, 16), u64::from_str_radix(e, 16)) else {
                continue;
            };
            let (s, e) = (s.max(base), e.min(top));
            if s >= e {
                continue;
            }
            if s > at {
                push_merged(&mut p.no_read, at - base, s - base);
                push_merged(&mut p.no_write, at - base, s - base);
            }
            let perms = rest.as_bytes();
            if perms.first() != Some(&b'r') {
                push_merged(&mut p.no_read, s - base, e - base);
            }
            if perms.get(1) != Some(&b'w') {
                push_merged(&mut p.no_write, s - base, e - base);
            }
            at = at.max(e);
        }
        if at < top {
            push_merged(&mut p.no_read, at - base, top - base);
            push_merged(&mut p.no_write, at - base, top - base);
        }
        p
    }

    /// The host may read `len` bytes at `gpa` without faulting.
    pub fn readable(&self, gpa: u64, len: u64) -> bool {
        clear_of(&self.no_read, gpa, len)
    }

    /// The host may write `len` bytes at `gpa` without faulting.
    pub fn writable(&self, gpa: u64, len: u64) -> bool {
        clear_of(&self.no_write, gpa, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libc::{PROT_EXEC as X, PROT_NONE, PROT_READ as R, PROT_WRITE as W};

    fn run(start: u64, len: u64, prot: i32) -> Protection {
        Protection {
            index: 0,
            start,
            len,
            prot,
        }
    }

    fn kernel() -> Protections {
        Protections::from_runs(&[
            run(0x10000, 0x1000, R | X),
            run(0x11000, 0x1000, R | W),
            run(0x12000, 0x1000, PROT_NONE),
        ])
    }

    #[test]
    fn text_is_readable_not_writable() {
        let p = kernel();
        assert!(p.readable(0x10000, 0x1000));
        assert!(!p.writable(0x10000, 1));
        assert!(!p.writable(0x10fff, 1));
    }

    #[test]
    fn ranges_touching_text_only_at_its_edges_are_writable() {
        let p = kernel();
        assert!(p.writable(0xf000, 0x1000), "ends where text starts");
        assert!(p.writable(0x11000, 0x1000), "data after text");
        assert!(!p.writable(0xf000, 0x1001), "one byte into text");
        assert!(!p.writable(0x10fff, 2), "straddles text and data");
    }

    #[test]
    fn no_access_pages_are_neither() {
        let p = kernel();
        assert!(!p.readable(0x12000, 1));
        assert!(!p.writable(0x12fff, 1));
        assert!(p.readable(0x13000, 100));
    }

    #[test]
    fn empty_ranges_and_unprotected_memory_allow_everything() {
        let p = kernel();
        assert!(p.writable(0x10000, 0) && p.readable(0x12000, 0));
        assert!(Protections::none().writable(0x10000, u64::MAX));
    }

    #[test]
    fn huge_ranges_saturate_instead_of_wrapping() {
        let p = kernel();
        assert!(!p.writable(0, u64::MAX));
        assert!(p.writable(0x20000, u64::MAX));
        assert!(!p.readable(0x11000, u64::MAX), "reaches the PROT_NONE page");
        assert!(p.readable(u64::MAX - 1, 2), "nothing protected up there");
    }

    const MAPS: &str = "\
55d0c0000000-55d0c0001000 r--p 00000000 08:01 123 /usr/bin/ukvm-bin
7f0000000000-7f0000100000 rw-p 00000000 00:00 0
7f0000100000-7f0000102000 r-xp 00000000 00:00 0
7f0000102000-7f0000103000 r--p 00000000 00:00 0
7f0000103000-7f0000104000 ---p 00000000 00:00 0
7f0000104000-7f0000200000 rw-p 00000000 00:00 0
7f0000200000-7f0000300000 rw-p 00000000 00:00 0 [heap-like neighbour]
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]
";

    #[test]
    fn maps_lines_become_guest_ranges() {
        let p = Protections::from_maps(MAPS, 0x7f00_0000_0000, 0x20_0000);
        assert_eq!(p.no_write, vec![(0x10_0000, 0x10_4000)]);
        assert_eq!(p.no_read, vec![(0x10_3000, 0x10_4000)]);
        assert!(p.writable(0, 0x10_0000) && p.writable(0x10_4000, 0xfc000));
        assert!(!p.writable(0x10_1000, 1) && p.readable(0x10_1000, 0x2000));
    }

    #[test]
    fn unmapped_holes_and_a_short_mapping_are_inaccessible() {
        let maps = "1000-2000 rw-p 0 0:0 0\n3000-4000 rw-p 0 0:0 0\n";
        let p = Protections::from_maps(maps, 0x1000, 0x4000);
        assert_eq!(p.no_read, vec![(0x1000, 0x2000), (0x3000, 0x4000)]);
        assert_eq!(p.no_write, p.no_read);
    }

    #[test]
    fn real_mapping_read_back_from_proc() {
        let page = crate::elf::protect::host_page_size() as usize;
        let size = 4 * page;
        // SAFETY: a fresh private anonymous mapping, unmapped below.
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
        let base = mem.cast::<u8>();
        // SAFETY: pages 1 and 2 lie inside the mapping.
        unsafe {
            assert_eq!(libc::mprotect(base.add(page).cast(), page, R), 0);
            assert_eq!(
                libc::mprotect(base.add(2 * page).cast(), page, PROT_NONE),
                0
            );
        }
        let p = Protections::of_mapping(base, size).unwrap();
        let page = page as u64;
        assert!(p.writable(0, page) && p.writable(3 * page, page));
        assert!(!p.writable(page, 1) && p.readable(page, page));
        assert!(!p.readable(2 * page, 1) && !p.writable(3 * page - 1, 1));
        // SAFETY: unmapping our own mapping.
        unsafe { libc::munmap(mem, size) };
    }
}
