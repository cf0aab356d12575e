//! What the backend's vCPU loop calls on an exit: module vmexit handlers,
//! and hypercall dispatch (HALT included).

use crate::abi::{ukvm_gpa_t, HypercallFn, UkvmHv, UKVM_HYPERCALL_HALT};
use crate::diag;
use crate::monitor::global;
use crate::monitor::halt;

/// What the vCPU loop does after a hypercall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HypercallOutcome {
    /// Resume the guest.
    Continue,
    /// The guest halted; the loop returns this exit status.
    Halt(i32),
}

/// Run the registered vmexit handlers in order until one returns 0.
/// Returns true if one handled the exit.
///
/// `hv` must be the backend's live monitor state: it is handed to C
/// handlers as is. (A safe fn by agreement with the backend; the pointer
/// contract is the C API's own.)
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn run_vmexit_handlers(hv: *mut UkvmHv) -> bool {
    (0..).map_while(global::vmexit).any(|f| {
        // SAFETY: registered handlers follow ukvm_vmexit_fn_t and `hv` is
        // the backend's live monitor state.
        unsafe { f(hv) == 0 }
    })
}

/// Why a hypercall cannot be dispatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchError {
    /// No handler is registered for this number (or it is out of range).
    NoHandler(u64),
}

/// Pick the action for hypercall `nr` from `table`, without running it.
pub fn lookup(
    table: &dyn Fn(u64) -> HypercallFn,
    nr: u64,
) -> Result<Option<unsafe extern "C" fn(*mut UkvmHv, ukvm_gpa_t)>, DispatchError> {
    if nr == UKVM_HYPERCALL_HALT as u64 {
        return Ok(None);
    }
    table(nr).map(Some).ok_or(DispatchError::NoHandler(nr))
}

/// Dispatch hypercall `nr` with argument `gpa`. HALT runs the halt hooks
/// and yields `Halt(status)`; an unknown number is fatal, with upstream's
/// message. `hv` must be the backend's live monitor state.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn dispatch_hypercall(hv: *mut UkvmHv, nr: u64, gpa: ukvm_gpa_t) -> HypercallOutcome {
    match lookup(&global::hypercall, nr) {
        Ok(None) => HypercallOutcome::Halt(halt_global(hv, gpa)),
        Ok(Some(f)) => {
            // SAFETY: registered handlers follow ukvm_hypercall_fn_t and
            // `hv` is the backend's live monitor state.
            unsafe { f(hv, gpa) };
            HypercallOutcome::Continue
        }
        // Upstream prints the number as a C int.
        Err(DispatchError::NoHandler(n)) => {
            diag::die(&format!("Invalid guest hypercall: num={}", n as i32))
        }
    }
}

/// HALT with the globally registered hooks; a bad guest pointer is fatal.
/// `hv` must be a valid monitor state with mapped guest memory.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn halt_global(hv: *mut UkvmHv, gpa: ukvm_gpa_t) -> i32 {
    let hooks = global::halt_hooks();
    // SAFETY: `hv` is the backend's live monitor state (or a C caller's,
    // under the same contract as upstream's ukvm_core_hypercall_halt).
    match unsafe { halt::halt_with(&hooks, hv, gpa) } {
        Ok(status) => status,
        Err(e) => e.die(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn h(_: *mut UkvmHv, _: u64) {}

    #[test]
    fn halt_is_special() {
        let none = |_: u64| -> HypercallFn { None };
        assert_eq!(lookup(&none, UKVM_HYPERCALL_HALT as u64), Ok(None));
    }

    #[test]
    fn unregistered_and_out_of_range_numbers_have_no_handler() {
        let table = |nr: u64| -> HypercallFn {
            if nr == 2 {
                Some(h)
            } else {
                None
            }
        };
        assert!(matches!(lookup(&table, 2), Ok(Some(_))));
        assert_eq!(lookup(&table, 1), Err(DispatchError::NoHandler(1)));
        assert_eq!(
            lookup(&table, u64::MAX),
            Err(DispatchError::NoHandler(u64::MAX))
        );
    }
}
