/* queue.h: BSD list macros (SLIST_* and friends) for module backends, taken from the C library. */

/*
 * The x86_64 KVM gdb backend includes "queue.h" for its breakpoint lists.
 * glibc ships the BSD <sys/queue.h> with every macro that backend uses.
 */

#ifndef UKVM_QUEUE_H
#define UKVM_QUEUE_H

#include <sys/queue.h>

#endif /* UKVM_QUEUE_H */
