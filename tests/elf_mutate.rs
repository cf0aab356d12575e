//! Random mutations of the ELF corpus against the loader: a fixed-seed run
//! in every `cargo test`, and a timed run (ignored by default) that `make
//! fuzz` uses on stable Rust when cargo-fuzz cannot be had.

#[path = "elf_support/corpus.rs"]
mod corpus;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use corpus::Mutator;
use ukvm::elf::{self, HOST_MACHINE};

/// Run mutated inputs until `done` says stop; returns (runs, accepted).
/// A broken promise saves the input under `artifacts` and fails.
fn run(seed: u64, mut done: impl FnMut(u64) -> bool, artifacts: Option<PathBuf>) -> (u64, u64) {
    let mut mutator = Mutator::new(seed, HOST_MACHINE);
    let mut mem = vec![0u8; corpus::MEM_SIZE];
    let (mut runs, mut accepted) = (0u64, 0u64);
    while !done(runs) {
        let input = mutator.next_image();
        let r = catch_unwind(AssertUnwindSafe(|| {
            corpus::check_loader_on(&input, &mut mem, HOST_MACHINE)
        }));
        if let Err(e) = r {
            if let Some(dir) = &artifacts {
                std::fs::create_dir_all(dir).unwrap();
                let path = dir.join(format!("crash-{runs}"));
                std::fs::write(&path, &input).unwrap();
                eprintln!("saved failing input to {}", path.display());
            }
            std::panic::resume_unwind(e);
        }
        if elf::load(&input[..], &mut mem, HOST_MACHINE).is_ok() {
            accepted += 1;
        }
        runs += 1;
    }
    (runs, accepted)
}

#[test]
fn fixed_seed_mutations_keep_the_loaders_promises() {
    let (runs, accepted) = run(0x5eed_e1f0_0dd5, |n| n >= 20_000, None);
    eprintln!("{runs} mutated inputs, {accepted} accepted");
    // The mutations must reach both outcomes, or this test checks little.
    assert!(
        accepted > 100 && accepted < runs - 1000,
        "{accepted} of {runs} accepted"
    );
}

/// `make fuzz` on stable: run for UKVM_FUZZ_SECONDS (default 60) with a
/// time-based seed; failing inputs go to UKVM_FUZZ_ARTIFACTS.
#[test]
#[ignore = "timed; run by `make fuzz` when cargo-fuzz is unavailable"]
fn timed_mutation_fuzz() {
    let secs: u64 = std::env::var("UKVM_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let artifacts = std::env::var_os("UKVM_FUZZ_ARTIFACTS").map(PathBuf::from);
    let start = Instant::now();
    let limit = Duration::from_secs(secs);
    let (runs, accepted) = run(
        seed,
        |n| n % 1024 == 0 && start.elapsed() >= limit,
        artifacts,
    );
    println!("stable mutation fuzz: seed {seed:#x}, {runs} runs in {secs} s, {accepted} accepted, no failures");
}
