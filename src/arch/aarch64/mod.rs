//! AArch64 guest description: layout, page tables, registers, memory size,
//! MMIO hypercall decoding and the boot-info block.

pub mod bootinfo;
pub mod layout;
pub mod memsize;
pub mod mmio;
pub mod paging;
pub mod regs;
