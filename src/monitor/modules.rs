//! The compiled-in module list `ukvm_core_modules`: a NULL-terminated array
//! of `struct ukvm_module *`, first entry the core module.
//!
//! Each monitor's build defines it (generated C); the library refers to it
//! weakly and falls back to the core module alone when nothing defines it
//! (src/ffi/default_modules.c).

use std::ffi::CStr;

use crate::abi::UkvmModule;

extern "C" {
    /// The program's `ukvm_core_modules`, or a core-only default table.
    fn ukvm_rs_module_table() -> *const *mut UkvmModule;
}

/// A compiled-in module: a `struct ukvm_module` from the program's table.
/// Only `all` makes these, so its name and callbacks are the table's,
/// which the C API (or `module_table!`) vouches for.
#[repr(transparent)]
pub struct Module(UkvmModule);

impl std::ops::Deref for Module {
    type Target = UkvmModule;
    fn deref(&self) -> &UkvmModule {
        &self.0
    }
}

/// The compiled-in modules, in table order.
pub fn all() -> Vec<&'static Module> {
    // SAFETY: a plain C function returning a static table: a
    // NULL-terminated array of pointers to static module structs.
    let mut p = unsafe { ukvm_rs_module_table() };
    let mut out = Vec::new();
    loop {
        // SAFETY: we stop at the NULL terminator, so `p` stays in bounds.
        let m = unsafe { *p };
        if m.is_null() {
            return out;
        }
        // SAFETY: non-NULL entries point to static module structs, which
        // C only reads; Module is a transparent wrapper of the struct.
        out.push(unsafe { &*m.cast_const().cast::<Module>() });
        // SAFETY: the terminator has not been reached yet.
        p = unsafe { p.add(1) };
    }
}

/// Number of compiled-in modules, core included (upstream's NUM_MODULES).
pub fn count() -> usize {
    all().len()
}

/// A module's name, or `(unnamed)` if it has none (a malformed module).
pub fn name(m: &Module) -> String {
    if m.name.is_null() {
        return "(unnamed)".into();
    }
    // SAFETY: module names are NUL-terminated static C strings.
    unsafe { CStr::from_ptr(m.name) }
        .to_string_lossy()
        .into_owned()
}

/// A module's usage line, if it has a usage callback.
pub fn usage(m: &Module) -> Option<String> {
    let f = m.usage?;
    // SAFETY: the callback takes no arguments and returns a C string.
    let s = unsafe { f() };
    if s.is_null() {
        return None;
    }
    // SAFETY: a non-NULL result is a NUL-terminated string.
    Some(unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned())
}
