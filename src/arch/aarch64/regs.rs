//! KVM register ids for AArch64 and the boot register state, as data: a
//! list of (id, value) writes computed here and applied by `crate::hv`.
//!
//! Ids follow the KVM_GET/SET_ONE_REG encoding of the Linux arm64 UAPI;
//! they are spelled out here so that this file builds and is tested on
//! any host (kvm-bindings only has arm64 types on arm64).

use super::layout::{BOOT_INFO_BASE, STACK_TOP_OFFSET};

/// Architecture field of an arm64 register id (KVM_REG_ARM64).
pub const KVM_REG_ARM64: u64 = 0x6000_0000_0000_0000;
/// Size field for a 64-bit register (KVM_REG_SIZE_U64).
pub const KVM_REG_SIZE_U64: u64 = 0x0030_0000_0000_0000;
/// Coprocessor field value for core registers (struct kvm_regs).
pub const KVM_REG_ARM_CORE: u64 = 0x0010 << 16;
/// Coprocessor field value for system registers.
pub const KVM_REG_ARM64_SYSREG: u64 = 0x0013 << 16;

/// Id of the 64-bit core register at byte `offset` of `struct kvm_regs`
/// (the id counts 32-bit words).
pub const fn core_reg(offset: u64) -> u64 {
    KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offset / 4)
}

/// Id of system register `S<op0>_<op1>_C<crn>_C<crm>_<op2>`.
pub const fn sys_reg(op0: u64, op1: u64, crn: u64, crm: u64, op2: u64) -> u64 {
    KVM_REG_ARM64
        | KVM_REG_SIZE_U64
        | KVM_REG_ARM64_SYSREG
        | (op0 << 14)
        | (op1 << 11)
        | (crn << 7)
        | (crm << 3)
        | op2
}

// struct kvm_regs starts with struct user_pt_regs { regs[31], sp, pc,
// pstate }, followed by sp_el1.
/// General-purpose register Xn.
pub const fn reg_x(n: u64) -> u64 {
    core_reg(n * 8)
}
/// X0: carries the boot-info address at entry.
pub const REG_X0: u64 = reg_x(0);
/// Program counter.
pub const REG_PC: u64 = core_reg(32 * 8);
/// PSTATE (upstream calls this `spsr[EL1]` in its messages).
pub const REG_PSTATE: u64 = core_reg(33 * 8);
/// Stack pointer for EL1.
pub const REG_SP_EL1: u64 = core_reg(34 * 8);

/// Architectural Feature Access Control Register.
pub const CPACR_EL1: u64 = sys_reg(3, 0, 1, 0, 2);
/// Memory Attribute Indirection Register.
pub const MAIR_EL1: u64 = sys_reg(3, 0, 10, 2, 0);
/// Translation Control Register.
pub const TCR_EL1: u64 = sys_reg(3, 0, 2, 0, 2);
/// Translation Table Base Register 0.
pub const TTBR0_EL1: u64 = sys_reg(3, 0, 2, 0, 0);
/// System Control Register.
pub const SCTLR_EL1: u64 = sys_reg(3, 0, 1, 0, 0);

/// CPACR_EL1.FPEN: bits `[21:20]`; 0b11 = FP/SIMD not trapped.
pub const CPACR_FPEN_MASK: u64 = 0b11 << 20;
pub const CPACR_FPEN_NOTRAP: u64 = 0b11 << 20;

/// CPACR_EL1 with FP/SIMD access enabled, other fields kept.
pub const fn cpacr_enable_fp(old: u64) -> u64 {
    (old & !CPACR_FPEN_MASK) | CPACR_FPEN_NOTRAP
}

/// MAIR_EL1 attribute byte in slot `slot`.
const fn mair(attr: u64, slot: u64) -> u64 {
    attr << (slot * 8)
}
/// Slots: 0 Device-nGnRnE, 1 Device-nGnRE, 2 Device-GRE, 3 normal
/// non-cacheable, 4 normal write-back, 5 normal write-through (same as
/// upstream; the page tables use slots 1 and 4).
pub const MAIR_EL1_VALUE: u64 =
    mair(0x00, 0) | mair(0x04, 1) | mair(0x0c, 2) | mair(0x44, 3) | mair(0xff, 4) | mair(0xbb, 5);

/// Virtual and physical address width the guest is set up for (1 TiB).
pub const VA_BITS: u64 = 40;

