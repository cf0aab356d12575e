/* proto_check.c: our ukvm.h must accept upstream's declarations of every function and exported array unchanged. */

/*
 * upstream_protos.h is generated at configure time with gcc -aux-info
 * from upstream's ukvm.h. Any parameter or return type that differs from
 * ours makes this file fail to compile ("conflicting types").
 */

#include "ukvm.h"
#include "ukvm_hv_kvm.h"

#include "upstream_protos.h"

/* Exported data, with the types upstream gives them. */
extern ukvm_hypercall_fn_t ukvm_core_hypercalls[UKVM_HYPERCALL_MAX];
extern ukvm_vmexit_fn_t ukvm_core_vmexits[];
extern struct ukvm_module *ukvm_core_modules[];
extern struct ukvm_module ukvm_module_core;
extern struct ukvm_module ukvm_module_blk;
extern struct ukvm_module ukvm_module_net;
extern struct ukvm_module ukvm_module_gdb;
extern struct ukvm_module ukvm_module_dumpcore;

/* Handler types: assigning upstream-shaped functions must compile. */
void proto_check_hypercall(struct ukvm_hv *hv, ukvm_gpa_t gpa);
void proto_check_halt(struct ukvm_hv *hv, int status, void *cookie);
int proto_check_vmexit(struct ukvm_hv *hv);

ukvm_hypercall_fn_t proto_check_fns1 = proto_check_hypercall;
ukvm_halt_fn_t proto_check_fns2 = proto_check_halt;
ukvm_vmexit_fn_t proto_check_fns3 = proto_check_vmexit;
