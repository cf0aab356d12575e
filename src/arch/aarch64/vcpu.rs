//! AArch64 boot state through KVM: vCPU init, FP/SIMD, MMU and core
//! registers, page tables and boot info in guest memory. The values come
//! from the pure files beside this one; this file only applies them.

use std::io;

use kvm_bindings::kvm_vcpu_init;

use super::bootinfo::BootInfo;
use super::layout::{BOOT_INFO_BASE, CMDLINE_BASE, GUEST_PAGE_SIZE, PAGE_TABLE_BASE};
use super::paging::{build_identity_tables, MAX_TABLE_PAGES};
use super::regs::{boot_registers, BootParams, CPACR_EL1, CPACR_READ_FAILED, REG_PC};
use crate::error::Fatal;
use crate::hv::Backend;
use crate::monitor::GuestMem;

fn os(msg: &str, e: kvm_ioctls::Error) -> Fatal {
    Fatal::Os(msg.into(), io::Error::from_raw_os_error(e.errno()))
}

fn get_reg(b: &Backend, id: u64) -> io::Result<u64> {
    let mut v = [0u8; 8];
    b.vcpu()
        .get_one_reg(id, &mut v)
        .map_err(|e| io::Error::from_raw_os_error(e.errno()))?;
    Ok(u64::from_le_bytes(v))
}

/// The guest program counter.
pub fn pc(b: &Backend) -> io::Result<u64> {
    get_reg(b, REG_PC)
}

fn write(mem: &GuestMem, gpa: u64, bytes: &[u8], what: &str) -> Result<(), Fatal> {
    let s = mem
        .writable(gpa, bytes.len())
        .map_err(|e| Fatal::Msg(format!("{what} at 0x{gpa:x}: {e}")))?;
    s.copy_from(bytes);
    Ok(())
}

/// Make the vCPU ready to enter the kernel at `entry`: page tables, vCPU
/// init, FP/SIMD, MMU, core registers and boot info. Returns the guest
/// address of the command line buffer.
pub fn configure(b: &Backend, mem: &GuestMem, entry: u64, kernel_end: u64) -> Result<u64, Fatal> {
    let mut area = vec![0u8; MAX_TABLE_PAGES * GUEST_PAGE_SIZE as usize];
    let tables = build_identity_tables(&mut area, mem.size() as u64)
        .map_err(|e| Fatal::Msg(e.to_string()))?;
    // The kernel's read-only segments are read-only for us too: a kernel
    // loaded over the boot area would make the writes below fault.
    let boot_end = PAGE_TABLE_BASE + tables.len() as u64;
    if !mem.can_write(BOOT_INFO_BASE, (boot_end - BOOT_INFO_BASE) as usize) {
        return Err(Fatal::Msg(format!(
            "guest kernel has read-only segments over the boot area (0x{BOOT_INFO_BASE:x}-0x{boot_end:x})"
        )));
    }
    write(
        mem,
        PAGE_TABLE_BASE,
        &area[..tables.len()],
        "writing page tables",
    )?;

    let mut init = kvm_vcpu_init::default();
    b.vm()
        .get_preferred_target(&mut init)
        .map_err(|e| os("KVM: ioctl (KVM_ARM_PREFERRED_TARGET) failed", e))?;
    b.vcpu()
        .vcpu_init(&init)
        .map_err(|e| os("KVM: ioctl (KVM_ARM_VCPU_INIT) failed", e))?;

    let cpacr = get_reg(b, CPACR_EL1).map_err(|e| Fatal::Os(CPACR_READ_FAILED.into(), e))?;
    let params = BootParams {
        entry,
        mem_size: mem.size() as u64,
        ttbr0: tables.root,
        cpacr,
    };
    for r in boot_registers(&params) {
        b.vcpu()
            .set_one_reg(r.id, &r.value.to_le_bytes())
            .map_err(|e| {
                os(
                    &format!("{} (register 0x{:x} = 0x{:x})", r.what, r.id, r.value),
                    e,
                )
            })?;
    }

    let info = BootInfo {
        mem_size: mem.size() as u64,
        kernel_end,
        counter_freq: counter_frequency(),
    };
    write(mem, BOOT_INFO_BASE, &info.to_bytes(), "writing boot info")?;
    Ok(CMDLINE_BASE)
}

/// The host's counter frequency; the guest sees the same CNTFRQ_EL0.
fn counter_frequency() -> u64 {
    let f: u64;
    // SAFETY: reading CNTFRQ_EL0 is allowed at EL0 and has no side effects.
    unsafe { std::arch::asm!("mrs {}, cntfrq_el0", out(reg) f, options(nomem, nostack)) };
    f
}
