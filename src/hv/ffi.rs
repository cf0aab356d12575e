//! The backend's C entry points (upstream's `ukvm_hv_*`): memory size,
//! VM creation, vCPU set-up and the vCPU loop, over the one installed
//! monitor. Errors end the monitor here, at the C edge.

use std::os::raw::{c_char, c_int};

use super::backend;
use crate::abi::{ukvm_gpa_t, UkvmHv};
use crate::diag;
use crate::error::Fatal;
use crate::ffi::guard;
use crate::monitor::Monitor;

fn or_exit<T>(r: Result<T, Fatal>) -> T {
    r.unwrap_or_else(|e| e.exit())
}

/// The installed monitor, if `hv` is its; else an error naming `entry`.
fn monitor(hv: *mut UkvmHv, entry: &str) -> Result<&'static Monitor, Fatal> {
    Monitor::from_hv(hv)
        .ok_or_else(|| Fatal::Msg(format!("{entry}: not the hv returned by ukvm_hv_init")))
}

/// Round `*mem_size` to what the guest will get, warning when it changes
/// (upstream's "adjusting memory to N bytes"); too large is fatal.
///
/// # Safety
/// `mem_size` must point to a valid, writable size_t.
#[no_mangle]
pub unsafe extern "C" fn ukvm_hv_mem_size(mem_size: *mut usize) {
    guard("ukvm_hv_mem_size", || {
        if mem_size.is_null() {
            diag::die("ukvm_hv_mem_size: NULL size");
        }
        // SAFETY: caller guarantees a valid size_t.
        let requested = unsafe { *mem_size } as u64;
        let bytes = or_exit(backend::mem_size(requested, diag::warn));
        // SAFETY: as above; the size was checked against a limit below
        // 2^32 * page, which fits in usize on 64-bit hosts.
        unsafe { *mem_size = bytes as usize };
    })
}

/// Create the monitor: the VM, its vCPU and `mem_size` bytes of guest RAM
/// at address 0. Never returns NULL: failures are fatal with upstream's
/// messages; a second call is refused.
#[no_mangle]
pub extern "C" fn ukvm_hv_init(mem_size: usize) -> *mut UkvmHv {
    guard("ukvm_hv_init", || {
        if Monitor::installed().is_some() {
            diag::die("ukvm_hv_init: called twice");
        }
        let m = or_exit(backend::create(mem_size));
        or_exit(m.install().map_err(|e| Fatal::Msg(e.to_string()))).hv_ptr()
    })
}

/// Set up the vCPU to enter the guest at `gpa_ep`; `*cmdline` receives
/// the guest command line buffer (UKVM_CMDLINE_SIZE bytes).
///
/// # Safety
/// `cmdline` must be a valid `char **`.
#[no_mangle]
pub unsafe extern "C" fn ukvm_hv_vcpu_init(
    hv: *mut UkvmHv,
    gpa_ep: ukvm_gpa_t,
    gpa_kend: ukvm_gpa_t,
    cmdline: *mut *mut c_char,
) {
    guard("ukvm_hv_vcpu_init", || {
        if cmdline.is_null() {
            diag::die("ukvm_hv_vcpu_init: NULL cmdline");
        }
        let m = or_exit(monitor(hv, "ukvm_hv_vcpu_init"));
        let gpa = or_exit(backend::vcpu_init(m, gpa_ep, gpa_kend));
        let p = m
            .mem()
            .host_base()
            .wrapping_add(gpa as usize)
            .cast::<c_char>();
        // SAFETY: caller guarantees `cmdline` is a valid char **.
        unsafe { *cmdline = p };
    })
}

/// Run the guest until it halts; returns its exit status. Other ends of
/// the guest are fatal (status 1) with upstream's messages.
///
/// # Safety
/// The handlers and hooks modules registered must accept `hv` (ukvm.h).
#[no_mangle]
pub unsafe extern "C" fn ukvm_hv_vcpu_loop(hv: *mut UkvmHv) -> c_int {
    guard("ukvm_hv_vcpu_loop", || {
        let m = or_exit(monitor(hv, "ukvm_hv_vcpu_loop"));
        // SAFETY: forwarded caller guarantee.
        or_exit(unsafe { backend::run(m) })
    })
}
