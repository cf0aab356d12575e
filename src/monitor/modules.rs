//! The compiled-in module list `ukvm_core_modules`: a NULL-terminated array
//! of `struct ukvm_module *`, first entry the core module.
//!
//! Each monitor's build provides a strong definition (generated C). The
//! library carries a weak default holding only the core module, so that it
//! also links alone (src/ffi/default_modules.c).

use std::ffi::CStr;
use std::ptr::addr_of;

use crate::abi::UkvmModule;

extern "C" {
    // Incomplete C array; the symbol's address is its first element.
    static ukvm_core_modules: [*mut UkvmModule; 0];
}

/// The compiled-in modules, in table order.
pub fn all() -> Vec<&'static UkvmModule> {
    // SAFETY: ukvm_core_modules is a NULL-terminated array of pointers to
    // module structs with static storage duration (C definitions).
    let mut p = addr_of!(ukvm_core_modules) as *const *mut UkvmModule;
    let mut out = Vec::new();
    loop {
        // SAFETY: we stop at the NULL terminator, so `p` stays in bounds.
        let m = unsafe { *p };
        if m.is_null() {
            return out;
        }
        // SAFETY: non-NULL entries point to static module structs.
        out.push(unsafe { &*m });
        // SAFETY: the terminator has not been reached yet.
        p = unsafe { p.add(1) };
    }
}

/// Number of compiled-in modules, core included (upstream's NUM_MODULES).
pub fn count() -> usize {
    all().len()
}

/// A module's name, or `(unnamed)` if it has none (a malformed module).
pub fn name(m: &UkvmModule) -> String {
    if m.name.is_null() {
        return "(unnamed)".into();
    }
    // SAFETY: module names are NUL-terminated static C strings.
    unsafe { CStr::from_ptr(m.name) }.to_string_lossy().into_owned()
}

/// A module's usage line, if it has a usage callback.
pub fn usage(m: &UkvmModule) -> Option<String> {
    let f = m.usage?;
    // SAFETY: the callback takes no arguments and returns a C string.
    let s = unsafe { f() };
    if s.is_null() {
        return None;
    }
    // SAFETY: a non-NULL result is a NUL-terminated string.
    Some(unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned())
}
