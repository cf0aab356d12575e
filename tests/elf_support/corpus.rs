//! A small valid kernel image and malformed variants of it, for the loader's
//! tests and as seeds for its fuzz target.
//!
//! The valid image: an x86_64 or AArch64 ET_EXEC file with three program
//! headers: text (R+X, 0x40 bytes at 1 MiB), data (R+W, 0x20 bytes of file
//! data and 0x2000 of memory at 1 MiB + 4 KiB) and a PT_GNU_STACK that the
//! loader ignores. Every malformed case must be refused when loaded into
//! [`MEM_SIZE`] bytes of guest memory.
//!
//! Test code, kept out of the library: included with `#[path]` by the
//! loader's unit tests (src/elf/tests.rs), the integration tests
//! tests/elf_*.rs and the fuzz target. The including module must have the
//! loader module in scope as `elf` (`use ukvm::elf;`, or `use crate::elf;`
//! inside the crate).

#![allow(
    dead_code,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::panic
)]

use super::elf;
use elf::header::off as eh;
use elf::phdr::{off as ph, PF_R, PF_W, PF_X, PT_LOAD};
use elf::{EM_AARCH64, EM_X86_64, PHDR_SIZE};

/// Guest memory size the cases are meant for.
pub const MEM_SIZE: usize = 0x40_0000;
/// Entry point of the valid image.
pub const ENTRY: u64 = 0x10_0010;
/// Kernel end the loader must report for the valid image.
pub const END: u64 = 0x10_3000;
/// Where the program header table starts in the file.
pub const PHOFF: usize = 64;
/// Number of program headers.
pub const PHNUM: usize = 3;

/// (file offset, guest address, file size, memory size, flags) of the two
/// PT_LOAD segments.
pub const TEXT: (usize, u64, usize, u64, u32) = (0x100, 0x10_0000, 0x40, 0x40, PF_R | PF_X);
pub const DATA: (usize, u64, usize, u64, u32) = (0x140, 0x10_1000, 0x20, 0x2000, PF_R | PF_W);
/// Length of the valid image.
pub const FILE_LEN: usize = 0x160;

const PT_GNU_STACK: u32 = 0x6474_e551;

/// The byte at `i` of the text segment's file data.
pub fn text_byte(i: usize) -> u8 {
    (i as u8).wrapping_mul(7).wrapping_add(1)
}

/// The byte at `i` of the data segment's file data.
pub fn data_byte(i: usize) -> u8 {
    0xd0u8.wrapping_add(i as u8)
}

