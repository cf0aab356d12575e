//! How the Rust tests of the modules and the ELF loader report a skip.
//!
//! A test skips only when a prerequisite is absent (no SOLO5_SRC, no root,
//! not built yet), never because a build or a compile failed: that is a
//! failure. It then calls [`skip`] and returns. cargo counts the early
//! return as a pass, so the line [`skip`] prints is the record of it:
//! `skip <test>: <reason>`, the form `make test`'s harness counts. It is
//! written through `std::io::stderr()` itself, which libtest's output
//! capture does not take (that catches only the `print!` family), so it is
//! shown whatever the test's flags, passing or failing. Child-process entry
//! points are not tests and do not skip: they are `#[ignore]`d with their
//! reason and run with `--include-ignored` by the test that spawns them.

use std::io::Write;

/// Report that `test` skipped for `reason` (one line, on stderr, uncaptured).
pub fn skip(test: &str, reason: &str) {
    // A failed write to stderr leaves nothing better to report it on.
    let _ = writeln!(std::io::stderr(), "skip {test}: {reason}");
}
