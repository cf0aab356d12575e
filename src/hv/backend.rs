//! The backend's operations on the one monitor, in start-up order: round
//! the memory size, create the monitor (VM, vCPU, guest RAM), set up the
//! vCPU for the kernel, run the guest. `crate::monitor::start` calls these
//! directly; `ffi` wraps them for C.

use crate::arch::host as arch;
use crate::error::Fatal;
use crate::monitor::Monitor;

/// Round a requested guest memory size as this architecture requires:
/// `warn` gets upstream's "adjusting memory to N bytes" when the size
/// changes, before a size that is still too large is refused.
pub fn mem_size(requested: u64, warn: impl FnOnce(&str)) -> Result<u64, Fatal> {
    let bytes = arch::round_mem_size(requested);
    if bytes != requested {
        warn(&arch::adjust_warning(bytes));
    }
    arch::check_mem_size(bytes).map_err(|e| Fatal::Msg(e.to_string()))?;
    Ok(bytes)
}

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
mod imp {
    use super::*;
    use crate::hv::exit::Exit;
    use crate::hv::vcpu_loop::{run_loop, Core, RunError, Vcpu};
    use crate::hv::Backend;
    use crate::monitor::{GuestMem, HypercallOutcome};

    pub fn create(mem_size: usize) -> Result<Box<Monitor>, Fatal> {
        let backend = Backend::open()?;
        let mem = GuestMem::anonymous(mem_size).map_err(|e| Fatal::Msg(e.to_string()))?;
        // SAFETY: the monitor owns both and drops the backend before the
        // memory (its field order).
        unsafe { backend.add_memory(&mem) }?;
        Ok(Monitor::new(mem, Some(backend)))
    }

    fn backend(m: &Monitor) -> Result<&Backend, Fatal> {
        m.backend()
            .ok_or_else(|| Fatal::Msg("monitor has no KVM backend".into()))
    }

    pub fn vcpu_init(m: &Monitor, entry: u64, kernel_end: u64) -> Result<u64, Fatal> {
        // The memory's snapshot is the loader's plan here (recorded by the
        // load): boot data must not land in the kernel's read-only pages.
        arch::vcpu::configure(backend(m)?, m.mem(), entry, kernel_end)
    }

    /// The vCPU as the loop sees it: the fd and the run area, shared.
    struct KvmVcpu<'a>(&'a Backend);

    impl Vcpu for KvmVcpu<'_> {
        #[inline]
        fn run(&mut self) -> Result<(), RunError> {
            self.0.run()
        }
        #[inline]
        fn exit(&mut self) -> Exit {
            self.0.exit()
        }
        fn pc(&mut self) -> std::io::Result<u64> {
            arch::vcpu::pc(self.0)
        }
    }

    struct MonitorCore<'a>(&'a Monitor);

    impl Core for MonitorCore<'_> {
        #[inline]
        fn vmexit_handlers(&mut self) -> bool {
            // SAFETY: run's caller vouches for the registered handlers.
            unsafe { self.0.run_vmexit_handlers() }
        }
        #[inline]
        fn hypercall(&mut self, nr: u64, gpa: u64) -> Result<Option<i32>, Fatal> {
            // SAFETY: as above.
            Ok(match unsafe { self.0.hypercall(nr, gpa) }? {
                HypercallOutcome::Continue => None,
                HypercallOutcome::Halt(status) => Some(status),
            })
        }
    }

    /// # Safety
    /// See [`super::run`].
    pub unsafe fn run(m: &Monitor) -> Result<i32, Fatal> {
        let b = backend(m)?;
        m.freeze();
        run_loop(&mut KvmVcpu(b), &mut MonitorCore(m), arch::decode_exit)
    }
}

#[cfg(not(all(target_os = "linux", target_arch = "aarch64")))]
mod imp {
    use super::*;

    fn no_backend() -> Fatal {
        Fatal::Msg(format!("no KVM backend for {} yet", std::env::consts::ARCH))
    }

    pub fn create(_mem_size: usize) -> Result<Box<Monitor>, Fatal> {
        Err(no_backend())
    }

    pub fn vcpu_init(_m: &Monitor, _entry: u64, _kernel_end: u64) -> Result<u64, Fatal> {
        Err(no_backend())
    }

    /// # Safety
    /// See [`super::run`].
    pub unsafe fn run(_m: &Monitor) -> Result<i32, Fatal> {
        Err(no_backend())
    }
}

/// Create a monitor with `mem_size` bytes of guest RAM at address 0, a VM
/// and its vCPU (not installed yet).
pub fn create(mem_size: usize) -> Result<Box<Monitor>, Fatal> {
    imp::create(mem_size)
}

/// Set up the vCPU to enter the kernel at `entry` (loaded up to
/// `kernel_end`); the guest address of the command line buffer
/// (`UKVM_CMDLINE_SIZE` bytes).
pub fn vcpu_init(m: &Monitor, entry: u64, kernel_end: u64) -> Result<u64, Fatal> {
    imp::vcpu_init(m, entry, kernel_end)
}

/// Freeze the registrations and run the guest until it halts: its exit
/// status, or the error that ended it.
///
/// # Safety
/// Every registered hypercall handler, vmexit handler and halt hook must
/// be safe to call with this monitor's `hv` (the C API's contract).
pub unsafe fn run(m: &Monitor) -> Result<i32, Fatal> {
    // SAFETY: forwarded caller guarantee.
    unsafe { imp::run(m) }
}
