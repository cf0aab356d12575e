//! Every KVM ioctl of the AArch64 backend: VM, vCPU and guest memory
//! creation, boot state (page tables, registers, boot info) and the vCPU
//! as the run loop sees it. Values come from `crate::arch::aarch64`.

use std::io;
use std::os::fd::AsRawFd;
use std::os::raw::{c_char, c_void};

use kvm_bindings::{
    kvm_run, kvm_userspace_memory_region, kvm_vcpu_init, KVM_EXIT_FAIL_ENTRY,
    KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_MMIO,
};
use kvm_ioctls::{Kvm, VcpuExit, VcpuFd, VmFd};
use vm_memory::{Bytes, GuestAddress, GuestMemoryBackend, GuestMemoryMmap};

use super::vcpu_loop::{Exit, RunError, Vcpu};
use super::Fatal;
use crate::abi::UkvmHvb;
use crate::arch::aarch64::bootinfo::BootInfo;
use crate::arch::aarch64::layout::{
    BOOT_INFO_BASE, CMDLINE_BASE, GUEST_PAGE_SIZE, PAGE_TABLE_BASE,
};
use crate::arch::aarch64::mmio::MmioAccess;
use crate::arch::aarch64::paging::{build_identity_tables, MAX_TABLE_PAGES};
use crate::arch::aarch64::regs::{
    boot_registers, BootParams, CPACR_EL1, CPACR_READ_FAILED, REG_PC,
};

/// KVM API version ukvm was written against.
const KVM_API_VERSION: i32 = 12;

fn os(msg: &str, e: kvm_ioctls::Error) -> Fatal {
    Fatal::Os(msg.into(), io::Error::from_raw_os_error(e.errno()))
}

/// One VM with one vCPU and its RAM at guest address 0.
pub struct KvmVm {
    // Field order is drop order: vCPU before VM before /dev/kvm.
    vcpu: VcpuFd,
    vm: VmFd,
    kvm: Kvm,
    mem: GuestMemoryMmap,
    mem_size: usize,
}