fn put(b: &mut [u8], at: usize, width: usize, value: u64) {
    b[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
}

/// File offset of field `field` of program header `i`.
pub fn phdr_field(i: usize, field: usize) -> usize {
    PHOFF + i * PHDR_SIZE + field
}

/// The valid image for `machine`.
pub fn valid(machine: u16) -> Vec<u8> {
    let mut b = vec![0u8; FILE_LEN];
    b[..4].copy_from_slice(b"\x7fELF");
    b[eh::EI_CLASS] = 2;
    b[eh::EI_DATA] = 1;
    b[eh::EI_VERSION] = 1;
    put(&mut b, eh::E_TYPE, 2, 2);
    put(&mut b, eh::E_MACHINE, 2, machine.into());
    put(&mut b, eh::E_VERSION, 4, 1);
    put(&mut b, eh::E_ENTRY, 8, ENTRY);
    put(&mut b, eh::E_PHOFF, 8, PHOFF as u64);
    put(&mut b, 52, 2, 64); // e_ehsize
    put(&mut b, eh::E_PHENTSIZE, 2, PHDR_SIZE as u64);
    put(&mut b, eh::E_PHNUM, 2, PHNUM as u64);
    for (i, (offset, gpa, filesz, memsz, flags)) in [TEXT, DATA].into_iter().enumerate() {
        put(&mut b, phdr_field(i, ph::P_TYPE), 4, PT_LOAD.into());
        put(&mut b, phdr_field(i, ph::P_FLAGS), 4, flags.into());
        put(&mut b, phdr_field(i, ph::P_OFFSET), 8, offset as u64);
        put(&mut b, phdr_field(i, ph::P_VADDR), 8, gpa);
        put(&mut b, phdr_field(i, ph::P_PADDR), 8, gpa);
        put(&mut b, phdr_field(i, ph::P_FILESZ), 8, filesz as u64);
        put(&mut b, phdr_field(i, ph::P_MEMSZ), 8, memsz);
        put(&mut b, phdr_field(i, ph::P_ALIGN), 8, 0x1000);
    }
    put(&mut b, phdr_field(2, ph::P_TYPE), 4, PT_GNU_STACK.into());
    put(&mut b, phdr_field(2, ph::P_FLAGS), 4, (PF_R | PF_W).into());
    put(&mut b, phdr_field(2, ph::P_ALIGN), 8, 0x10);
    for i in 0..TEXT.2 {
        b[TEXT.0 + i] = text_byte(i);
    }
    for i in 0..DATA.2 {
        b[DATA.0 + i] = data_byte(i);
    }
    b
}

/// A named malformed image.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Every malformed variant of [`valid`]`(machine)`.
pub fn malformed(machine: u16) -> Vec<Case> {
    let base = valid(machine);
    let mut cases = Vec::new();
    let mut field = |name: String, at: usize, width: usize, value: u64| {
        let mut bytes = base.clone();
        put(&mut bytes, at, width, value);
        cases.push(Case { name, bytes });
    };

    // The identification bytes.
    for (i, b) in base.iter().take(4).enumerate() {
        field(format!("ei_mag{i}-wrong"), i, 1, u64::from(b ^ 0x20));
    }
    for v in [0, 1, 3, 0xff] {
        field(format!("ei_class-{v}"), eh::EI_CLASS, 1, v);
    }
    for v in [0, 2, 3] {
        field(format!("ei_data-{v}"), eh::EI_DATA, 1, v);
    }
    for v in [0, 2, 0xff] {
        field(format!("ei_version-{v}"), eh::EI_VERSION, 1, v);
    }
    // The header proper.
    for v in [0, 1, 3, 4, 0xfe00, 0xffff] {
        field(format!("e_type-{v}"), eh::E_TYPE, 2, v);
    }
    let other = if machine == EM_AARCH64 {
        EM_X86_64
    } else {
        EM_AARCH64
    };
    for v in [0, 3, 40, u64::from(other), u64::from(machine) + 1, 0xffff] {
        field(format!("e_machine-{v}"), eh::E_MACHINE, 2, v);
    }
    for v in [0, 2, u64::from(u32::MAX)] {
        field(format!("e_version-{v}"), eh::E_VERSION, 4, v);
    }
    for v in [
        0,
        0xf_ffff,
        TEXT.1 + TEXT.3,
        DATA.1 + DATA.3,
        0x4000_0000,
        u64::MAX,
    ] {
        field(format!("e_entry-{v:#x}"), eh::E_ENTRY, 8, v);
    }
    let table_end = (PHOFF + PHNUM * PHDR_SIZE) as u64;
    for v in [
        FILE_LEN as u64,
        FILE_LEN as u64 - 8,
        1 << 32,
        1 << 63,
        u64::MAX,
        u64::MAX - table_end,
    ] {
        field(format!("e_phoff-{v:#x}"), eh::E_PHOFF, 8, v);
    }
    for v in [0, 1, 8, 32, 55, 57, 64, 0xffff] {
        field(format!("e_phentsize-{v}"), eh::E_PHENTSIZE, 2, v);
    }
    for v in [0, 6, 100, 0xfffe, 0xffff] {
        field(format!("e_phnum-{v}"), eh::E_PHNUM, 2, v);
    }

    // Each PT_LOAD header's fields.
    let mem = MEM_SIZE as u64;
    for (i, (_, gpa, filesz, memsz, _)) in [TEXT, DATA].into_iter().enumerate() {
        let f = |name: &str| format!("phdr{i}-{name}");
        let filesz = filesz as u64;
        for v in [
            FILE_LEN as u64,
            FILE_LEN as u64 - 1,
            1 << 40,
            1 << 63,
            u64::MAX,
            u64::MAX - filesz + 1,
        ] {
            field(
                f(&format!("p_offset-{v:#x}")),
                phdr_field(i, ph::P_OFFSET),
                8,
                v,
            );
        }
        for v in [
            0,
            0x1000,
            0xf_f000,
            gpa + 1,
            gpa + 0x800,
            mem,
            mem - 0x1000,
            mem + 0x1000,
            1 << 63,
            !0xfff,
            u64::MAX,
        ] {
            field(
                f(&format!("p_paddr-{v:#x}")),
                phdr_field(i, ph::P_PADDR),
                8,
                v,
            );
        }
        for v in [memsz + 1, mem, 1 << 63, u64::MAX] {
            field(
                f(&format!("p_filesz-{v:#x}")),
                phdr_field(i, ph::P_FILESZ),
                8,
                v,
            );
        }
        for v in [0, filesz - 1, mem - gpa, mem, u64::MAX - gpa + 1, u64::MAX] {
            field(
                f(&format!("p_memsz-{v:#x}")),
                phdr_field(i, ph::P_MEMSZ),
                8,
                v,
            );
        }
        for v in [mem * 2, 1 << 63] {
            field(
                f(&format!("p_align-{v:#x}")),
                phdr_field(i, ph::P_ALIGN),
                8,
                v,
            );
        }
    }
    // A non-load header turned PT_LOAD, with its all-zero addresses.
    field(
        "phdr2-p_type-load-at-0".into(),
        phdr_field(2, ph::P_TYPE),
        4,
        PT_LOAD.into(),
    );
    // Overlaps: data on top of text, text grown into data, data inside text.
    field(
        "overlap-same-paddr".into(),
        phdr_field(1, ph::P_PADDR),
        8,
        TEXT.1,
    );
    field(
        "overlap-text-grown".into(),
        phdr_field(0, ph::P_MEMSZ),
        8,
        DATA.1 - TEXT.1 + 1,
    );
    field(
        "overlap-text-covers-data".into(),
        phdr_field(0, ph::P_MEMSZ),
        8,
        0x10_0000,
    );
    // Overlap with a copy of the text header in place of the stack header.
    {
        let mut bytes = base.clone();
        let (src, dst) = (phdr_field(0, 0), phdr_field(2, 0));
        bytes.copy_within(src..src + PHDR_SIZE, dst);
        cases.push(Case {
            name: "overlap-duplicate-phdr".into(),
            bytes,
        });
    }
    // No PT_LOAD at all.
    {
        let mut bytes = base.clone();
        put(
            &mut bytes,
            phdr_field(0, ph::P_TYPE),
            4,
            PT_GNU_STACK.into(),
        );
        put(&mut bytes, phdr_field(1, ph::P_TYPE), 4, 4); // PT_NOTE
        cases.push(Case {
            name: "no-pt-load".into(),
            bytes,
        });
    }
    // Truncations at every length (all of the file is needed).
    for len in 0..FILE_LEN {
        cases.push(Case {
            name: format!("truncated-{len}"),
            bytes: base[..len].to_vec(),
        });
    }
    // Not an ELF file at all.
    cases.push(Case {
        name: "text-file".into(),
        bytes: b"#!/bin/sh\necho not a kernel\n".to_vec(),
    });
    cases.push(Case {
        name: "zeros".into(),
        bytes: vec![0; FILE_LEN],
    });
    cases
}

/// A deterministic source of mutated images (xorshift64*), for the
/// mutation and differential tests: each call to [`Mutator::next_image`]
/// takes a seed image and applies one to four random mutations (bit flips,
/// byte writes, interesting values in header fields, truncation, appended
/// bytes, one program header copied over another).
pub struct Mutator {
    state: u64,
    seeds: Vec<Vec<u8>>,
}

/// Values that sit on the loader's boundaries.
const INTERESTING: [u64; 16] = [
    0,
    1,
    2,
    55,
    56,
    57,
    0xfff,
    0x1000,
    0xffff,
    0xf_ffff,
    0x10_0000,
    MEM_SIZE as u64 - 1,
    MEM_SIZE as u64,
    1 << 63,
    u64::MAX,
    u64::MAX - 0xfff,
];

impl Mutator {
    /// Mutate the valid images for `machine` and another machine, and every
    /// malformed case; `seed` picks the sequence (0 is replaced by 1).
    pub fn new(seed: u64, machine: u16) -> Self {
        let other = if machine == EM_AARCH64 {
            EM_X86_64
        } else {
            EM_AARCH64
        };
        let mut seeds = vec![valid(machine), valid(other)];
        seeds.extend(malformed(machine).into_iter().map(|c| c.bytes));
        Self::from_seeds(seed, seeds)
    }

    /// Mutate the given images (at least one).
    pub fn from_seeds(seed: u64, seeds: Vec<Vec<u8>>) -> Self {
        let seeds = if seeds.is_empty() {
            vec![Vec::new()]
        } else {
            seeds
        };
        Mutator {
            state: seed.max(1),
            seeds,
        }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// The next mutated image.
    pub fn next_image(&mut self) -> Vec<u8> {
        let pick = self.below(self.seeds.len());
        let mut b = self.seeds[pick].clone();
        for _ in 0..=self.below(4) {
            match self.below(6) {
                0 if !b.is_empty() => {
                    let i = self.below(b.len());
                    b[i] ^= 1 << self.below(8);
                }
                1 if !b.is_empty() => {
                    let i = self.below(b.len());
                    b[i] = self.next() as u8;
                }
                2 => {
                    let width = [2usize, 4, 8][self.below(3)];
                    let at = self.below((PHOFF + PHNUM * PHDR_SIZE) / width) * width;
                    let v = if self.below(4) == 0 {
                        self.next()
                    } else {
                        INTERESTING[self.below(INTERESTING.len())]
                    };
                    if at + width <= b.len() {
                        put(&mut b, at, width, v);
                    }
                }
                3 => {
                    let len = self.below(b.len() + 1);
                    b.truncate(len);
                }
                4 => {
                    let n = self.below(64);
                    for _ in 0..n {
                        let byte = self.next() as u8;
                        b.push(byte);
                    }
                }
                _ => {
                    let (f, t) = (
                        phdr_field(self.below(PHNUM), 0),
                        phdr_field(self.below(PHNUM), 0),
                    );
                    if f.max(t) + PHDR_SIZE <= b.len() {
                        b.copy_within(f..f + PHDR_SIZE, t);
                    }
                }
            }
        }
        b
    }
}

/// Load `data` into `mem` (of [`MEM_SIZE`] bytes or more) for `machine` and
/// panic if the loader broke one of its promises: an accepted image must
/// have its segments and entry inside memory, above 1 MiB, not
/// overlapping, with a sane end and protection plan; a refused one must
/// come with a one-line "Exec format error" message. The fuzz target and
/// the mutation tests call this for every input.
pub fn check_loader_on(data: &[u8], mem: &mut [u8], machine: u16) {
    let size = mem.len() as u64;
    match elf::load(data, mem, machine) {
        Ok(l) => {
            assert!(l.end <= size, "end {:#x} past memory", l.end);
            assert!(!l.segments.is_empty());
            for s in &l.segments {
                assert!(
                    s.gpa >= elf::MIN_GPA && s.gpa % elf::PAGE_SIZE == 0,
                    "{s:?}"
                );
                assert!(
                    s.filesz <= s.memsz && s.end() < size && s.end() <= l.end,
                    "{s:?} end {:#x}",
                    l.end
                );
            }
            let mut sorted = l.segments.clone();
            sorted.sort_by_key(|s| s.gpa);
            for w in sorted.windows(2) {
                assert!(
                    w[0].end() <= w[1].gpa || w[0].memsz == 0 || w[1].memsz == 0,
                    "overlap {w:?}"
                );
            }
            assert!(
                l.segments
                    .iter()
                    .any(|s| s.gpa <= l.entry && l.entry < s.end()),
                "entry {:#x}",
                l.entry
            );
            for page in [0x1000, 0x4000, 0x10000] {
                let plan = elf::protect::plan(&l.segments, page);
                for w in plan.windows(2) {
                    assert!(
                        w[0].start + w[0].len <= w[1].start,
                        "protection runs overlap: {w:?}"
                    );
                }
                for p in &plan {
                    assert!(
                        p.start % page == 0
                            && p.len % page == 0
                            && p.start + p.len <= size.next_multiple_of(page)
                    );
                }
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with("Exec format error: ") && !msg.contains('\n'),
                "bad message {msg:?}"
            );
        }
    }
}
