//! Registration tables of the core: hypercall handlers, halt hooks, vmexit
//! handlers and poll file descriptors, with upstream's limits and codes;
//! and `Frozen`, what they become once module setup is over.
//!
//! The hypercall and vmexit tables are C-visible arrays, so they are passed
//! in; the counters and private tables live in `Registry`, which tests can
//! instantiate freely. Every function returns 0 on success, -1 on refusal.

use std::cell::Cell;
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_void};

use crate::abi::{ukvm_gpa_t, HaltFn, HypercallFn, UkvmHv, VmexitFn, HYPERCALL_MAX};
use crate::error::Fatal;
use crate::monitor::state::Monitor;

/// Most halt hooks that may be registered (upstream: 8).
pub const HALT_HOOKS_MAX: usize = 8;

/// Capacity of the C-visible vmexit table, not counting its NULL
/// terminator. The effective limit is the number of compiled-in modules.
pub const VMEXITS_CAPACITY: usize = 64;

/// A C hypercall handler (`ukvm_hypercall_fn_t`, non-NULL).
pub type CHypercall = unsafe extern "C" fn(*mut UkvmHv, ukvm_gpa_t);
/// A C vmexit handler (`ukvm_vmexit_fn_t`, non-NULL).
pub type CVmexit = unsafe extern "C" fn(*mut UkvmHv) -> c_int;
/// A C halt hook (`ukvm_halt_fn_t`, non-NULL).
pub type CHaltHook = unsafe extern "C" fn(*mut UkvmHv, c_int, *mut c_void);

/// A hypercall handler written in Rust, called by the monitor's own loop
/// with the monitor itself; its error goes up to `main`, which prints it
/// and exits.
pub type NativeFn = fn(&Monitor, ukvm_gpa_t) -> Result<(), Fatal>;

/// What the monitor calls for one hypercall number.
#[derive(Clone, Copy)]
pub enum Handler {
    /// Nothing registered.
    None,
    /// A C handler (`ukvm_core_hypercalls[nr]`), called with `hv`.
    C(CHypercall),
    /// A Rust handler registered with its C entry point: called directly
    /// while `ukvm_core_hypercalls[nr]` still holds that entry point.
    Native(NativeFn),
}

/// Register `f` for hypercall `nr` in `table`. Refused: `nr` outside
/// `0..UKVM_HYPERCALL_MAX` (negative numbers included), a slot already
/// taken, or a NULL handler.
pub fn register_hypercall(table: &mut [HypercallFn], nr: c_int, f: HypercallFn) -> c_int {
    let Ok(idx) = usize::try_from(nr) else {
        return -1;
    };
    if idx >= HYPERCALL_MAX || idx >= table.len() || f.is_none() || table[idx].is_some() {
        return -1;
    }
    table[idx] = f;
    0
}

/// Counters and private tables of the core, collected while modules set
/// up.
#[derive(Debug)]
pub struct Registry {
    module_count: usize,
    halt_hooks: [HaltFn; HALT_HOOKS_MAX],
    n_halt_hooks: usize,
    n_vmexits: usize,
    pollfds: Vec<libc::pollfd>,
    native: [Option<(CHypercall, NativeFn)>; HYPERCALL_MAX],
}

impl Registry {
    /// A registry for a monitor with `module_count` compiled-in modules
    /// (core included), which bounds vmexit handlers and poll fds.
    pub fn new(module_count: usize) -> Self {
        Registry {
            module_count,
            halt_hooks: [None; HALT_HOOKS_MAX],
            n_halt_hooks: 0,
            n_vmexits: 0,
            pollfds: Vec::new(),
            native: [None; HYPERCALL_MAX],
        }
    }

    /// Remember that the C handler `c` of hypercall `nr` (registered in
    /// the C table by the caller) has the Rust equivalent `native`.
    pub fn register_native(&mut self, nr: usize, c: CHypercall, native: NativeFn) {
        if let Some(slot) = self.native.get_mut(nr) {
            *slot = Some((c, native));
        }
    }

    pub fn module_count(&self) -> usize {
        self.module_count
    }

    /// Append a halt hook; hooks run in registration order.
    pub fn register_halt_hook(&mut self, f: HaltFn) -> c_int {
        if f.is_none() || self.n_halt_hooks == HALT_HOOKS_MAX {
            return -1;
        }
        self.halt_hooks[self.n_halt_hooks] = f;
        self.n_halt_hooks += 1;
        0
    }

