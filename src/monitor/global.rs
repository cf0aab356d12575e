//! The process-wide state the C API forces on us, and nothing else: the
//! C-visible tables `ukvm_core_hypercalls` and `ukvm_core_vmexits`, the
//! collector behind the registration calls (which have no context
//! pointer), and the pointer to the one installed [`Monitor`].
//!
//! Modules register from their setup functions, before the guest runs;
//! `freeze` then turns what they registered into the monitor's own
//! `Frozen` tables, and later registrations are refused. The C tables are
//! only ever touched one element at a time through raw pointers.

use std::os::raw::c_int;
use std::ptr::{addr_of, addr_of_mut};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::abi::{HaltFn, HypercallFn, VmexitFn, HYPERCALL_MAX};
use crate::diag;
use crate::monitor::modules;
use crate::monitor::registry::{self, CHypercall, Frozen, NativeFn, Registry, VMEXITS_CAPACITY};
use crate::monitor::state::Monitor;

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

/// Registrations while modules set up; `frozen` once the monitor runs.
struct Collector {
    registry: Option<Registry>,
    frozen: bool,
}

static COLLECTOR: Mutex<Collector> = Mutex::new(Collector {
    registry: None,
    frozen: false,
});

fn collector() -> MutexGuard<'static, Collector> {
    // Every update is complete before the lock is released (no panics
    // inside), so a poisoned lock still holds consistent data.
    let mut g = COLLECTOR.lock().unwrap_or_else(|e| e.into_inner());
    if g.registry.is_none() {
        g.registry = Some(Registry::new(modules::count()));
    }
    g
}

fn with_registry<R>(entry: &str, refused: R, f: impl FnOnce(&mut Registry) -> R) -> R {
    let mut g = collector();
    if g.frozen {
        diag::warn(&format!("{entry}: called after module setup; refused"));
        return refused;
    }
    match g.registry.as_mut() {
        Some(r) => f(r),
        None => refused,
    }
}

fn read_hypercalls() -> [HypercallFn; HYPERCALL_MAX] {
    let base = addr_of!(ukvm_core_hypercalls).cast::<HypercallFn>();
    // SAFETY: element-wise reads inside the array (i < HYPERCALL_MAX); its
    // writers are this module's registration, under the collector lock,
    // on the thread that also runs the guest.
    std::array::from_fn(|i| unsafe { base.add(i).read() })
}

fn read_vmexits() -> [VmexitFn; VMEXITS_SLOTS] {
    let base = addr_of!(ukvm_core_vmexits).cast::<VmexitFn>();
    // SAFETY: as in `read_hypercalls`, i < VMEXITS_SLOTS.
    std::array::from_fn(|i| unsafe { base.add(i).read() })
}

pub fn register_hypercall(nr: c_int, f: HypercallFn) -> c_int {
    with_registry("ukvm_core_register_hypercall", -1, |_| {
        let mut table = read_hypercalls();
        let rc = registry::register_hypercall(&mut table, nr, f);
        if rc == 0 {
            // The rule accepted `nr`, so it is an index below HYPERCALL_MAX.
            let i = nr as usize;
            // SAFETY: one element of the array, under the collector lock.
            unsafe {
                addr_of_mut!(ukvm_core_hypercalls)
                    .cast::<HypercallFn>()
                    .add(i)
                    .write(table[i])
            };
        }
        rc
    })
}

/// Register the C entry point `c` for hypercall `nr`, as
/// `register_hypercall` does, and its Rust equivalent `native`: the
/// monitor's own loop calls `native` directly (no C call, no panic guard,
/// its error returned up to `main`) for as long as `c` is in the table.
pub fn register_native(nr: c_int, c: CHypercall, native: NativeFn) -> c_int {
    let rc = register_hypercall(nr, Some(c));
    if rc == 0 {
        with_registry("ukvm_core_register_hypercall", (), |r| {
            r.register_native(nr as usize, c, native)
        });
    }
    rc
}

pub fn register_vmexit(f: VmexitFn) -> c_int {
    with_registry("ukvm_core_register_vmexit", -1, |r| {
        let mut table = read_vmexits();
        let rc = r.register_vmexit(&mut table, f);
        if rc == 0 {
            let base = addr_of_mut!(ukvm_core_vmexits).cast::<VmexitFn>();
            for (i, v) in table.iter().enumerate() {
                // SAFETY: element-wise writes inside the array, under the
                // collector lock; unchanged slots get their own value.
                unsafe { base.add(i).write(*v) };
            }
        }
        rc
    })
}

pub fn register_halt_hook(f: HaltFn) -> c_int {
    with_registry("ukvm_core_register_halt_hook", -1, |r| {
        r.register_halt_hook(f)
    })
}

pub fn register_pollfd(fd: c_int) -> c_int {
    with_registry("ukvm_core_register_pollfd", -1, |r| r.register_pollfd(fd))
}

/// The halt hooks registered so far (for callers without a monitor).
pub fn halt_hooks() -> Vec<HaltFn> {
    collector()
        .registry
        .as_ref()
        .map(|r| r.halt_hooks().to_vec())
        .unwrap_or_default()
}

/// The poll set registered so far (for callers without a monitor).
pub fn pollfds() -> Vec<libc::pollfd> {
    collector()
        .registry
        .as_ref()
        .map(Registry::pollfds)
        .unwrap_or_default()
}

/// The handler in `ukvm_core_hypercalls[nr]` now (None if out of range).
pub fn hypercall(nr: u64) -> HypercallFn {
    let i = usize::try_from(nr).ok().filter(|&i| i < HYPERCALL_MAX)?;
    read_hypercalls()[i]
}

/// End registration: what modules registered, as the monitor runs with
/// it. Registration calls after this are refused.
pub(crate) fn freeze() -> Frozen {
    let mut g = collector();
    g.frozen = true;
    let frozen = match g.registry.as_ref() {
        Some(r) => r.freeze(read_hypercalls(), &read_vmexits()),
        None => Registry::new(0).freeze(read_hypercalls(), &read_vmexits()),
    };
    frozen
}

/// The one installed monitor (null before `install`).
static MONITOR: AtomicPtr<Monitor> = AtomicPtr::new(std::ptr::null_mut());

/// Make `m` the process's monitor, reachable from C's `struct ukvm_hv *`.
/// False if one is installed already.
pub(crate) fn install(m: &'static Monitor) -> bool {
    let p = std::ptr::from_ref(m).cast_mut();
    MONITOR
        .compare_exchange(std::ptr::null_mut(), p, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

/// The installed monitor, if any.
#[inline]
pub(crate) fn installed() -> Option<&'static Monitor> {
    let p = MONITOR.load(Ordering::Acquire);
    // SAFETY: only `install` stores here, a pointer from a &'static
    // Monitor (a leaked box, never freed).
    unsafe { p.as_ref() }
}
