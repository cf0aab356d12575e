//! The NETINFO, NETWRITE and NETREAD hypercalls over a [`FrameIo`]: a
//! frame the host refuses is `ret = -1` for the guest; a tap that has gone
//! away ends the monitor with a message instead of spinning or asserting.

use std::io;

use super::access::{data_buffer, Request};
use super::tap::FrameIo;
use super::Fatal;
use crate::abi::{ukvm_gpa_t, ukvm_netinfo, ukvm_netread, ukvm_netwrite};
use crate::monitor::GuestMem;

/// The net module's state. Guest memory, and the protections it is checked
/// against, are the monitor's.
pub struct Net {
    pub io: Box<dyn FrameIo>,
    pub mac: [u8; 6],
    /// The `--net=` value, for messages.
    pub name: String,
}

/// Errors that mean the tap itself is gone or unusable: polling would
/// report it ready forever, so the guest could only spin.
fn fatal_host_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EBADFD) | Some(libc::EBADF) | Some(libc::ENODEV) | Some(libc::ENXIO)
    )
}

impl Net {
    fn host_fatal(&self, call: &str, e: &io::Error) -> Fatal {
        let gone = if e.raw_os_error() == Some(libc::EBADFD) {
            " (tap interface deleted?)"
        } else {
            ""
        };
        Fatal::Host(format!("net: {call} on {} failed: {e}{gone}", self.name))
    }

    /// NETINFO: the guest's MAC address.
    pub fn info(&self, mem: &GuestMem, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        let info = Request::<ukvm_netinfo>::read(mem, gpa, "net")?;
        info.store(|r| &r.mac_address, self.mac)
    }

    /// NETWRITE: send one frame. 0 when the whole frame was taken; -1 when
    /// the host refused it (too short or long, interface down, no buffer)
    /// or the monitor may not read the guest's buffer.
    pub fn write(&self, mem: &GuestMem, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        let wr = Request::<ukvm_netwrite>::read(mem, gpa, "net")?;
        let len = wr.v.len;
        let ret = match data_buffer(mem.readable(wr.v.data, len))? {
            None => -1,
            Some(frame) => match self.io.send(&frame) {
                Ok(n) if n == len => 0,
                Ok(_) => -1,
                Err(e) if fatal_host_error(&e) => return Err(self.host_fatal("write", &e)),
                Err(_) => -1,
            },
        };
        wr.store(|r| &r.ret, ret)
    }

    /// NETREAD: receive one frame. 0 and its length; -1 when none is
    /// waiting, or when the monitor may not write the guest's buffer (the
    /// frame then stays queued). A Linux tap cuts a frame longer than the
    /// buffer to the buffer's size without telling (as upstream gets it);
    /// a [`FrameIo`] that reports the longer length gets the frame dropped
    /// (-1) instead of a length larger than the guest's buffer. As
    /// upstream, `len` and then `ret` are stored after the read, and only
    /// they (`ret` alone when no frame is passed on).
    pub fn read(&self, mem: &GuestMem, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        let rd = Request::<ukvm_netread>::read(mem, gpa, "net")?;
        let len = rd.v.len;
        let Some(buf) = data_buffer(mem.writable(rd.v.data, len))? else {
            return rd.store(|r| &r.ret, -1);
        };
        let got = match self.io.recv(&buf) {
            Ok(n) if n > 0 && n <= len => Some(n),
            Ok(_) => None,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
            Err(e) => return Err(self.host_fatal("read", &e)),
        };
        match got {
            Some(n) => {
                rd.store(|r| &r.len, n as _)?;
                rd.store(|r| &r.ret, 0)
            }
            None => rd.store(|r| &r.ret, -1),
        }
    }
}
