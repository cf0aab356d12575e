//! What the vCPU loop asks the monitor on an exit: the module vmexit
//! handlers first, then the decoded hypercall (HALT included). Everything
//! comes from the frozen registrations: no lock, copy or lookup beyond one
//! table index per exit.

use crate::abi::{ukvm_gpa_t, UKVM_HYPERCALL_HALT};
use crate::error::Fatal;
use crate::monitor::core_calls::CallError;
use crate::monitor::global;
use crate::monitor::halt;
use crate::monitor::registry::{CHaltHook, Handler};
use crate::monitor::state::Monitor;

/// What the vCPU loop does after a hypercall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HypercallOutcome {
    /// Resume the guest.
    Continue,
    /// The guest halted; the loop returns this exit status.
    Halt(i32),
}

/// Upstream's message for a number without a handler (printed as a C int).
pub fn no_handler(nr: u64) -> Fatal {
    Fatal::Msg(format!("Invalid guest hypercall: num={}", nr as i32))
}

impl Monitor {
    /// Offer the current exit to the registered vmexit handlers in order
    /// until one returns 0; true if one handled it. None before `freeze`.
    ///
    /// # Safety
    /// Every registered vmexit handler must be safe to call with this
    /// monitor's `hv` (the C API's contract for `ukvm_vmexit_fn_t`).
    #[inline]
    pub unsafe fn run_vmexit_handlers(&self) -> bool {
        let Some(frozen) = self.frozen() else {
            return false;
        };
        frozen.vmexits().iter().any(|f| {
            // SAFETY: the caller vouches for the handlers; hv is ours.
            unsafe { f(self.hv_ptr()) == 0 }
        })
    }

    /// Run hypercall `nr` with argument `gpa`. HALT runs the halt hooks
    /// and yields `Halt(status)`; a number without a handler, a bad guest
    /// range or a failing system call of a Rust handler is an error.
    /// Freezes the registrations if module setup has not.
    ///
    /// # Safety
    /// Every registered hypercall handler and halt hook must be safe to
    /// call with this monitor's `hv` (the C API's contract).
    #[inline]
    pub unsafe fn hypercall(&self, nr: u64, gpa: ukvm_gpa_t) -> Result<HypercallOutcome, Fatal> {
        let frozen = self.freeze();
        if nr == u64::from(UKVM_HYPERCALL_HALT) {
            // SAFETY: forwarded caller guarantee.
            return unsafe { self.halt(frozen.halt_hooks(), gpa) }.map(HypercallOutcome::Halt);
        }
        match frozen.hypercall(nr) {
            Handler::Native(f) => f(self, gpa)?,
            // SAFETY: the caller vouches for the handler; hv is ours.
            Handler::C(f) => unsafe { f(self.hv_ptr(), gpa) },
            Handler::None => return Err(no_handler(nr)),
        }
        Ok(HypercallOutcome::Continue)
    }

    /// HALT with `hooks`: the guest's exit status.
    ///
    /// # Safety
    /// The hooks must be safe to call with this monitor's `hv`.
    pub unsafe fn halt(&self, hooks: &[CHaltHook], gpa: ukvm_gpa_t) -> Result<i32, Fatal> {
        // SAFETY: `mem` is what hv describes; the caller vouches for hooks.
        let r = unsafe { halt::halt_with(self.mem(), hooks, self.hv_ptr(), gpa) };
        r.map_err(|e| CallError::from(e).fatal("halt"))
    }

