/*
 * ukvm_module_hvbcheck.c: a test-only C module that uses the KVM
 * backend's struct ukvm_hvb as upstream's gdb/dumpcore code would: the
 * three fds and the kvm_run area must be live and laid out as in C.
 */
#define _GNU_SOURCE
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "ukvm.h"
#include "ukvm_hv_kvm.h"

static unsigned exits, mmio_exits;

/* Sees every exit first; never claims one. */
static int count_exit(struct ukvm_hv *hv)
{
    struct kvm_run *run = hv->b->vcpurun;
    exits++;
    if (run->exit_reason == KVM_EXIT_MMIO)
        mmio_exits++;
    return -1;
}

static void report(struct ukvm_hv *hv, int status, void *cookie)
{
    (void)hv;
    (void)cookie;
    fprintf(stderr, "hvbcheck: %u exits seen, %u MMIO, halt status %d\n",
            exits, mmio_exits, status);
}

static int setup(struct ukvm_hv *hv)
{
    struct ukvm_hvb *b = hv->b;
    if (ioctl(b->kvmfd, KVM_GET_API_VERSION, 0) != 12)
        err(1, "hvbcheck: kvmfd is not /dev/kvm");
    if (ioctl(b->vmfd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0)
        err(1, "hvbcheck: vmfd is not a VM");
    uint64_t pc = 0;
    struct kvm_one_reg reg = {
        .id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
              KVM_REG_ARM_CORE_REG(regs.pc),
        .addr = (uint64_t)&pc,
    };
    if (ioctl(b->vcpufd, KVM_GET_ONE_REG, &reg) == -1)
        err(1, "hvbcheck: vcpufd cannot read PC");
    long runsize = ioctl(b->kvmfd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (b->vcpurun == NULL || runsize < (long)sizeof (struct kvm_run))
        errx(1, "hvbcheck: no kvm_run area");
    fprintf(stderr, "hvbcheck: fds live, pc=0x%llx, mem_size=0x%zx\n",
            (unsigned long long)pc, hv->mem_size);
    if (ukvm_core_register_vmexit(count_exit) || ukvm_core_register_halt_hook(report))
        errx(1, "hvbcheck: registration refused");
    return 0;
}

struct ukvm_module ukvm_module_hvbcheck = {
    .name = "hvbcheck",
    .setup = setup,
};
