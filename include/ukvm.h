/* ukvm.h: the module API of the ukvm monitor (core services, registration, gdb hooks). */

/*
 * A module needs only this header unless it talks to the hypervisor
 * backend itself (then it adds ukvm_hv_kvm.h and an arch header).
 *
 * Functions return 0 on success and -1 on failure unless noted.
 */

#ifndef UKVM_H
#define UKVM_H

#include <inttypes.h>
#include <err.h>

#include "ukvm_cc.h"
#define UKVM_HOST
#include "ukvm_guest.h"
#include "ukvm_gdb.h"

/*
 * The guest as modules see it: guest memory is mapped at mem in the
 * monitor, mem_size bytes long. b is the backend's own state (struct
 * ukvm_hvb, see ukvm_hv_kvm.h).
 */
struct ukvm_hv {
    uint8_t *mem;
    size_t mem_size;
    struct ukvm_hvb *b;
};

/*
 * Load the ELF executable at path file into guest memory (mem, mem_size
 * bytes); return its entry point in *p_entry and the end of its loaded
 * image in *p_end. Exits the monitor with a message on any bad input.
 */
void ukvm_elf_load(const char *file, uint8_t *mem, size_t mem_size,
        ukvm_gpa_t *p_entry, ukvm_gpa_t *p_end);

/*
 * Translate the guest range [gpa, gpa + sz) into a host pointer to its
 * first byte. The range must lie inside guest memory; if it does not, the
 * monitor exits with status 1 and a message naming file and line, so
 * callers never see a bad pointer.
 *
 * Use it through UKVM_CHECKED_GPA_P, which fills in the caller's position.
 * Unlike the original C monitor, ours has an out-of-line definition in the
 * library, so modules also link when built without optimisation.
 */
void *ukvm_checked_gpa_p(struct ukvm_hv *hv, ukvm_gpa_t gpa, size_t sz,
        const char *file, int line);

#define UKVM_CHECKED_GPA_P(hv, gpa, sz) \
    ukvm_checked_gpa_p((hv), (gpa), (sz), __FILE__, __LINE__)

/*
 * Create the VM with mem_size bytes of guest memory; hv->mem and
 * hv->mem_size are set on return.
 */
struct ukvm_hv *ukvm_hv_init(size_t mem_size);

/*
 * Round the requested guest memory size in *mem_size down to what the
 * backend can map.
 */
void ukvm_hv_mem_size(size_t *mem_size);

/*
 * Set up the vCPU to start at gpa_ep, with the guest image ending at
 * gpa_kend. *cmdline receives a buffer of UKVM_CMDLINE_SIZE bytes in guest
 * memory where the caller writes the guest's command line.
 */
void ukvm_hv_vcpu_init(struct ukvm_hv *hv, ukvm_gpa_t gpa_ep,
        ukvm_gpa_t gpa_kend, char **cmdline);

/*
 * Run the vCPU until the guest halts; returns the guest's exit status.
 */
int ukvm_hv_vcpu_loop(struct ukvm_hv *hv);

/*
 * Add fd to the descriptors that UKVM_HYPERCALL_POLL waits on.
 */
int ukvm_core_register_pollfd(int fd);

/*
 * A hypercall handler: gpa is the guest-physical address of the
 * hypercall's argument structure (unchecked; use UKVM_CHECKED_GPA_P).
 */
typedef void (*ukvm_hypercall_fn_t)(struct ukvm_hv *hv, ukvm_gpa_t gpa);

/*
 * Make fn the handler of hypercall nr. Fails if nr is out of range or
 * already has a handler.
 */
int ukvm_core_register_hypercall(int nr, ukvm_hypercall_fn_t fn);

/*
 * A halt hook: called when the guest halts, with its exit status and the
 * host pointer to its cookie (NULL if none).
 */
typedef void (*ukvm_halt_fn_t)(struct ukvm_hv *hv, int status, void *cookie);

/*
 * Add fn to the hooks run on UKVM_HYPERCALL_HALT.
 */
int ukvm_core_register_halt_hook(ukvm_halt_fn_t fn);

