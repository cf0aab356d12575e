//! The core module's hypercalls: WALLTIME, PUTS and POLL.
//!
//! Each takes the guest's request through the checked accessor. Where the
//! C monitor asserts on a failing system call, these die with a message
//! naming the call and the error (status 1).

use std::io;
use std::mem::MaybeUninit;

use crate::abi::{ukvm_gpa_t, ukvm_poll, ukvm_puts, ukvm_walltime};
use crate::monitor::guest_mem::{GuestAccessError, GuestMem};

/// Why a core hypercall failed.
#[derive(Debug)]
pub enum CallError {
    Guest(GuestAccessError),
    Sys(&'static str, io::Error),
}

impl From<GuestAccessError> for CallError {
    fn from(e: GuestAccessError) -> Self {
        CallError::Guest(e)
    }
}

/// WALLTIME: store the real-time clock in nanoseconds since the epoch.
pub fn walltime(mem: &GuestMem, gpa: ukvm_gpa_t) -> Result<(), CallError> {
    mem.ptr(gpa, std::mem::size_of::<ukvm_walltime>())?;
    let mut ts = MaybeUninit::<libc::timespec>::uninit();
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, ts.as_mut_ptr()) } != 0 {
        return Err(CallError::Sys("clock_gettime", io::Error::last_os_error()));
    }
    // SAFETY: initialised by the successful call above.
    let ts = unsafe { ts.assume_init() };
    let nsecs = (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64);
    mem.write(gpa, ukvm_walltime { nsecs })?;
    Ok(())
}

/// PUTS: write the guest's buffer to the monitor's standard output.
pub fn puts(
    mem: &GuestMem,
    gpa: ukvm_gpa_t,
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> Result<(), CallError> {
    let p: ukvm_puts = mem.read(gpa)?;
    let data = mem.ptr(p.data, p.len)?;
    // SAFETY: the accessor checked that p.len bytes at `data` are guest
    // memory; the vCPU is stopped while we read them.
    let bytes = unsafe { std::slice::from_raw_parts(data as *const u8, p.len) };
    sink(bytes).map_err(|e| CallError::Sys("write", e))
}

/// Write all of `buf` to file descriptor `fd`, retrying short writes and
/// interrupted calls.
pub fn write_all_fd(fd: libc::c_int, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: buf is a valid readable slice of buf.len() bytes.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        buf = &buf[n as usize..];
    }
    Ok(())
}

/// Split a nanosecond timeout into a timespec.
pub fn timeout_to_timespec(nsecs: u64) -> libc::timespec {
    libc::timespec {
        tv_sec: (nsecs / 1_000_000_000) as libc::time_t,
        tv_nsec: (nsecs % 1_000_000_000) as libc::c_long,
    }
}

/// Signal mask for ppoll: everything blocked except SIGINT and SIGTERM,
/// which end the monitor.
pub fn poll_sigmask() -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigfillset initialises the set; sigdelset edits it.
    unsafe {
        libc::sigfillset(set.as_mut_ptr());
        libc::sigdelset(set.as_mut_ptr(), libc::SIGTERM);
        libc::sigdelset(set.as_mut_ptr(), libc::SIGINT);
        set.assume_init()
    }
}

