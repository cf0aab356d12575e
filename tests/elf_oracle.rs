//! Differential test against upstream's loader: ukvm_elf.c from SOLO5_SRC,
//! built with tests/elf_oracle/harness.c under $BUILD/elf-oracle, runs on
//! the corpus and on mutated images next to ours.
//!
//! Where upstream accepts a file, we must either load it identically (same
//! entry point, end and guest memory) or refuse it for one of the reasons
//! we deliberately add (listed in `STRICTER`). Where upstream refuses a
//! file or crashes on it, we must refuse it too.

#[path = "elf_support/corpus.rs"]
mod corpus;
#[path = "skip_support/mod.rs"]
mod skip;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use corpus::Mutator;
use ukvm::elf::{self, ElfError, HOST_MACHINE};

/// Our checks that upstream lacks, with why each is there.
const STRICTER: &[(&str, &str)] = &[
    (
        "BadData",
        "big-endian files cannot be read as little-endian ones",
    ),
    (
        "BadIdentVersion",
        "EI_VERSION other than EV_CURRENT is not ELF as we know it",
    ),
    (
        "BadVersion",
        "e_version other than EV_CURRENT is not ELF as we know it",
    ),
    (
        "BadPhentsize",
        "upstream reads 56-byte headers whatever e_phentsize says",
    ),
    (
        "NoProgramHeaders",
        "nothing to load: upstream starts the guest on zeroed memory",
    ),
    (
        "NoLoadSegments",
        "nothing to load: upstream starts the guest on zeroed memory",
    ),
    (
        "ExtendedPhnum",
        "PN_XNUM means the count is elsewhere; upstream reads 65535 headers",
    ),
    (
        "BelowMinimum",
        "page tables, boot info and command line live below 1 MiB",
    ),
    (
        "Overlap",
        "overlapping segments overwrite each other and mix protections",
    ),
    (
        "EntryOutsideSegments",
        "the vCPU would start outside the kernel",
    ),
];

fn variant(e: &ElfError) -> String {
    format!("{e:?}")
        .split([' ', '(', '{'])
        .next()
        .unwrap_or("")
        .to_string()
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Accept {
        entry: u64,
        end: u64,
        blocks: Vec<(u64, u64)>,
    },
    Refuse,
    Crash(i32),
}

const BLOCK: usize = 0x10000;

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn ours(image: &[u8], mem: &mut [u8]) -> Result<Outcome, ElfError> {
    mem.fill(0);
    let l = elf::load(image, mem, HOST_MACHINE)?;
    let zero = [0u8; BLOCK];
    let blocks = mem
        .chunks_exact(BLOCK)
        .enumerate()
        .filter(|(_, b)| *b != zero.as_slice())
        .map(|(i, b)| (i as u64, fnv(b)))
        .collect();
    Ok(Outcome::Accept {
        entry: l.entry,
        end: l.end,
        blocks,
    })
}

fn upstream(harness: &Path, file: &Path) -> Outcome {
    let out = Command::new(harness)
        .arg(file)
        .arg(format!("{:#x}", corpus::MEM_SIZE))
        .output()
        .unwrap();
    if let Some(sig) = std::os::unix::process::ExitStatusExt::signal(&out.status) {
        return Outcome::Crash(sig);
    }
    if out.status.code() != Some(0) {
        return Outcome::Refuse;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = |s: &str| u64::from_str_radix(s, 16).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(' ').collect();
    assert_eq!(head[0], "ACCEPT");
    let blocks = lines
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (hex(f[1]), hex(f[2]))
        })
        .collect();
    Outcome::Accept {
        entry: hex(head[1]),
        end: hex(head[2]),
        blocks,
    }
}

