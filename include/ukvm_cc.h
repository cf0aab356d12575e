/* ukvm_cc.h: compiler helpers shared by the monitor and its modules. */

#ifndef UKVM_CC_H
#define UKVM_CC_H

/*
 * add_overflow(a, b, r): store a + b into the lvalue r and evaluate to
 * non-zero when the exact sum does not fit in r's type (r then holds the
 * wrapped value). Modules use it to check guest-supplied offsets.
 *
 * GCC 5 and later, and any compiler that advertises the builtin, get
 * __builtin_add_overflow. Others get a portable fallback built from GNU
 * statement expressions and __typeof.
 */
#ifndef __has_builtin
#define __has_builtin(x) 0
#endif

#if (defined(__GNUC__) && __GNUC__ >= 5) || __has_builtin(__builtin_add_overflow)
#define UKVM_CC_HAVE_ADD_OVERFLOW_ 1
#endif

#ifdef UKVM_CC_HAVE_ADD_OVERFLOW_

#define add_overflow(a, b, r) __builtin_add_overflow(a, b, &r)

#else

/* Smallest and largest value of an integer type T, signed or not. */
#define UKVM_CC_SMAX_(T) \
    ((T)((((T)1 << (sizeof(T) * 8 - 2)) - 1) * 2 + 1))
#define UKVM_CC_MIN_(T) ((T)-1 < 1 ? (T)(-1 - UKVM_CC_SMAX_(T)) : (T)0)
#define UKVM_CC_MAX_(T) ((T)~UKVM_CC_MIN_(T))

/* Assign src to dest; non-zero if the value changed on the way. */
#define UKVM_CC_ASSIGN_(dest, src)                                         \
    ({                                                                     \
        __typeof(src) ukvm_cc_s_ = (src);                                  \
        __typeof(dest) ukvm_cc_d_ = ukvm_cc_s_;                            \
        (ukvm_cc_s_ == ukvm_cc_d_ &&                                       \
         ((ukvm_cc_s_ < 1) == (ukvm_cc_d_ < 1)))                           \
            ? ((void)((dest) = ukvm_cc_d_), 0) : 1;                        \
    })

#define add_overflow(a, b, r)                                              \
    ({                                                                     \
        __typeof(a) ukvm_cc_a_ = (a);                                      \
        __typeof(b) ukvm_cc_b_ = (b);                                      \
        ukvm_cc_b_ < 1                                                     \
            ? ((UKVM_CC_MIN_(__typeof(r)) - ukvm_cc_b_ <= ukvm_cc_a_)      \
                   ? UKVM_CC_ASSIGN_(r, ukvm_cc_a_ + ukvm_cc_b_) : 1)      \
            : ((UKVM_CC_MAX_(__typeof(r)) - ukvm_cc_b_ >= ukvm_cc_a_)      \
                   ? UKVM_CC_ASSIGN_(r, ukvm_cc_a_ + ukvm_cc_b_) : 1);     \
    })

#endif /* UKVM_CC_HAVE_ADD_OVERFLOW_ */
#undef UKVM_CC_HAVE_ADD_OVERFLOW_

#endif /* UKVM_CC_H */
