//! The core module's hypercalls: WALLTIME, PUTS and POLL, over checked
//! guest memory.
//!
//! Where the C monitor asserts on a failing system call, these return an
//! error naming the call (the monitor then ends with status 1).

use std::io;
use std::mem::{offset_of, size_of, MaybeUninit};
use std::panic::Location;

use vm_memory::VolatileMemory;
use vm_memory::VolatileSlice;

use crate::abi::{ukvm_gpa_t, ukvm_poll, ukvm_puts, ukvm_walltime};
use crate::error::Fatal;
use crate::monitor::guest_mem::{GuestAccessError, GuestMem, MemError};

/// Why a core hypercall failed.
#[derive(Debug)]
pub enum CallError {
    /// A bad guest range, and the line of ours that found it (printed the
    /// way upstream prints `__FILE__:__LINE__`).
    Guest(MemError, &'static Location<'static>),
    /// A system call failed.
    Sys(&'static str, io::Error),
}

impl From<MemError> for CallError {
    #[track_caller]
    fn from(e: MemError) -> Self {
        CallError::Guest(e, Location::caller())
    }
}

impl CallError {
    /// The monitor's fatal error for hypercall `what`.
    pub fn fatal(self, what: &str) -> Fatal {
        match self {
            CallError::Guest(e, at) => Fatal::Msg(format!("{}:{}: {e}", at.file(), at.line())),
            CallError::Sys(call, e) => Fatal::Os(format!("{what}: {call} failed"), e),
        }
    }
}

/// The real-time clock in nanoseconds since the epoch.
fn now_nsecs() -> Result<u64, CallError> {
    let mut ts = MaybeUninit::<libc::timespec>::uninit();
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, ts.as_mut_ptr()) } != 0 {
        return Err(CallError::Sys("clock_gettime", io::Error::last_os_error()));
    }
    // SAFETY: initialised by the successful call above.
    let ts = unsafe { ts.assume_init() };
    Ok((ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64))
}

/// WALLTIME: store the real-time clock in nanoseconds since the epoch.
pub fn walltime(mem: &GuestMem, gpa: ukvm_gpa_t) -> Result<(), CallError> {
    // Checked before the clock is read: nothing happens for a bad gpa.
    let out = mem.writable(gpa, size_of::<ukvm_walltime>())?;
    // The slice is exactly the struct's size: this cannot fail.
    let out = out.get_ref::<ukvm_walltime>(0).map_err(|_| {
        MemError::Range(GuestAccessError {
            gpa,
            size: size_of::<ukvm_walltime>(),
        })
    })?;
    out.store(ukvm_walltime {
        nsecs: now_nsecs()?,
    });
    Ok(())
}

/// PUTS: write the guest's buffer to the console with `write_some` (one
/// write(2) each; short writes and EINTR are retried).
pub fn puts(
    mem: &GuestMem,
    gpa: ukvm_gpa_t,
    write_some: impl FnMut(&VolatileSlice<'_>) -> io::Result<usize>,
) -> Result<(), CallError> {
    let p: ukvm_puts = mem.read_obj(gpa)?;
    let data = mem.readable(p.data, p.len)?;
    crate::monitor::guest_io::write_all(&data, write_some).map_err(|e| CallError::Sys("write", e))
}

/// One write of `buf` to the console `fd` for PUTS. A console that is a
/// non-blocking pipe or terminal (a parent can leave one so) takes part of
/// a string and then refuses more with EAGAIN: wait until it takes more,
/// rather than lose the rest.
pub fn console_write(fd: libc::c_int, buf: &VolatileSlice<'_>) -> io::Result<usize> {
    loop {
        match crate::monitor::guest_io::write(fd, buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let mut p = libc::pollfd {
                    fd,
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one pollfd on the stack; no timeout.
                if unsafe { libc::poll(&mut p, 1, -1) } < 0 {
                    let e = io::Error::last_os_error();
                    if e.kind() != io::ErrorKind::Interrupted {
                        return Err(e);
                    }
                }
            }
            r => return r,
        }
    }
}

/// Split a nanosecond timeout into a timespec.
pub fn timeout_to_timespec(nsecs: u64) -> libc::timespec {
    libc::timespec {
        tv_sec: (nsecs / 1_000_000_000) as libc::time_t,
        tv_nsec: (nsecs % 1_000_000_000) as libc::c_long,
    }
}

/// The poll set and signal mask POLL waits with.
pub struct PollSet<'a> {
    /// `fds` pollfds, which ppoll may write (`revents`).
    pub fds: *mut libc::pollfd,
    pub nfds: usize,
    pub sigmask: &'a libc::sigset_t,
}

