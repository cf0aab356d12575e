/* ukvm_gdb.h: GDB remote protocol breakpoint kinds and signal numbers. */

#ifndef UKVM_GDB_H
#define UKVM_GDB_H

/*
 * Breakpoint and watchpoint kinds, numbered as the remote protocol's
 * Z/z packets number them ("Z0" is a software breakpoint, and so on).
 */
typedef enum _gdb_breakpoint_type {
    GDB_BREAKPOINT_SW = 0,
    GDB_BREAKPOINT_HW = 1,
    GDB_WATCHPOINT_WRITE = 2,
    GDB_WATCHPOINT_READ = 3,
    GDB_WATCHPOINT_ACCESS = 4,
    GDB_BREAKPOINT_MAX = 5
} gdb_breakpoint_type;

/* Signal numbers as GDB understands them in stop replies. */
#define GDB_SIGNAL_FIRST         0
#define GDB_SIGNAL_QUIT          3
#define GDB_SIGNAL_TRAP          5
#define GDB_SIGNAL_KILL          9
#define GDB_SIGNAL_SEGV          11
#define GDB_SIGNAL_TERM          15
#define GDB_SIGNAL_IO            23
#define GDB_SIGNAL_DEFAULT       144

#endif /* UKVM_GDB_H */
