//! The KVM backend, architecture-neutral: the KVM objects (`vm`), the exit
//! as data (`exit`), the run loop (`vcpu_loop`), the backend's operations
//! on a monitor (`backend`) and upstream's C entry points `ukvm_hv_*`
//! (`ffi`). What differs per architecture (boot state, hypercall
//! decoding, memory-size rounding) comes from `crate::arch::host`.
//!
//! The loop is host-independent and unit-tested on any host; `vm` holds
//! the KVM ioctls that every architecture shares. Where no architecture
//! backend exists yet (x86_64), creating a monitor stops with `no KVM
//! backend for <arch> yet`.

pub mod backend;
pub mod exit;
pub mod ffi;
pub mod vcpu_loop;
#[cfg(target_os = "linux")]
pub mod vm;

pub use crate::error::Fatal;
#[cfg(target_os = "linux")]
pub use vm::Backend;
