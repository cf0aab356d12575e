//! Module tables for Rust programs that link the rlib as their monitor:
//! [`module_table!`](crate::module_table) defines the `ukvm_core_modules`
//! symbol that a C monitor's generated file would define.
//!
//! The monitor dereferences every entry, so a table can only be built
//! from the library's own modules, or from pointers the caller vouches
//! for with `unsafe` ([`ModuleEntry::from_ptr`]).

use crate::abi::UkvmModule;

/// One entry of a module table: a pointer to a `struct ukvm_module` that
/// lives for the whole program.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct ModuleEntry(*const UkvmModule);

impl ModuleEntry {
    /// The core module (`ukvm_module_core`).
    pub const CORE: ModuleEntry = ModuleEntry(&raw const crate::ffi::ukvm_module_core);
    /// The Rust blk module.
    pub const RUST_BLK: ModuleEntry = ModuleEntry(&raw const super::ffi::ukvm_module_rust_blk);
    /// The Rust net module.
    pub const RUST_NET: ModuleEntry = ModuleEntry(&raw const super::ffi::ukvm_module_rust_net);
    /// The table's terminator.
    pub const END: ModuleEntry = ModuleEntry(std::ptr::null());

    /// A module of your own.
    ///
    /// # Safety
    /// `m` must point to a `struct ukvm_module` that lives (and is not
    /// written) for the rest of the program, whose `name` is NULL or a
    /// static C string and whose callbacks follow `ukvm.h`.
    pub const unsafe fn from_ptr(m: *const UkvmModule) -> ModuleEntry {
        ModuleEntry(m)
    }
}

/// A NULL-terminated array of module pointers with C's layout
/// (`struct ukvm_module *ukvm_core_modules[]`).
#[repr(transparent)]
pub struct ModuleTable<const N: usize>([ModuleEntry; N]);

// SAFETY: the table is never written, and its entries point to module
// structs that are only read (ModuleEntry's constructors require it).
unsafe impl<const N: usize> Sync for ModuleTable<N> {}

impl<const N: usize> ModuleTable<N> {
    /// A table of `entries`, whose last entry must be [`ModuleEntry::END`]
    /// (checked when the table is built: at compile time in a static).
    pub const fn new(entries: [ModuleEntry; N]) -> Self {
        assert!(
            N > 0 && entries[N - 1].0.is_null(),
            "a module table ends with ModuleEntry::END"
        );
        ModuleTable(entries)
    }
}

/// Define the program's module list, core first:
/// `ukvm::module_table!(core, rust_blk, rust_net);`. Entries are `core`,
/// `rust_blk`, `rust_net`, or `(EXPR)` where EXPR is a
/// [`ModuleEntry`] of your own, made with `unsafe {
/// ModuleEntry::from_ptr(&raw const MY_MODULE) }`. Use it once, in the
/// binary.
#[macro_export]
macro_rules! module_table {
    ($($m:tt),+ $(,)?) => {
        #[no_mangle]
        pub static ukvm_core_modules: $crate::modules::table::ModuleTable<{ 1 $(+ $crate::__module_one!($m))+ }> =
            $crate::modules::table::ModuleTable::new([
                $($crate::__module_entry!($m),)+
                $crate::modules::table::ModuleEntry::END
            ]);
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
macro_rules! __module_entry {
    (core) => {
        $crate::modules::table::ModuleEntry::CORE
    };
    (rust_blk) => {
        $crate::modules::table::ModuleEntry::RUST_BLK
    };
    (rust_net) => {
        $crate::modules::table::ModuleEntry::RUST_NET
    };
    (($e:expr)) => {{
        let entry: $crate::modules::table::ModuleEntry = $e;
        entry
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_end_with_the_terminator() {
        let t = ModuleTable::new([ModuleEntry::CORE, ModuleEntry::RUST_BLK, ModuleEntry::END]);
        assert!(std::ptr::eq(
            t.0[0].0,
            &raw const crate::ffi::ukvm_module_core
        ));
        assert!(t.0[2].0.is_null());
        let r = std::panic::catch_unwind(|| ModuleTable::new([ModuleEntry::CORE]));
        assert!(r.is_err(), "a table without END is refused");
    }
}
