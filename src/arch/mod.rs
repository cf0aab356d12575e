//! Everything that differs per architecture, one module each with the same
//! names: the guest memory map (`layout`), memory-size rounding
//! (`round_mem_size`, `check_mem_size`, `adjust_warning`), the hypercall
//! decoder for the run loop (`decode_exit`), and, where the KVM backend
//! exists, the boot state (`vcpu::configure`, `vcpu::pc`).
//!
//! All but `vcpu` is pure computation, compiled and unit-tested on any
//! host; `vcpu` holds the architecture's KVM ioctls and exists only on
//! that architecture. `host` names the module of the architecture we run
//! on; `crate::hv` is written against it.

pub mod aarch64;
pub mod x86_64;

#[cfg(target_arch = "aarch64")]
pub use aarch64 as host;
#[cfg(target_arch = "x86_64")]
pub use x86_64 as host;