/// TCR_EL1: 40-bit T0SZ/T1SZ, write-back write-allocate inner and outer
/// walks, inner shareable, 4 KiB granule for TTBR0 and TTBR1, 16-bit
/// ASIDs, top byte ignored for TTBR0, 40-bit intermediate physical size.
pub const TCR_EL1_VALUE: u64 = TCR_T0SZ
    | TCR_T1SZ
    | TCR_IRGN0_WBWA
    | TCR_IRGN1_WBWA
    | TCR_ORGN0_WBWA
    | TCR_ORGN1_WBWA
    | TCR_SH0_INNER
    | TCR_SH1_INNER
    | TCR_TG0_4K
    | TCR_TG1_4K
    | TCR_IPS_40BIT
    | TCR_AS16
    | TCR_TBI0;

const TCR_T0SZ: u64 = 64 - VA_BITS;
const TCR_T1SZ: u64 = (64 - VA_BITS) << 16;
const TCR_IRGN0_WBWA: u64 = 1 << 8;
const TCR_IRGN1_WBWA: u64 = 1 << 24;
const TCR_ORGN0_WBWA: u64 = 1 << 10;
const TCR_ORGN1_WBWA: u64 = 1 << 26;
const TCR_SH0_INNER: u64 = 3 << 12;
const TCR_SH1_INNER: u64 = 3 << 28;
/// TG0 encodes 4 KiB as 0b00 (bits 15:14).
const TCR_TG0_4K: u64 = 0;
/// TG1 encodes 4 KiB as 0b10 (bits 31:30).
const TCR_TG1_4K: u64 = 2 << 30;
const TCR_IPS_40BIT: u64 = 2 << 32;
const TCR_AS16: u64 = 1 << 36;
const TCR_TBI0: u64 = 1 << 37;

/// SCTLR_EL1 bits that are RES1 in ARMv8.0 (11, 20, 22, 23, 28, 29).
/// Newer features give them meanings whose value-1 setting is the
/// ARMv8.0 behaviour, so setting them keeps the guest on that behaviour.
pub const SCTLR_RES1: u64 = (1 << 11) | (1 << 20) | (1 << 22) | (1 << 23) | (1 << 28) | (1 << 29);
/// SCTLR_EL1.M: stage-1 MMU on.
pub const SCTLR_M: u64 = 1 << 0;
/// SCTLR_EL1.C: data cacheability.
pub const SCTLR_C: u64 = 1 << 2;
/// SCTLR_EL1.I: instruction cacheability.
pub const SCTLR_I: u64 = 1 << 12;

/// SCTLR_EL1 for the guest: MMU, data and instruction caches on.
///
/// Upstream means to write M|C|I but ORs them into the TTBR0 value it
/// just wrote and so writes 0x11005 (bit 16, nTWI, set by accident, RES1
/// bits clear). We write the intended bits plus the RES1 bits.
pub const SCTLR_EL1_VALUE: u64 = SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_I;

/// PSTATE at entry: debug, SError, IRQ and FIQ masked; EL1 using SP_EL1.
pub const PSTATE_INIT: u64 = (1 << 9) | (1 << 8) | (1 << 7) | (1 << 6) | 0b0101;

/// One register write: what to set, and upstream's words for its failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegWrite {
    pub id: u64,
    pub value: u64,
    pub what: &'static str,
}

/// Inputs of the boot register state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootParams {
    /// Guest entry point (ELF e_entry).
    pub entry: u64,
    /// Guest RAM size in bytes.
    pub mem_size: u64,
    /// Root page table address (`paging::PageTables::root`).
    pub ttbr0: u64,
    /// CPACR_EL1 as read back after KVM_ARM_VCPU_INIT.
    pub cpacr: u64,
}

/// Message upstream gives when reading CPACR_EL1 fails.
pub const CPACR_READ_FAILED: &str = "KVM: Get Architectural Feature Access Control Register failed";

