//! The architecture-neutral KVM objects of one monitor: `/dev/kvm`, the
//! VM with guest RAM as memory slot 0, one vCPU and its run area; and
//! entering the guest.
//!
//! Everything here takes `&self`: the run loop borrows only the vCPU fd
//! and the run area, so handlers, halt hooks and a debugger can read and
//! write registers (`vcpu()`) and guest memory during an exit.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::raw::c_void;

use kvm_bindings::{kvm_run, kvm_userspace_memory_region};
use kvm_ioctls::{Kvm, VcpuFd, VmFd};

use super::exit::{read_exit, Exit};
use super::vcpu_loop::RunError;
use super::Fatal;
use crate::abi::UkvmHvb;
use crate::monitor::GuestMem;

/// KVM API version ukvm was written against.
const KVM_API_VERSION: i32 = 12;

/// `KVM_RUN`: `_IO(KVMIO, 0x80)`.
const KVM_RUN: libc::c_ulong = 0xae80;

fn os(msg: &str, e: kvm_ioctls::Error) -> Fatal {
    Fatal::Os(msg.into(), io::Error::from_raw_os_error(e.errno()))
}

/// One VM with one vCPU. Field order is drop order: vCPU (and its run
/// area) before VM before /dev/kvm.
pub struct Backend {
    vcpu: VcpuFd,
    vm: VmFd,
    kvm: Kvm,
    /// The vCPU's run area (mapped and unmapped by `vcpu`).
    run: *mut kvm_run,
    run_size: usize,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("vcpufd", &self.vcpu.as_raw_fd())
            .field("run", &self.run)
            .finish()
    }
}

impl Backend {
    /// Open /dev/kvm and create the VM and its vCPU.
    pub fn open() -> Result<Backend, Fatal> {
        let kvm = Kvm::new().map_err(|e| os("Could not open: /dev/kvm", e))?;
        let version = kvm.get_api_version();
        if version == -1 {
            return Err(Fatal::Os(
                "KVM: ioctl (GET_API_VERSION) failed".into(),
                io::Error::last_os_error(),
            ));
        }
        if version != KVM_API_VERSION {
            return Err(Fatal::Msg(format!(
                "KVM: API version is {version}, ukvm requires version 12"
            )));
        }
        // Type 0: the default guest physical address space, which holds RAM
        // and, on AArch64, the MMIO window above it (40 bits).
        let vm = kvm
            .create_vm_with_type(0)
            .map_err(|e| os("KVM: ioctl (CREATE_VM) failed", e))?;
        // create_vcpu also maps the vCPU's kvm_run area.
        let mut vcpu = vm
            .create_vcpu(0)
            .map_err(|e| os("KVM: ioctl (CREATE_VCPU) failed", e))?;
        let run_size = kvm
            .get_vcpu_mmap_size()
            .map_err(|e| os("KVM: ioctl (GET_VCPU_MMAP_SIZE) failed", e))?;
        let run: *mut kvm_run = vcpu.get_kvm_run();
        Ok(Backend {
            vcpu,
            vm,
            kvm,
            run,
            run_size,
        })
    }

    /// Give the VM `mem` as guest RAM at address 0 (memory slot 0).
    ///
    /// # Safety
    /// `mem` must stay mapped for as long as this backend (its VM) lives:
    /// KVM keeps the host address. A `Monitor` holding both drops the
    /// backend first.
    pub unsafe fn add_memory(&self, mem: &GuestMem) -> Result<(), Fatal> {
        no_huge_pages(mem.host_base(), mem.size());
        let region = kvm_userspace_memory_region {
            slot: 0,
            flags: 0,
            guest_phys_addr: 0,
            memory_size: mem.size() as u64,
            userspace_addr: mem.host_base() as u64,
        };
        // SAFETY: the region describes `mem`, a live mapping of exactly
        // its size, which the caller keeps until after the VM fd is closed.
        unsafe { self.vm.set_user_memory_region(region) }
            .map_err(|e| os("KVM: ioctl (SET_USER_MEMORY_REGION) failed", e))
    }

    /// The C view: file descriptors and the run area (`struct ukvm_hvb`).
    pub fn hvb(&self) -> UkvmHvb {
        UkvmHvb {
            kvmfd: self.kvm.as_raw_fd(),
            vmfd: self.vm.as_raw_fd(),
            vcpufd: self.vcpu.as_raw_fd(),
            vcpurun: self.run.cast::<c_void>(),
        }
    }

    /// The VM (architecture set-up: preferred target, IRQ chips).
    pub fn vm(&self) -> &VmFd {
        &self.vm
    }

    /// The vCPU, for its registers (`get_one_reg`/`set_one_reg` and the
    /// like take `&self`).
    pub fn vcpu(&self) -> &VcpuFd {
        &self.vcpu
    }

    /// The vCPU's file descriptor.
    pub fn vcpu_fd(&self) -> RawFd {
        self.vcpu.as_raw_fd()
    }

    /// Enter the guest until its next exit.
    #[inline]
    pub fn run(&self) -> Result<(), RunError> {
        // SAFETY: KVM_RUN on our vCPU fd takes no argument; KVM writes only
        // the run area, which the vCPU fd maps and we read after it returns.
        let rc = unsafe { libc::ioctl(self.vcpu.as_raw_fd(), KVM_RUN as _, 0) };
        if rc == 0 {
            Ok(())
        } else {
            Err(RunError::from_errno(
                io::Error::last_os_error().raw_os_error().unwrap_or(0),
            ))
        }
    }

    /// The exit the last `run` produced, copied out of the run area.
    #[inline]
    pub fn exit(&self) -> Exit {
        // SAFETY: `run` is the vCPU's mapped run area of `run_size` bytes,
        // alive as long as `self.vcpu`; the vCPU is stopped, so KVM does
        // not write it now.
        unsafe { read_exit(self.run, self.run_size) }
    }
}

/// Keep transparent huge pages off guest RAM. The private anonymous
/// mapping is THP-eligible: a first touch (or khugepaged) could make and
/// zero a whole 2 MiB page where the guest uses a few KiB, which costs
/// start-up time and resident memory per instance. Upstream's shared
/// anonymous mapping is not subject to THP by default. Best effort: a
/// kernel without THP refuses the advice, and the VM works either way.
fn no_huge_pages(host: *mut u8, len: usize) {
    // SAFETY: `host..host + len` is the page-aligned guest RAM mapping;
    // madvise only changes its paging policy, never its contents.
    unsafe { libc::madvise(host.cast::<c_void>(), len, libc::MADV_NOHUGEPAGE) };
}

#[cfg(test)]
mod tests {
    #[test]
    fn kvm_run_is_io_kvmio_0x80() {
        // _IO(type, nr) = (type << 8) | nr on Linux (no size, no direction).
        assert_eq!(super::KVM_RUN, (0xae << 8) | 0x80);
    }
}