    /// HALT with the hooks registered so far (frozen, or still being
    /// collected when the guest has not started: a C caller's HALT).
    ///
    /// # Safety
    /// As for [`halt`](Self::halt).
    pub unsafe fn halt_registered(&self, gpa: ukvm_gpa_t) -> Result<i32, Fatal> {
        match self.frozen() {
            // SAFETY: forwarded caller guarantee.
            Some(f) => unsafe { self.halt(f.halt_hooks(), gpa) },
            None => {
                let hooks: Vec<CHaltHook> = global::halt_hooks().into_iter().flatten().collect();
                // SAFETY: forwarded caller guarantee.
                unsafe { self.halt(&hooks, gpa) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{ukvm_halt, UkvmHv, HYPERCALL_MAX};
    use crate::monitor::registry::{register_hypercall, Frozen, Registry};
    use crate::monitor::GuestMem;
    use std::cell::Cell;
    use std::os::raw::{c_int, c_void};

    thread_local! {
        static SEEN: Cell<(usize, u64)> = const { Cell::new((0, 0)) };
        static HOOKED: Cell<i32> = const { Cell::new(0) };
    }

    unsafe extern "C" fn record(hv: *mut UkvmHv, gpa: u64) {
        SEEN.with(|s| s.set((hv as usize, gpa)));
    }
    unsafe extern "C" fn claim(_: *mut UkvmHv) -> c_int {
        0
    }
    unsafe extern "C" fn decline(_: *mut UkvmHv) -> c_int {
        -1
    }
    unsafe extern "C" fn hook(_: *mut UkvmHv, st: c_int, _: *mut c_void) {
        HOOKED.with(|h| h.set(st));
    }

    fn native(m: &Monitor, gpa: u64) -> Result<(), Fatal> {
        m.mem()
            .write_obj::<u64>(gpa, 0x5eed)
            .map_err(|e| Fatal::Msg(e.to_string()))
    }

    fn frozen(vmexits: &[Option<unsafe extern "C" fn(*mut UkvmHv) -> c_int>]) -> Frozen {
        let mut r = Registry::new(4);
        let mut t = [None; HYPERCALL_MAX];
        assert_eq!(register_hypercall(&mut t, 2, Some(record)), 0);
        assert_eq!(register_hypercall(&mut t, 3, Some(record)), 0);
        r.register_native(3, record, native);
        assert_eq!(r.register_halt_hook(Some(hook)), 0);
        let mut vt = vec![None; 5];
        for v in vmexits {
            assert_eq!(r.register_vmexit(&mut vt, *v), 0);
        }
        r.freeze(t, &vt)
    }

    fn monitor(vmexits: &[Option<unsafe extern "C" fn(*mut UkvmHv) -> c_int>]) -> Box<Monitor> {
        let m = Monitor::new(GuestMem::anonymous(64 << 10).unwrap(), None);
        let f = frozen(vmexits);
        m.freeze_with(|| f);
        m
    }

    #[test]
    fn c_handlers_get_the_monitors_hv_and_native_ones_the_monitor() {
        let m = monitor(&[]);
        // SAFETY: test handlers and hooks accept any hv.
        let out = unsafe { m.hypercall(2, 0x42) };
        assert_eq!(out.unwrap(), HypercallOutcome::Continue);
        assert_eq!(SEEN.with(Cell::get), (m.hv_ptr() as usize, 0x42));
        // SAFETY: as above.
        let out = unsafe { m.hypercall(3, 0x100) };
        assert_eq!(out.unwrap(), HypercallOutcome::Continue);
        assert_eq!(m.mem().read_obj::<u64>(0x100).unwrap(), 0x5eed);
        assert_eq!(
            SEEN.with(Cell::get).1,
            0x42,
            "native handler, not the C one"
        );
    }

    #[test]
    fn unknown_numbers_are_upstreams_error() {
        let m = monitor(&[]);
        for (nr, shown) in [(1u64, "1"), (11, "11"), (u64::MAX, "-1")] {
            // SAFETY: test handlers accept any hv.
            let e = unsafe { m.hypercall(nr, 0) }.unwrap_err().to_string();
            assert_eq!(e, format!("Invalid guest hypercall: num={shown}"));
        }
    }

    #[test]
    fn halt_runs_hooks_and_returns_the_status() {
        let m = monitor(&[]);
        let t = ukvm_halt {
            cookie: 0,
            exit_status: 9,
            ..Default::default()
        };
        m.mem().write_obj(0x200, t).unwrap();
        // SAFETY: test hooks accept any hv.
        let r = unsafe { m.hypercall(u64::from(UKVM_HYPERCALL_HALT), 0x200) }.unwrap();
        assert_eq!(r, HypercallOutcome::Halt(9));
        assert_eq!(HOOKED.with(Cell::get), 9);
        // SAFETY: as above.
        let e = unsafe { m.hypercall(u64::from(UKVM_HYPERCALL_HALT), 64 << 10) }.unwrap_err();
        assert!(
            e.to_string()
                .ends_with("Invalid guest access: gpa=0x10000, sz=16"),
            "{e}"
        );
    }

    #[test]
    fn vmexit_handlers_run_in_order_until_one_claims() {
        // SAFETY: test handlers accept any hv.
        unsafe {
            assert!(!monitor(&[]).run_vmexit_handlers());
            assert!(!monitor(&[Some(decline)]).run_vmexit_handlers());
            assert!(monitor(&[Some(decline), Some(claim)]).run_vmexit_handlers());
            let unfrozen = Monitor::new(GuestMem::anonymous(4096).unwrap(), None);
            assert!(!unfrozen.run_vmexit_handlers());
        }
    }
}
