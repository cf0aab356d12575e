//! `ukvm_module_core`: the always-present module providing the WALLTIME,
//! PUTS and POLL hypercalls.
//!
//! Each is registered twice over: its C entry point goes into
//! `ukvm_core_hypercalls` (C callers, and any `struct ukvm_hv` of theirs,
//! use that), and its Rust function is what the monitor's own loop calls.

use std::os::raw::c_int;

use super::guard;
use crate::abi::{
    ukvm_gpa_t, UkvmHv, UkvmModule, UKVM_HYPERCALL_POLL, UKVM_HYPERCALL_PUTS,
    UKVM_HYPERCALL_WALLTIME,
};
use crate::diag;
use crate::monitor::core_calls::{self, native, CallError};
use crate::monitor::registry::{CHypercall, NativeFn};
use crate::monitor::{global, GuestMem, Monitor, Protections};

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
        let calls: [(u32, CHypercall, NativeFn); 3] = [
            (UKVM_HYPERCALL_WALLTIME, c_walltime, native::walltime),
            (UKVM_HYPERCALL_PUTS, c_puts, native::puts),
            (UKVM_HYPERCALL_POLL, c_poll, native::poll),
        ];
        for (nr, c, native) in calls {
            if global::register_native(nr as c_int, c, native) != 0 {
                diag::warn(&format!("core: hypercall {nr} is already registered"));
                return -1;
            }
        }
        0
    })
}

/// Run a core hypercall for a C caller: on the installed monitor when
/// `hv` is its, else on the caller's own `struct ukvm_hv` (upstream's
/// core works with any). Errors end the monitor here, at the C edge.
///
/// # Safety
/// `hv` is the installed monitor's, or points to a valid `struct ukvm_hv`
/// describing mapped memory.
unsafe fn c_entry(
    hv: *mut UkvmHv,
    gpa: ukvm_gpa_t,
    what: &str,
    native: NativeFn,
    foreign: fn(&GuestMem, ukvm_gpa_t) -> Result<(), CallError>,
) {
    let r = match Monitor::from_hv(hv) {
        Some(m) => native(m, gpa),
        // SAFETY: forwarded caller guarantee.
        None => match unsafe { super::foreign_mem(hv, what) } {
            Ok(mem) => foreign(&mem, gpa).map_err(|e| e.fatal(what)),
            Err(e) => Err(e),
        },
    };
    if let Err(e) = r {
        e.exit()
    }
}

unsafe extern "C" fn c_walltime(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    // SAFETY: C handlers are called with a valid hv (ukvm.h).
    guard("walltime hypercall", || unsafe {
        c_entry(hv, gpa, "walltime", native::walltime, core_calls::walltime)
    })
}

unsafe extern "C" fn c_puts(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    // SAFETY: as above.
    guard("puts hypercall", || unsafe {
        c_entry(hv, gpa, "puts", native::puts, native::puts_on)
    })
}

unsafe extern "C" fn c_poll(hv: *mut UkvmHv, gpa: ukvm_gpa_t) {
    // SAFETY: as above.
    guard("poll hypercall", || unsafe {
        c_entry(hv, gpa, "poll", native::poll, native::poll_collected)
    })
}

/// A view of a C caller's guest memory, with the protections the kernel
/// reports for it (nothing protected where that cannot be read).
pub(crate) fn protections_of(mem: *const u8, size: usize) -> Protections {
    Protections::of_mapping(mem, size).unwrap_or_else(|_| Protections::none())
}
