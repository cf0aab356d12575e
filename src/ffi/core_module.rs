//! `ukvm_module_core`: the always-present module providing the WALLTIME,
//! PUTS and POLL hypercalls.

use std::os::raw::c_int;

use super::guard;
use crate::abi::{
    ukvm_gpa_t, UkvmHv, UkvmModule, UKVM_HYPERCALL_POLL, UKVM_HYPERCALL_PUTS,
    UKVM_HYPERCALL_WALLTIME,
};
use crate::diag;
use crate::monitor::core_calls::{self, CallError};
use crate::monitor::{global, GuestMem};

/// The core module. Same type and size as upstream's; C only reads it.
#[no_mangle]
pub static mut ukvm_module_core: UkvmModule = UkvmModule {
    name: c"core".as_ptr(),
    setup: Some(setup),
    handle_cmdarg: None,
    usage: None,
};

unsafe extern "C" fn setup(_hv: *mut UkvmHv) -> c_int {
    guard("core setup", || {
        let calls: [(u32, unsafe extern "C" fn(*mut UkvmHv, ukvm_gpa_t)); 3] = [
            (UKVM_HYPERCALL_WALLTIME, hypercall_walltime),
            (UKVM_HYPERCALL_PUTS, hypercall_puts),
            (UKVM_HYPERCALL_POLL, hypercall_poll),
        ];
        for (nr, f) in calls {
            if global::register_hypercall(nr as c_int, Some(f)) != 0 {
                diag::warn(&format!("core: hypercall {nr} is already registered"));
                return -1;
            }
        }
        0
    })
}

#[track_caller]
fn finish(what: &str, r: Result<(), CallError>) {
    match r {
        Ok(()) => {}
        Err(CallError::Guest(e)) => e.die(),
        Err(CallError::Sys(call, e)) => diag::die_os(&format!("{what}: {call} failed"), &e),
    }
}

unsafe extern "C" fn hypercall_walltime(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("walltime hypercall", || {
        // SAFETY: called by dispatch with the live monitor state.
        let mem = unsafe { GuestMem::from_hv(hv) };
        finish("walltime", core_calls::walltime(&mem, gpa))
    })
}

unsafe extern "C" fn hypercall_puts(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("puts hypercall", || {
        // SAFETY: called by dispatch with the live monitor state.
        let mem = unsafe { GuestMem::from_hv(hv) };
        finish(
            "puts",
            core_calls::puts(&mem, gpa, &mut |b| core_calls::write_all_fd(1, b)),
        )
    })
}

unsafe extern "C" fn hypercall_poll(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    guard("poll hypercall", || {
        // SAFETY: called by dispatch with the live monitor state.
        let mem = unsafe { GuestMem::from_hv(hv) };
        let mut fds = global::pollfds();
        finish("poll", core_calls::poll(&mem, gpa, &mut fds))
    })
}
