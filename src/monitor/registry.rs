//! Registration tables of the core: hypercall handlers, halt hooks, vmexit
//! handlers and poll file descriptors, with upstream's limits and codes.
//!
//! The hypercall and vmexit tables are C-visible arrays, so they are passed
//! in; the counters and private tables live in `Registry`, which tests can
//! instantiate freely. Every function returns 0 on success, -1 on refusal.

use std::os::raw::c_int;

use crate::abi::{HaltFn, HypercallFn, VmexitFn, HYPERCALL_MAX};

/// Most halt hooks that may be registered (upstream: 8).
pub const HALT_HOOKS_MAX: usize = 8;

/// Capacity of the C-visible vmexit table, not counting its NULL
/// terminator. The effective limit is the number of compiled-in modules.
pub const VMEXITS_CAPACITY: usize = 64;

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

/// Counters and private tables of the core.
#[derive(Debug)]
pub struct Registry {
    module_count: usize,
    halt_hooks: [HaltFn; HALT_HOOKS_MAX],
    n_halt_hooks: usize,
    n_vmexits: usize,
    pollfds: Vec<libc::pollfd>,
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

    /// A copy of the poll set, for one call of ppoll.
    pub fn pollfds(&self) -> Vec<libc::pollfd> {
        self.pollfds.clone()
    }
}

#[cfg(test)]
mod tests {
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
}
