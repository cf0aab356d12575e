//! Rust view of the C ABI: guest-shared structures and the host module API.
//!
//! `guest` mirrors `include/ukvm_guest.h` as seen by the monitor
//! (`UKVM_HOST`); `host` mirrors the structures and callback types of
//! `include/ukvm.h`. Everything here is plain data: no behaviour.

pub mod guest;
pub mod host;

pub use guest::*;
pub use host::*;

/// Number of hypercall slots (`UKVM_HYPERCALL_MAX`), as an index bound.
pub const HYPERCALL_MAX: usize = guest::UKVM_HYPERCALL_MAX as usize;

/// Guest command line capacity including the terminating NUL.
pub const CMDLINE_SIZE: usize = guest::UKVM_CMDLINE_SIZE as usize;

/// Bytes of guest memory a non-NULL halt cookie must make accessible.
pub const HALT_COOKIE_MAX: usize = guest::UKVM_HALT_COOKIE_MAX as usize;
