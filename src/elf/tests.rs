//! Unit tests of the loader on the generated image and its variants.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

#[path = "../../tests/elf_support/corpus.rs"]
mod corpus;

use super::header::off as eh;
use super::phdr::off as ph;
use super::*;
use crate::elf;
use corpus::{phdr_field, DATA, END, ENTRY, MEM_SIZE, TEXT};

const M: u16 = EM_X86_64;
const FILL: u8 = 0xaa;

fn set(b: &mut [u8], at: usize, width: usize, v: u64) {
    b[at..at + width].copy_from_slice(&v.to_le_bytes()[..width]);
}

fn with(at: usize, width: usize, v: u64) -> Vec<u8> {
    let mut b = corpus::valid(M);
    set(&mut b, at, width, v);
    b
}

fn load_img(img: &[u8]) -> (Result<Loaded, ElfError>, Vec<u8>) {
    let mut mem = vec![FILL; MEM_SIZE];
    let r = load(img, &mut mem, M);
    (r, mem)
}

fn err_of(img: &[u8]) -> ElfError {
    let (r, mem) = load_img(img);
    let e = r.unwrap_err();
    // A refused image leaves guest memory alone when the headers are at fault.
    if !matches!(
        e,
        ElfError::Truncated {
            part: Part::Segment(_),
            ..
        }
    ) {
        assert!(
            mem.iter().all(|&b| b == FILL),
            "memory written for refused image: {e}"
        );
    }
    let msg = e.to_string();
    assert!(!msg.contains('\n') && !msg.is_empty(), "{msg:?}");
    e
}

#[test]
fn valid_image_loads_with_entry_end_bytes_and_zeroed_bss() {
    let (r, mem) = load_img(&corpus::valid(M));
    let l = r.unwrap();
    assert_eq!(l.entry, ENTRY);
    assert_eq!(l.end, END);
    assert_eq!(l.segments.len(), 2);
    assert_eq!(
        l.segments[1],
        Segment {
            index: 1,
            gpa: DATA.1,
            offset: DATA.0 as u64,
            filesz: DATA.2 as u64,
            memsz: DATA.3,
            flags: DATA.4
        }
    );
    let text = TEXT.1 as usize;
    for i in 0..TEXT.2 {
        assert_eq!(mem[text + i], corpus::text_byte(i), "text byte {i}");
    }
    let data = DATA.1 as usize;
    for i in 0..DATA.2 {
        assert_eq!(mem[data + i], corpus::data_byte(i), "data byte {i}");
    }
    let bss = data + DATA.2..data + DATA.3 as usize;
    assert!(mem[bss.clone()].iter().all(|&b| b == 0), "bss zeroed");
    // Everything else is untouched (text's memsz equals its filesz).
    let untouched = |i: usize| !(text..text + TEXT.2).contains(&i) && !(data..bss.end).contains(&i);
    assert!(mem
        .iter()
        .enumerate()
        .filter(|&(i, _)| untouched(i))
        .all(|(_, &b)| b == FILL));
}

