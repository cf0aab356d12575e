//! Guest physical memory map shared by the monitor and Solo5 AArch64 guests.
//!
//! RAM starts at guest physical address 0 and may reach 4 GiB; the 1 GiB
//! window above it is left without RAM so that guest stores there reach
//! the monitor as MMIO exits (the hypercall mechanism).
//!
//! ```text
//! 0x1_4000_0000  end of the MMIO window
//! 0x1_0000_0000  MMIO window (hypercalls at base + nr * 8)
//!   ...          RAM, up to the guest's memory size (at most 4 GiB)
//! 0x0010_0000    guest kernel image (ELF, linked there)
//! 0x0001_0000    page tables (level-0 table first; TTBR0_EL1 points here)
//! 0x0000_c000    guest command line (NUL-terminated)
//! 0x0000_1000    struct ukvm_boot_info (X0 at entry points here)
//! 0x0000_0000    zero page: RAM, but left unmapped in the guest's tables
//! ```

/// Size of the translation granule we use in the guest's own page tables.
/// Independent of the host page size (stage 2 is KVM's business).
pub const GUEST_PAGE_SIZE: u64 = 0x1000;

/// Base of the hypercall MMIO window (= UKVM_HYPERCALL_MMIO_BASE).
pub const MMIO_BASE: u64 = 0x1_0000_0000;
/// Size of the MMIO window we map for the guest.
pub const MMIO_SIZE: u64 = 0x4000_0000;

/// Largest guest RAM: everything below the MMIO window.
pub const MAX_RAM_SIZE: u64 = MMIO_BASE;

/// Where the guest's `struct ukvm_boot_info` lives; passed in X0.
pub const BOOT_INFO_BASE: u64 = 0x1000;
/// Where the guest command line lives.
pub const CMDLINE_BASE: u64 = 0xc000;
/// Bytes available for the command line (up to the page tables).
pub const CMDLINE_SIZE: u64 = PAGE_TABLE_BASE - CMDLINE_BASE;

/// First page of the page-table area; TTBR0_EL1 holds this address.
pub const PAGE_TABLE_BASE: u64 = 0x10000;
/// End of the area page tables may use (the kernel image starts here).
pub const PAGE_TABLE_END: u64 = GUEST_MIN_BASE;

/// Lowest address a guest image may be loaded at; Solo5 kernels are
/// linked at 1 MiB.
pub const GUEST_MIN_BASE: u64 = 0x10_0000;

/// Offset of the initial stack pointer below the end of RAM (keeps it
/// 16-byte aligned as AArch64 requires).
pub const STACK_TOP_OFFSET: u64 = 16;

/// Hypercall numbers are spaced 8 bytes apart in the MMIO window.
pub const HYPERCALL_SHIFT: u32 = 3;

/// MMIO address a guest stores to for hypercall `nr`
/// (= UKVM_HYPERCALL_ADDRESS(nr)).
pub const fn hypercall_address(nr: u64) -> u64 {
    MMIO_BASE + (nr << HYPERCALL_SHIFT)
}

/// Number of hypercall slots (= UKVM_HYPERCALL_MAX): numbers 0..=10 exist,
/// 0 reserved and 10 being HALT.
pub const HYPERCALL_MAX: u64 = 11;
/// Hypercall number of HALT (= UKVM_HYPERCALL_HALT).
pub const HYPERCALL_HALT: u64 = 10;

// The regions must not overlap; checked when the crate is compiled.
const _: () = {
    assert!(BOOT_INFO_BASE + 32 <= CMDLINE_BASE);
    assert!(CMDLINE_BASE < PAGE_TABLE_BASE);
    assert!(PAGE_TABLE_BASE < PAGE_TABLE_END);
    assert!(PAGE_TABLE_END <= GUEST_MIN_BASE);
    assert!(MAX_RAM_SIZE == MMIO_BASE);
    // UKVM_CMDLINE_SIZE (ukvm_guest.h) is 8192 bytes.
    assert!(CMDLINE_SIZE >= 8192);
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypercall_addresses_match_guest_header() {
        assert_eq!(hypercall_address(0), 0x1_0000_0000);
        assert_eq!(hypercall_address(2), 0x1_0000_0010);
        assert_eq!(hypercall_address(HYPERCALL_HALT), 0x1_0000_0050);
        assert_eq!(hypercall_address(HYPERCALL_MAX), 0x1_0000_0058);
    }
}
