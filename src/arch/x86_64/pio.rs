//! Decoding of a port-I/O exit into a hypercall: a 32-bit OUT of the
//! argument's guest physical address to port `PIO_BASE + nr`.

use std::fmt;

use crate::hv::exit::{Exit, Hypercall, PortIo};
use crate::hv::vcpu_loop::Decoded;

/// First hypercall port (= UKVM_HYPERCALL_PIO_BASE).
pub const PIO_BASE: u16 = 0x500;
/// Number of hypercall ports (= UKVM_HYPERCALL_MAX).
pub const HYPERCALL_MAX: u16 = 11;

/// Why a port access is not a hypercall; upstream's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortError {
    pub port: u16,
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid guest port access: port=0x{:x}", self.port)
    }
}

impl std::error::Error for PortError {}

/// Decode a port access: an OUT of 4 bytes to a hypercall port.
pub fn decode(io: &PortIo) -> Result<Hypercall, PortError> {
    let err = PortError { port: io.port };
    if !io.is_out || io.size != 4 {
        return Err(err);
    }
    if io.port < PIO_BASE || io.port >= PIO_BASE + HYPERCALL_MAX {
        return Err(err);
    }
    let gpa = u32::from_le_bytes([io.data[0], io.data[1], io.data[2], io.data[3]]);
    Ok(Hypercall {
        nr: u64::from(io.port - PIO_BASE),
        gpa: u64::from(gpa),
    })
}

/// The architecture's hypercall decoder for the run loop: port I/O exits
/// are hypercalls (or invalid ones); any other exit is not.
pub fn decode_exit(exit: &Exit) -> Decoded<PortError> {
    match exit {
        Exit::Io(io) => Some(decode(io)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(port: u16, size: u8, v: u32) -> PortIo {
        let mut data = [0u8; 8];
        data[..4].copy_from_slice(&v.to_le_bytes());
        PortIo {
            port,
            is_out: true,
            size,
            count: 1,
            data,
        }
    }

    #[test]
    fn word_outs_to_hypercall_ports_decode() {
        assert_eq!(decode(&out(0x500, 4, 7)), Ok(Hypercall { nr: 0, gpa: 7 }));
        assert_eq!(
            decode(&out(0x50a, 4, 0xffff_fff0)),
            Ok(Hypercall {
                nr: 10,
                gpa: 0xffff_fff0
            })
        );
        assert_eq!(
            decode_exit(&Exit::Io(out(0x502, 4, 0x1000))),
            Some(Ok(Hypercall { nr: 2, gpa: 0x1000 }))
        );
    }

    #[test]
    fn other_ports_sizes_and_ins_are_refused_with_upstreams_message() {
        for io in [
            out(0x4ff, 4, 0),
            out(0x50b, 4, 0),
            out(0x502, 2, 0),
            out(0x502, 1, 0),
        ] {
            assert_eq!(decode(&io), Err(PortError { port: io.port }));
        }
        let mut i = out(0x502, 4, 0);
        i.is_out = false;
        assert_eq!(
            decode(&i).unwrap_err().to_string(),
            "Invalid guest port access: port=0x502"
        );
        assert_eq!(decode_exit(&Exit::Other { reason: 6 }), None);
    }
}
