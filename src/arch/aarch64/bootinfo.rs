//! The `struct ukvm_boot_info` block the guest finds at X0, as bytes.

use super::layout::CMDLINE_BASE;

/// Size of `struct ukvm_boot_info` on AArch64: four u64 fields.
pub const BOOT_INFO_SIZE: usize = 32;

/// Values for the boot-info block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootInfo {
    /// Guest RAM size in bytes.
    pub mem_size: u64,
    /// First guest address past the loaded kernel image.
    pub kernel_end: u64,
    /// Counter frequency in Hz (CNTFRQ_EL0; the `tsc_freq` field).
    pub counter_freq: u64,
}

impl BootInfo {
    /// The block as the guest reads it: mem_size, kernel_end, cmdline
    /// address, counter frequency; little-endian u64s.
    pub fn to_bytes(&self) -> [u8; BOOT_INFO_SIZE] {
        let mut b = [0u8; BOOT_INFO_SIZE];
        let fields = [
            self.mem_size,
            self.kernel_end,
            CMDLINE_BASE,
            self.counter_freq,
        ];
        for (chunk, v) in b.chunks_exact_mut(8).zip(fields) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_struct_ukvm_boot_info() {
        let b = BootInfo {
            mem_size: 0x2000_0000,
            kernel_end: 0x12_3000,
            counter_freq: 62_500_000,
        }
        .to_bytes();
        assert_eq!(&b[0..8], &0x2000_0000u64.to_le_bytes());
        assert_eq!(&b[8..16], &0x12_3000u64.to_le_bytes());
        assert_eq!(&b[16..24], &0xc000u64.to_le_bytes());
        assert_eq!(&b[24..32], &62_500_000u64.to_le_bytes());
    }
}
