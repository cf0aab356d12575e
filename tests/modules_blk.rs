//! The Rust blk module's hypercalls over test memory and real files: every
//! request upstream answers, answered the same; every request that makes
//! upstream assert, answered with ret = -1 (or its range-check exit).

#[path = "modules_support/mod.rs"]
mod support;

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;

use support::{Guest, Scratch, PAGE, TEXT};
use ukvm::abi::{ukvm_blkinfo, ukvm_blkread, ukvm_blkwrite};
use ukvm::modules::blk::Blk;
use ukvm::modules::blk_req::Geometry;
use ukvm::modules::disk::Disk;
use ukvm::modules::Fatal;

const REQ: u64 = 0x1000;
const BUF: u64 = 0x2000;
const SECTORS: u64 = 64;

fn image(s: &Scratch, sectors: u64) -> std::path::PathBuf {
    let p = s.path("disk.img");
    let f = File::create(&p).unwrap();
    f.set_len(sectors * 512).unwrap();
    p
}

fn blk_over(path: &std::path::Path) -> Blk {
    Blk::new(
        Disk::open(path.as_os_str()).unwrap(),
        path.display().to_string(),
    )
}

fn write_req(g: &Guest, b: &Blk, sector: u64, data: u64, len: u64) -> Result<i32, Fatal> {
    g.mem
        .write_obj(
            REQ,
            ukvm_blkwrite {
                sector: sector as _,
                data,
                len: len as _,
                ret: 99,
                ..Default::default()
            },
        )
        .unwrap();
    b.write(&g.mem, REQ)?;
    Ok(g.mem.read_obj::<ukvm_blkwrite>(REQ).unwrap().ret)
}

fn read_req(g: &Guest, b: &Blk, sector: u64, data: u64, len: u64) -> Result<i32, Fatal> {
    g.mem
        .write_obj(
            REQ,
            ukvm_blkread {
                sector: sector as _,
                data,
                len: len as _,
                ret: 99,
                ..Default::default()
            },
        )
        .unwrap();
    b.read(&g.mem, REQ)?;
    Ok(g.mem.read_obj::<ukvm_blkread>(REQ).unwrap().ret)
}

