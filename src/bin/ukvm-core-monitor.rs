//! A monitor with the core module only: the library's own C `main`,
//! linked on its own (as `examples/run_guest.rs`). Built with the tests so
//! that they can exec a real monitor on any host (tests/arch_hv_ffi.rs:
//! argc 0, SIGPIPE); on a host without a KVM backend it stops at
//! `ukvm_hv_init`.

#![no_main]

// Link the library; its `main` is the program's entry point.
use ukvm as _;
