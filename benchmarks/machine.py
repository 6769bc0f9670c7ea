"""What this machine's 2 cores give, for reading the C backend's figures (prints JSON).

Usage: python benchmarks/machine.py [--quick]

The C backend's thread figures depend on the machine more than on the library: whether the
cores share execution units (SMT siblings), how much more memory bandwidth a second core gets,
and what a thread costs to start.  Small C probes, built with ``cc -O2 -march=native -pthread`` and run here,
measure each, 1 thread against 2 doing the same work each, side by side in every round:

- ``compute_scaling``: 2 threads' throughput over 1 thread's on a loop of independent multiplies
  that keeps the multiplier busy (x86-64; elsewhere a plain C loop).  About 2: separate cores;
  about 1: two hardware threads of one core.
- ``read_gbps_1_thread``, ``read_gbps_2_threads`` and ``read_scaling`` (their ratio, median of
  the rounds'): streaming reads of a buffer far bigger than the caches, by 1 thread and by 2 (each
  its half).  The ratio depends on how hard one thread already pushes (numpy's faster single-thread
  reduction in ``c_backend.py``'s ``read_floor_thread_speedup`` gains less); the 2-thread rate is
  what a batch of uint8 rows streamed by both threads shares.
- ``thread_start_us`` / ``thread_start_join_us``: from ``pthread_create`` until the new thread
  runs, and until it is joined (medians).

Each figure is the median of the rounds (``--quick``: fewer rounds and a smaller buffer).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = r"""
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

static long iters;
static volatile uint64_t sink;

static void *multiply(void *arg)
{
    long n = iters;
    (void)arg;
#if defined(__x86_64__)
    __asm__ volatile("1:\n"
                     "imul %%rcx,%%r8\n imul %%rcx,%%r9\n imul %%rcx,%%r10\n imul %%rcx,%%r11\n"
                     "imul %%rcx,%%r12\n imul %%rcx,%%r13\n imul %%rcx,%%r14\n imul %%rcx,%%r15\n"
                     "dec %0\n jnz 1b\n"
                     : "+r"(n) : : "rcx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc");
#else
    uint64_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int k;
    for (; n > 0; n--)
        for (k = 0; k < 8; k++) a[k] = a[k] * 0x9E3779B97F4A7C15ull + (uint64_t)k;
    sink = a[0] ^ a[7];
#endif
    return NULL;
}

typedef struct { const uint64_t *p; size_t n; } span_t;
typedef uint64_t V __attribute__((vector_size(64)));

/* OR of the span's words, 8 vectors of 64 bytes at a time: enough loads in flight that memory,
 * not the core, sets the pace (a scalar loop read ~18 GB/s here, a third below memory's pace). */
static void *read_span(void *arg)
{
    const span_t *s = (const span_t *)arg;
    V acc[8] = {{0}}, v;
    size_t i;
    int k;
    for (i = 0; i + 64 <= s->n; i += 64)
        for (k = 0; k < 8; k++) {
            memcpy(&v, s->p + i + 8 * (size_t)k, sizeof v);
            acc[k] |= v;
        }
    v = acc[0] | acc[1] | acc[2] | acc[3] | acc[4] | acc[5] | acc[6] | acc[7];
    sink = v[0] | v[1] | v[2] | v[3] | v[4] | v[5] | v[6] | v[7];
    return NULL;
}

static double started;
static void *mark(void *arg)
{
    (void)arg;
    started = now();
    return NULL;
}

/* Seconds for fn on 1 thread (arg0), then on 2 at once (args1[0], args1[1]). */
static void one_two(void *(*fn)(void *), void *arg0, void **args1, double *t1, double *t2)
{
    pthread_t th;
    double t0 = now();
    fn(arg0);
    *t1 = now() - t0;
    t0 = now();
    pthread_create(&th, NULL, fn, args1[1]);
    fn(args1[0]);
    pthread_join(th, NULL);
    *t2 = now() - t0;
}

int main(int argc, char **argv)
{
    const int rounds = atoi(argv[1]);
    const size_t words = (size_t)atol(argv[2]);
    double compute[64], reads[64], gbps[64], gbps2[64], start[256], joined[256];
    uint64_t *buf = malloc(words * sizeof(uint64_t));
    span_t whole = {buf, words}, halves[2] = {{buf, words / 2}, {buf + words / 2, words - words / 2}};
    void *none[2] = {NULL, NULL}, *half_args[2] = {&halves[0], &halves[1]};
    int r;
    if (buf == NULL || rounds < 1 || rounds > 64) return 3;
    memset(buf, 1, words * sizeof(uint64_t));
    iters = 20000000;
    for (r = 0; r < rounds; r++) {
        double t1, t2;
        one_two(multiply, NULL, none, &t1, &t2); /* the same work on each thread: 2 t1 / t2 */
        compute[r] = 2 * t1 / t2;
        one_two(read_span, &whole, half_args, &t1, &t2); /* the buffer once, whole or in halves */
        reads[r] = t1 / t2;
        gbps[r] = (double)(words * sizeof(uint64_t)) / t1 / 1e9;
        gbps2[r] = (double)(words * sizeof(uint64_t)) / t2 / 1e9;
    }
    for (r = 0; r < 4 * rounds; r++) {
        pthread_t th;
        const double t0 = now();
        pthread_create(&th, NULL, mark, NULL);
        pthread_join(th, NULL);
        joined[r] = (now() - t0) * 1e6;
        start[r] = (started - t0) * 1e6;
    }
    printf("{\"compute_scaling\": %.3f, \"read_gbps_1_thread\": %.2f, \"read_gbps_2_threads\": %.2f, "
           "\"read_scaling\": %.3f, \"thread_start_us\": %.1f, \"thread_start_join_us\": %.1f}\n",
           median(compute, rounds), median(gbps, rounds), median(gbps2, rounds), median(reads, rounds),
           median(start, 4 * rounds), median(joined, 4 * rounds));
    free(buf);
    return 0;
}
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 rounds over 64 MB instead of 15 over 512 MB")
    args = ap.parse_args(argv)
    from lgcc.backends.c.toolchain import find_compiler
    from lgcc.ir.errors import LgccError

    try:
        cc = find_compiler(None)  # $CC, else cc / gcc / clang, as lgcc compile finds it
    except LgccError as exc:
        ap.error(str(exc))
    rounds, megabytes = (5, 64) if args.quick else (15, 512)
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp) / "probe.c", Path(tmp) / "probe"
        src.write_text(PROBE)
        subprocess.run([*cc, "-O2", "-march=native", "-std=gnu99", "-pthread", str(src), "-o", str(exe)], check=True)
        run = subprocess.run([str(exe), str(rounds), str(megabytes << 17)], capture_output=True, text=True,
                             timeout=600)
    if run.returncode != 0:
        sys.exit(f"machine.py: the probe failed ({run.returncode}): {run.stderr.strip()}")
    report = {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "rounds": rounds,
              "buffer_mb": megabytes, **json.loads(run.stdout)}
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
