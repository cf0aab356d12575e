//! Exported registration API of `ukvm.h` and the HALT entry point.

use std::os::raw::c_int;

use super::guard;
use crate::abi::{ukvm_gpa_t, HaltFn, HypercallFn, UkvmHv, VmexitFn};
use crate::monitor::{dispatch, global};

/// Register `fn_` as the handler of hypercall `nr`: 0 on success, -1 if
/// `nr` is out of range (negative included), taken, or `fn_` is NULL.
#[no_mangle]
pub extern "C" fn ukvm_core_register_hypercall(nr: c_int, fn_: HypercallFn) -> c_int {
    guard("ukvm_core_register_hypercall", || {
        global::register_hypercall(nr, fn_)
    })
}

/// Register a hook run on guest halt (at most 8): 0 or -1.
#[no_mangle]
pub extern "C" fn ukvm_core_register_halt_hook(fn_: HaltFn) -> c_int {
    guard("ukvm_core_register_halt_hook", || {
        global::register_halt_hook(fn_)
    })
}

/// Register a vmexit handler (at most one per compiled-in module): 0 or -1.
#[no_mangle]
pub extern "C" fn ukvm_core_register_vmexit(fn_: VmexitFn) -> c_int {
    guard("ukvm_core_register_vmexit", || global::register_vmexit(fn_))
}

/// Register `fd` for the POLL hypercall (at most one per module): 0 or -1.
#[no_mangle]
pub extern "C" fn ukvm_core_register_pollfd(fd: c_int) -> c_int {
    guard("ukvm_core_register_pollfd", || global::register_pollfd(fd))
}

/// Handle a guest HALT: run the halt hooks and return the exit status.
/// A bad guest pointer is fatal.
///
/// # Safety
/// `hv` must point to the monitor's valid `struct ukvm_hv`.
#[no_mangle]
pub unsafe extern "C" fn ukvm_core_hypercall_halt(hv: *mut UkvmHv, gpa: ukvm_gpa_t) -> c_int {
    guard("ukvm_core_hypercall_halt", || {
        dispatch::halt_global(hv, gpa)
    })
}
