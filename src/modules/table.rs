//! Module tables for Rust programs that link the rlib as their monitor:
//! [`module_table!`](crate::module_table) defines the `ukvm_core_modules`
//! symbol that a C monitor's generated file would define.

use crate::abi::UkvmModule;

pub use super::ffi::{ukvm_module_rust_blk, ukvm_module_rust_net};

extern "C" {
    /// The core module (defined in `crate::ffi`), for tables.
    pub static mut ukvm_module_core: UkvmModule;
}

/// A NULL-terminated array of module pointers with C's layout
/// (`struct ukvm_module *ukvm_core_modules[]`).
#[repr(transparent)]
pub struct ModuleTable<const N: usize>(pub [*const UkvmModule; N]);

// SAFETY: the table is never written and points at statics.
unsafe impl<const N: usize> Sync for ModuleTable<N> {}

/// Define the program's module list, core first:
/// `ukvm::module_table!(core, rust_blk, rust_net);`. Entries are `core`,
/// `rust_blk`, `rust_net`, or `(EXPR)` giving a `*const UkvmModule` for
/// a module of your own. Use it once, in the binary.
#[macro_export]
macro_rules! module_table {
    ($($m:tt),+ $(,)?) => {
        #[no_mangle]
        pub static ukvm_core_modules: $crate::modules::table::ModuleTable<{ 1 $(+ $crate::__module_one!($m))+ }> =
            $crate::modules::table::ModuleTable([$($crate::__module_ptr!($m),)+ ::std::ptr::null()]);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __module_one {
    ($m:tt) => {
        1
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __module_ptr {
    (core) => {
        &raw const $crate::modules::table::ukvm_module_core
    };
    (rust_blk) => {
        &raw const $crate::modules::table::ukvm_module_rust_blk
    };
    (rust_net) => {
        &raw const $crate::modules::table::ukvm_module_rust_net
    };
    (($e:expr)) => {
        $e
    };
}
