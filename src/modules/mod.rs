//! Rust blk and net modules: drop-in for upstream's `ukvm_module_blk.c` and
//! `ukvm_module_net.c` that answer every bad guest request with an error
//! (or a clear fatal message) instead of an assertion failure.
//!
//! Layout: pure parts (`blk_req`, `net_opts`, `access`) apart from the
//! system calls (`disk`, `tap`); `blk` and `net` handle the hypercalls over
//! [`GuestMem`](crate::monitor::GuestMem), so they run on any host against
//! test memory; `ffi` holds the C-ABI module structs
//! `ukvm_module_rust_blk` and `ukvm_module_rust_net`; `table` lets a Rust
//! program that links the rlib list its modules. See docs/modules.md.

pub mod access;
pub mod blk;
pub mod blk_req;
pub mod disk;
mod ffi;
pub mod net;
pub mod net_opts;
pub mod table;
pub mod tap;

pub use ffi::{ukvm_module_rust_blk, ukvm_module_rust_net};

/// Why a hypercall could not be answered with `ret`: the monitor must end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fatal {
    /// The request (or a buffer) is outside guest memory: upstream's
    /// `Invalid guest access` exit, kept.
    Range(crate::monitor::GuestAccessError),
    /// The request struct lies where the monitor cannot store its result
    /// (the guest's read-only text or data).
    ReadOnlyRequest { what: &'static str, gpa: u64, size: usize },
    /// The host side broke in a way the guest cannot recover from.
    Host(String),
}

impl From<crate::monitor::GuestAccessError> for Fatal {
    fn from(e: crate::monitor::GuestAccessError) -> Self {
        Fatal::Range(e)
    }
}

impl Fatal {
    /// End the monitor with this error's message, status 1.
    #[track_caller]
    pub fn die(self) -> ! {
        match self {
            Fatal::Range(e) => e.die(),
            Fatal::ReadOnlyRequest { what, gpa, size } => crate::diag::die(&format!(
                "{what}: guest request at gpa=0x{gpa:x}, sz={size} is in read-only guest memory"
            )),
            Fatal::Host(m) => crate::diag::die(&m),
        }
    }
}
