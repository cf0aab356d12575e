//! The `extern "C"` layer: every symbol C code links against. Each entry
//! goes through `guard`, so no Rust panic crosses into C; logic lives in
//! `crate::monitor` and `crate::cli`.

mod core_api;
mod core_module;
mod gpa;
mod guard;
mod main_entry;

#[cfg(test)]
mod death_tests;

pub use guard::guard;
