//! ukvm: a Rust drop-in for the core of Solo5's ukvm unikernel monitor
//! (v0.3.1), exporting upstream's C module API.

#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod abi;
pub mod arch;
pub mod cli;
pub mod diag;
pub mod elf;
pub mod error;
pub mod ffi;
pub mod hv;
pub mod modules;
pub mod monitor;

pub use error::Fatal;
pub use monitor::{GuestAccessError, GuestMem, HypercallOutcome, MemError, Monitor, Protections};