impl KvmVm {
    /// Open /dev/kvm, create the VM, the vCPU and `mem_size` bytes of RAM.
    pub fn create(mem_size: usize) -> Result<KvmVm, Fatal> {
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
        // Type 0: the default 40-bit guest physical space, which holds RAM
        // (up to 4 GiB) and the MMIO window above it.
        let vm = kvm
            .create_vm_with_type(0)
            .map_err(|e| os("KVM: ioctl (CREATE_VM) failed", e))?;
        // create_vcpu also maps the vCPU's kvm_run area.
        let vcpu = vm
            .create_vcpu(0)
            .map_err(|e| os("KVM: ioctl (CREATE_VCPU) failed", e))?;

        // RAM is one anonymous mapping; its size is whole 2 MiB blocks
        // (memsize), a multiple of any host page size.
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), mem_size)])
            .map_err(|e| Fatal::Msg(format!("Error allocating guest memory: {e}")))?;
        let host = mem
            .get_host_address(GuestAddress(0))
            .map_err(|e| Fatal::Msg(format!("Error allocating guest memory: {e}")))?;
        no_huge_pages(host, mem_size);
        let region = kvm_userspace_memory_region {
            slot: 0,
            flags: 0,
            guest_phys_addr: 0,
            memory_size: mem_size as u64,
            userspace_addr: host as u64,
        };
        // SAFETY: the region describes `mem`, a live mapping of exactly
        // `mem_size` bytes that KvmVm owns and keeps until after the VM fd
        // is closed (field order above).
        unsafe { vm.set_user_memory_region(region) }
            .map_err(|e| os("KVM: ioctl (SET_USER_MEMORY_REGION) failed", e))?;
        Ok(KvmVm {
            vcpu,
            vm,
            kvm,
            mem,
            mem_size,
        })
    }

    /// Host address of guest RAM (byte 0 = guest physical address 0).
    pub fn mem_ptr(&self) -> *mut u8 {
        // The range was created at address 0 in `create`, so this succeeds.
        self.mem
            .get_host_address(GuestAddress(0))
            .unwrap_or(std::ptr::null_mut())
    }

    pub fn mem_size(&self) -> usize {
        self.mem_size
    }

    /// The C view of the file descriptors and the kvm_run area.
    pub fn hvb(&mut self) -> UkvmHvb {
        UkvmHvb {
            kvmfd: self.kvm.as_raw_fd(),
            vmfd: self.vm.as_raw_fd(),
            vcpufd: self.vcpu.as_raw_fd(),
            vcpurun: self.vcpu.get_kvm_run() as *mut _ as *mut c_void,
        }
    }

    fn write(&self, gpa: u64, bytes: &[u8], what: &str) -> Result<(), Fatal> {
        self.mem
            .write_slice(bytes, GuestAddress(gpa))
            .map_err(|e| Fatal::Msg(format!("{what} at 0x{gpa:x}: {e}")))
    }

    /// Make the vCPU ready to enter the kernel at `entry`: page tables,
    /// vCPU init, FP/SIMD, MMU, core registers and boot info. Returns the
    /// host address of the guest command line buffer.
    pub fn vcpu_init(&mut self, entry: u64, kernel_end: u64) -> Result<*mut c_char, Fatal> {
        let mut area = vec![0u8; MAX_TABLE_PAGES * GUEST_PAGE_SIZE as usize];
        let tables = build_identity_tables(&mut area, self.mem_size as u64)
            .map_err(|e| Fatal::Msg(e.to_string()))?;
        // The kernel's read-only segments are read-only for us too: a kernel
        // loaded over the boot area would make the writes below fault.
        let boot_end = PAGE_TABLE_BASE + tables.len() as u64;
        if !crate::elf::protect::host_writable(BOOT_INFO_BASE, boot_end - BOOT_INFO_BASE) {
            return Err(Fatal::Msg(format!(
                "guest kernel has read-only segments over the boot area (0x{BOOT_INFO_BASE:x}-0x{boot_end:x})"
            )));
        }
        self.write(
            PAGE_TABLE_BASE,
            &area[..tables.len()],
            "writing page tables",
        )?;

        let mut init = kvm_vcpu_init::default();
        self.vm
            .get_preferred_target(&mut init)
            .map_err(|e| os("KVM: ioctl (KVM_ARM_PREFERRED_TARGET) failed", e))?;
        self.vcpu
            .vcpu_init(&init)
            .map_err(|e| os("KVM: ioctl (KVM_ARM_VCPU_INIT) failed", e))?;

        let cpacr = self
            .get_reg(CPACR_EL1)
            .map_err(|e| Fatal::Os(CPACR_READ_FAILED.into(), e))?;
        let params = BootParams {
            entry,
            mem_size: self.mem_size as u64,
            ttbr0: tables.root,
            cpacr,
        };
        for r in boot_registers(&params) {
            self.vcpu
                .set_one_reg(r.id, &r.value.to_le_bytes())
                .map_err(|e| {
                    os(
                        &format!("{} (register 0x{:x} = 0x{:x})", r.what, r.id, r.value),
                        e,
                    )
                })?;
        }

        let info = BootInfo {
            mem_size: self.mem_size as u64,
            kernel_end,
            counter_freq: counter_frequency(),
        };
        self.write(BOOT_INFO_BASE, &info.to_bytes(), "writing boot info")?;
        Ok(self.mem_ptr().wrapping_add(CMDLINE_BASE as usize) as *mut c_char)
    }

    fn get_reg(&self, id: u64) -> io::Result<u64> {
        let mut b = [0u8; 8];
        self.vcpu
            .get_one_reg(id, &mut b)
            .map_err(|e| io::Error::from_raw_os_error(e.errno()))?;
        Ok(u64::from_le_bytes(b))
    }
}

