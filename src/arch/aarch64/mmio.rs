//! Decoding of an MMIO exit into a hypercall (number and 32-bit argument).
//!
//! A hypercall is a 32-bit store of a guest physical address into the
//! window slot `MMIO_BASE + nr * 8`. Anything else is an invalid access.

use super::layout::{hypercall_address, HYPERCALL_MAX, HYPERCALL_SHIFT, MMIO_BASE};
use crate::hv::exit::{Exit, Hypercall, MmioAccess};
use crate::hv::vcpu_loop::Decoded;
use std::fmt;

/// Why an MMIO exit is not a hypercall; messages are upstream's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MmioError {
    /// A read, or a store that is not 32 bits wide.
    NotWordStore { addr: u64, len: u32 },
    /// A 32-bit store outside the hypercall slots.
    OutsideWindow { addr: u64 },
}

impl fmt::Display for MmioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MmioError::NotWordStore { addr, len } => {
                write!(f, "Invalid guest mmio access: mmio=0x{addr:x} len={len}")
            }
            MmioError::OutsideWindow { addr } => {
                write!(f, "Invalid guest mmio access: mmio=0x{addr:x}")
            }
        }
    }
}

impl std::error::Error for MmioError {}

/// The architecture's hypercall decoder for the run loop: MMIO exits are
/// hypercalls (or invalid ones); any other exit is not.
pub fn decode_exit(exit: &Exit) -> Decoded<MmioError> {
    match exit {
        Exit::Mmio(a) => Some(decode(a)),
        _ => None,
    }
}

/// Decode an MMIO exit. Addresses inside a slot but not at its start
/// decode to that slot's number, as upstream does.
pub fn decode(a: &MmioAccess) -> Result<Hypercall, MmioError> {
    if !a.is_write || a.len != 4 {
        return Err(MmioError::NotWordStore {
            addr: a.addr,
            len: a.len,
        });
    }
    if a.addr < MMIO_BASE || a.addr >= hypercall_address(HYPERCALL_MAX) {
        return Err(MmioError::OutsideWindow { addr: a.addr });
    }
    let nr = (a.addr - MMIO_BASE) >> HYPERCALL_SHIFT;
    let gpa = u32::from_le_bytes([a.data[0], a.data[1], a.data[2], a.data[3]]);
    Ok(Hypercall {
        nr,
        gpa: u64::from(gpa),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(addr: u64, len: u32, value: u64) -> MmioAccess {
        MmioAccess {
            addr,
            is_write: true,
            len,
            data: value.to_le_bytes(),
        }
    }

    #[test]
    fn word_stores_in_window_decode() {
        assert_eq!(
            decode(&store(0x1_0000_0010, 4, 0x12_3450)),
            Ok(Hypercall {
                nr: 2,
                gpa: 0x12_3450
            })
        );
        let h = decode(&store(0x1_0000_0050, 4, 0xffff_fff0)).unwrap();
        assert_eq!(h.nr, super::super::layout::HYPERCALL_HALT);
        assert_eq!(h.gpa, 0xffff_fff0);
        assert_eq!(
            decode(&store(0x1_0000_0000, 4, 7)),
            Ok(Hypercall { nr: 0, gpa: 7 })
        );
    }

    #[test]
    fn only_the_low_32_bits_are_the_argument() {
        let mut a = store(0x1_0000_0008, 4, 0xdead_beef_0000_1000);
        assert_eq!(decode(&a).unwrap().gpa, 0x1000);
        a.data = [0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(decode(&a).unwrap().gpa, 0x1234_5678);
    }

    #[test]
    fn unaligned_slot_addresses_take_the_slot_number() {
        assert_eq!(decode(&store(0x1_0000_0054, 4, 1)).unwrap().nr, 10);
        assert_eq!(decode(&store(0x1_0000_0048, 4, 1)).unwrap().nr, 9);
    }

    #[test]
    fn reads_and_other_widths_are_rejected() {
        for len in [1, 2, 8] {
            assert_eq!(
                decode(&store(0x1_0000_0010, len, 0)),
                Err(MmioError::NotWordStore {
                    addr: 0x1_0000_0010,
                    len
                })
            );
        }
        let mut r = store(0x1_0000_0010, 4, 0);
        r.is_write = false;
        assert_eq!(
            decode(&r),
            Err(MmioError::NotWordStore {
                addr: 0x1_0000_0010,
                len: 4
            })
        );
        assert_eq!(
            MmioError::NotWordStore {
                addr: 0x1_0000_0010,
                len: 8
            }
            .to_string(),
            "Invalid guest mmio access: mmio=0x100000010 len=8"
        );
    }

    #[test]
    fn only_mmio_exits_are_hypercalls() {
        let e = Exit::Mmio(store(0x1_0000_0010, 4, 5));
        assert_eq!(decode_exit(&e), Some(Ok(Hypercall { nr: 2, gpa: 5 })));
        assert_eq!(decode_exit(&Exit::Other { reason: 2 }), None);
    }

    #[test]
    fn addresses_outside_the_slots_are_rejected() {
        for addr in [0, 0xffff_fffc, 0x1_0000_0058, 0x1_0000_1000, 0x1_3fff_fffc] {
            assert_eq!(
                decode(&store(addr, 4, 0)),
                Err(MmioError::OutsideWindow { addr })
            );
        }
        assert_eq!(
            MmioError::OutsideWindow {
                addr: 0x1_0000_0058
            }
            .to_string(),
            "Invalid guest mmio access: mmio=0x100000058"
        );
    }
}
