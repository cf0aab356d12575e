//! AArch64 guest description: layout, page tables, registers, memory size,
//! MMIO hypercall decoding and the boot-info block (pure, any host); and
//! `vcpu`, which applies them through KVM (AArch64 Linux only).

pub mod bootinfo;
pub mod layout;
pub mod memsize;
pub mod mmio;
pub mod paging;
pub mod regs;
#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
pub mod vcpu;

pub use memsize::{adjust_warning, check_mem_size, round_mem_size, MemSizeError};
pub use mmio::decode_exit;
