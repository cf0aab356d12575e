//! Tests of `monitor::core_calls`.

use super::*;
use crate::elf::protect::Protection;
use crate::monitor::guest_io;
use crate::monitor::registry::poll_sigmask;
use crate::monitor::Protections;

fn mem() -> GuestMem {
    GuestMem::anonymous(64 << 10).unwrap()
}

fn no_fds(mask: &libc::sigset_t) -> PollSet<'_> {
    PollSet {
        fds: std::ptr::null_mut(),
        nfds: 0,
        sigmask: mask,
    }
}

/// 64 KiB with the page at 0x4000 read-only and the one at 0x5000 not
/// accessible, in the snapshot.
fn protected() -> GuestMem {
    let m = mem();
    m.set_protections(Protections::from_runs(&[
        Protection {
            index: 0,
            start: 0x4000,
            len: 0x1000,
            prot: libc::PROT_READ,
        },
        Protection {
            index: 1,
            start: 0x5000,
            len: 0x1000,
            prot: libc::PROT_NONE,
        },
    ]));
    m
}

fn put_puts(m: &GuestMem, at: u64, data: u64, len: usize) {
    m.write_obj(at, ukvm_puts { data, len }).unwrap();
}

#[test]
fn walltime_is_now() {
    let m = mem();
    walltime(&m, 16).unwrap();
    let ns = m.read_obj::<u64>(16).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    assert!(now.abs_diff(ns) < 5_000_000_000, "ns={ns} now={now}");
}

#[test]
fn walltime_outside_memory_or_into_text_is_refused() {
    let m = protected();
    let top = (64 << 10) - 6;
    assert!(matches!(
        walltime(&m, top),
        Err(CallError::Guest(MemError::Range(_), _))
    ));
    assert!(matches!(
        walltime(&m, 0x4ff8),
        Err(CallError::Guest(MemError::NotWritable(_), _))
    ));
    assert_eq!(m.read_obj::<u64>(0x4ff8).unwrap(), 0, "nothing written");
}

fn collect(m: &GuestMem, gpa: u64) -> (Result<(), CallError>, Vec<u8>) {
    let mut got = Vec::new();
    let r = puts(m, gpa, |s| {
        let mut b = vec![0u8; s.len()];
        let n = s.copy_to(&mut b[..]);
        got.extend_from_slice(&b[..n]);
        Ok(n)
    });
    (r, got)
}

#[test]
fn puts_passes_exactly_the_guest_bytes() {
    let m = mem();
    m.writable(100, 5).unwrap().copy_from(b"hello");
    put_puts(&m, 0, 100, 5);
    let (r, got) = collect(&m, 0);
    r.unwrap();
    assert_eq!(got, b"hello");
}

#[test]
fn puts_short_writes_write_the_rest() {
    let m = mem();
    m.writable(0x100, 11).unwrap().copy_from(b"hello world");
    put_puts(&m, 0, 0x100, 11);
    let mut got = Vec::new();
    let mut calls = 0;
    puts(&m, 0, |s| {
        calls += 1;
        // Two bytes per write, and an EINTR before the third.
        if calls == 3 {
            return Err(io::Error::from_raw_os_error(libc::EINTR));
        }
        let mut b = [0u8; 2];
        let n = s.copy_to(&mut b[..]);
        got.extend_from_slice(&b[..n]);
        Ok(n)
    })
    .unwrap();
    assert_eq!(got, b"hello world");
    assert_eq!(calls, 7);
}

