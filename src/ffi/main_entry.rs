//! The C `main` of every monitor linked with the library. Left out of
//! unit-test builds, whose harness brings its own `main`.

#[cfg(not(test))]
mod entry {
    use std::os::raw::{c_char, c_int};

    use crate::ffi::guard;

    /// Parse the command line, set up the VM and modules, run the guest
    /// and return its exit status.
    ///
    /// # Safety
    /// `argv` holds `argc` C strings followed by NULL, as the C runtime
    /// passes them.
    #[no_mangle]
    pub unsafe extern "C" fn main(argc: c_int, argv: *mut *mut c_char) -> c_int {
        // SAFETY: forwarded caller guarantee.
        guard("main", || unsafe {
            crate::monitor::start::main(argc, argv)
        })
    }
}
