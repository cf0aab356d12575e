//! Differential test against upstream's pure AArch64 CPU code: builds
//! ukvm_cpu_aarch64.c from SOLO5_SRC on this host and compares its page
//! tables and memory-size rounding with ours. Intended differences are
//! asserted explicitly. Skips loudly when SOLO5_SRC is absent.

#[path = "arch_support/walk.rs"]
mod walk;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ukvm::arch::aarch64::layout::{MMIO_BASE, MMIO_SIZE, PAGE_TABLE_BASE, PAGE_TABLE_END};
use ukvm::arch::aarch64::memsize::{adjust_warning, check_mem_size, round_mem_size, MemSizeError};
use ukvm::arch::aarch64::paging::build_identity_tables;
use walk::walk;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const PAGE: usize = 4096;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn solo5_src() -> PathBuf {
    std::env::var_os("SOLO5_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest().join("../shared/solo5-v0.3.1"))
}

/// Build the driver once; None (after a loud message) when SOLO5_SRC is absent.
fn driver() -> Option<&'static Path> {
    static DRIVER: OnceLock<Option<PathBuf>> = OnceLock::new();
    DRIVER
        .get_or_init(|| {
            let src = solo5_src().join("ukvm");
            if !src.join("ukvm_cpu_aarch64.c").is_file() {
                // Straight to stderr, past the test harness's capture, so
                // the skip shows in a normal `cargo test` run.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIP oracle_aarch64_cpu: no upstream source at {} (set SOLO5_SRC to a Solo5 v0.3.1 tree)",
                    src.display()
                );
                return None;
            }
            let build = std::env::var_os("BUILD").map(PathBuf::from).unwrap_or_else(|| manifest().join("build"));
            let dir = build.join("oracle-aarch64-cpu");
            std::fs::create_dir_all(&dir).expect("create oracle build dir");
            for f in ["ukvm_cpu_aarch64.c", "ukvm_cpu_aarch64.h"] {
                std::fs::copy(src.join(f), dir.join(f)).expect("copy upstream source");
            }
            let exe = dir.join("driver");
            let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
            let out = Command::new(&cc)
                .args(["-std=gnu99", "-O1", "-o"])
                .arg(&exe)
                .arg(manifest().join("tests/oracle_support/aarch64_cpu_driver.c"))
                .arg(dir.join("ukvm_cpu_aarch64.c"))
                .arg("-I")
                .arg(&dir)
                .output()
                .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
            assert!(out.status.success(), "compiling upstream failed:\n{}", String::from_utf8_lossy(&out.stderr));
            Some(exe)
        })
        .as_deref()
}

fn run(exe: &Path, mode: &str, n: u64) -> std::process::Output {
    Command::new(exe)
        .arg(mode)
        .arg(n.to_string())
        .output()
        .expect("run driver")
}

/// What a VA maps to in the given tables, as (pa, attrs).
fn lookup(area: &[u8], va: u64) -> Option<(u64, u64)> {
    walk(area, PAGE_TABLE_BASE, PAGE_TABLE_BASE, va)
        .unwrap_or_else(|e| panic!("va 0x{va:x}: {e}"))
        .map(|l| (l.pa, l.attrs))
}

fn entry(area: &[u8], gpa: u64) -> u64 {
    let off = (gpa - PAGE_TABLE_BASE) as usize;
    u64::from_le_bytes(area[off..off + 8].try_into().unwrap())
}