#[test]
fn puts_short_writes_to_a_slow_pipe_reader() {
    // A real pipe, non-blocking on the monitor's side, whose reader
    // drains it slowly: the guest's 1 MiB does not fit in the pipe at
    // once, so write(2) returns short, then EAGAIN until there is room.
    let m = GuestMem::anonymous(4 << 20).unwrap();
    let len = 1 << 20;
    let pattern: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    m.writable(0x1000, len).unwrap().copy_from(&pattern[..]);
    put_puts(&m, 0, 0x1000, len);
    let mut p = [0; 2];
    // SAFETY: pipe writes two fds into the array.
    assert_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
    let (r, w) = (p[0], p[1]);
    // SAFETY: fcntl on our own pipe's write end.
    let rc = unsafe { libc::fcntl(w, libc::F_SETFL, libc::O_NONBLOCK) };
    assert_eq!(rc, 0);
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut b = [0u8; 4096];
        loop {
            std::thread::sleep(std::time::Duration::from_micros(200));
            // SAFETY: reading into a local buffer from our pipe.
            let n = unsafe { libc::read(r, b.as_mut_ptr().cast(), b.len()) };
            if n <= 0 {
                break;
            }
            out.extend_from_slice(&b[..n as usize]);
        }
        out
    });
    let mut writes = 0;
    let mut short = 0;
    puts(&m, 0, |s| {
        writes += 1;
        let n = console_write(w, s)?;
        short += usize::from(n < s.len());
        Ok(n)
    })
    .unwrap();
    // SAFETY: closing our write end ends the reader.
    unsafe { libc::close(w) };
    let out = reader.join().unwrap();
    // SAFETY: closing our read end.
    unsafe { libc::close(r) };
    assert!(
        writes > 1 && short > 0,
        "no short write happened: {writes} writes"
    );
    assert_eq!(out.len(), len);
    assert!(out == pattern, "bytes differ");
}

#[test]
fn puts_with_buffer_past_end_is_refused() {
    let m = mem();
    let size = 64 << 10;
    put_puts(&m, 0, size - 56, 56);
    let (r, got) = collect(&m, 0);
    match r {
        Err(CallError::Guest(MemError::Range(e), _)) => {
            assert_eq!((e.gpa, e.size), (size - 56, 56))
        }
        other => panic!("{other:?}"),
    }
    assert!(got.is_empty());
}

#[test]
fn puts_with_huge_length_is_refused() {
    let m = mem();
    put_puts(&m, 0, 1, usize::MAX);
    assert!(matches!(
        collect(&m, 0).0,
        Err(CallError::Guest(MemError::Range(_), _))
    ));
}

#[test]
fn puts_from_unreadable_memory_is_refused_before_any_write() {
    let m = protected();
    put_puts(&m, 0, 0x4ff0, 0x20);
    let (r, got) = collect(&m, 0);
    assert!(
        matches!(r, Err(CallError::Guest(MemError::NotReadable(_), _))),
        "{r:?}"
    );
    assert!(got.is_empty());
    put_puts(&m, 0, 0x4000, 0x10);
    let (r, got) = collect(&m, 0);
    r.unwrap();
    assert_eq!(got, [0u8; 16], "read-only is readable");
    assert!(matches!(
        collect(&m, 0x5000).0,
        Err(CallError::Guest(MemError::NotReadable(_), _))
    ));
}

#[test]
fn puts_write_error_is_reported() {
    let m = mem();
    put_puts(&m, 0, 64, 3);
    let r = puts(&m, 0, |s| guest_io::write(-1, s));
    assert!(matches!(r, Err(CallError::Sys("write", _))));
    let f = r.unwrap_err().fatal("puts");
    assert_eq!(
        f.to_string(),
        format!(
            "puts: write failed: {}",
            io::Error::from_raw_os_error(libc::EBADF)
        )
    );
}

#[test]
fn guest_errors_name_our_line() {
    let m = mem();
    let e = walltime(&m, 1 << 20)
        .unwrap_err()
        .fatal("walltime")
        .to_string();
    assert!(
        e.starts_with("src/monitor/core_calls.rs:")
            && e.ends_with(": Invalid guest access: gpa=0x100000, sz=8"),
        "{e}"
    );
}

#[test]
fn timespec_split() {
    let ts = timeout_to_timespec(3_000_000_007);
    assert_eq!((ts.tv_sec, ts.tv_nsec), (3, 7));
    let ts = timeout_to_timespec(u64::MAX);
    assert_eq!(ts.tv_sec as u64, u64::MAX / 1_000_000_000);
}

