//! The monitor core: registration tables, checked guest memory, hypercall
//! dispatch, the core module's hypercalls and the start-up sequence.
//!
//! This layer is Rust-only; `crate::ffi` wraps it for C.

pub mod core_calls;
pub mod dispatch;
pub mod global;
pub mod guest_io;
pub mod guest_mem;
pub mod halt;
pub mod modules;
pub mod protections;
pub mod registry;
pub mod start;

pub use dispatch::{dispatch_hypercall, run_vmexit_handlers, HypercallOutcome};
pub use guest_mem::{check_range, GuestAccessError, GuestMem, MemError};
pub use protections::Protections;

use crate::abi::{ukvm_gpa_t, UkvmHv};

/// Checked guest pointer for Rust callers: host address of `size` bytes at
/// `gpa` in `hv`'s memory, or the error describing the bad range.
///
/// # Safety
/// `hv` must point to a valid `struct ukvm_hv` with mapped guest memory.
pub unsafe fn checked_gpa(
    hv: *const UkvmHv,
    gpa: ukvm_gpa_t,
    size: usize,
) -> Result<*mut u8, GuestAccessError> {
    // SAFETY: forwarded caller guarantee.
    unsafe { GuestMem::from_hv(hv) }.ptr(gpa, size)
}
