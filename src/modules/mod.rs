//! Rust blk and net modules: drop-in for upstream's `ukvm_module_blk.c` and
//! `ukvm_module_net.c` that answer every bad guest request with an error
//! (or a clear fatal message) instead of an assertion failure.
//!
//! Layout: pure parts (`blk_req`, `net_opts`) apart from the system calls
//! (`disk`, `tap`); `access` reads a guest's request struct and stores its
//! answer; `blk` and `net` handle the hypercalls over the monitor's
//! [`GuestMem`](crate::monitor::GuestMem) (vm-memory, checked against the
//! monitor's one protection snapshot), so they run on any host against
//! test memory; `ffi` holds the C-ABI module structs
//! `ukvm_module_rust_blk` and `ukvm_module_rust_net` and keeps each
//! module's state in the monitor; `table` lets a Rust program that links
//! the rlib list its modules. See docs/modules.md.

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

use std::fmt;
use std::panic::Location;

use crate::monitor::{GuestAccessError, MemError};

/// Why a hypercall could not be answered with `ret`: the monitor must end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fatal {
    /// The request (or a buffer) is outside guest memory: upstream's
    /// `Invalid guest access` exit, kept, with the line of ours that found
    /// it (printed where upstream prints `__FILE__:__LINE__`).
    Range(GuestAccessError, &'static Location<'static>),
    /// The request struct lies where the monitor cannot store its result
    /// (the guest's read-only text or data).
    ReadOnlyRequest {
        what: &'static str,
        gpa: u64,
        size: usize,
    },
    /// The host side broke in a way the guest cannot recover from.
    Host(String),
}

impl From<GuestAccessError> for Fatal {
    #[track_caller]
    fn from(e: GuestAccessError) -> Self {
        Fatal::Range(e, Location::caller())
    }
}

impl From<MemError> for Fatal {
    /// Any refused range as upstream's range error (callers that answer a
    /// protection refusal with `ret = -1` look at the `MemError` first).
    #[track_caller]
    fn from(e: MemError) -> Self {
        Fatal::Range(e.range(), Location::caller())
    }
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fatal::Range(e, at) => write!(f, "{}:{}: {e}", at.file(), at.line()),
            Fatal::ReadOnlyRequest { what, gpa, size } => write!(
                f,
                "{what}: guest request at gpa=0x{gpa:x}, sz={size} is in read-only guest memory"
            ),
            Fatal::Host(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Fatal {}

impl From<Fatal> for crate::error::Fatal {
    /// The monitor's fatal error: `prog: message`, status 1, at main.
    fn from(e: Fatal) -> Self {
        crate::error::Fatal::Msg(e.to_string())
    }
}