fn put_poll(m: &GuestMem, at: u64, timeout_nsecs: u64) {
    let t = ukvm_poll {
        timeout_nsecs,
        ret: 99,
        ..Default::default()
    };
    m.write_obj(at, t).unwrap();
}

#[test]
fn poll_times_out_with_zero_and_sees_ready_pipe() {
    let m = mem();
    let mask = poll_sigmask();
    put_poll(&m, 0, 1_000_000);
    // SAFETY: no fds.
    unsafe { poll(&m, 0, &no_fds(&mask)) }.unwrap();
    assert_eq!(m.read_obj::<ukvm_poll>(0).unwrap().ret, 0);

    let mut p = [0; 2];
    // SAFETY: pipe writes two fds into the array.
    assert_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
    // SAFETY: writing one byte from a local to our pipe.
    assert_eq!(unsafe { libc::write(p[1], b"x".as_ptr().cast(), 1) }, 1);
    let mut fds = [libc::pollfd {
        fd: p[0],
        events: libc::POLLIN,
        revents: 0,
    }];
    put_poll(&m, 0, 5_000_000_000);
    let set = PollSet {
        fds: fds.as_mut_ptr(),
        nfds: 1,
        sigmask: &mask,
    };
    // SAFETY: `fds` is a live local array of one pollfd.
    unsafe { poll(&m, 0, &set) }.unwrap();
    let t = m.read_obj::<ukvm_poll>(0).unwrap();
    assert_eq!(
        (t.ret, t.timeout_nsecs),
        (1, 5_000_000_000),
        "only ret stored"
    );
    // SAFETY: closing fds we own.
    unsafe {
        libc::close(p[0]);
        libc::close(p[1]);
    }
}

extern "C" fn on_usr1(_: libc::c_int) {}

#[test]
fn poll_interrupted_by_a_signal_answers_zero() {
    // SIGUSR1 with a handler, left open in the wait's mask: ppoll ends
    // with EINTR, which the guest sees as "nothing ready".
    // SAFETY: a zeroed sigaction with a handler that does nothing.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = on_usr1 as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: installs a handler for SIGUSR1, which nothing else uses.
    let rc = unsafe { libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()) };
    assert_eq!(rc, 0);
    let mut mask = poll_sigmask();
    // SAFETY: editing a local, initialised set.
    unsafe { libc::sigdelset(&mut mask, libc::SIGUSR1) };
    let m = mem();
    put_poll(&m, 0x40, 10_000_000_000);
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    // Signal until the wait has ended: one signal could arrive before
    // ppoll starts and be taken outside it.
    let kicker = std::thread::spawn(move || {
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(50));
            // SAFETY: signals this test's thread, which has a handler.
            unsafe { libc::pthread_kill(me, libc::SIGUSR1) };
        }
    });
    let t0 = std::time::Instant::now();
    // SAFETY: no fds.
    let r = unsafe { poll(&m, 0x40, &no_fds(&mask)) };
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    kicker.join().unwrap();
    r.unwrap();
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(9),
        "the signal did not end the wait"
    );
    assert_eq!(m.read_obj::<ukvm_poll>(0x40).unwrap().ret, 0);
}

#[test]
fn poll_struct_outside_memory_or_in_text_is_refused() {
    let m = protected();
    let mask = poll_sigmask();
    // SAFETY: no fds.
    let r = unsafe { poll(&m, (64 << 10) - 11, &no_fds(&mask)) };
    assert!(matches!(r, Err(CallError::Guest(MemError::Range(_), _))));
    // SAFETY: no fds.
    let r = unsafe { poll(&m, 0x4010, &no_fds(&mask)) };
    assert!(
        matches!(r, Err(CallError::Guest(MemError::NotWritable(_), _))),
        "checked before sleeping"
    );
}
