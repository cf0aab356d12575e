//! Tests of `monitor::registry`.

use super::*;
use crate::abi::UkvmHv;
use std::os::raw::c_void;

unsafe extern "C" fn hc_a(_: *mut UkvmHv, _: u64) {}
unsafe extern "C" fn hc_b(_: *mut UkvmHv, _: u64) {}
unsafe extern "C" fn vx(_: *mut UkvmHv) -> c_int {
    -1
}
unsafe extern "C" fn hook(_: *mut UkvmHv, _: c_int, _: *mut c_void) {}

#[test]
fn hypercall_in_range_is_registered_once() {
    let mut t = [None; HYPERCALL_MAX];
    assert_eq!(register_hypercall(&mut t, 1, Some(hc_a)), 0);
    assert_eq!(register_hypercall(&mut t, 1, Some(hc_b)), -1, "duplicate");
    assert_eq!(
        t[1].map(|f| f as usize),
        Some(hc_a as unsafe extern "C" fn(*mut UkvmHv, u64) as usize),
        "first one kept"
    );
    assert_eq!(
        register_hypercall(&mut t, 0, Some(hc_a)),
        0,
        "0 is in range, as upstream"
    );
    assert_eq!(
        register_hypercall(&mut t, HYPERCALL_MAX as c_int - 1, Some(hc_a)),
        0
    );
}

#[test]
fn hypercall_out_of_range_is_refused() {
    let mut t = [None; HYPERCALL_MAX];
    for nr in [
        HYPERCALL_MAX as c_int,
        HYPERCALL_MAX as c_int + 1,
        c_int::MAX,
        -1,
        -2,
        c_int::MIN,
    ] {
        assert_eq!(register_hypercall(&mut t, nr, Some(hc_a)), -1, "nr={nr}");
    }
    assert!(t.iter().all(Option::is_none));
}

#[test]
fn null_hypercall_is_refused() {
    let mut t = [None; HYPERCALL_MAX];
    assert_eq!(register_hypercall(&mut t, 2, None), -1);
}

#[test]
fn eight_halt_hooks_then_refused() {
    let mut r = Registry::new(1);
    for _ in 0..HALT_HOOKS_MAX {
        assert_eq!(r.register_halt_hook(Some(hook)), 0);
    }
    assert_eq!(r.register_halt_hook(Some(hook)), -1);
    assert_eq!(r.halt_hooks().len(), 8);
    assert_eq!(r.register_halt_hook(None), -1);
}

#[test]
fn vmexits_limited_by_module_count_and_terminated() {
    let mut t = [None; VMEXITS_CAPACITY + 1];
    let mut r = Registry::new(3);
    for i in 0..3 {
        assert_eq!(r.register_vmexit(&mut t, Some(vx)), 0, "#{i}");
    }
    assert_eq!(r.register_vmexit(&mut t, Some(vx)), -1);
    assert!(t[..3].iter().all(Option::is_some));
    assert!(t[3].is_none(), "NULL terminator intact");
}

#[test]
fn vmexits_never_overwrite_the_terminator() {
    let mut t = [None; 3];
    let mut r = Registry::new(100);
    assert_eq!(r.register_vmexit(&mut t, Some(vx)), 0);
    assert_eq!(r.register_vmexit(&mut t, Some(vx)), 0);
    assert_eq!(r.register_vmexit(&mut t, Some(vx)), -1);
    assert!(t[2].is_none());
}

#[test]
fn pollfds_limited_by_module_count() {
    let mut r = Registry::new(2);
    assert_eq!(r.register_pollfd(5), 0);
    assert_eq!(r.register_pollfd(6), 0);
    assert_eq!(r.register_pollfd(7), -1);
    let fds = r.pollfds();
    assert_eq!(fds.iter().map(|p| p.fd).collect::<Vec<_>>(), vec![5, 6]);
    assert!(fds.iter().all(|p| p.events == libc::POLLIN));
}

#[test]
fn frozen_keeps_order_and_stops_at_the_terminator() {
    let mut r = Registry::new(4);
    let mut vt = [None; 5];
    let mut ht = [None; HYPERCALL_MAX];
    assert_eq!(register_hypercall(&mut ht, 3, Some(hc_b)), 0);
    assert_eq!(r.register_vmexit(&mut vt, Some(vx)), 0);
    assert_eq!(r.register_halt_hook(Some(hook)), 0);
    assert_eq!(r.register_halt_hook(Some(hook)), 0);
    assert_eq!(r.register_pollfd(9), 0);
    // A stray entry after the terminator is not a handler.
    vt[2] = Some(vx);
    let f = r.freeze(ht, &vt);
    assert_eq!(f.vmexits().len(), 1);
    assert_eq!(f.halt_hooks().len(), 2);
    assert_eq!(f.poll_fds(), vec![9]);
    assert!(matches!(f.hypercall(3), Handler::C(h) if h as usize == hc_b as CHypercall as usize));
    assert!(matches!(f.hypercall(2), Handler::None));
    assert!(matches!(f.hypercall(u64::MAX), Handler::None));
    let (p, n) = f.pollfds();
    // SAFETY: p points to n pollfds owned by `f`.
    assert_eq!((n, unsafe { (*p).fd }), (1, 9));
}

fn native_a(_: &Monitor, _: u64) -> Result<(), Fatal> {
    Ok(())
}

#[test]
fn native_handlers_only_while_their_c_entry_is_in_the_table() {
    let mut r = Registry::new(1);
    let mut ht = [None; HYPERCALL_MAX];
    assert_eq!(register_hypercall(&mut ht, 1, Some(hc_a)), 0);
    r.register_native(1, hc_a, native_a);
    r.register_native(2, hc_a, native_a);
    assert_eq!(register_hypercall(&mut ht, 2, Some(hc_b)), 0);
    r.register_native(usize::MAX, hc_a, native_a);
    let f = r.freeze(ht, &[]);
    assert!(matches!(f.hypercall(1), Handler::Native(_)));
    assert!(
        matches!(f.hypercall(2), Handler::C(_)),
        "someone else's handler in the C table"
    );
    assert!(matches!(f.hypercall(3), Handler::None));
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