/// POLL: wait until input is ready on a registered fd or the guest's
/// timeout passes; store the number of ready fds (0 on timeout).
pub fn poll(mem: &GuestMem, gpa: ukvm_gpa_t, fds: &mut [libc::pollfd]) -> Result<(), CallError> {
    let mut t: ukvm_poll = mem.read(gpa)?;
    // Where the answer goes must be writable before the wait, not after it.
    mem.writable(gpa, std::mem::size_of::<ukvm_poll>()).map_err(|e| e.range())?;
    let ts = timeout_to_timespec(t.timeout_nsecs);
    let mask = poll_sigmask();
    // SAFETY: fds is a valid array of fds.len() pollfds; ts and mask are
    // valid for the call's duration.
    let rc = unsafe { libc::ppoll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, &ts, &mask) };
    t.ret = if rc < 0 {
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
    mem.write(gpa, t)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_fds() -> Vec<libc::pollfd> {
        Vec::new()
    }

    fn mem_over(buf: &mut [u8]) -> GuestMem {
        // SAFETY: tests keep `buf` alive while using the view.
        unsafe { GuestMem::new(buf.as_mut_ptr(), buf.len()) }
    }

    #[test]
    fn walltime_is_now() {
        let mut buf = vec![0u8; 256];
        let mem = mem_over(&mut buf);
        walltime(&mem, 16).unwrap();
        let ns = mem.read::<u64>(16).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        assert!(now.abs_diff(ns) < 5_000_000_000, "ns={ns} now={now}");
    }

    #[test]
    fn walltime_outside_memory_is_refused() {
        let mut buf = vec![0u8; 256];
        let mem = mem_over(&mut buf);
        assert!(matches!(walltime(&mem, 250), Err(CallError::Guest(_))));
    }

    #[test]
    fn puts_passes_exactly_the_guest_bytes() {
        let mut buf = vec![0u8; 256];
        buf[100..105].copy_from_slice(b"hello");
        buf[0..8].copy_from_slice(&100u64.to_ne_bytes());
        buf[8..16].copy_from_slice(&5usize.to_ne_bytes());
        let mem = mem_over(&mut buf);
        let mut got = Vec::new();
        puts(&mem, 0, &mut |b| {
            got.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, b"hello");
    }

    #[test]
    fn puts_with_buffer_past_end_is_refused() {
        let mut buf = vec![0u8; 256];
        buf[0..8].copy_from_slice(&200u64.to_ne_bytes());
        buf[8..16].copy_from_slice(&56usize.to_ne_bytes());
        let mem = mem_over(&mut buf);
        let r = puts(&mem, 0, &mut |_| panic!("must not write"));
        match r {
            Err(CallError::Guest(e)) => assert_eq!((e.gpa, e.size), (200, 56)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn puts_with_huge_length_is_refused() {
        let mut buf = vec![0u8; 256];
        buf[0..8].copy_from_slice(&1u64.to_ne_bytes());
        buf[8..16].copy_from_slice(&usize::MAX.to_ne_bytes());
        let mem = mem_over(&mut buf);
        assert!(matches!(
            puts(&mem, 0, &mut |_| Ok(())),
            Err(CallError::Guest(_))
        ));
    }

    #[test]
    fn puts_write_error_is_reported() {
        let mut buf = vec![0u8; 256];
        let mem = mem_over(&mut buf);
        let r = puts(&mem, 0, &mut |b| {
            write_all_fd(-1, if b.is_empty() { b"x" } else { b })
        });
        assert!(matches!(r, Err(CallError::Sys("write", _))));
    }

    #[test]
    fn timespec_split() {
        let ts = timeout_to_timespec(3_000_000_007);
        assert_eq!((ts.tv_sec, ts.tv_nsec), (3, 7));
        let ts = timeout_to_timespec(u64::MAX);
        assert_eq!(ts.tv_sec as u64, u64::MAX / 1_000_000_000);
    }

    #[test]
    fn sigmask_leaves_only_int_and_term() {
        let m = poll_sigmask();
        // SAFETY: sigismember reads an initialised set.
        unsafe {
            assert_eq!(libc::sigismember(&m, libc::SIGINT), 0);
            assert_eq!(libc::sigismember(&m, libc::SIGTERM), 0);
            assert_eq!(libc::sigismember(&m, libc::SIGHUP), 1);
            assert_eq!(libc::sigismember(&m, libc::SIGALRM), 1);
        }
    }

    #[test]
    fn poll_times_out_with_zero_and_sees_ready_pipe() {
        let mut buf = vec![0u8; 256];
        let mem = mem_over(&mut buf);
        mem.write(
            0,
            ukvm_poll {
                timeout_nsecs: 1_000_000,
                ret: 99,
                ..Default::default()
            },
        )
        .unwrap();
        poll(&mem, 0, &mut no_fds()).unwrap();
        assert_eq!(mem.read::<ukvm_poll>(0).unwrap().ret, 0);

        let mut p = [0; 2];
        // SAFETY: pipe writes two fds into the array.
        assert_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
        write_all_fd(p[1], b"x").unwrap();
        let mut fds = vec![libc::pollfd {
            fd: p[0],
            events: libc::POLLIN,
            revents: 0,
        }];
        mem.write(
            0,
            ukvm_poll {
                timeout_nsecs: 5_000_000_000,
                ret: 99,
                ..Default::default()
            },
        )
        .unwrap();
        poll(&mem, 0, &mut fds).unwrap();
        assert_eq!(mem.read::<ukvm_poll>(0).unwrap().ret, 1);
        // SAFETY: closing fds we own.
        unsafe {
            libc::close(p[0]);
            libc::close(p[1]);
        }
    }

    #[test]
    fn poll_struct_outside_memory_is_refused() {
        let mut buf = vec![0u8; 256];
        let mem = mem_over(&mut buf);
        assert!(matches!(
            poll(&mem, 245, &mut no_fds()),
            Err(CallError::Guest(_))
        ));
    }
}
