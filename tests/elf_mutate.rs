//! Random mutations of the ELF corpus against the loader: a fixed-seed run
//! in every `cargo test`, and a timed run (ignored by default) that `make
//! fuzz` uses on stable Rust when cargo-fuzz cannot be had.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ukvm::elf::{corpus, EM_AARCH64, EM_X86_64, HOST_MACHINE, PHDR_SIZE};

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

const INTERESTING: [u64; 16] = [
    0, 1, 2, 55, 56, 57, 0xfff, 0x1000, 0xffff, 0xf_ffff, 0x10_0000,
    corpus::MEM_SIZE as u64 - 1, corpus::MEM_SIZE as u64, 1 << 63, u64::MAX, u64::MAX - 0xfff,
];

fn seeds() -> Vec<Vec<u8>> {
    let other = if HOST_MACHINE == EM_AARCH64 { EM_X86_64 } else { EM_AARCH64 };
    let mut s = vec![corpus::valid(HOST_MACHINE), corpus::valid(other)];
    s.extend(corpus::malformed(HOST_MACHINE).into_iter().map(|c| c.bytes));
    s
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut b = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        match rng.below(6) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
            2 => {
                // An interesting value in a header or program header field.
                let width = [2usize, 4, 8][rng.below(3)];
                let limit = corpus::PHOFF + corpus::PHNUM * PHDR_SIZE;
                let at = rng.below(limit / width) * width;
                let v = if rng.below(4) == 0 { rng.next() } else { INTERESTING[rng.below(INTERESTING.len())] };
                if at + width <= b.len() {
                    b[at..at + width].copy_from_slice(&v.to_le_bytes()[..width]);
                }
            }
            3 => b.truncate(rng.below(b.len() + 1)),
            4 => {
                let n = rng.below(64);
                b.extend((0..n).map(|_| rng.next() as u8));
            }
            _ => {
                // Copy one program header over another.
                let (from, to) = (rng.below(corpus::PHNUM), rng.below(corpus::PHNUM));
                let (f, t) = (corpus::phdr_field(from, 0), corpus::phdr_field(to, 0));
                if f.max(t) + PHDR_SIZE <= b.len() {
                    b.copy_within(f..f + PHDR_SIZE, t);
                }
            }
        }
    }
    b
}

/// Run mutated inputs until `done` says stop; returns (runs, accepted).
/// A broken promise saves the input under `artifacts` and fails.
fn run(mut rng: Rng, mut done: impl FnMut(u64) -> bool, artifacts: Option<PathBuf>) -> (u64, u64) {
    let seeds = seeds();
    let mut mem = vec![0u8; corpus::MEM_SIZE];
    let (mut runs, mut accepted) = (0u64, 0u64);
    while !done(runs) {
        let input = mutate(&mut rng, &seeds);
        let r = catch_unwind(AssertUnwindSafe(|| corpus::check_loader_on(&input, &mut mem, HOST_MACHINE)));
        if let Err(e) = r {
            if let Some(dir) = &artifacts {
                std::fs::create_dir_all(dir).unwrap();
                let path = dir.join(format!("crash-{runs}"));
                std::fs::write(&path, &input).unwrap();
                eprintln!("saved failing input to {}", path.display());
            }
            std::panic::resume_unwind(e);
        }
        if ukvm::elf::load(&input[..], &mut mem, HOST_MACHINE).is_ok() {
            accepted += 1;
        }
        runs += 1;
    }
    (runs, accepted)
}

#[test]
fn fixed_seed_mutations_keep_the_loaders_promises() {
    let (runs, accepted) = run(Rng(0x5eed_e1f0_0dd5_u64), |n| n >= 20_000, None);
    eprintln!("{runs} mutated inputs, {accepted} accepted");
    // The mutations must reach both outcomes, or this test checks little.
    assert!(accepted > 100 && accepted < runs - 1000, "{accepted} of {runs} accepted");
}

/// `make fuzz` on stable: run for UKVM_FUZZ_SECONDS (default 60) with a
/// time-based seed; failing inputs go to UKVM_FUZZ_ARTIFACTS.
#[test]
#[ignore = "timed; run by `make fuzz` when cargo-fuzz is unavailable"]
fn timed_mutation_fuzz() {
    let secs: u64 = std::env::var("UKVM_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    let artifacts = std::env::var_os("UKVM_FUZZ_ARTIFACTS").map(PathBuf::from);
    let start = Instant::now();
    let limit = Duration::from_secs(secs);
    let (runs, accepted) = run(Rng(seed), |n| n % 1024 == 0 && start.elapsed() >= limit, artifacts);
    println!("stable mutation fuzz: seed {seed:#x}, {runs} runs in {secs} s, {accepted} accepted, no failures");
}
