//! Out-of-line `ukvm_checked_gpa_p` for C modules (upstream only had a C99
//! inline definition, so modules built without inlining failed to link).

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};

use super::guard;
use crate::abi::{ukvm_gpa_t, UkvmHv};
use crate::diag;
use crate::monitor::check_range;

/// Host pointer to `sz` bytes at `gpa`, or exit(1) with
/// `file:line: Invalid guest access: gpa=0x..., sz=...`. Upstream's range
/// check only, on whichever `struct ukvm_hv` the caller passes.
///
/// # Safety
/// `hv` must point to a valid `struct ukvm_hv`; `file` is NULL or a C
/// string.
#[no_mangle]
pub unsafe extern "C" fn ukvm_checked_gpa_p(
    hv: *mut UkvmHv,
    gpa: ukvm_gpa_t,
    sz: usize,
    file: *const c_char,
    line: c_int,
) -> *mut c_void {
    guard("ukvm_checked_gpa_p", || {
        // SAFETY: NULL or valid, by the caller's contract.
        let Some(hv) = (unsafe { hv.as_ref() }) else {
            diag::die("ukvm_checked_gpa_p: NULL struct ukvm_hv");
        };
        match check_range(hv.mem_size, gpa, sz) {
            // In range, so inside the caller's mapping.
            Ok(()) => hv.mem.wrapping_add(gpa as usize).cast(),
            Err(e) => {
                let file = if file.is_null() {
                    "?".into()
                } else {
                    // SAFETY: a non-NULL file is a C string (__FILE__).
                    unsafe { CStr::from_ptr(file) }.to_string_lossy()
                };
                diag::die(&format!("{file}:{line}: {e}"))
            }
        }
    })
}