    /// The registered halt hooks, in order.
    pub fn halt_hooks(&self) -> &[HaltFn] {
        &self.halt_hooks[..self.n_halt_hooks]
    }

    /// Append `f` to the NULL-terminated vmexit `table`. At most one per
    /// module, and never the table's last slot (its terminator).
    pub fn register_vmexit(&mut self, table: &mut [VmexitFn], f: VmexitFn) -> c_int {
        let limit = self.module_count.min(table.len().saturating_sub(1));
        if f.is_none() || self.n_vmexits >= limit {
            return -1;
        }
        table[self.n_vmexits] = f;
        self.n_vmexits += 1;
        0
    }

    /// Add `fd` to the set the POLL hypercall waits on (for input); at most
    /// one per module.
    pub fn register_pollfd(&mut self, fd: c_int) -> c_int {
        if self.pollfds.len() >= self.module_count {
            return -1;
        }
        self.pollfds.push(libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        });
        0
    }

    /// The poll set (a copy, for callers outside a frozen monitor).
    pub fn pollfds(&self) -> Vec<libc::pollfd> {
        self.pollfds.clone()
    }

    /// What the monitor runs with: this registry's hooks and fds, and the
    /// hypercall and vmexit tables as they are now.
    pub fn freeze(&self, hypercalls: [HypercallFn; HYPERCALL_MAX], vmexits: &[VmexitFn]) -> Frozen {
        let handlers = std::array::from_fn(|nr| match (hypercalls[nr], self.native[nr]) {
            (None, _) => Handler::None,
            (Some(c), Some((registered, native))) if c as usize == registered as usize => {
                Handler::Native(native)
            }
            (Some(c), _) => Handler::C(c),
        });
        Frozen {
            hypercalls: handlers,
            vmexits: vmexits.iter().map_while(|f| *f).collect(),
            halt_hooks: self.halt_hooks().iter().flatten().copied().collect(),
            pollfds: self.pollfds.iter().copied().map(Cell::new).collect(),
            sigmask: poll_sigmask(),
        }
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

/// The registrations once module setup is over, as the running monitor
/// reads them: no lock, copy or allocation per exit or hypercall.
pub struct Frozen {
    hypercalls: [Handler; HYPERCALL_MAX],
    vmexits: Box<[CVmexit]>,
    halt_hooks: Box<[CHaltHook]>,
    /// ppoll writes `revents` back, hence cells (same layout as pollfd).
    pollfds: Box<[Cell<libc::pollfd>]>,
    sigmask: libc::sigset_t,
}

impl std::fmt::Debug for Frozen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frozen")
            .field(
                "hypercalls",
                &self
                    .hypercalls
                    .iter()
                    .filter(|h| !matches!(h, Handler::None))
                    .count(),
            )
            .field("vmexits", &self.vmexits.len())
            .field("halt_hooks", &self.halt_hooks.len())
            .field("pollfds", &self.pollfds.len())
            .finish()
    }
}

impl Frozen {
    /// The handler of hypercall `nr` (`Handler::None` out of range too).
    #[inline]
    pub fn hypercall(&self, nr: u64) -> Handler {
        usize::try_from(nr)
            .ok()
            .and_then(|i| self.hypercalls.get(i))
            .copied()
            .unwrap_or(Handler::None)
    }

    /// The vmexit handlers in registration order.
    #[inline]
    pub fn vmexits(&self) -> &[CVmexit] {
        &self.vmexits
    }

    /// The halt hooks in registration order.
    pub fn halt_hooks(&self) -> &[CHaltHook] {
        &self.halt_hooks
    }

    /// The poll set, for ppoll: pointer and count. The cells let ppoll
    /// write `revents` through a shared reference.
    pub fn pollfds(&self) -> (*mut libc::pollfd, usize) {
        // Cell<pollfd> has pollfd's layout; Cell::as_ptr of the first
        // element is valid for the whole slice.
        (
            self.pollfds.as_ptr().cast::<libc::pollfd>().cast_mut(),
            self.pollfds.len(),
        )
    }

    /// The fds of the poll set, in registration order.
    pub fn poll_fds(&self) -> Vec<c_int> {
        self.pollfds.iter().map(|p| p.get().fd).collect()
    }

    /// The prebuilt ppoll signal mask.
    pub fn sigmask(&self) -> &libc::sigset_t {
        &self.sigmask
    }
}

#[cfg(test)]
mod tests;
