//! The host side of the net module: attach to an existing tap interface
//! (or take an inherited descriptor) and move one frame per system call,
//! straight between the descriptor and guest memory.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use vm_memory::VolatileSlice;

use super::net_opts::NetTarget;
use crate::monitor::guest_io;

/// One frame in, one frame out; the net hypercalls use nothing else, so
/// tests and embedders can supply their own. Frames are guest memory, as
/// the monitor's `VolatileSlice`s (the guest may change those bytes at any
/// time: never take them as a Rust slice).
pub trait FrameIo {
    /// Send `frame` as one frame; the number of bytes taken.
    fn send(&self, frame: &VolatileSlice<'_>) -> io::Result<usize>;
    /// Receive one frame into `buf`; the frame's full length, which may be
    /// larger than `buf` when the frame was cut (taps do that).
    fn recv(&self, buf: &VolatileSlice<'_>) -> io::Result<usize>;
    /// The descriptor to register for POLL, if any.
    fn poll_fd(&self) -> Option<RawFd>;
}

/// A tap interface (or an `@NN` descriptor) in non-blocking mode.
#[derive(Debug)]
pub struct Tap {
    fd: TapFd,
}

#[derive(Debug)]
enum TapFd {
    Owned(OwnedFd),
    /// `@NN`: the caller's descriptor; used, never closed.
    Inherited(RawFd),
}

fn os_err(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

/// Is there an interface `name`, and is it up or running? (ENOENT /
/// ENETDOWN otherwise, as upstream's checks.)
fn check_interface(name: &str) -> io::Result<()> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list`, freed below.
    if unsafe { libc::getifaddrs(&mut list) } == -1 {
        return Err(io::Error::last_os_error());
    }
    let mut flags = None;
    let mut p = list;
    while !p.is_null() {
        // SAFETY: p is a node of the list getifaddrs returned.
        let ifa = unsafe { &*p };
        let matches = !ifa.ifa_name.is_null() && {
            // SAFETY: ifa_name is a NUL-terminated interface name.
            unsafe { CStr::from_ptr(ifa.ifa_name) }.to_bytes() == name.as_bytes()
        };
        if matches {
            flags = Some(ifa.ifa_flags);
            break;
        }
        p = ifa.ifa_next;
    }
    // SAFETY: the list came from getifaddrs and is not used afterwards.
    unsafe { libc::freeifaddrs(list) };
    match flags {
        None => Err(os_err(libc::ENOENT)),
        Some(f) if f & (libc::IFF_UP | libc::IFF_RUNNING) as u32 == 0 => {
            Err(os_err(libc::ENETDOWN))
        }
        Some(_) => Ok(()),
    }
}

impl Tap {
    /// Attach as upstream does: `@NN` is switched to non-blocking and used
    /// as is; a name must be an existing interface that is up, and the tap
    /// we get back must have exactly that name.
    pub fn attach(target: &NetTarget) -> io::Result<Tap> {
        match target {
            NetTarget::BadFd(_) => Err(os_err(libc::EINVAL)),
            NetTarget::Fd(fd) => {
                // SAFETY: fcntl on a number; an unopened one gives EBADF.
                let fl = unsafe { libc::fcntl(*fd, libc::F_GETFL) };
                if fl == -1 {
                    return Err(io::Error::last_os_error());
                }
                // SAFETY: as above.
                if unsafe { libc::fcntl(*fd, libc::F_SETFL, fl | libc::O_NONBLOCK) } == -1 {
                    return Err(io::Error::last_os_error());
                }
                Ok(Tap {
                    fd: TapFd::Inherited(*fd),
                })
            }
            NetTarget::Tap(name) => Tap::attach_name(name),
        }
    }

    fn attach_name(name: &str) -> io::Result<Tap> {
        check_interface(name)?;
        // SAFETY: open with a constant path; the result is checked.
        let raw = unsafe {
            libc::open(
                c"/dev/net/tun".as_ptr(),
                libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        if raw == -1 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: raw is a descriptor we just opened and own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        if name.len() >= libc::IFNAMSIZ || name.as_bytes().contains(&0) {
            return Err(os_err(libc::EINVAL));
        }
        // SAFETY: an all-zero ifreq is valid.
        let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
        for (d, s) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
            *d = s as libc::c_char;
        }
        ifr.ifr_ifru.ifru_flags = (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short;
        // SAFETY: TUNSETIFF reads and updates one ifreq we own.
        if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TUNSETIFF as _, &mut ifr) } == -1 {
            return Err(io::Error::last_os_error());
        }
        // A template such as "tap%d" would hand back another device.
        // SAFETY: the kernel returns a NUL-terminated name.
        let got = unsafe { CStr::from_ptr(ifr.ifr_name.as_ptr()) };
        if got.to_bytes() != name.as_bytes() {
            return Err(os_err(libc::EINVAL));
        }
        Ok(Tap {
            fd: TapFd::Owned(fd),
        })
    }

    pub fn raw_fd(&self) -> RawFd {
        match &self.fd {
            TapFd::Owned(fd) => fd.as_raw_fd(),
            TapFd::Inherited(fd) => *fd,
        }
    }
}

/// `f` again while it fails with EINTR.
fn retry(mut f: impl FnMut() -> io::Result<usize>) -> io::Result<usize> {
    loop {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            r => return r,
        }
    }
}

impl FrameIo for Tap {
    fn send(&self, frame: &VolatileSlice<'_>) -> io::Result<usize> {
        retry(|| guest_io::write(self.raw_fd(), frame))
    }

    fn recv(&self, buf: &VolatileSlice<'_>) -> io::Result<usize> {
        retry(|| guest_io::read(self.raw_fd(), buf))
    }

    fn poll_fd(&self) -> Option<RawFd> {
        Some(self.raw_fd())
    }
}
