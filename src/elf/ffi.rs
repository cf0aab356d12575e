//! `ukvm_elf_load`, upstream's C entry point to the loader: errors are
//! fatal, printed as `prog: file: message` with exit status 1.

use std::ffi::{CStr, OsStr};
use std::os::raw::c_char;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{load_guest, HOST_MACHINE};
use crate::diag;
use crate::ffi::guard;
use crate::monitor::{Monitor, Protections};

/// Guest physical address, as `ukvm_gpa_t` in ukvm.h.
type Gpa = u64;

/// Load the ELF kernel `file` into guest memory `mem` of `mem_size` bytes
/// and store its entry point and end address; never returns on error.
///
/// # Safety
///
/// `file` must be NULL or a NUL-terminated string; `mem` must be the
/// page-aligned start of a read-write mapping of `mem_size` bytes owned by
/// the caller (the monitor's guest memory); `p_entry` and `p_end` must be
/// NULL or valid for writing a `ukvm_gpa_t`. NULL pointers are fatal.
#[no_mangle]
pub unsafe extern "C" fn ukvm_elf_load(
    file: *const c_char,
    mem: *mut u8,
    mem_size: usize,
    p_entry: *mut Gpa,
    p_end: *mut Gpa,
) {
    if file.is_null() || mem.is_null() || p_entry.is_null() || p_end.is_null() {
        diag::die("ukvm_elf_load: NULL argument");
    }
    // SAFETY: checked non-NULL; the caller guarantees a valid C string.
    let name = unsafe { CStr::from_ptr(file) };
    let shown = name.to_string_lossy();
    let path = Path::new(OsStr::from_bytes(name.to_bytes()));
    // SAFETY: checked non-NULL; the caller guarantees they are writable.
    unsafe {
        p_entry.write(0);
        p_end.write(0);
    }
    if mem_size > isize::MAX as usize {
        diag::die(&format!(
            "{shown}: guest memory size {mem_size:#x} is too large"
        ));
    }
    // SAFETY: forwarded from our caller (see # Safety).
    match guard("ukvm_elf_load", || unsafe {
        load_guest(path, mem, mem_size, HOST_MACHINE)
    }) {
        Ok(loaded) => {
            // Loaded into the installed monitor's memory: it keeps the
            // loader's protections (the snapshot's fallback).
            if let Some(m) = Monitor::installed().filter(|m| m.mem().host_base() == mem) {
                m.set_loader_protections(Protections::of_segments(&loaded.segments));
            }
            // SAFETY: as above.
            unsafe {
                p_entry.write(loaded.entry);
                p_end.write(loaded.end);
            }
        }
        Err(err) => crate::monitor::start::load_error(&shown, &err).exit(),
    }
}