#[test]
fn page_tables_match_upstream_except_intended_differences() {
    let Some(exe) = driver() else { return };
    let sizes = [
        2 * MIB,
        4 * MIB,
        64 * MIB,
        512 * MIB,
        GIB,
        GIB + 2 * MIB,
        2 * GIB,
        3 * GIB + 6 * MIB,
        4 * GIB,
    ];
    for ram in sizes {
        let out = run(exe, "tables", ram);
        assert!(out.status.success(), "upstream tables for 0x{ram:x} failed");
        let theirs = out.stdout;
        assert_eq!(theirs.len(), 16 * PAGE);

        let mut ours = vec![0u8; (PAGE_TABLE_END - PAGE_TABLE_BASE) as usize];
        let pt = build_identity_tables(&mut ours, ram).unwrap();
        assert_eq!(pt.root, PAGE_TABLE_BASE);

        // Byte-identical: the level-0 table, and the level-1 entries for the
        // MMIO window and for every GiB that RAM covers entirely (except
        // the first, which we split to leave page 0 unmapped).
        assert_eq!(
            &ours[..PAGE],
            &theirs[..PAGE],
            "level-0 table, ram 0x{ram:x}"
        );
        let l1 = PAGE_TABLE_BASE + PAGE as u64;
        assert_eq!(
            entry(&ours, l1 + 4 * 8),
            entry(&theirs, l1 + 4 * 8),
            "MMIO entry"
        );
        for g in 1..4u64 {
            if (g + 1) * GIB <= ram {
                assert_eq!(
                    entry(&ours, l1 + g * 8),
                    entry(&theirs, l1 + g * 8),
                    "L1[{g}], ram 0x{ram:x}"
                );
            }
        }

        // Translation: same output address and attributes wherever both
        // map; intended differences listed one by one.
        let mut probes: Vec<u64> = (0..512).map(|i| i * PAGE as u64).collect();
        let mut a = 0;
        while a < MMIO_BASE + MMIO_SIZE + 4 * MIB {
            probes.extend([a, a + 2 * MIB - 4096]);
            a += 2 * MIB;
        }
        probes.extend([ram - 4096, ram]);
        let (mut same, mut differ) = (0, 0);
        for va in probes {
            let o = lookup(&ours, va);
            let t = lookup(&theirs, va);
            if va < 4096 {
                // Intended: upstream maps the zero page; we leave it unmapped.
                assert!(t.is_some() && o.is_none(), "zero page, ram 0x{ram:x}");
                differ += 1;
            } else if (ram..MMIO_BASE).contains(&va) {
                // Intended: upstream maps all 4 GiB below the MMIO window
                // whatever the RAM size; we map only RAM.
                assert_eq!(t, Some((va, t.unwrap().1)), "upstream maps 0x{va:x}");
                assert_eq!(o, None, "we leave 0x{va:x} above RAM 0x{ram:x} unmapped");
                differ += 1;
            } else {
                assert_eq!(o, t, "va 0x{va:x}, ram 0x{ram:x}");
                same += 1;
            }
        }
        println!("ram 0x{ram:x}: {same} probes identical, {differ} intended differences");
    }
}

#[test]
fn upstream_rejects_more_than_4gib_like_we_do() {
    let Some(exe) = driver() else { return };
    let out = run(exe, "tables", 4 * GIB + 2 * MIB);
    assert_eq!(out.status.code(), Some(1));
    let msg = String::from_utf8_lossy(&out.stderr);
    let ours = build_identity_tables(&mut vec![0u8; 64 * PAGE], 4 * GIB + 2 * MIB).unwrap_err();
    assert!(
        msg.contains(&ours.to_string()),
        "upstream said {msg:?}, we say {ours}"
    );
}

#[test]
fn memory_size_rounding_matches_upstream() {
    let Some(exe) = driver() else { return };
    for req in [
        2 * MIB,
        3 * MIB,
        4 * MIB,
        5 * MIB + 17,
        512 * MIB,
        4095 * MIB,
        4 * GIB,
        4 * GIB + MIB,
    ] {
        let out = run(exe, "memsize", req);
        assert!(out.status.success());
        let theirs: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let ours = round_mem_size(req);
        assert_eq!(ours, theirs, "request {req}");
        assert_eq!(check_mem_size(ours), Ok(()));
        let warned = String::from_utf8_lossy(&out.stderr);
        if ours != req {
            assert!(
                warned.trim_end().ends_with(&adjust_warning(ours)),
                "{warned:?}"
            );
        } else {
            assert!(warned.is_empty(), "{warned:?}");
        }
        println!("mem {req}: {ours} (same as upstream)");
    }
    // Intended difference: upstream rounds sizes under 2 MiB to 0.
    for req in [MIB, 1] {
        let out = run(exe, "memsize", req);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "0",
            "upstream for {req}"
        );
        assert_eq!(round_mem_size(req), 2 * MIB);
    }
    // Too large: both refuse with the same words (upstream adds an errno text).
    let req = 4 * GIB + 2 * MIB;
    let out = run(exe, "memsize", req);
    assert_eq!(out.status.code(), Some(1));
    let ours = check_mem_size(round_mem_size(req)).unwrap_err();
    assert_eq!(ours, MemSizeError::TooLarge { bytes: req });
    assert!(String::from_utf8_lossy(&out.stderr).contains(&ours.to_string()));
}