/// POLL: wait until input is ready on a registered fd or the guest's
/// timeout passes; store the number of ready fds (0 on timeout, and 0
/// when a signal that does not end the monitor interrupts the wait).
///
/// # Safety
/// `set.fds` must point to `set.nfds` pollfds that ppoll may write and
/// that nothing else uses during the call.
pub unsafe fn poll(mem: &GuestMem, gpa: ukvm_gpa_t, set: &PollSet<'_>) -> Result<(), CallError> {
    let t: ukvm_poll = mem.read_obj(gpa)?;
    // Where the answer goes must be writable before the wait, not after it.
    mem.writable(gpa, size_of::<ukvm_poll>())?;
    let ts = timeout_to_timespec(t.timeout_nsecs);
    // SAFETY: the caller guarantees fds/nfds; ts and the mask are valid for
    // the call's duration.
    let rc = unsafe { libc::ppoll(set.fds, set.nfds as libc::nfds_t, &ts, set.sigmask) };
    let ret = if rc < 0 {
        let e = io::Error::last_os_error();
        // A signal that did not end the monitor: report "nothing ready";
        // the guest re-checks its clock and polls again.
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(CallError::Sys("ppoll", e));
        }
        0
    } else {
        rc
    };
    // Only `ret` is the monitor's to store, as upstream stores it.
    mem.write_obj(gpa + offset_of!(ukvm_poll, ret) as u64, ret)?;
    Ok(())
}

/// The three as the monitor's own loop calls them (registered with
/// `global::register_native` by the core module's setup).
pub mod native {
    use super::*;
    use crate::monitor::global;
    use crate::monitor::registry::poll_sigmask;
    use crate::monitor::Monitor;

    pub fn walltime(m: &Monitor, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        super::walltime(m.mem(), gpa).map_err(|e| e.fatal("walltime"))
    }

    /// PUTS to the monitor's stdout.
    pub fn puts_on(mem: &GuestMem, gpa: ukvm_gpa_t) -> Result<(), CallError> {
        super::puts(mem, gpa, |s| console_write(libc::STDOUT_FILENO, s))
    }

    pub fn puts(m: &Monitor, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        puts_on(m.mem(), gpa).map_err(|e| e.fatal("puts"))
    }

    /// POLL on the poll set registered so far, copied (callers without a
    /// frozen monitor only).
    pub fn poll_collected(mem: &GuestMem, gpa: ukvm_gpa_t) -> Result<(), CallError> {
        let mut fds = global::pollfds();
        let mask = poll_sigmask();
        let set = PollSet {
            fds: fds.as_mut_ptr(),
            nfds: fds.len(),
            sigmask: &mask,
        };
        // SAFETY: `fds` is a local Vec of `set.nfds` pollfds.
        unsafe { super::poll(mem, gpa, &set) }
    }

    /// POLL on the frozen poll set, with the prebuilt mask.
    pub fn poll(m: &Monitor, gpa: ukvm_gpa_t) -> Result<(), Fatal> {
        let r = match m.frozen() {
            Some(f) => {
                let (fds, nfds) = f.pollfds();
                let set = PollSet {
                    fds,
                    nfds,
                    sigmask: f.sigmask(),
                };
                // SAFETY: the frozen poll set: `nfds` cells that only POLL
                // touches, on the monitor's one thread, and ppoll runs no
                // code of ours while it holds them.
                unsafe { super::poll(m.mem(), gpa, &set) }
            }
            None => poll_collected(m.mem(), gpa),
        };
        r.map_err(|e| e.fatal("poll"))
    }
}

#[cfg(test)]
mod tests;
