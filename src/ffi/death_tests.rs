//! Child-process tests (the test binary re-runs itself for one case):
//! fatal paths of the C API, checked for status 1 and upstream's message
//! on stderr; and the process-wide tables, which need a fresh process.

use std::os::raw::{c_int, c_void};
use std::process::Command;

use crate::abi::{UkvmHv, UKVM_HYPERCALL_PUTS};
use crate::monitor::{global, GuestMem, HypercallOutcome, Monitor};

const CASE_ENV: &str = "UKVM_DEATH_CASE";

/// In the child: run `body` if this is the selected case (it must not
/// return). In the parent: run the case in a child and return its status
/// and stderr.
fn run_case(name: &str, body: impl FnOnce()) -> Option<(Option<i32>, String)> {
    run_case_status(name, body).map(|(st, err)| (st.code(), err))
}

/// As `run_case`, with the child's whole exit status (signals included).
fn run_case_status(name: &str, body: impl FnOnce()) -> Option<(std::process::ExitStatus, String)> {
    if std::env::var(CASE_ENV).as_deref() == Ok(name) {
        body();
        eprintln!("death case {name} returned");
        std::process::exit(99);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let test = format!("ffi::death_tests::{name}");
    // Cross-built tests run under an emulator (e.g. qemu-aarch64); the
    // child must too. UKVM_TEST_RUNNER holds that command, split on spaces.
    let runner = std::env::var("UKVM_TEST_RUNNER").unwrap_or_default();
    let mut argv: Vec<String> = runner.split_whitespace().map(String::from).collect();
    argv.push(exe.to_string_lossy().into_owned());
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CASE_ENV, name)
        .output()
        .expect("spawn test binary");
    Some((
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn expect_death(name: &str, body: impl FnOnce(), msg: &str) {
    if let Some((code, err)) = run_case(name, body) {
        assert_eq!(code, Some(1), "{name}: status; stderr:\n{err}");
        assert!(
            err.contains(msg),
            "{name}: wanted {msg:?} in stderr:\n{err}"
        );
    }
}

/// Run the core module's setup (registers WALLTIME, PUTS, POLL).
fn core_setup(hv: &mut UkvmHv) {
    // SAFETY: ukvm_module_core is only read; its setup takes any hv.
    let setup = unsafe { (*std::ptr::addr_of!(super::core_module::ukvm_module_core)).setup };
    // SAFETY: as above.
    assert_eq!(unsafe { setup.expect("core has setup")(hv) }, 0);
}

/// Call hypercall `nr`'s C entry point from `ukvm_core_hypercalls`, as a
/// C program would, with its own `hv`.
fn c_call(nr: u32, hv: &mut UkvmHv, gpa: u64) {
    let f = global::hypercall(u64::from(nr)).expect("handler registered");
    // SAFETY: a registered core handler, with a hv over live memory.
    unsafe { f(hv, gpa) }
}

fn guest(size: usize) -> (Vec<u8>, UkvmHv) {
    let mut mem = vec![0u8; size];
    let hv = UkvmHv {
        mem: mem.as_mut_ptr(),
        mem_size: size,
        b: std::ptr::null_mut(),
    };
    (mem, hv)
}

#[test]
fn checked_gpa_p_out_of_range() {
    expect_death(
        "checked_gpa_p_out_of_range",
        || {
            let (_m, mut hv) = guest(4096);
            // SAFETY: valid hv; file is a C string.
            unsafe {
                super::gpa::ukvm_checked_gpa_p(
                    &mut hv,
                    0xff0,
                    0x10,
                    c"ukvm_module_x.c".as_ptr(),
                    42,
                )
            };
        },
        ": ukvm_module_x.c:42: Invalid guest access: gpa=0xff0, sz=16\n",
    );
}

#[test]
fn checked_gpa_p_overflow() {
    expect_death(
        "checked_gpa_p_overflow",
        || {
            let (_m, mut hv) = guest(4096);
            // SAFETY: valid hv; file is a C string.
            unsafe { super::gpa::ukvm_checked_gpa_p(&mut hv, 8, usize::MAX, c"m.c".as_ptr(), 7) };
        },
        ": m.c:7: Invalid guest access: gpa=0x8, sz=18446744073709551615\n",
    );
}

#[test]
fn checked_gpa_p_in_range_returns_host_pointer() {
    let (m, mut hv) = guest(4096);
    // SAFETY: valid hv; file is a C string.
    let p = unsafe { super::gpa::ukvm_checked_gpa_p(&mut hv, 0x100, 0x10, c"m.c".as_ptr(), 1) };
    assert_eq!(p as usize, m.as_ptr() as usize + 0x100);
}

#[test]
fn halt_with_bad_cookie() {
    expect_death(
        "halt_with_bad_cookie",
        || {
            let (mut m, mut hv) = guest(4096);
            m[0..8].copy_from_slice(&4000u64.to_ne_bytes());
            // SAFETY: valid hv over `m`.
            unsafe { super::core_api::ukvm_core_hypercall_halt(&mut hv, 0) };
        },
        "Invalid guest access: gpa=0xfa0, sz=512\n",
    );
}

#[test]
fn puts_with_bad_buffer() {
    expect_death(
        "puts_with_bad_buffer",
        || {
            let (mut m, mut hv) = guest(4096);
            m[0..8].copy_from_slice(&4090u64.to_ne_bytes());
            m[8..16].copy_from_slice(&100usize.to_ne_bytes());
            core_setup(&mut hv);
            c_call(UKVM_HYPERCALL_PUTS, &mut hv, 0);
        },
        "Invalid guest access: gpa=0xffa, sz=100\n",
    );
}

#[test]
fn puts_to_closed_stdout() {
    expect_death(
        "puts_to_closed_stdout",
        || {
            let (mut m, mut hv) = guest(4096);
            m[0..8].copy_from_slice(&64u64.to_ne_bytes());
            m[8..16].copy_from_slice(&3usize.to_ne_bytes());
            core_setup(&mut hv);
            // SAFETY: closing our own stdout, in the child.
            unsafe { libc::close(1) };
            c_call(UKVM_HYPERCALL_PUTS, &mut hv, 0);
        },
        ": puts: write failed: Bad file descriptor\n",
    );
}

/// In the child: make stdout a pipe whose reader is gone, give SIGPIPE
/// `disposition`, and have the guest PUTS "hey" through the C entry.
fn puts_into_a_closed_pipe(disposition: libc::sighandler_t) {
    let (mut m, mut hv) = guest(4096);
    m[0..8].copy_from_slice(&64u64.to_ne_bytes());
    m[8..16].copy_from_slice(&3usize.to_ne_bytes());
    m[64..67].copy_from_slice(b"hey");
    core_setup(&mut hv);
    let mut p = [0; 2];
    // SAFETY: in the child: a pipe, its read end closed, its write end
    // made our stdout; then the signal's disposition set.
    unsafe {
        assert_eq!(libc::pipe(p.as_mut_ptr()), 0);
        libc::close(p[0]);
        assert_eq!(libc::dup2(p[1], 1), 1);
        libc::signal(libc::SIGPIPE, disposition);
    }
    c_call(UKVM_HYPERCALL_PUTS, &mut hv, 0);
}

#[test]
fn puts_to_a_closed_pipe_dies_by_sigpipe_as_upstream() {
    // The monitor's C main leaves SIGPIPE as it was inherited, normally
    // the default (tests/arch_hv_ffi.rs checks that of a real monitor);
    // the Rust test harness ignores it, so the child restores the default.
    let r = run_case_status("puts_to_a_closed_pipe_dies_by_sigpipe_as_upstream", || {
        puts_into_a_closed_pipe(libc::SIG_DFL)
    });
    if let Some((st, err)) = r {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(st.signal(), Some(libc::SIGPIPE), "{st:?}; stderr:\n{err}");
    }
}

#[test]
fn puts_to_a_closed_pipe_with_sigpipe_ignored_is_an_error() {
    expect_death(
        "puts_to_a_closed_pipe_with_sigpipe_ignored_is_an_error",
        || puts_into_a_closed_pipe(libc::SIG_IGN),
        ": puts: write failed: Broken pipe\n",
    );
}

#[test]
fn panic_in_guarded_entry() {
    expect_death(
        "panic_in_guarded_entry",
        || {
            super::guard("test_entry", || panic!("deliberate"));
        },
        ": internal error in test_entry: deliberate\n",
    );
}

unsafe extern "C" fn panicking_hook(_: *mut UkvmHv, _: c_int, _: *mut c_void) {
    super::guard("panicking_hook", || panic!("hook failed"))
}

#[test]
fn panic_in_hook_under_halt() {
    expect_death(
        "panic_in_hook_under_halt",
        || {
            let (_m, mut hv) = guest(4096);
            assert_eq!(global::register_halt_hook(Some(panicking_hook)), 0);
            // SAFETY: valid hv; the halt struct at 0 is all zero.
            unsafe { super::core_api::ukvm_core_hypercall_halt(&mut hv, 0) };
        },
        ": internal error in panicking_hook: hook failed\n",
    );
}

#[test]
fn sigterm_ends_with_upstream_message() {
    expect_death(
        "sigterm_ends_with_upstream_message",
        || {
            crate::monitor::start::install_signal_handlers().unwrap();
            // SAFETY: raising a signal we handle.
            unsafe { libc::raise(libc::SIGTERM) };
        },
        ": Exiting on signal 15\n",
    );
}

#[test]
fn sigint_ends_with_upstream_message() {
    expect_death(
        "sigint_ends_with_upstream_message",
        || {
            crate::monitor::start::install_signal_handlers().unwrap();
            // SAFETY: raising a signal we handle.
            unsafe { libc::raise(libc::SIGINT) };
        },
        ": Exiting on signal 2\n",
    );
}

// Not deaths, but global state: run in a child so that the process-wide
// tables start empty and the module count is the default (core only).

static SEEN_GPA: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

unsafe extern "C" fn record_gpa(_: *mut UkvmHv, gpa: u64) {
    SEEN_GPA.store(gpa, std::sync::atomic::Ordering::SeqCst);
}

unsafe extern "C" fn decline(_: *mut UkvmHv) -> c_int {
    -1
}

unsafe extern "C" fn claim(_: *mut UkvmHv) -> c_int {
    0
}

#[test]
fn global_tables_freeze_into_the_installed_monitor() {
    let r = run_case("global_tables_freeze_into_the_installed_monitor", || {
        use super::core_api::*;
        assert_eq!(ukvm_core_register_hypercall(5, Some(record_gpa)), 0);
        assert_eq!(ukvm_core_register_hypercall(5, Some(record_gpa)), -1);
        assert_eq!(ukvm_core_register_hypercall(-1, Some(record_gpa)), -1);
        assert_eq!(ukvm_core_register_vmexit(Some(decline)), 0);
        // One compiled-in module (core): one vmexit handler at most.
        assert_eq!(ukvm_core_register_vmexit(Some(claim)), -1);
        assert_eq!(ukvm_core_register_pollfd(0), 0);
        assert_eq!(ukvm_core_register_pollfd(0), -1);

        let m = Monitor::new(GuestMem::anonymous(1 << 20).unwrap(), None)
            .install()
            .unwrap();
        assert!(std::ptr::eq(Monitor::from_hv(m.hv_ptr()).unwrap(), m));
        assert!(Monitor::new(GuestMem::anonymous(4096).unwrap(), None)
            .install()
            .is_err());
        let f = m.freeze();
        assert_eq!(f.poll_fds(), vec![0]);
        assert_eq!(f.vmexits().len(), 1);
        // SAFETY: the test's handlers accept any hv.
        unsafe {
            assert_eq!(m.hypercall(5, 0x42).unwrap(), HypercallOutcome::Continue);
            assert!(!m.run_vmexit_handlers(), "handler declined");
        }
        assert_eq!(SEEN_GPA.load(std::sync::atomic::Ordering::SeqCst), 0x42);
        // Registration is over once the monitor is frozen.
        assert_eq!(ukvm_core_register_hypercall(6, Some(record_gpa)), -1);
        assert_eq!(ukvm_core_register_pollfd(1), -1);

        m.mem().write_obj::<i32>(0x108, 9).unwrap();
        // SAFETY: the hv is the installed monitor's; no hooks registered.
        assert_eq!(unsafe { ukvm_core_hypercall_halt(m.hv_ptr(), 0x100) }, 9);
        std::process::exit(0);
    });
    if let Some((code, err)) = r {
        assert_eq!(code, Some(0), "child failed:\n{err}");
        assert!(
            err.contains("ukvm_core_register_hypercall: called after module setup; refused"),
            "{err}"
        );
    }
}

#[test]
fn global_vmexit_handler_claims() {
    let r = run_case("global_vmexit_handler_claims", || {
        assert_eq!(super::core_api::ukvm_core_register_vmexit(Some(claim)), 0);
        let m = Monitor::new(GuestMem::anonymous(4096).unwrap(), None);
        m.freeze();
        // SAFETY: the test's handler accepts any hv.
        assert!(unsafe { m.run_vmexit_handlers() });
        std::process::exit(0);
    });
    if let Some((code, err)) = r {
        assert_eq!(code, Some(0), "child failed:\n{err}");
    }
}