/// Build the harness with upstream's loader; `Err` says which prerequisite
/// is absent (a skip). A compile that fails is a failure: it panics.
fn build_harness() -> Result<PathBuf, String> {
    if !cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        return Err("upstream's loader builds only for x86_64 and aarch64".into());
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let solo5 = std::env::var_os("SOLO5_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../shared/solo5-v0.3.1"));
    let elf_c = solo5.join("ukvm/ukvm_elf.c");
    if !elf_c.exists() {
        return Err(format!("no {} (set SOLO5_SRC)", elf_c.display()));
    }
    let build = std::env::var_os("BUILD")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("build"));
    let dir = build.join("elf-oracle");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let harness = dir.join(format!("harness-{}", std::process::id()));
    let status = Command::new("cc")
        .args(["-O1", "-w", "-I"])
        .arg(solo5.join("ukvm"))
        .arg("-o")
        .arg(&harness)
        .arg(manifest.join("tests/elf_oracle/harness.c"))
        .arg(&elf_c)
        .status();
    match status {
        Ok(s) => assert!(
            s.success(),
            "cc failed to build the oracle from {}: {s}",
            elf_c.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err("no cc on PATH".into()),
        Err(e) => panic!("cc: {e}"),
    }
    Ok(harness)
}

#[test]
fn same_as_upstream_where_upstream_is_sound() {
    let harness = match build_harness() {
        Ok(h) => h,
        Err(why) => {
            skip::skip("same_as_upstream_where_upstream_is_sound", &why);
            return;
        }
    };
    let dir = harness.with_extension("inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let mut inputs: Vec<(String, Vec<u8>)> = vec![("valid".into(), corpus::valid(HOST_MACHINE))];
    inputs.extend(
        corpus::malformed(HOST_MACHINE)
            .into_iter()
            .map(|c| (c.name, c.bytes)),
    );
    // Mutants of the valid image, so that both loaders accept many of them.
    let mut m = Mutator::from_seeds(0x0dd_0c1e, vec![corpus::valid(HOST_MACHINE)]);
    inputs.extend((0..800).map(|i| (format!("mutant-{i}"), m.next_image())));

    let mut mem = vec![0u8; corpus::MEM_SIZE];
    let mut tally: BTreeMap<String, u32> = BTreeMap::new();
    let mut failures = Vec::new();
    for (name, image) in &inputs {
        let file = dir.join(name);
        std::fs::write(&file, image).unwrap();
        let theirs = upstream(&harness, &file);
        let mine = ours(image, &mut mem);
        let key = match (&theirs, &mine) {
            (Outcome::Accept { .. }, Ok(o)) if *o == theirs => {
                "both accept, same result".to_string()
            }
            (Outcome::Accept { .. }, Ok(o)) => {
                failures.push(format!("{name}: upstream {theirs:?}, ours {o:?}"));
                "both accept, DIFFERENT result".into()
            }
            (Outcome::Accept { .. }, Err(e)) => {
                let v = variant(e);
                if !STRICTER.iter().any(|(s, _)| *s == v) {
                    failures.push(format!("{name}: upstream accepts, we refuse: {e}"));
                }
                format!("upstream accepts, we refuse: {v}")
            }
            (_, Ok(o)) => {
                failures.push(format!("{name}: upstream {theirs:?}, we accept {o:?}"));
                "upstream refuses, WE ACCEPT".into()
            }
            (Outcome::Refuse, Err(_)) => "both refuse".into(),
            (Outcome::Crash(sig), Err(e)) => {
                format!("upstream killed by signal {sig}, we refuse: {}", variant(e))
            }
        };
        *tally.entry(key).or_default() += 1;
    }
    for (k, n) in &tally {
        println!("{n:5}  {k}");
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    println!(
        "{} passed, {} failed, 0 skipped",
        inputs.len() - failures.len(),
        failures.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_file(&harness).unwrap();
    assert!(
        failures.is_empty(),
        "{} differences from upstream (see above)",
        failures.len()
    );
    assert!(tally.get("both accept, same result").copied().unwrap_or(0) > 10);
}
