//! The AArch64 layout's hypercall constants agree with the C header the
//! guests are built against (include/ukvm_guest.h, via crate::abi).

use ukvm::abi;
use ukvm::arch::aarch64::layout;

#[test]
fn hypercall_numbers_match_ukvm_guest_h() {
    assert_eq!(layout::HYPERCALL_HALT, abi::UKVM_HYPERCALL_HALT as u64);
    assert_eq!(layout::HYPERCALL_MAX, abi::UKVM_HYPERCALL_MAX as u64);
    assert_eq!(layout::MAX_RAM_SIZE, 1 << 32);
}

#[test]
fn cmdline_buffer_holds_ukvm_cmdline_size() {
    assert!(layout::CMDLINE_SIZE >= abi::UKVM_CMDLINE_SIZE as u64);
}
