//! Our AArch64 guest page tables checked by walking them: identity for
//! RAM (minus the zero page) and the MMIO window, nothing else, for a
//! range of memory sizes.

#[path = "arch_support/walk.rs"]
mod walk;

use ukvm::arch::aarch64::layout::{MMIO_BASE, MMIO_SIZE, PAGE_TABLE_BASE, PAGE_TABLE_END};
use ukvm::arch::aarch64::paging::{build_identity_tables, MMIO_ATTRS, RAM_ATTRS};
use walk::{walk, Leaf};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// Addresses worth probing for `ram`: every page of the first 2 MiB, the
/// first and last page of every 2 MiB block up to past the MMIO window,
/// and the pages around the end of RAM.
fn probes(ram: u64) -> Vec<u64> {
    let mut v: Vec<u64> = (0..512).map(|i| i * 4096).collect();
    let mut a = 2 * MIB;
    while a < MMIO_BASE + MMIO_SIZE + 4 * MIB {
        v.push(a);
        v.push(a + 2 * MIB - 4096);
        a += 2 * MIB;
    }
    v.extend([
        ram - 4096,
        ram,
        ram + 4096,
        MMIO_BASE - 4096,
        MMIO_BASE + MMIO_SIZE - 4,
        MMIO_BASE + MMIO_SIZE,
    ]);
    v
}

fn expected(ram: u64, va: u64) -> Option<u64> {
    if (4096..ram).contains(&va) {
        Some(RAM_ATTRS)
    } else if (MMIO_BASE..MMIO_BASE + MMIO_SIZE).contains(&va) {
        Some(MMIO_ATTRS)
    } else {
        None
    }
}

#[test]
fn tables_map_exactly_ram_and_mmio() {
    let sizes = [
        2 * MIB,
        3 * MIB,
        4 * MIB,
        6 * MIB + 8192,
        64 * MIB,
        512 * MIB,
        GIB - 2 * MIB,
        GIB,
        GIB + 2 * MIB,
        3 * GIB + 4096,
        4 * GIB - 2 * MIB,
        4 * GIB,
    ];
    let mut failures = 0;
    for ram in sizes {
        let mut area = vec![0u8; (PAGE_TABLE_END - PAGE_TABLE_BASE) as usize];
        let pt = build_identity_tables(&mut area, ram).expect("build");
        assert!(pt.pages <= 6, "ram 0x{ram:x}: {} table pages", pt.pages);
        for va in probes(ram) {
            let got = walk(&area, PAGE_TABLE_BASE, pt.root, va).expect("well-formed tables");
            let want = expected(ram, va).map(|attrs| (va, attrs));
            if got.map(|l: Leaf| (l.pa, l.attrs)) != want {
                failures += 1;
                eprintln!("ram 0x{ram:x} va 0x{va:x}: got {got:?}, want {want:?}");
            }
        }
        println!("ram 0x{ram:x}: ok ({} table pages)", pt.pages);
    }
    assert_eq!(failures, 0);
}

#[test]
fn tables_use_largest_blocks() {
    let mut area = vec![0u8; (PAGE_TABLE_END - PAGE_TABLE_BASE) as usize];
    let pt = build_identity_tables(&mut area, 4 * GIB).unwrap();
    let level = |va| {
        walk(&area, PAGE_TABLE_BASE, pt.root, va)
            .unwrap()
            .unwrap()
            .level
    };
    assert_eq!(level(4096), 3);
    assert_eq!(level(2 * MIB), 2);
    assert_eq!(level(GIB), 1);
    assert_eq!(level(MMIO_BASE), 1);
}
