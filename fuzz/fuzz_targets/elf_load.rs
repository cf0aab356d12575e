//! Fuzz target: arbitrary bytes as a kernel ELF file for the host machine.
//! The loader must never panic, and must keep the promises checked by
//! `check_loader_on` of the test corpus (tests/elf_support/corpus.rs).

#![no_main]

use std::cell::RefCell;
use std::os::raw::{c_char, c_int};

use libfuzzer_sys::fuzz_target;
use ukvm::elf::{self, HOST_MACHINE};

#[path = "../../tests/elf_support/corpus.rs"]
mod corpus;

thread_local! {
    static MEM: RefCell<Vec<u8>> = RefCell::new(vec![0; corpus::MEM_SIZE]);
}

fuzz_target!(|data: &[u8]| {
    MEM.with(|m| corpus::check_loader_on(data, &mut m.borrow_mut(), HOST_MACHINE));
});

extern "C" {
    fn LLVMFuzzerRunDriver(
        argc: *mut c_int,
        argv: *mut *mut *mut c_char,
        cb: unsafe extern "C" fn(*const u8, usize) -> c_int,
    ) -> c_int;
    fn LLVMFuzzerTestOneInput(data: *const u8, size: usize) -> c_int;
}

/// libukvm exports the monitor's C `main`; left to the linker, it would be
/// picked instead of libFuzzer's. Defining `main` here, which starts
/// libFuzzer's driver, keeps either from being pulled in.
///
/// # Safety
/// Called by the C runtime with its `argc`/`argv`.
#[no_mangle]
pub unsafe extern "C" fn main(mut argc: c_int, mut argv: *mut *mut c_char) -> c_int {
    // SAFETY: argc/argv come from the C runtime; the callback is the one
    // libfuzzer-sys defines for the target above.
    unsafe { LLVMFuzzerRunDriver(&mut argc, &mut argv, LLVMFuzzerTestOneInput) }
}