/// The register writes that start the guest, in upstream's order:
/// FP/SIMD on, MMU set up and on, then PSTATE, SP_EL1, X0 and PC.
pub fn boot_registers(p: &BootParams) -> [RegWrite; 9] {
    let w = |id, value, what| RegWrite { id, value, what };
    [
        w(
            CPACR_EL1,
            cpacr_enable_fp(p.cpacr),
            "KVM: Enable the floating-point and Advanced SIMD for Guest failed",
        ),
        w(
            MAIR_EL1,
            MAIR_EL1_VALUE,
            "KVM: Setup Memory Attribute Indirection Register failed",
        ),
        w(
            TCR_EL1,
            TCR_EL1_VALUE,
            "KVM: Setup Translation Control Register EL1 failed",
        ),
        w(
            TTBR0_EL1,
            p.ttbr0,
            "KVM: Translation Table Base Register 0 EL1 failed",
        ),
        w(
            SCTLR_EL1,
            SCTLR_EL1_VALUE,
            "KVM: Setup System Control Register EL1 failed",
        ),
        w(REG_PSTATE, PSTATE_INIT, "Initialize spsr[EL1] failed!"),
        w(
            REG_SP_EL1,
            p.mem_size - STACK_TOP_OFFSET,
            "Initialize sp[EL1] failed!",
        ),
        w(REG_X0, BOOT_INFO_BASE, "Set boot info to x0 failed!"),
        w(REG_PC, p.entry, "Set guest reset entry to PC failed!"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_register_ids() {
        // KVM_REG_ARM_CORE_REG(x) is the offset in 32-bit words.
        assert_eq!(REG_X0, 0x6030_0000_0010_0000);
        assert_eq!(reg_x(1), 0x6030_0000_0010_0002);
        assert_eq!(REG_PC, 0x6030_0000_0010_0040);
        assert_eq!(REG_PSTATE, 0x6030_0000_0010_0042);
        assert_eq!(REG_SP_EL1, 0x6030_0000_0010_0044);
    }

    #[test]
    fn system_register_ids() {
        assert_eq!(SCTLR_EL1, 0x6030_0000_0013_c080);
        assert_eq!(CPACR_EL1, 0x6030_0000_0013_c082);
        assert_eq!(TTBR0_EL1, 0x6030_0000_0013_c100);
        assert_eq!(TCR_EL1, 0x6030_0000_0013_c102);
        assert_eq!(MAIR_EL1, 0x6030_0000_0013_c510);
    }

    #[test]
    fn register_values() {
        assert_eq!(MAIR_EL1_VALUE, 0x0000_bbff_440c_0400);
        assert_eq!(TCR_EL1_VALUE, 0x0000_0032_b518_3518);
        assert_eq!(PSTATE_INIT, 0x3c5);
        assert_eq!(SCTLR_EL1_VALUE, 0x30d0_1805);
        assert_eq!(SCTLR_EL1_VALUE & 0x1_0000, 0, "no accidental nTWI bit");
        assert_eq!(SCTLR_EL1_VALUE & 0x1005, 0x1005);
    }

    #[test]
    fn cpacr_keeps_other_fields() {
        assert_eq!(cpacr_enable_fp(0), 0x30_0000);
        assert_eq!(cpacr_enable_fp(0x10_0000), 0x30_0000);
        assert_eq!(cpacr_enable_fp(0x1000_0001), 0x1030_0001);
    }

    #[test]
    fn boot_register_list_in_upstream_order() {
        let p = BootParams {
            entry: 0x10_0000,
            mem_size: 0x2000_0000,
            ttbr0: 0x10000,
            cpacr: 0,
        };
        let regs = boot_registers(&p);
        let ids: Vec<u64> = regs.iter().map(|r| r.id).collect();
        assert_eq!(
            ids,
            [
                CPACR_EL1, MAIR_EL1, TCR_EL1, TTBR0_EL1, SCTLR_EL1, REG_PSTATE, REG_SP_EL1, REG_X0,
                REG_PC
            ]
        );
        assert_eq!(regs[0].value, 0x30_0000);
        assert_eq!(regs[3].value, 0x10000);
        assert_eq!(regs[6].value, 0x2000_0000 - 16);
        assert_eq!(regs[6].value % 16, 0);
        assert_eq!(regs[7].value, 0x1000);
        assert_eq!(regs[8].value, 0x10_0000);
    }

    /// On AArch64, check our spelled-out ids against the kernel UAPI as
    /// kvm-bindings has it.
    #[cfg(target_arch = "aarch64")]
    #[test]
    fn ids_match_kvm_bindings() {
        use kvm_bindings::{kvm_regs, user_pt_regs};
        use std::mem::offset_of;
        assert_eq!(KVM_REG_ARM64, kvm_bindings::KVM_REG_ARM64);
        assert_eq!(KVM_REG_SIZE_U64, kvm_bindings::KVM_REG_SIZE_U64);
        assert_eq!(KVM_REG_ARM_CORE, u64::from(kvm_bindings::KVM_REG_ARM_CORE));
        assert_eq!(
            KVM_REG_ARM64_SYSREG,
            u64::from(kvm_bindings::KVM_REG_ARM64_SYSREG)
        );
        let regs = offset_of!(kvm_regs, regs) as u64;
        assert_eq!(
            REG_X0,
            core_reg(regs + offset_of!(user_pt_regs, regs) as u64)
        );
        assert_eq!(REG_PC, core_reg(regs + offset_of!(user_pt_regs, pc) as u64));
        assert_eq!(
            REG_PSTATE,
            core_reg(regs + offset_of!(user_pt_regs, pstate) as u64)
        );
        assert_eq!(REG_SP_EL1, core_reg(offset_of!(kvm_regs, sp_el1) as u64));
    }
}
