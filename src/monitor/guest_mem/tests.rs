//! Tests of `monitor::guest_mem`.

use super::*;
use crate::abi::{ukvm_blkread, ukvm_poll};
use crate::elf::protect::Protection;

const MEM: usize = 0x1000;

#[test]
fn inside_is_accepted() {
    assert_eq!(check_range(MEM, 0, 16), Ok(()));
    assert_eq!(check_range(MEM, 0x100, 0x100), Ok(()));
    assert_eq!(check_range(MEM, (MEM - 2) as u64, 1), Ok(()));
}

#[test]
fn gpa_at_or_past_end_is_refused() {
    assert!(check_range(MEM, MEM as u64, 0).is_err());
    assert!(check_range(MEM, MEM as u64 + 1, 0).is_err());
    assert!(check_range(MEM, u64::MAX, 0).is_err());
}

#[test]
fn zero_size_at_last_byte_is_accepted() {
    assert_eq!(check_range(MEM, (MEM - 1) as u64, 0), Ok(()));
}

#[test]
fn range_ending_exactly_at_top_is_refused_like_upstream() {
    assert!(check_range(MEM, (MEM - 1) as u64, 1).is_err());
    assert!(check_range(MEM, 0, MEM).is_err());
}

#[test]
fn range_past_end_is_refused() {
    assert!(check_range(MEM, 0x800, 0x900).is_err());
    assert!(check_range(MEM, 0, usize::MAX).is_err());
}

#[test]
fn overflowing_end_is_refused() {
    // With a huge memory size, only the overflow test can catch these.
    assert!(check_range(usize::MAX, 1, usize::MAX).is_err());
    assert!(check_range(usize::MAX, (usize::MAX - 1) as u64, 2).is_err());
    assert_eq!(check_range(usize::MAX, 1, 2), Ok(()));
}

#[test]
fn agrees_with_wide_arithmetic_near_every_boundary() {
    // Reference: the rule computed in 128 bits, where nothing wraps.
    let reference = |mem: usize, gpa: u64, size: usize| {
        let end = gpa as u128 + size as u128;
        (gpa as u128) < mem as u128 && end <= u64::MAX as u128 && end < mem as u128
    };
    let mems = [0usize, 1, 2, 4096, 0x20_0000, usize::MAX - 1, usize::MAX];
    let mut points: Vec<u64> = vec![0, 1, 2, u64::MAX - 1, u64::MAX, 1 << 63];
    for m in mems {
        for d in 0..3u64 {
            points.push((m as u64).wrapping_sub(d));
            points.push((m as u64).wrapping_add(d));
        }
    }
    for &mem in &mems {
        for &gpa in &points {
            for &size in &points {
                let size = size as usize;
                assert_eq!(
                    check_range(mem, gpa, size).is_ok(),
                    reference(mem, gpa, size),
                    "mem={mem:#x} gpa={gpa:#x} size={size:#x}"
                );
            }
        }
    }
}

#[test]
fn empty_memory_refuses_everything() {
    assert!(check_range(0, 0, 0).is_err());
}

#[test]
fn error_names_gpa_in_hex_and_size_in_decimal() {
    let e = check_range(MEM, 0x1234, 16).unwrap_err();
    assert_eq!(e.to_string(), "Invalid guest access: gpa=0x1234, sz=16");
    assert_eq!(MemError::NotWritable(e).to_string(), e.to_string());
}

fn page() -> u64 {
    crate::elf::protect::host_page_size()
}

/// Four host pages: page 1 read-only, page 2 without access, in the
/// snapshot only (the mapping itself stays read-write: a wrong answer
/// shows as a passed access, not a crash).
fn protected() -> GuestMem {
    let mem = GuestMem::anonymous(4 * page() as usize).unwrap();
    let runs = [
        Protection {
            index: 0,
            start: page(),
            len: page(),
            prot: libc::PROT_READ,
        },
        Protection {
            index: 1,
            start: 2 * page(),
            len: page(),
            prot: libc::PROT_NONE,
        },
    ];
    mem.set_protections(Protections::from_runs(&runs));
    mem
}

