//! The HALT hypercall: read the guest's `struct ukvm_halt`, check its
//! cookie, run the halt hooks in order, and yield the exit status.

use std::os::raw::c_void;
use std::ptr;

use crate::abi::{ukvm_gpa_t, ukvm_halt, UkvmHv, HALT_COOKIE_MAX};
use crate::monitor::guest_mem::{GuestMem, MemError};
use crate::monitor::registry::CHaltHook;

/// Halt with `hooks`. A non-zero cookie must name `UKVM_HALT_COOKIE_MAX`
/// bytes inside guest memory (upstream's check); hooks receive its host
/// address (or NULL when the guest passed 0) and `hv`.
///
/// # Safety
/// `mem` must be the guest memory `hv` describes, and each hook must be
/// safe to call with `hv` (registered hooks follow `ukvm_halt_fn_t`).
pub unsafe fn halt_with(
    mem: &GuestMem,
    hooks: &[CHaltHook],
    hv: *mut UkvmHv,
    gpa: ukvm_gpa_t,
) -> Result<i32, MemError> {
    let t: ukvm_halt = mem.read_obj(gpa)?;
    let cookie = if t.cookie != 0 {
        mem.host_ptr(t.cookie, HALT_COOKIE_MAX)?.cast::<c_void>()
    } else {
        ptr::null_mut()
    };
    for f in hooks {
        // SAFETY: the caller vouches for the hooks and `hv`; the cookie is
        // NULL or a checked range of guest memory.
        unsafe { f(hv, t.exit_status, cookie) };
    }
    Ok(t.exit_status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::UKVM_HYPERCALL_HALT;
    use crate::monitor::guest_mem::GuestAccessError;
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

    fn put_halt(m: &GuestMem, at: u64, cookie: u64, exit_status: i32) {
        m.write_obj(
            at,
            ukvm_halt {
                cookie,
                exit_status,
                ..Default::default()
            },
        )
        .unwrap();
    }

    fn halt(m: &GuestMem, hooks: &[CHaltHook], gpa: u64) -> Result<i32, MemError> {
        // SAFETY: test hooks ignore hv.
        unsafe { halt_with(m, hooks, ptr::null_mut(), gpa) }
    }

    #[test]
    fn hooks_run_in_order_with_status_and_cookie() {
        CALLS.with(|v| v.borrow_mut().clear());
        let m = GuestMem::anonymous(4096).unwrap();
        put_halt(&m, 0x100, 0x800, 7);
        let base = m.host_base() as usize;
        assert_eq!(halt(&m, &[hook_a, hook_b], 0x100), Ok(7));
        let calls = CALLS.with(|v| v.borrow().clone());
        assert_eq!(calls, vec![('a', 7, base + 0x800), ('b', 7, base + 0x800)]);
        assert_eq!(UKVM_HYPERCALL_HALT, 10);
    }

    #[test]
    fn zero_cookie_becomes_null() {
        CALLS.with(|v| v.borrow_mut().clear());
        let m = GuestMem::anonymous(4096).unwrap();
        put_halt(&m, 0, 0, -3);
        assert_eq!(halt(&m, &[hook_a], 0), Ok(-3));
        assert_eq!(CALLS.with(|v| v.borrow().clone()), vec![('a', -3, 0)]);
    }

    #[test]
    fn cookie_needs_512_accessible_bytes() {
        let m = GuestMem::anonymous(4096).unwrap();
        // 4096 - 512 = 3584: the range would end exactly at the top.
        put_halt(&m, 0, 3584, 0);
        assert_eq!(
            halt(&m, &[], 0),
            Err(MemError::Range(GuestAccessError {
                gpa: 3584,
                size: 512
            }))
        );
        put_halt(&m, 0, 3583, 0);
        assert_eq!(halt(&m, &[], 0), Ok(0));
    }

    #[test]
    fn halt_struct_outside_memory_is_refused_before_any_hook() {
        CALLS.with(|v| v.borrow_mut().clear());
        let m = GuestMem::anonymous(4096).unwrap();
        assert_eq!(
            halt(&m, &[hook_a], 4090),
            Err(MemError::Range(GuestAccessError {
                gpa: 4090,
                size: std::mem::size_of::<ukvm_halt>()
            }))
        );
        assert!(CALLS.with(|v| v.borrow().is_empty()));
    }
}