fn file_bytes(p: &std::path::Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn info_reports_512_byte_sectors_from_the_file_size() {
    let s = Scratch::new("info");
    let p = s.path("odd.img");
    File::create(&p).unwrap().set_len(10 * 512 + 300).unwrap();
    let g = Guest::new();
    let b = blk_over(&p);
    b.info(&g.mem, REQ).unwrap();
    let i: ukvm_blkinfo = g.mem.read_obj(REQ).unwrap();
    assert_eq!((i.sector_size, i.num_sectors, i.rw), (512, 10, 1));
}

#[test]
fn write_then_read_round_trips_through_the_file() {
    let s = Scratch::new("rt");
    let p = image(&s, SECTORS);
    let g = Guest::new();
    let b = blk_over(&p);
    let data: Vec<u8> = (0..1024u32).map(|i| (i * 7 + 3) as u8).collect();
    g.fill(BUF, &data);
    assert_eq!(write_req(&g, &b, 5, BUF, 1024).unwrap(), 0);
    assert_eq!(&file_bytes(&p)[5 * 512..7 * 512], &data[..]);
    assert_eq!(read_req(&g, &b, 5, BUF + 0x1000, 1024).unwrap(), 0);
    assert_eq!(g.bytes(BUF + 0x1000, 1024), data);
    // The last sector, exactly to the end.
    assert_eq!(write_req(&g, &b, SECTORS - 1, BUF, 512).unwrap(), 0);
    assert_eq!(read_req(&g, &b, SECTORS - 1, BUF, 512).unwrap(), 0);
}

/// The bytes a read of `data` should leave when the request struct lies
/// inside the buffer at `req_at`: the data read, with only `ret` stored
/// over it (upstream stores nothing else).
fn data_with_ret_over_it(data: &[u8], req_at: usize, ret: i32) -> Vec<u8> {
    let mut want = data.to_vec();
    let at = req_at + std::mem::offset_of!(ukvm_blkread, ret);
    want[at..at + 4].copy_from_slice(&ret.to_ne_bytes());
    want
}

#[test]
fn a_read_over_its_own_request_keeps_the_data_read() {
    let s = Scratch::new("overlap");
    let p = image(&s, SECTORS);
    let disk: Vec<u8> = (0..SECTORS as usize * 512)
        .map(|i| (i * 13 + 5) as u8)
        .collect();
    std::fs::write(&p, &disk).unwrap();
    let g = Guest::new();
    let b = blk_over(&p);
    // The buffer starts at the request, and starts 40 bytes before it.
    for (data, req_at) in [(REQ, 0usize), (REQ - 40, 40)] {
        assert_eq!(
            read_req(&g, &b, 3, data, 512).unwrap(),
            0,
            "data at {data:#x}"
        );
        assert_eq!(
            g.bytes(data, 512),
            data_with_ret_over_it(&disk[3 * 512..4 * 512], req_at, 0),
            "data at {data:#x}: the request's own sector, data and len must not be written back"
        );
    }
}

#[test]
fn partial_and_empty_lengths_work_as_upstream() {
    let s = Scratch::new("partial");
    let p = image(&s, SECTORS);
    let g = Guest::new();
    let b = blk_over(&p);
    g.fill(BUF, b"hello");
    assert_eq!(write_req(&g, &b, 2, BUF, 5).unwrap(), 0);
    assert_eq!(&file_bytes(&p)[1024..1029], b"hello");
    assert_eq!(read_req(&g, &b, 2, BUF + 100, 0).unwrap(), 0);
    assert_eq!(write_req(&g, &b, 2, BUF, 0).unwrap(), 0);
}

#[test]
fn requests_beyond_the_disk_fail_and_write_nothing() {
    let s = Scratch::new("bounds");
    let p = image(&s, SECTORS);
    let g = Guest::new();
    let b = blk_over(&p);
    g.fill(BUF, &[0xaa; 4096]);
    let before = file_bytes(&p);
    for (sector, len) in [
        (SECTORS, 512),           // no such sector
        (SECTORS - 1, 513),       // runs past the end
        (0, SECTORS * 512 + 1),   // longer than the disk
        (u64::MAX, 512),          // sector * 512 wraps
        (1, u64::MAX - 100),      // pos + len wraps
        (0, i64::MAX as u64 + 1), // len > SSIZE_MAX: upstream asserts
        (0, u64::MAX),
    ] {
        assert_eq!(
            write_req(&g, &b, sector, BUF, len).unwrap(),
            -1,
            "write {sector} {len}"
        );
        assert_eq!(
            read_req(&g, &b, sector, BUF, len).unwrap(),
            -1,
            "read {sector} {len}"
        );
    }
    assert_eq!(file_bytes(&p), before, "nothing written");
    assert_eq!(
        std::fs::metadata(&p).unwrap().len(),
        SECTORS * 512,
        "not extended"
    );
    assert_eq!(g.bytes(BUF, 4096), vec![0xaa; 4096], "nothing read");
}

#[test]
fn read_into_read_only_text_fails_without_touching_it() {
    // Upstream: pread into the read-only page is short or fails -> assert.
    let s = Scratch::new("text");
    let p = image(&s, SECTORS);
    std::fs::write(&p, vec![0x55u8; (SECTORS * 512) as usize]).unwrap();
    let g = Guest::new();
    let b = blk_over(&p);
    let text = g.bytes(TEXT, PAGE as usize);
    assert_eq!(read_req(&g, &b, 0, TEXT, 512).unwrap(), -1);
    assert_eq!(
        read_req(&g, &b, 0, TEXT - 256, 512).unwrap(),
        -1,
        "straddling into text"
    );
    assert_eq!(g.bytes(TEXT, PAGE as usize), text);
    // Writing *from* text is fine: the host may read it.
    assert_eq!(write_req(&g, &b, 0, TEXT, 512).unwrap(), 0);
    assert_eq!(&file_bytes(&p)[..512], &text[..512]);
}

/// mprotect the guest page at `gpa` and take the snapshot again, as the
/// monitor does after module setup (upstream's gdb module changes guest
/// protections there).
fn protect_page(g: &Guest, gpa: u64, prot: i32) {
    // SAFETY: one page inside the guest mapping; no reference into it.
    let rc = unsafe {
        libc::mprotect(
            g.mem.host_base().add(gpa as usize).cast(),
            PAGE as usize,
            prot,
        )
    };
    assert_eq!(rc, 0);
    g.mem
        .refresh_protections(|| panic!("/proc/self/maps could not be read"));
}

#[test]
fn the_module_follows_the_monitors_one_protection_snapshot() {
    // The module keeps no protections of its own: a page the snapshot
    // newly says is read-only is refused (ret -1, not a SIGSEGV), and
    // served again once the snapshot says it is writable.
    let s = Scratch::new("snapshot");
    let p = image(&s, SECTORS);
    std::fs::write(&p, vec![0x66u8; (SECTORS * 512) as usize]).unwrap();
    let g = Guest::new();
    let b = blk_over(&p);
    g.fill(BUF, &[0x11; 512]);
    protect_page(&g, BUF, libc::PROT_READ);
    assert_eq!(read_req(&g, &b, 0, BUF, 512).unwrap(), -1);
    assert_eq!(g.bytes(BUF, 512), vec![0x11; 512]);
    assert_eq!(
        write_req(&g, &b, 0, BUF, 512).unwrap(),
        0,
        "the host may still read it"
    );
    protect_page(&g, BUF, libc::PROT_READ | libc::PROT_WRITE);
    assert_eq!(read_req(&g, &b, 1, BUF, 512).unwrap(), 0);
    assert_eq!(g.bytes(BUF, 512), vec![0x66; 512]);
}

#[test]
fn request_struct_in_read_only_text_is_a_clear_fatal_error() {
    // Upstream stores ret into the read-only page: SIGSEGV.
    let s = Scratch::new("reqtext");
    let p = image(&s, SECTORS);
    let g = Guest::new();
    let b = blk_over(&p);
    for r in [
        b.read(&g.mem, TEXT + 8),
        b.write(&g.mem, TEXT + 8),
        b.info(&g.mem, TEXT),
    ] {
        match r {
            Err(Fatal::ReadOnlyRequest {
                what: "blk", gpa, ..
            }) => assert!(gpa >= TEXT),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn guest_ranges_outside_memory_keep_upstreams_exit() {
    let s = Scratch::new("range");
    let p = image(&s, SECTORS);
    let g = Guest::new();
    let b = blk_over(&p);
    let top = support::MEM as u64;
    assert!(matches!(b.read(&g.mem, top - 8), Err(Fatal::Range(..))));
    assert!(matches!(b.info(&g.mem, u64::MAX), Err(Fatal::Range(..))));
    match read_req(&g, &b, 0, top - 256, 512) {
        Err(Fatal::Range(e, at)) => {
            assert_eq!((e.gpa, e.size), (top - 256, 512));
            // Named in the message where upstream names ukvm_module_blk.c.
            assert!(at.file().ends_with("src/modules/blk.rs"), "{at}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        write_req(&g, &b, 0, u64::MAX - 10, 512),
        Err(Fatal::Range(..))
    ));
}

#[test]
fn disk_truncated_while_running_fails_reads_and_never_grows_past_its_size() {
    let s = Scratch::new("trunc");
    let p = image(&s, SECTORS);
    let g = Guest::new();
    let b = blk_over(&p);
    OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(4 * 512 + 100)
        .unwrap();
    g.fill(BUF, &[0x11; 1024]);
    assert_eq!(read_req(&g, &b, 0, BUF, 512).unwrap(), 0, "still there");
    assert_eq!(
        read_req(&g, &b, 4, BUF, 512).unwrap(),
        -1,
        "cut in the middle"
    );
    assert_eq!(read_req(&g, &b, 10, BUF, 512).unwrap(), -1, "gone");
    // Writes inside the size the guest was told re-grow the file up to that
    // size, never further.
    assert_eq!(write_req(&g, &b, SECTORS - 1, BUF, 512).unwrap(), 0);
    assert_eq!(std::fs::metadata(&p).unwrap().len(), SECTORS * 512);
    assert_eq!(write_req(&g, &b, SECTORS, BUF, 512).unwrap(), -1);
    assert_eq!(std::fs::metadata(&p).unwrap().len(), SECTORS * 512);
}

#[test]
fn a_disk_reported_read_only_refuses_writes() {
    let s = Scratch::new("ro");
    let p = image(&s, SECTORS);
    let g = Guest::new();
    let b = Blk::new(
        Disk::from_file(File::open(&p).unwrap(), false).unwrap(),
        "ro".into(),
    );
    b.info(&g.mem, REQ).unwrap();
    assert_eq!(g.mem.read_obj::<ukvm_blkinfo>(REQ).unwrap().rw, 0);
    assert_eq!(write_req(&g, &b, 0, BUF, 512).unwrap(), -1);
    assert_eq!(read_req(&g, &b, 0, BUF, 512).unwrap(), 0);
}

#[test]
fn open_file_without_write_access_gives_minus_one_not_an_assertion() {
    // The module opens images read-write; an fd that cannot write (EBADF
    // from pwrite) must still be a plain error for the guest.
    let s = Scratch::new("ebadf");
    let p = image(&s, SECTORS);
    let g = Guest::new();
    let b = Blk::new(
        Disk::from_file(File::open(&p).unwrap(), true).unwrap(),
        "x".into(),
    );
    assert_eq!(write_req(&g, &b, 0, BUF, 512).unwrap(), -1);
}

#[test]
fn eio_from_the_host_is_minus_one() {
    // /proc/self/mem answers EIO for unmapped addresses: a real EIO from
    // the kernel, at offset 0 (never mapped), for reads and writes.
    let g = Guest::new();
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/proc/self/mem")
        .unwrap();
    let mut probe = [0u8; 1];
    let e = f.read_at(&mut probe, 0).unwrap_err();
    assert_eq!(
        e.raw_os_error(),
        Some(libc::EIO),
        "precondition: offset 0 gives EIO"
    );
    let b = Blk::new(
        Disk::with_geometry(f, Geometry::for_size(1 << 20, true)),
        "mem".into(),
    );
    g.fill(BUF, &[0x77; 512]);
    assert_eq!(read_req(&g, &b, 0, BUF, 512).unwrap(), -1);
    assert_eq!(write_req(&g, &b, 0, BUF, 512).unwrap(), -1);
    assert_eq!(g.bytes(BUF, 512), vec![0x77; 512]);
}

#[test]
fn enospc_from_the_host_is_minus_one() {
    // /dev/full: every write fails with ENOSPC.
    let g = Guest::new();
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/full")
        .unwrap();
    let b = Blk::new(
        Disk::with_geometry(f, Geometry::for_size(1 << 20, true)),
        "full".into(),
    );
    assert_eq!(write_req(&g, &b, 3, BUF, 4096).unwrap(), -1);
    assert_eq!(
        read_req(&g, &b, 3, BUF, 4096).unwrap(),
        0,
        "reads of /dev/full give zeros"
    );
    assert_eq!(g.bytes(BUF, 4096), vec![0; 4096]);
}