#[test]
fn typed_access_round_trips_unaligned() {
    let mem = GuestMem::anonymous(64 << 10).unwrap();
    mem.write_obj::<u64>(3, 0x1122_3344_5566_7788).unwrap();
    assert_eq!(mem.read_obj::<u64>(3).unwrap(), 0x1122_3344_5566_7788);
    assert_eq!(mem.read_obj::<u8>(3).unwrap(), 0x88);
    let top = (64 << 10) - 8;
    assert_eq!(
        mem.write_obj::<u64>(top, 1),
        Err(MemError::Range(GuestAccessError { gpa: top, size: 8 })),
        "ends at the top"
    );
    let r = ukvm_blkread {
        sector: 1,
        data: 2,
        len: 3,
        ret: -1,
        ..Default::default()
    };
    mem.write_obj(0x101, r).unwrap();
    let back: ukvm_blkread = mem.read_obj(0x101).unwrap();
    assert_eq!((back.sector, back.data, back.len, back.ret), (1, 2, 3, -1));
}

#[test]
fn protections_refuse_by_kind() {
    let mem = protected();
    let p = page();
    assert_eq!(mem.read_obj::<u32>(p).unwrap(), 0, "read-only page reads");
    assert_eq!(
        mem.write_obj::<u32>(p + 4, 1),
        Err(MemError::NotWritable(GuestAccessError {
            gpa: p + 4,
            size: 4
        }))
    );
    assert_eq!(
        mem.read_obj::<ukvm_poll>(2 * p - 8).map(|_| ()),
        Err(MemError::NotReadable(GuestAccessError {
            gpa: 2 * p - 8,
            size: 16
        })),
        "straddles into the PROT_NONE page"
    );
    assert!(mem.readable(0, p as usize).is_ok() && mem.writable(3 * p, 16).is_ok());
    assert!(!mem.can_write(p - 1, 2) && mem.can_write(p - 1, 1));
    assert!(!mem.can_read(2 * p, 1) && mem.can_read(3 * p, 1));
    assert!(mem.writable(p, 0).is_ok(), "empty ranges touch nothing");
    assert!(!mem.can_read(4 * p, 0), "but are range-checked");
}

#[test]
fn refresh_reads_the_real_mapping() {
    let mem = GuestMem::anonymous(4 * page() as usize).unwrap();
    let p = page() as usize;
    // SAFETY: page 1 lies inside the mapping; no slice of it is live.
    let rc = unsafe { libc::mprotect(mem.host_base().add(p).cast(), p, libc::PROT_READ) };
    assert_eq!(rc, 0);
    assert!(mem.can_write(p as u64, 1), "snapshot not taken yet");
    mem.refresh_protections(Protections::none);
    assert!(!mem.can_write(p as u64, 1) && mem.can_read(p as u64, p));
    assert!(mem.can_write(0, p) && mem.can_write(2 * p as u64, p));
}

#[test]
fn slices_see_what_typed_access_wrote() {
    let mem = GuestMem::anonymous(64 << 10).unwrap();
    mem.writable(0x200, 5).unwrap().copy_from(b"hello");
    let mut got = [0u8; 5];
    mem.readable(0x200, 5).unwrap().copy_to(&mut got[..]);
    assert_eq!(&got, b"hello");
    assert_eq!(mem.read_obj::<[u8; 5]>(0x200).unwrap(), *b"hello");
}

#[test]
fn a_view_of_foreign_memory_checks_the_same_way() {
    let mut buf = vec![0u8; 256];
    // SAFETY: buf outlives the view.
    let mem = unsafe { GuestMem::from_raw(buf.as_mut_ptr(), buf.len(), Protections::none()) };
    mem.write_obj::<u16>(10, 0xbeef).unwrap();
    assert!(mem.read_obj::<u64>(250).is_err());
    assert_eq!(
        mem.host_ptr(16, 8).unwrap() as usize,
        buf.as_ptr() as usize + 16
    );
    drop(mem);
    assert_eq!(u16::from_ne_bytes([buf[10], buf[11]]), 0xbeef);
}
