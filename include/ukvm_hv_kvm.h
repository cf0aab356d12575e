/* ukvm_hv_kvm.h: the Linux KVM backend's handles, for modules that issue their own ioctls. */

#ifndef UKVM_HV_KVM_H
#define UKVM_HV_KVM_H

struct kvm_run;

/*
 * What (struct ukvm_hv).b points to on Linux. The gdb and dumpcore modules
 * read vcpufd and vcpurun directly, so the order and types of these members
 * are part of the module ABI.
 */
struct ukvm_hvb {
    int kvmfd;                  /* open /dev/kvm */
    int vmfd;                   /* from KVM_CREATE_VM */
    int vcpufd;                 /* from KVM_CREATE_VCPU (the only vCPU) */
    struct kvm_run *vcpurun;    /* the vCPU's mmap'ed kvm_run area */
};

#endif /* UKVM_HV_KVM_H */
