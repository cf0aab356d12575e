//! Process-wide core state: the C-visible tables (`ukvm_core_hypercalls`,
//! `ukvm_core_vmexits`) and the registry behind them.
//!
//! Modules register from their setup functions, on the main thread, before
//! the vCPU runs; a mutex still serialises the registry so that misuse
//! cannot corrupt it. The C-visible arrays are plain data, as upstream's.

use std::os::raw::c_int;
use std::ptr::{addr_of, addr_of_mut};
use std::sync::{Mutex, MutexGuard};

use crate::abi::{HaltFn, HypercallFn, VmexitFn, HYPERCALL_MAX};
use crate::monitor::modules;
use crate::monitor::registry::{self, Registry, VMEXITS_CAPACITY};

/// Slots of the vmexit table: its capacity plus the NULL terminator.
pub const VMEXITS_SLOTS: usize = VMEXITS_CAPACITY + 1;

/// Dispatch table of hypercall handlers, `UKVM_HYPERCALL_MAX` entries;
/// NULL means no handler. Same type and size as upstream's array.
#[no_mangle]
pub static mut ukvm_core_hypercalls: [HypercallFn; HYPERCALL_MAX] = [None; HYPERCALL_MAX];

/// NULL-terminated table of module vmexit handlers. C declares it as an
/// incomplete array (`ukvm_vmexit_fn_t ukvm_core_vmexits[]`), so its
/// capacity is not part of the ABI; upstream sized it NUM_MODULES + 1.
#[no_mangle]
pub static mut ukvm_core_vmexits: [VmexitFn; VMEXITS_SLOTS] = [None; VMEXITS_SLOTS];

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

fn registry() -> MutexGuard<'static, Option<Registry>> {
    // A panic while holding the lock leaves consistent data (every update
    // is a single store), so a poisoned lock is still usable.
    let mut g = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    if g.is_none() {
        *g = Some(Registry::new(modules::count()));
    }
    g
}

fn with_registry<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    let mut g = registry();
    f(g.as_mut().expect("registry initialised above"))
}

pub fn register_hypercall(nr: c_int, f: HypercallFn) -> c_int {
    let _serialise = registry();
    // SAFETY: the table is written only here, under the registry lock, and
    // read (by dispatch and C code) from the monitor's single vCPU thread.
    let table = unsafe { &mut *addr_of_mut!(ukvm_core_hypercalls) };
    registry::register_hypercall(table, nr, f)
}

pub fn register_vmexit(f: VmexitFn) -> c_int {
    with_registry(|r| {
        // SAFETY: as in `register_hypercall`.
        let table = unsafe { &mut *addr_of_mut!(ukvm_core_vmexits) };
        r.register_vmexit(table, f)
    })
}

pub fn register_halt_hook(f: HaltFn) -> c_int {
    with_registry(|r| r.register_halt_hook(f))
}

pub fn register_pollfd(fd: c_int) -> c_int {
    with_registry(|r| r.register_pollfd(fd))
}

/// The halt hooks, copied so that hooks may run without the lock held.
pub fn halt_hooks() -> Vec<HaltFn> {
    with_registry(|r| r.halt_hooks().to_vec())
}

/// The poll set, copied for one ppoll call.
pub fn pollfds() -> Vec<libc::pollfd> {
    with_registry(|r| r.pollfds())
}

/// The handler registered for hypercall `nr` (None if out of range).
pub fn hypercall(nr: u64) -> HypercallFn {
    let idx = usize::try_from(nr).ok()?;
    // SAFETY: a plain read of one entry of a static array.
    let table = unsafe { &*addr_of!(ukvm_core_hypercalls) };
    table.get(idx).copied().flatten()
}

/// The vmexit handler in slot `idx`; None at and after the terminator.
/// Read slot by slot (no allocation: this runs on every vCPU exit).
pub fn vmexit(idx: usize) -> VmexitFn {
    // SAFETY: a plain read of one entry of a static array.
    let table = unsafe { &*addr_of!(ukvm_core_vmexits) };
    table.get(idx).copied().flatten()
}
