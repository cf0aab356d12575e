//! The `extern "C"` layer: every symbol C code links against. Each entry
//! goes through `guard`, so no Rust panic crosses into C; logic lives in
//! `crate::monitor` and `crate::cli`.

mod core_api;
mod core_module;
mod gpa;
mod guard;
mod main_entry;

#[cfg(test)]
mod death_tests;

pub use core_module::ukvm_module_core;
pub use guard::guard;

use crate::abi::UkvmHv;
use crate::error::Fatal;
use crate::monitor::GuestMem;

/// The guest memory a C caller's own `struct ukvm_hv` (not the installed
/// monitor's) describes, checked against the protections the kernel
/// reports for it now. Slower than the monitor's (a read of
/// /proc/self/maps per call): only C test programs and embedders take
/// this path.
///
/// # Safety
/// `hv` is NULL or points to a valid `struct ukvm_hv` whose `mem` and
/// `mem_size` describe memory that stays mapped during the call.
pub(crate) unsafe fn foreign_mem(hv: *const UkvmHv, entry: &str) -> Result<GuestMem, Fatal> {
    // SAFETY: NULL or valid, by the caller's contract.
    let Some(hv) = (unsafe { hv.as_ref() }) else {
        return Err(Fatal::Msg(format!("{entry}: NULL struct ukvm_hv")));
    };
    let prot = core_module::protections_of(hv.mem, hv.mem_size);
    // SAFETY: the caller guarantees the memory for the call's duration,
    // and the view does not outlive the call.
    Ok(unsafe { GuestMem::from_raw(hv.mem, hv.mem_size, prot) })
}
