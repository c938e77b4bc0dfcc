// Does a second busy core slow this one down? Each kind alone, then two copies at once (docs/benchmarks.md, the
// sweep's side-by-side slowdown). Kinds: int (integer multiply chain), fma (float multiply-adds on 64 values held in
// registers/L1), or a byte count: a[i] += 0.5 b[i] over two float arrays of that many bytes each, 40 GB in all.
//
//   gcc -O3 -march=native -o /tmp/pair_stream docs/bench/pair_stream.c
//   for k in int fma 262144 2621440; do /tmp/pair_stream $k; /tmp/pair_stream $k & /tmp/pair_stream $k; wait; done
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s int|fma|BYTES\n", argv[0]);
        return 2;
    }
    const char *kind = argv[1];
    double start = now();
    if (!strcmp(kind, "int")) {
        volatile unsigned long x = 1;
        for (long i = 0; i < 1500000000L; i++) x = x * 2654435761u + i;
    } else if (!strcmp(kind, "fma")) {
        float a[64], b[64];
        for (int i = 0; i < 64; i++) { a[i] = 1.0f + i * 1e-7f; b[i] = 0.999999f; }
        for (long r = 0; r < 600000000L; r++)
            for (int i = 0; i < 64; i++) a[i] = a[i] * b[i] + 1e-7f;
        if (a[3] == 0) puts("");
    } else {
        long n = atol(kind) / 4;
        if (n < 16) { fprintf(stderr, "BYTES must be at least 64\n"); return 2; }
        float *a = aligned_alloc(64, n * 4), *b = aligned_alloc(64, n * 4);
        for (long i = 0; i < n; i++) { a[i] = 1; b[i] = 2; }
        long repeats = 40000000000L / (n * 4);
        for (long r = 0; r < repeats; r++)
            for (long i = 0; i < n; i++) a[i] += 0.5f * b[i];
        if (a[5] == 0) puts("");
    }
    printf("%s %.3f s\n", kind, now() - start);
    return 0;
}