/// Keep transparent huge pages off guest RAM. The private anonymous
/// mapping is THP-eligible: a first touch (or khugepaged) could make and
/// zero a whole 2 MiB page where the guest uses a few KiB, which costs
/// start-up time and resident memory per instance. Upstream's shared
/// anonymous mapping is not subject to THP by default. Best effort: a
/// kernel without THP refuses the advice, and the VM works either way.
fn no_huge_pages(host: *mut u8, len: usize) {
    // SAFETY: `host..host + len` is the page-aligned guest RAM mapping just
    // created; madvise only changes its paging policy, never its contents.
    unsafe { libc::madvise(host.cast::<c_void>(), len, libc::MADV_NOHUGEPAGE) };
}

/// The host's counter frequency; the guest sees the same CNTFRQ_EL0.
fn counter_frequency() -> u64 {
    let f: u64;
    // SAFETY: reading CNTFRQ_EL0 is allowed at EL0 and has no side effects.
    unsafe { std::arch::asm!("mrs {}, cntfrq_el0", out(reg) f, options(nomem, nostack)) };
    f
}

/// The exit a `kvm_run` area describes, copied out.
pub fn decode_run(run: &kvm_run) -> Exit {
    match run.exit_reason {
        KVM_EXIT_MMIO => {
            // SAFETY: exit_reason says the mmio member is the live one.
            let m = unsafe { run.__bindgen_anon_1.mmio };
            Exit::Mmio(MmioAccess {
                addr: m.phys_addr,
                is_write: m.is_write != 0,
                len: m.len,
                data: m.data,
            })
        }
        KVM_EXIT_FAIL_ENTRY => {
            // SAFETY: exit_reason says the fail_entry member is the live one.
            let f = unsafe { run.__bindgen_anon_1.fail_entry };
            Exit::FailEntry {
                reason: f.hardware_entry_failure_reason,
            }
        }
        KVM_EXIT_INTERNAL_ERROR => {
            // SAFETY: exit_reason says the internal member is the live one.
            let i = unsafe { run.__bindgen_anon_1.internal };
            Exit::InternalError {
                suberror: i.suberror,
            }
        }
        reason => Exit::Other { reason },
    }
}

impl Vcpu for KvmVm {
    fn run(&mut self) -> Result<(), RunError> {
        match self.vcpu.run() {
            // An EFAULT that KVM describes (KVM_EXIT_MEMORY_FAULT) is still
            // the host/guest translation fault upstream reports.
            Ok(VcpuExit::MemoryFault { .. }) => Err(RunError::Fault),
            Ok(_) => Ok(()),
            Err(e) => Err(RunError::from_errno(e.errno())),
        }
    }

    fn exit(&mut self) -> Exit {
        decode_run(self.vcpu.get_kvm_run())
    }

    fn pc(&mut self) -> io::Result<u64> {
        self.get_reg(REG_PC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mmio_exit_is_copied_out() {
        let mut run = kvm_run {
            exit_reason: KVM_EXIT_MMIO,
            ..Default::default()
        };
        // Writing a union field is safe; reading it back is decode_run's job.
        run.__bindgen_anon_1.mmio.phys_addr = 0x1_0000_0010;
        run.__bindgen_anon_1.mmio.len = 4;
        run.__bindgen_anon_1.mmio.is_write = 1;
        run.__bindgen_anon_1.mmio.data = [0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0];
        assert_eq!(
            decode_run(&run),
            Exit::Mmio(MmioAccess {
                addr: 0x1_0000_0010,
                is_write: true,
                len: 4,
                data: [0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0]
            })
        );
    }

    #[test]
    fn other_exits_keep_their_numbers() {
        let mut run = kvm_run {
            exit_reason: KVM_EXIT_FAIL_ENTRY,
            ..Default::default()
        };
        run.__bindgen_anon_1
            .fail_entry
            .hardware_entry_failure_reason = 0x42;
        assert_eq!(decode_run(&run), Exit::FailEntry { reason: 0x42 });
        let mut run = kvm_run {
            exit_reason: KVM_EXIT_INTERNAL_ERROR,
            ..Default::default()
        };
        run.__bindgen_anon_1.internal.suberror = 3;
        assert_eq!(decode_run(&run), Exit::InternalError { suberror: 3 });
        let run = kvm_run {
            exit_reason: 24,
            ..Default::default()
        };
        assert_eq!(decode_run(&run), Exit::Other { reason: 24 });
    }
}