/*
 * The hypercall dispatch table, indexed by hypercall number, with
 * UKVM_HYPERCALL_MAX entries; NULL where nothing is registered.
 */
extern ukvm_hypercall_fn_t ukvm_core_hypercalls[];

/*
 * The core's HALT handling: runs the halt hooks and returns the guest's
 * exit status.
 */
int ukvm_core_hypercall_halt(struct ukvm_hv *hv, ukvm_gpa_t gpa);

/*
 * A vmexit handler, offered every exit the core does not handle itself.
 * Returns 0 if it handled the exit, -1 if not.
 */
typedef int (*ukvm_vmexit_fn_t)(struct ukvm_hv *hv);

/*
 * Add fn to the vmexit handlers.
 */
int ukvm_core_register_vmexit(ukvm_vmexit_fn_t fn);

/*
 * The registered vmexit handlers, in registration order, ending in NULL.
 */
extern ukvm_vmexit_fn_t ukvm_core_vmexits[];

/*
 * What a module exports. name and setup are required; setup runs once
 * before the guest starts and registers the module's handlers. The other
 * members may be NULL: handle_cmdarg is offered each command-line option
 * the core does not know and returns 0 if it took it, -1 otherwise; usage
 * returns the module's lines for the --help text.
 */
struct ukvm_module {
    const char *name;
    int (*setup)(struct ukvm_hv *hv);
    int (*handle_cmdarg)(char *cmdarg);
    char *(*usage)(void);
};

/*
 * The modules built into this monitor, core first, ending in NULL. The
 * monitor's link provides it (ukvm-configure and the CMake package
 * generate it); the library itself only has a fallback listing the core.
 */
extern struct ukvm_module *ukvm_core_modules[];

extern struct ukvm_module ukvm_module_core;
extern struct ukvm_module ukvm_module_blk;
extern struct ukvm_module ukvm_module_net;
extern struct ukvm_module ukvm_module_gdb;
extern struct ukvm_module ukvm_module_dumpcore;

/*
 * The library's own blk and net modules (Rust; names "blk" and "net"):
 * use one of these or upstream's ukvm_module_blk / ukvm_module_net, never
 * both. See docs/modules.md.
 */
extern struct ukvm_module ukvm_module_rust_blk;
extern struct ukvm_module ukvm_module_rust_net;

/*
 * The gdb module's view of the backend. The library does not define
 * these: upstream's gdb module brings them, in the per-backend file it
 * includes (ukvm_gdb_kvm_<arch>.c); glue without debugging support makes
 * ukvm_gdb_supported() and all the others return -1.
 */

/* 0 if this backend supports the gdb module, -1 if not. */
int ukvm_gdb_supported(void);

/*
 * Copy the guest's registers, in GDB's register order and the target's
 * byte order, into reg; set *len to the number of bytes written.
 */
int ukvm_gdb_read_registers(struct ukvm_hv *hv, uint8_t *reg, size_t *len);

/* Set the guest's registers from len bytes at reg, laid out as above. */
int ukvm_gdb_write_registers(struct ukvm_hv *hv, uint8_t *reg, size_t len);

/* Turn single-stepping of the vCPU on. */
int ukvm_gdb_enable_ss(struct ukvm_hv *hv);

/* Turn single-stepping of the vCPU off. */
int ukvm_gdb_disable_ss(struct ukvm_hv *hv);

/* Store in *signal the GDB signal number matching the last vmexit. */
int ukvm_gdb_read_last_signal(struct ukvm_hv *hv, int *signal);

/* Insert a breakpoint or watchpoint of the given kind over len bytes at addr. */
int ukvm_gdb_add_breakpoint(struct ukvm_hv *hv, gdb_breakpoint_type type,
        ukvm_gpa_t addr, size_t len);

/* Remove what ukvm_gdb_add_breakpoint inserted with the same arguments. */
int ukvm_gdb_remove_breakpoint(struct ukvm_hv *hv, gdb_breakpoint_type type,
        ukvm_gpa_t addr, size_t len);

#endif /* UKVM_H */