#[test]
fn loads_from_a_file() {
    let dir = std::env::temp_dir().join(format!("ukvm-elf-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("k.elf");
    std::fs::write(&path, corpus::valid(M)).unwrap();
    let mut mem = vec![0u8; MEM_SIZE];
    let l = load_path(&path, &mut mem, M).unwrap();
    assert_eq!((l.entry, l.end), (ENTRY, END));
    let missing = load_path(&dir.join("nope"), &mut mem, M).unwrap_err();
    assert_eq!(
        missing.io_error().unwrap().kind(),
        std::io::ErrorKind::NotFound
    );
    let is_dir = load_path(&dir, &mut mem, M).unwrap_err();
    assert!(
        matches!(
            is_dir,
            ElfError::Read {
                part: Part::Header,
                ..
            }
        ),
        "{is_dir}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn end_is_rounded_to_power_of_two_alignment_only() {
    let (r, _) = load_img(&with(phdr_field(1, ph::P_ALIGN), 8, 0x10000));
    assert_eq!(r.unwrap().end, 0x110000);
    for align in [0u64, 1, 3, 0x1800] {
        let (r, _) = load_img(&with(phdr_field(1, ph::P_ALIGN), 8, align));
        assert_eq!(r.unwrap().end, DATA.1 + DATA.3, "p_align {align:#x}");
    }
    // The end may reach the end of memory exactly.
    let (r, _) = load_img(&with(phdr_field(1, ph::P_ALIGN), 8, MEM_SIZE as u64));
    assert_eq!(r.unwrap().end, MEM_SIZE as u64);
}

#[test]
fn other_machine_and_ignored_fields() {
    let (r, _) = load_img(&corpus::valid(EM_AARCH64));
    assert!(matches!(
        r.unwrap_err(),
        ElfError::BadMachine {
            found: EM_AARCH64,
            expected: EM_X86_64
        }
    ));
    let mut mem = vec![0u8; MEM_SIZE];
    assert!(load(&corpus::valid(EM_AARCH64)[..], &mut mem, EM_AARCH64).is_ok());
    // Fields the monitor does not use are not checked (as upstream).
    for (at, width) in [(7, 1), (40, 8), (48, 4), (52, 2), (58, 2), (60, 2), (62, 2)] {
        let (r, _) = load_img(&with(at, width, u64::MAX));
        assert!(r.is_ok(), "field at {at}");
    }
    // p_vaddr is not used either; an empty PT_LOAD inside memory is fine.
    let (r, _) = load_img(&with(phdr_field(0, ph::P_VADDR), 8, u64::MAX));
    assert!(r.is_ok());
}

#[test]
fn header_rejections() {
    use ElfError::*;
    assert!(matches!(
        err_of(&with(0, 1, 0)),
        BadMagic([0, b'E', b'L', b'F'])
    ));
    assert!(matches!(err_of(&with(eh::EI_CLASS, 1, 1)), BadClass(1)));
    assert!(matches!(err_of(&with(eh::EI_DATA, 1, 2)), BadData(2)));
    assert!(matches!(
        err_of(&with(eh::EI_VERSION, 1, 0)),
        BadIdentVersion(0)
    ));
    assert!(matches!(err_of(&with(eh::E_TYPE, 2, 3)), BadType(3)));
    assert!(matches!(
        err_of(&with(eh::E_MACHINE, 2, 40)),
        BadMachine {
            found: 40,
            expected: M
        }
    ));
    assert!(matches!(err_of(&with(eh::E_VERSION, 4, 0)), BadVersion(0)));
    for v in [0u16, 1, 55, 57, 64] {
        assert!(matches!(err_of(&with(eh::E_PHENTSIZE, 2, v.into())), BadPhentsize(x) if x == v));
    }
    assert!(matches!(err_of(&with(eh::E_PHNUM, 2, 0)), NoProgramHeaders));
    assert!(matches!(
        err_of(&with(eh::E_PHNUM, 2, 0xffff)),
        ExtendedPhnum
    ));
    assert!(matches!(
        err_of(&with(eh::E_PHOFF, 8, u64::MAX - 100)),
        PhdrTableOverflow { phoff, size: 168 } if phoff == u64::MAX - 100
    ));
    assert!(matches!(
        err_of(&with(eh::E_PHNUM, 2, 0xfffe)),
        Truncated {
            part: Part::ProgramHeaders,
            offset: 64,
            len: 0x37ff90,
            got: 288
        }
    ));
    assert!(matches!(
        err_of(&with(eh::E_PHOFF, 8, 1 << 63)),
        Truncated {
            part: Part::ProgramHeaders,
            got: 0,
            ..
        }
    ));
    assert!(matches!(
        err_of(&with(eh::E_ENTRY, 8, TEXT.1 + TEXT.3)),
        EntryOutsideSegments { entry: 0x100040 }
    ));
}

#[test]
fn truncated_files() {
    let v = corpus::valid(M);
    assert!(matches!(
        err_of(&[]),
        ElfError::Truncated {
            part: Part::Header,
            len: 64,
            got: 0,
            ..
        }
    ));
    assert!(matches!(
        err_of(&v[..3]),
        ElfError::Truncated {
            part: Part::Header,
            got: 3,
            ..
        }
    ));
    assert!(matches!(err_of(b"MZ\x90\x00junk"), ElfError::BadMagic(_)));
    assert!(matches!(
        err_of(&v[..100]),
        ElfError::Truncated {
            part: Part::ProgramHeaders,
            got: 36,
            ..
        }
    ));
    assert!(matches!(
        err_of(&v[..v.len() - 1]),
        ElfError::Truncated {
            part: Part::Segment(1),
            offset: 0x140,
            len: 0x20,
            got: 0x1f
        }
    ));
}

#[test]
fn segment_rejections() {
    use ElfError::*;
    let f = |i, field| phdr_field(i, field);
    assert!(matches!(
        err_of(&with(f(1, ph::P_FILESZ), 8, 0x2001)),
        FileszExceedsMemsz {
            index: 1,
            filesz: 0x2001,
            memsz: 0x2000
        }
    ));
    assert!(matches!(
        err_of(&with(f(0, ph::P_OFFSET), 8, u64::MAX - 1)),
        FileRangeOverflow { index: 0, .. }
    ));
    assert!(matches!(
        err_of(&with(f(0, ph::P_OFFSET), 8, 0x1000)),
        Truncated {
            part: Part::Segment(0),
            got: 0,
            ..
        }
    ));
    assert!(matches!(
        err_of(&with(f(1, ph::P_MEMSZ), 8, u64::MAX)),
        AddressOverflow { index: 1, .. }
    ));
    assert!(matches!(
        err_of(&with(f(0, ph::P_PADDR), 8, 0xff000)),
        BelowMinimum {
            index: 0,
            paddr: 0xff000,
            ..
        }
    ));
    assert!(matches!(
        err_of(&with(f(0, ph::P_PADDR), 8, 0x100800)),
        Misaligned { index: 0, .. }
    ));
    let mem = MEM_SIZE as u64;
    // Ending exactly at the end of memory is refused, as upstream does.
    assert!(matches!(
        err_of(&with(f(1, ph::P_PADDR), 8, mem - 0x2000)),
        OutsideMemory { index: 1, mem_size, .. } if mem_size == mem
    ));
    assert!(matches!(
        err_of(&with(f(1, ph::P_ALIGN), 8, mem * 2)),
        AlignedEndOutsideMemory { index: 1, end, .. } if end == mem * 2
    ));
    assert!(matches!(
        err_of(&with(f(1, ph::P_ALIGN), 8, 1 << 63)),
        AlignedEndOutsideMemory { .. }
    ));
    assert!(matches!(
        err_of(&with(f(0, ph::P_MEMSZ), 8, 0x1001)),
        Overlap {
            first: 0,
            first_end: 0x101001,
            second: 1,
            second_start: 0x101000
        }
    ));
    assert!(matches!(
        err_of(&with(f(2, ph::P_TYPE), 4, 1)),
        BelowMinimum {
            index: 2,
            paddr: 0,
            ..
        }
    ));
    let mut b = corpus::valid(M);
    set(&mut b, f(0, ph::P_TYPE), 4, 0);
    set(&mut b, f(1, ph::P_TYPE), 4, 0);
    assert!(matches!(err_of(&b), NoLoadSegments));
}

#[test]
fn overlap_names_segments_in_address_order() {
    // Data (phdr 1) placed below text (phdr 0), running into it.
    let mut b = corpus::valid(M);
    set(&mut b, phdr_field(0, ph::P_PADDR), 8, 0x101000);
    set(&mut b, phdr_field(1, ph::P_PADDR), 8, 0x100000);
    set(&mut b, eh::E_ENTRY, 8, 0x101000);
    assert!(matches!(
        err_of(&b),
        ElfError::Overlap {
            first: 1,
            first_end: 0x102000,
            second: 0,
            second_start: 0x101000
        }
    ));
}

#[test]
fn every_corpus_case_is_refused_with_one_line() {
    for case in corpus::malformed(M) {
        let (r, _) = load_img(&case.bytes);
        match r {
            Ok(l) => panic!("{}: accepted: {l:?}", case.name),
            Err(e) => {
                let msg = e.to_string();
                assert!(!msg.contains('\n'), "{}: {msg:?}", case.name);
                assert!(
                    msg.starts_with("Exec format error: "),
                    "{}: {msg}",
                    case.name
                );
            }
        }
    }
}

#[test]
fn write_exec_segments_are_flagged() {
    let (r, _) = load_img(&with(phdr_field(1, ph::P_FLAGS), 4, 7));
    let l = r.unwrap();
    assert!(!l.segments[0].is_write_exec());
    assert!(l.segments[1].is_write_exec());
}

/// A file that changes under the loader: full contents for the headers,
/// then shorter (or longer) for the segment reads.
struct Changing {
    data: Vec<u8>,
    reads: std::cell::Cell<u32>,
    later_len: usize,
}

impl ReadAt for Changing {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let n = self.reads.get();
        self.reads.set(n + 1);
        let mut view = self.data.clone();
        if n >= 2 {
            view.resize(self.later_len, 0x5a);
        }
        view.read_at(buf, offset)
    }
}

#[test]
fn file_changing_size_while_loading() {
    let data = corpus::valid(M);
    let shrunk = Changing {
        data: data.clone(),
        reads: 0.into(),
        later_len: 0x120,
    };
    let mut mem = vec![FILL; MEM_SIZE];
    let e = load(&shrunk, &mut mem, M).unwrap_err();
    assert!(
        matches!(
            e,
            ElfError::Truncated {
                part: Part::Segment(0),
                got: 0x20,
                ..
            }
        ),
        "{e}"
    );
    // Growing past the end changes nothing: reads are of exact ranges.
    let grown = Changing {
        data,
        reads: 0.into(),
        later_len: 1 << 20,
    };
    let l = load(&grown, &mut mem, M).unwrap();
    assert_eq!((l.entry, l.end), (ENTRY, END));
    assert_eq!(mem[TEXT.1 as usize + TEXT.3 as usize], FILL);
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = std::env::temp_dir().join(format!("ukvm-elf-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("kernel");
    let _ = std::fs::remove_file(&fifo);
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let mut mem = vec![0u8; MEM_SIZE];
    // With no writer, a blocking open would never return: this test would hang.
    let err = load_path(&fifo, &mut mem, M).unwrap_err();
    assert_eq!(err.to_string(), "not a regular file (a FIFO)");
    assert!(err.io_error().is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_device_is_refused() {
    let mut mem = vec![0u8; MEM_SIZE];
    let err = load_path(Path::new("/dev/zero"), &mut mem, M).unwrap_err();
    assert_eq!(err.to_string(), "not a regular file (a character device)");
}

#[test]
fn a_directory_fails_as_upstream_reports_it() {
    let mut mem = vec![0u8; MEM_SIZE];
    let err = load_path(Path::new("/"), &mut mem, M).unwrap_err();
    assert_eq!(
        err.io_error().and_then(|e| e.raw_os_error()),
        Some(libc::EISDIR)
    );
}
