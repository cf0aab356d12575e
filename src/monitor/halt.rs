//! The HALT hypercall: read the guest's `struct ukvm_halt`, check its
//! cookie, run the halt hooks in order, and yield the exit status.

use std::os::raw::c_void;
use std::ptr;

use crate::abi::{ukvm_gpa_t, ukvm_halt, HaltFn, UkvmHv, HALT_COOKIE_MAX};
use crate::monitor::guest_mem::{GuestAccessError, GuestMem};

/// Halt with the hooks given. A non-zero cookie must name
/// `UKVM_HALT_COOKIE_MAX` accessible bytes; hooks receive its host address
/// (or NULL when the guest passed 0).
///
/// # Safety
/// `hv` must be a valid `struct ukvm_hv` with mapped guest memory, and the
/// hooks must be safe to call with it.
pub unsafe fn halt_with(
    hooks: &[HaltFn],
    hv: *mut UkvmHv,
    gpa: ukvm_gpa_t,
) -> Result<i32, GuestAccessError> {
    // SAFETY: the caller guarantees `hv`.
    let mem = unsafe { GuestMem::from_hv(hv) };
    let t: ukvm_halt = mem.read(gpa)?;
    let cookie = if t.cookie != 0 {
        mem.ptr(t.cookie, HALT_COOKIE_MAX)? as *mut c_void
    } else {
        ptr::null_mut()
    };
    for f in hooks.iter().flatten() {
        // SAFETY: registered hooks follow ukvm_halt_fn_t; arguments valid.
        unsafe { f(hv, t.exit_status, cookie) };
    }
    Ok(t.exit_status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::os::raw::c_int;

    thread_local! {
        static CALLS: RefCell<Vec<(char, c_int, usize)>> = const { RefCell::new(Vec::new()) };
    }
    unsafe extern "C" fn hook_a(_: *mut UkvmHv, st: c_int, c: *mut c_void) {
        CALLS.with(|v| v.borrow_mut().push(('a', st, c as usize)));
    }
    unsafe extern "C" fn hook_b(_: *mut UkvmHv, st: c_int, c: *mut c_void) {
        CALLS.with(|v| v.borrow_mut().push(('b', st, c as usize)));
    }

    fn hv_over(buf: &mut [u8]) -> UkvmHv {
        UkvmHv {
            mem: buf.as_mut_ptr(),
            mem_size: buf.len(),
            b: ptr::null_mut(),
        }
    }

    fn put_halt(buf: &mut [u8], at: usize, cookie: u64, status: i32) {
        buf[at..at + 8].copy_from_slice(&cookie.to_ne_bytes());
        buf[at + 8..at + 12].copy_from_slice(&status.to_ne_bytes());
    }

    #[test]
    fn hooks_run_in_order_with_status_and_cookie() {
        CALLS.with(|v| v.borrow_mut().clear());
        let mut buf = vec![0u8; 4096];
        put_halt(&mut buf, 0x100, 0x800, 7);
        let mut hv = hv_over(&mut buf);
        let base = hv.mem as usize;
        // SAFETY: hv describes `buf`.
        let st = unsafe { halt_with(&[Some(hook_a), Some(hook_b)], &mut hv, 0x100) };
        assert_eq!(st, Ok(7));
        let calls = CALLS.with(|v| v.borrow().clone());
        assert_eq!(calls, vec![('a', 7, base + 0x800), ('b', 7, base + 0x800)]);
    }

    #[test]
    fn zero_cookie_becomes_null() {
        CALLS.with(|v| v.borrow_mut().clear());
        let mut buf = vec![0u8; 4096];
        put_halt(&mut buf, 0, 0, -3);
        let mut hv = hv_over(&mut buf);
        // SAFETY: hv describes `buf`.
        assert_eq!(unsafe { halt_with(&[Some(hook_a)], &mut hv, 0) }, Ok(-3));
        assert_eq!(CALLS.with(|v| v.borrow().clone()), vec![('a', -3, 0)]);
    }

    #[test]
    fn cookie_needs_512_accessible_bytes() {
        let mut buf = vec![0u8; 4096];
        // 4096 - 512 = 3584: the range would end exactly at the top.
        put_halt(&mut buf, 0, 3584, 0);
        let mut hv = hv_over(&mut buf);
        // SAFETY: hv describes `buf`.
        let r = unsafe { halt_with(&[], &mut hv, 0) };
        assert_eq!(
            r,
            Err(GuestAccessError {
                gpa: 3584,
                size: 512
            })
        );
        put_halt(&mut buf, 0, 3583, 0);
        let mut hv = hv_over(&mut buf);
        // SAFETY: hv describes `buf`.
        assert_eq!(unsafe { halt_with(&[], &mut hv, 0) }, Ok(0));
    }

    #[test]
    fn halt_struct_outside_memory_is_refused() {
        let mut buf = vec![0u8; 64];
        let mut hv = hv_over(&mut buf);
        // SAFETY: hv describes `buf`.
        let r = unsafe { halt_with(&[], &mut hv, 60) };
        assert_eq!(
            r,
            Err(GuestAccessError {
                gpa: 60,
                size: std::mem::size_of::<ukvm_halt>()
            })
        );
    }
}
