//! The backend's C entry points (upstream's `ukvm_hv_*`): memory size,
//! VM creation, vCPU set-up and the vCPU loop. On targets without a
//! backend they stop with `no KVM backend for <arch> yet`.

use std::os::raw::{c_char, c_int};

use crate::abi::{ukvm_gpa_t, UkvmHv};
use crate::arch::aarch64::memsize::{adjust_warning, check_mem_size, round_mem_size};
use crate::diag;
use crate::ffi::guard;

/// Round `*mem_size` to what the guest will get (whole 2 MiB blocks, at
/// least one), warning when it changes; too large is fatal.
///
/// # Safety
/// `mem_size` must point to a valid, writable size_t.
#[no_mangle]
pub unsafe extern "C" fn ukvm_hv_mem_size(mem_size: *mut usize) {
    guard("ukvm_hv_mem_size", || {
        if mem_size.is_null() {
            diag::die("ukvm_hv_mem_size: NULL size");
        }
        // SAFETY: caller guarantees a valid size_t.
        let requested = unsafe { *mem_size } as u64;
        let rounded = round_mem_size(requested);
        if rounded != requested {
            diag::warn(&adjust_warning(rounded));
        }
        if let Err(e) = check_mem_size(rounded) {
            diag::die(&e.to_string());
        }
        // SAFETY: as above; rounded <= 4 GiB fits in usize on 64-bit hosts.
        unsafe { *mem_size = rounded as usize };
    })
}

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
mod imp {
    use super::*;
    use crate::abi::UkvmHvb;
    use crate::hv::kvm::KvmVm;
    use crate::hv::vcpu_loop::{self, Core};
    use crate::monitor::{dispatch_hypercall, run_vmexit_handlers, HypercallOutcome};
    use std::sync::Mutex;

    /// The process's one VM, and the C-visible structs it filled in.
    struct Backend {
        vm: KvmVm,
        hv: *mut UkvmHv,
    }

    // SAFETY: `hv` points to a leaked, never-freed allocation; the KVM
    // objects are plain fds plus the kvm_run mapping, usable from any
    // thread. Access is serialised by the Mutex below.
    unsafe impl Send for Backend {}

    static BACKEND: Mutex<Option<Backend>> = Mutex::new(None);

    fn with_backend<R>(hv: *mut UkvmHv, entry: &str, f: impl FnOnce(&mut KvmVm) -> R) -> R {
        let mut lock = BACKEND.lock().unwrap_or_else(|p| p.into_inner());
        match lock.as_mut() {
            Some(b) if b.hv == hv => f(&mut b.vm),
            _ => diag::die(&format!("{entry}: not the hv returned by ukvm_hv_init")),
        }
    }

    pub fn init(mem_size: usize) -> *mut UkvmHv {
        let mut lock = BACKEND.lock().unwrap_or_else(|p| p.into_inner());
        if lock.is_some() {
            diag::die("ukvm_hv_init: called twice");
        }
        let mut vm = KvmVm::create(mem_size).unwrap_or_else(|e| e.die());
        // C modules keep these pointers for the life of the process.
        let hvb: *mut UkvmHvb = Box::into_raw(Box::new(vm.hvb()));
        let hv = Box::into_raw(Box::new(UkvmHv {
            mem: vm.mem_ptr(),
            mem_size: vm.mem_size(),
            b: hvb,
        }));
        *lock = Some(Backend { vm, hv });
        hv
    }

    pub fn vcpu_init(hv: *mut UkvmHv, entry: ukvm_gpa_t, kernel_end: ukvm_gpa_t) -> *mut c_char {
        with_backend(hv, "ukvm_hv_vcpu_init", |vm| {
            vm.vcpu_init(entry, kernel_end).unwrap_or_else(|e| e.die())
        })
    }

    /// The monitor core seen from the loop.
    struct Monitor(*mut UkvmHv);

    impl Core for Monitor {
        fn vmexit_handlers(&mut self) -> bool {
            run_vmexit_handlers(self.0)
        }
        fn hypercall(&mut self, nr: u64, gpa: u64) -> Option<i32> {
            match dispatch_hypercall(self.0, nr, gpa) {
                HypercallOutcome::Continue => None,
                HypercallOutcome::Halt(status) => Some(status),
            }
        }
    }

    pub fn vcpu_loop(hv: *mut UkvmHv) -> c_int {
        with_backend(hv, "ukvm_hv_vcpu_loop", |vm| {
            vcpu_loop::run_loop(vm, &mut Monitor(hv)).unwrap_or_else(|e| e.die())
        })
    }
}

#[cfg(not(all(target_os = "linux", target_arch = "aarch64")))]
mod imp {
    use super::*;

    fn no_backend() -> ! {
        diag::die(&format!(
            "no KVM backend for {} yet",
            std::env::consts::ARCH
        ))
    }

    pub fn init(_mem_size: usize) -> *mut UkvmHv {
        no_backend()
    }

    pub fn vcpu_init(_hv: *mut UkvmHv, _entry: ukvm_gpa_t, _kernel_end: ukvm_gpa_t) -> *mut c_char {
        no_backend()
    }

    pub fn vcpu_loop(_hv: *mut UkvmHv) -> c_int {
        no_backend()
    }
}

/// Create the VM, its vCPU and `mem_size` bytes of guest RAM at address 0.
/// Never returns NULL: failures are fatal with upstream's messages.
#[no_mangle]
pub extern "C" fn ukvm_hv_init(mem_size: usize) -> *mut UkvmHv {
    guard("ukvm_hv_init", || imp::init(mem_size))
}

/// Set up the vCPU to enter the guest at `gpa_ep`; `*cmdline` receives
/// the guest command line buffer (UKVM_CMDLINE_SIZE bytes).
///
/// # Safety
/// `hv` must be the pointer ukvm_hv_init returned; `cmdline` a valid
/// `char **`.
#[no_mangle]
pub unsafe extern "C" fn ukvm_hv_vcpu_init(
    hv: *mut UkvmHv,
    gpa_ep: ukvm_gpa_t,
    gpa_kend: ukvm_gpa_t,
    cmdline: *mut *mut c_char,
) {
    guard("ukvm_hv_vcpu_init", || {
        if cmdline.is_null() {
            diag::die("ukvm_hv_vcpu_init: NULL cmdline");
        }
        let p = imp::vcpu_init(hv, gpa_ep, gpa_kend);
        // SAFETY: caller guarantees `cmdline` is a valid char **.
        unsafe { *cmdline = p };
    })
}

/// Run the guest until it halts; returns its exit status. Other ends of
/// the guest are fatal (status 1) with upstream's messages.
///
/// # Safety
/// `hv` must be the pointer ukvm_hv_init returned.
#[no_mangle]
pub unsafe extern "C" fn ukvm_hv_vcpu_loop(hv: *mut UkvmHv) -> c_int {
    guard("ukvm_hv_vcpu_loop", || imp::vcpu_loop(hv))
}
