/* ukvm_gdb_aarch64.h: AArch64 register block in the order GDB's 'g' packet expects. */

#ifndef UKVM_GDB_AARCH64_H
#define UKVM_GDB_AARCH64_H

#include <stdint.h>

/* 31 general registers, then lr, pc, pstate and sp, all 64 bits wide. */
struct ukvm_gdb_regs {
    uint64_t regs[31];
    uint64_t lr;
    uint64_t pc;
    uint64_t pstate;
    uint64_t sp;
};

#endif /* UKVM_GDB_AARCH64_H */
