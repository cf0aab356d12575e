//! ukvm: a Rust drop-in for the core of Solo5's ukvm unikernel monitor
//! (v0.3.1), exporting upstream's C module API.

pub mod arch;
pub mod diag;
