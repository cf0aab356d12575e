//! Guest memory-size rounding: whole 2 MiB blocks, at least one, at most
//! the 4 GiB below the MMIO window.
//!
//! Upstream rounds down to a multiple of 2 MiB, which turns `--mem=1`
//! (1 MiB) into a 0-byte guest. We round down too, but never below one
//! block: a request under 2 MiB becomes 2 MiB, with the same "adjusting"
//! warning.

use super::layout::MAX_RAM_SIZE;
use std::fmt;

/// Granule guest memory sizes are rounded to (one level-2 block). It is a
/// multiple of every AArch64 host page size (4K, 16K, 64K), so the guest
/// memory mapping and the KVM memory slot are always host-page aligned.
pub const MEM_GRANULE: u64 = 2 << 20;

/// Round a requested guest memory size to what the guest gets.
pub fn round_mem_size(requested: u64) -> u64 {
    let down = requested - requested % MEM_GRANULE;
    if down == 0 {
        MEM_GRANULE
    } else {
        down
    }
}

/// A memory size the AArch64 layout cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemSizeError {
    /// The (rounded) size reaches into the MMIO window.
    TooLarge { bytes: u64 },
}

impl fmt::Display for MemSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemSizeError::TooLarge { bytes } => write!(
                f,
                "guest memory size {bytes} bytes exceeds the max size {MAX_RAM_SIZE} bytes"
            ),
        }
    }
}

impl std::error::Error for MemSizeError {}

/// Check a rounded size against the layout's limit.
pub fn check_mem_size(bytes: u64) -> Result<(), MemSizeError> {
    if bytes > MAX_RAM_SIZE {
        Err(MemSizeError::TooLarge { bytes })
    } else {
        Ok(())
    }
}

/// The message upstream prints when the size changed.
pub fn adjust_warning(bytes: u64) -> String {
    format!("adjusting memory to {bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn multiples_of_2mib_are_kept() {
        for m in [2, 4, 512, 1024, 4096] {
            assert_eq!(round_mem_size(m * MIB), m * MIB);
        }
    }

    #[test]
    fn odd_sizes_round_down() {
        assert_eq!(round_mem_size(3 * MIB), 2 * MIB);
        assert_eq!(round_mem_size(513 * MIB), 512 * MIB);
        assert_eq!(round_mem_size(4 * MIB - 1), 2 * MIB);
    }

    #[test]
    fn small_sizes_never_round_to_zero() {
        // upstream: --mem=1 gives 0 bytes; we give one 2 MiB block.
        assert_eq!(round_mem_size(MIB), 2 * MIB);
        assert_eq!(round_mem_size(1), 2 * MIB);
        assert_eq!(round_mem_size(0), 2 * MIB);
    }

    #[test]
    fn limit_is_4gib() {
        assert_eq!(check_mem_size(4096 * MIB), Ok(()));
        assert_eq!(
            check_mem_size(4098 * MIB),
            Err(MemSizeError::TooLarge { bytes: 4098 * MIB })
        );
        assert_eq!(round_mem_size(4096 * MIB + MIB), 4096 * MIB);
    }

    #[test]
    fn messages_match_upstream_wording() {
        assert_eq!(adjust_warning(2 * MIB), "adjusting memory to 2097152 bytes");
        assert_eq!(
            MemSizeError::TooLarge {
                bytes: 4 * MIB * 1025
            }
            .to_string(),
            "guest memory size 4299161600 bytes exceeds the max size 4294967296 bytes"
        );
    }
}
