//! Exported registration API of `ukvm.h` and the HALT entry point.

use std::os::raw::c_int;

use super::guard;
use crate::abi::{ukvm_gpa_t, HaltFn, HypercallFn, UkvmHv, VmexitFn};
use crate::monitor::core_calls::CallError;
use crate::monitor::registry::CHaltHook;
use crate::monitor::{global, halt, Monitor};

/// Register `fn_` as the handler of hypercall `nr`: 0 on success, -1 if
/// `nr` is out of range (negative included), taken, or `fn_` is NULL, or
/// the guest already runs.
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
/// `hv` must be the monitor's `struct ukvm_hv`, or point to a valid one of
/// the caller's describing mapped memory; the registered hooks must accept
/// it.
#[no_mangle]
pub unsafe extern "C" fn ukvm_core_hypercall_halt(hv: *mut UkvmHv, gpa: ukvm_gpa_t) -> c_int {
    guard("ukvm_core_hypercall_halt", || {
        let r = match Monitor::from_hv(hv) {
            // SAFETY: registered hooks take the monitor's hv (ukvm.h).
            Some(m) => unsafe { m.halt_registered(gpa) },
            // SAFETY: the caller's hv is valid (our contract).
            None => unsafe { super::foreign_mem(hv, "ukvm_core_hypercall_halt") }.and_then(|mem| {
                let hooks: Vec<CHaltHook> = global::halt_hooks().into_iter().flatten().collect();
                // SAFETY: `mem` is what `hv` describes; the hooks were
                // registered for it by the caller's modules.
                unsafe { halt::halt_with(&mem, &hooks, hv, gpa) }
                    .map_err(|e| CallError::from(e).fatal("halt"))
            }),
        };
        r.unwrap_or_else(|e| e.exit())
    })
}
