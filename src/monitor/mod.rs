//! The monitor core: registration tables, checked guest memory, hypercall
//! dispatch, the core module's hypercalls and the start-up sequence.
//!
//! This layer is Rust-only; `crate::ffi` wraps it for C.

pub mod core_calls;
pub mod dispatch;
pub mod global;
pub mod guest_io;
pub mod guest_mem;
pub mod halt;
pub mod modules;
pub mod protections;
pub mod registry;
pub mod start;
pub mod state;

pub use dispatch::HypercallOutcome;
pub use guest_mem::{check_range, GuestAccessError, GuestMem, MemError};
pub use protections::Protections;
pub use state::Monitor;
