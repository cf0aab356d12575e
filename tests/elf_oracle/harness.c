/*
 * harness.c: runs upstream's ukvm_elf_load (linked in from SOLO5_SRC) on one
 * file for the differential test in tests/elf_oracle.rs.
 *
 *   harness FILE MEM_SIZE
 *
 * When the file loads, prints "ACCEPT <entry> <end>" and then, for each
 * 64 KiB block of guest memory that is not all zero, "BLOCK <index>
 * <fnv1a-64 of the block>" (numbers in hex), and exits 0. Upstream exits 1
 * itself on a refused file, and some files kill it with a signal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "ukvm.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: harness FILE MEM_SIZE\n");
        return 2;
    }
    size_t size = strtoull(argv[2], NULL, 0);
    uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return 2;
    ukvm_gpa_t entry, end;
    ukvm_elf_load(argv[1], mem, size, &entry, &end);
    /* Segments may be left unreadable: make all of memory readable. */
    if (mprotect(mem, size, PROT_READ) != 0)
        return 2;
    printf("ACCEPT %llx %llx\n", (unsigned long long)entry,
           (unsigned long long)end);
    const size_t block = 0x10000;
    for (size_t b = 0; b + block <= size; b += block) {
        uint64_t h = 0xcbf29ce484222325ULL;
        int nonzero = 0;
        for (size_t i = b; i < b + block; i++) {
            nonzero |= mem[i];
            h ^= mem[i];
            h *= 0x100000001b3ULL;
        }
        if (nonzero)
            printf("BLOCK %zx %llx\n", b / block, (unsigned long long)h);
    }
    return 0;
}
