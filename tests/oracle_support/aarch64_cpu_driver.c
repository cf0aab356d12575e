/*
 * Test driver around upstream's pure AArch64 CPU code (ukvm_cpu_aarch64.c,
 * compiled from SOLO5_SRC at test time). Usage:
 *   driver tables RAM_SIZE   page-table area (16 pages from 0x10000) on stdout
 *   driver memsize SIZE      the adjusted memory size on stdout
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ukvm_cpu_aarch64.h"

#define DUMP_PAGES 16

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s tables|memsize N\n", argv[0]);
        return 2;
    }
    unsigned long long n = strtoull(argv[2], NULL, 0);

    if (strcmp(argv[1], "tables") == 0) {
        size_t span = AARCH64_PAGE_TABLE + DUMP_PAGES * PAGE_SIZE;
        uint8_t *mem = calloc(1, span);
        if (mem == NULL)
            return 3;
        aarch64_setup_memory_mapping(mem, n, AARCH64_MMIO_BASE + AARCH64_MMIO_SZ);
        fwrite(mem + AARCH64_PAGE_TABLE, 1, DUMP_PAGES * PAGE_SIZE, stdout);
        return 0;
    }
    if (strcmp(argv[1], "memsize") == 0) {
        size_t sz = n;
        aarch64_mem_size(&sz);
        printf("%zu\n", sz);
        return 0;
    }
    return 2;
}
