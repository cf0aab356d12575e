//! Pure, ioctl-free architecture computation: guest memory map, page
//! tables, register values, memory-size rounding and exit decoding.
//!
//! Everything here compiles and is unit-tested on any host; only
//! `crate::hv` talks to KVM.

pub mod aarch64;
