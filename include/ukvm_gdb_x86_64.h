/* ukvm_gdb_x86_64.h: x86_64 register block in the order GDB's 'g' packet expects. */

#ifndef UKVM_GDB_X86_64_H
#define UKVM_GDB_X86_64_H

#include <stdint.h>

/*
 * General registers, then rip and eflags as 64-bit values, then the six
 * segment selectors as 32-bit values: the amd64 layout of GDB's
 * i386:x86-64 target description (without FPU/SSE state).
 */
struct ukvm_gdb_regs {
    uint64_t rax, rbx, rcx, rdx;
    uint64_t rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11;
    uint64_t r12, r13, r14, r15;
    uint64_t rip;
    uint64_t eflags;
    uint32_t cs, ss, ds, es, fs, gs;
};

#endif /* UKVM_GDB_X86_64_H */
