/* start.S: entry of our AArch64 test guests: exception vectors, bss, C. */

/*
 * The monitor enters _start at EL1 with the MMU and caches on, SP_EL1 at
 * the top of RAM and X0 pointing at struct ukvm_boot_info.
 */
    .section .text.start, "ax"
    .globl _start
_start:
    mov     x19, x0
    adrp    x1, vectors
    add     x1, x1, :lo12:vectors
    msr     vbar_el1, x1
    isb
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  mov     x0, x19
    bl      rt_start
3:  wfi
    b       3b

/*
 * Every exception is fatal for these guests: 16 vector slots of 0x80
 * bytes, each passing its slot number and the syndrome registers to
 * rt_trap() in C, which reports and halts.
 */
    .macro slot n
    .balign 0x80
    mov     x0, #\n
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    b       rt_trap
    .endm

    .text
    .balign 0x800
vectors:
    slot 0
    slot 1
    slot 2
    slot 3
    slot 4
    slot 5
    slot 6
    slot 7
    slot 8
    slot 9
    slot 10
    slot 11
    slot 12
    slot 13
    slot 14
    slot 15
