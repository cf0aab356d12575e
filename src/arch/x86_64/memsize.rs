//! Guest memory-size rounding on x86_64: whole 2 MiB pages (the guest's
//! page tables map RAM with one page directory of 2 MiB pages), at least
//! one, at most 512 of them (1 GiB), as upstream's x86_64 monitor (except
//! that, as on AArch64, a request under 2 MiB gets 2 MiB, not 0 bytes).

use std::fmt;

/// Granule guest memory sizes are rounded to.
pub const MEM_GRANULE: u64 = 2 << 20;
/// Largest guest RAM: one page directory of 2 MiB pages.
pub const MAX_RAM_SIZE: u64 = MEM_GRANULE * 512;

/// Round a requested guest memory size to what the guest gets.
pub fn round_mem_size(requested: u64) -> u64 {
    let down = requested - requested % MEM_GRANULE;
    if down == 0 {
        MEM_GRANULE
    } else {
        down
    }
}

/// A memory size the x86_64 layout cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemSizeError {
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
    fn rounding_and_limit() {
        assert_eq!(round_mem_size(512 * MIB), 512 * MIB);
        assert_eq!(round_mem_size(3 * MIB), 2 * MIB);
        assert_eq!(round_mem_size(MIB), 2 * MIB);
        assert_eq!(check_mem_size(1024 * MIB), Ok(()));
        assert_eq!(
            check_mem_size(1026 * MIB).unwrap_err().to_string(),
            "guest memory size 1075838976 bytes exceeds the max size 1073741824 bytes"
        );
    }
}
