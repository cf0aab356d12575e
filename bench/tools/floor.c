/* floor.c: the bare-KVM floor: one VM, one vCPU, a guest that only stores to an unbacked address; counts MMIO exits per second. */
/*
 *   floor [N]      N round trips (default 100000), then prints
 *                  "floor: N exits in US us: NS ns/exit, R exits/s"
 *
 * No ELF loading, no page tables, no hypercall decoding: the least work a
 * monitor can do per guest exit on AArch64 KVM. Built static for the
 * emulated AArch64 host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define MEM_SIZE 0x10000UL
#define MMIO_ADDR 0x10000000UL

static void die(const char *what)
{
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void set_reg(int vcpu, uint64_t id, uint64_t value)
{
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };
    if (ioctl(vcpu, KVM_SET_ONE_REG, &reg) < 0)
        die("KVM_SET_ONE_REG");
}

#define CORE_REG(field) \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, field) / 4))

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("/dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM");

    uint32_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap");
    mem[0] = 0xb9000001; /* str w1, [x0] */
    mem[1] = 0x17ffffff; /* b .-4 */
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)mem,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION");

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < 0)
        die("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap kvm_run");
    struct kvm_vcpu_init init;
    if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
        die("KVM_ARM_PREFERRED_TARGET");
    if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0)
        die("KVM_ARM_VCPU_INIT");
    set_reg(vcpu, CORE_REG(regs.pc), 0);
    set_reg(vcpu, CORE_REG(regs.regs[0]), MMIO_ADDR);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned long i = 0; i < n; i++) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0)
            die("KVM_RUN");
        if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.phys_addr != MMIO_ADDR) {
            fprintf(stderr, "floor: unexpected exit %u\n", run->exit_reason);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ULL + (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
    if (ns == 0)
        ns = 1;
    printf("floor: %lu exits in %llu us: %llu ns/exit, %llu exits/s\n", n,
           (unsigned long long)(ns / 1000), (unsigned long long)(ns / n),
           (unsigned long long)((uint64_t)n * 1000000000ULL / ns));
    return 0;
}
