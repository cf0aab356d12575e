//! x86_64 guest description, as far as the architecture-neutral backend
//! needs it today: port-I/O hypercall decoding and memory-size rounding.
//! The KVM boot state (page tables, segments, registers: `vcpu.rs` on
//! AArch64) comes with the x86_64 backend; until then `ukvm_hv_init`
//! stops with "no KVM backend for x86_64 yet".

pub mod memsize;
pub mod pio;

pub use memsize::{adjust_warning, check_mem_size, round_mem_size, MemSizeError};
pub use pio::decode_exit;
