"""How many threads a call starts: a small batch only those it keeps busy, a big one all it is given;
and every thread started is joined.

A C program linked against ``libmodel.a`` with ``-Wl,--wrap=...`` counts the threads each call
creates and joins (the calling thread itself is one of the call's threads and is never created).
"""

from __future__ import annotations

import os
import subprocess
import sys


import pytest

from lgcc.backends.c import write_library
from lgcc.ir.random import random_layered_graph

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="GNU ld's --wrap")

COUNTING_DRIVER = r"""
#define _GNU_SOURCE /* pthread_tryjoin_np */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "model.h"

int __real_pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
int __real_pthread_join(pthread_t, void **);
int __real_pthread_tryjoin_np(pthread_t, void **);
static int created, joined; /* every create and join comes from the calling thread: no race */

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    created++;
    return __real_pthread_create(t, attr, fn, arg);
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
    const int rc = __real_pthread_join(t, ret);
    joined += rc == 0;
    return rc;
}

static int forced; /* nonzero: what every pthread_tryjoin_np returns instead of joining */

int __wrap_pthread_tryjoin_np(pthread_t t, void **ret)
{
    const int rc = forced ? forced : __real_pthread_tryjoin_np(t, ret);
    joined += rc == 0;
    return rc;
}

/* argv: rows, threads[, calls[, forced tryjoin result: ebusy or einval]]; prints the threads the
 * calls created and joined, and the OR of their return codes */
int main(int argc, char **argv)
{
    const size_t n = (size_t)atol(argv[1]);
    const int calls = argc > 3 ? atoi(argv[3]) : 1;
    if (argc > 4) forced = argv[4][1] == 'b' ? EBUSY : EINVAL;
    uint8_t *x = calloc(n, lgcc_n_inputs());
    int32_t *classes = calloc(n, sizeof(int32_t));
    int rc = 0, i;
    if (argc < 3 || x == NULL || classes == NULL) return 3;
    for (i = 0; i < calls; i++) rc |= lgcc_predict_bits(x, n, classes, atoi(argv[2]));
    printf("%d %d %d\n", created, joined, rc);
    return 0;
}
"""


#: Samples per block by ISA: 64 per 64-bit lane of the vector.
BLOCK = {"portable": 64, "sse2": 128, "neon": 128, "avx2": 256, "avx512": 512}


def _library(root, flags: tuple[str, ...] = ()) -> dict:
    """Build the tests' model (21 inputs, 180 gates, 4 classes) into ``root/lib`` with ``flags``; its model.json."""
    graph = random_layered_graph(21, [80, 60, 40], k=4, seed=11)
    return write_library(graph, root / "lib", isa="auto", extra_flags=("-O1", *flags))


def _driver(root, flags: tuple[str, ...]):
    """Build the model into ``root/lib`` with ``flags`` and the counting driver against it;
    return the driver and the library's samples per block."""
    isa = _library(root, flags)["isa"]
    (root / "drv.c").write_text(COUNTING_DRIVER)
    exe = root / "drv"
    subprocess.run(["cc", "-O1", "-std=gnu99", "-I", str(root / "lib"), str(root / "drv.c"), str(root / "lib" / "libmodel.a"),
                    "-lpthread", "-Wl,--wrap=pthread_create,--wrap=pthread_join,--wrap=pthread_tryjoin_np", "-o", str(exe)], check=True)
    return exe, BLOCK[isa]


def _run(exe, rows: int, threads: int, calls: int = 1, forced: str = "") -> tuple[int, int]:
    """(threads created, threads joined) over ``calls`` calls; ``forced`` ("ebusy", "einval"): what every
    pthread_tryjoin_np returns instead of joining."""
    res = subprocess.run([str(exe), str(rows), str(threads), str(calls), *([forced] if forced else [])],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    created, joined, rc = map(int, res.stdout.split())
    assert rc == 0
    return created, joined


def _created(exe, rows: int, threads: int) -> int:
    return _run(exe, rows, threads)[0]


def test_small_batches_start_only_the_threads_they_keep_busy(tmp_path):
    exe, _ = _driver(tmp_path, ())
    # well under 1 us per block of this 180-gate model: 2,048 rows (32 blocks or fewer) keep no second thread busy
    assert _created(exe, 2048, 4) == 0
    assert _created(exe, 1, 8) == 0
    # a million rows (~1 ms of blocks per thread and more) get every thread asked for
    assert _created(exe, 1_000_000, 4) == 3
    assert _created(exe, 1_000_000, 1) == 0


def test_every_thread_starts_when_the_minimum_work_is_zero(tmp_path):
    exe, block = _driver(tmp_path, ("-DLGCC_MIN_THREAD_NS=0",))
    assert _created(exe, 2048, 4) == 3  # 4 blocks or more on every ISA
    assert _created(exe, 1, 4) == 0  # one block: one thread, whatever is asked
    assert [_created(exe, 2 * block, t) for t in (1, 2, 3)] == [0, 1, 1]  # no more threads than blocks


def test_every_started_thread_is_joined(tmp_path):
    """300 calls of 4 threads: each thread is joined once (by the spinning join or by pthread_join), also
    when pthread_tryjoin_np keeps saying busy (the spin runs out) or fails."""
    exe, _ = _driver(tmp_path, ("-DLGCC_MIN_THREAD_NS=0",))
    assert _run(exe, 4096, 4, calls=300) == (3 * 300, 3 * 300)
    for forced in ("ebusy", "einval"):
        assert _run(exe, 4096, 4, calls=20, forced=forced) == (3 * 20, 3 * 20), forced


RACE_DRIVER = r"""
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "model.h"

#define N 5000 /* rows: many blocks on every ISA, and a partial last one */
static uint8_t x[N * 64];
static int32_t want[N];

/* Each caller thread classifies every batch size on 3 threads (its own output) and checks it
 * against the 1-thread result; scores run alongside. */
static void *caller(void *arg)
{
    static const size_t sizes[] = {1, 63, 64, 65, 700, 1500, N};
    int32_t *got = malloc(N * sizeof(int32_t)), *s = malloc((size_t)N * 8 * sizeof(int32_t));
    size_t i, k;
    (void)arg;
    if (got == NULL || s == NULL) return (void *)1;
    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        if (lgcc_predict_bits(x, sizes[k], got, 3) || lgcc_scores_bits(x, sizes[k], s, 3)) return (void *)1;
        for (i = 0; i < sizes[k]; i++)
            if (got[i] != want[i]) return (void *)1;
    }
    free(got);
    free(s);
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    void *r0 = NULL, *r1 = NULL;
    size_t i;
    srand(1);
    for (i = 0; i < sizeof x; i++) x[i] = (uint8_t)(rand() & 1);
    if (lgcc_n_inputs() > 64 || lgcc_n_classes() > 8 || lgcc_predict_bits(x, N, want, 1)) return 2;
    if (pthread_create(&t[0], NULL, caller, NULL) || pthread_create(&t[1], NULL, caller, NULL)) return 2;
    pthread_join(t[0], &r0);
    pthread_join(t[1], &r1);
    puts(r0 == NULL && r1 == NULL ? "ok" : "wrong");
    return 0;
}
"""


def test_thread_sanitizer_finds_no_race(tmp_path, c_compiler):
    """Two callers at once, each call on 3 threads (every thread started: no minimum work), prefetch
    on: ThreadSanitizer finds no data race in the library's threads, chunk claiming and joins."""
    isa_flags = [f for f in _library(tmp_path)["cflags"].split() if f.startswith(("-m", "-DLGCC"))]
    (tmp_path / "drv.c").write_text(RACE_DRIVER)
    exe = tmp_path / "drv"
    built = subprocess.run([*c_compiler, "-O1", "-g", "-std=c99", "-fsanitize=thread", "-DLGCC_MIN_THREAD_NS=0",
                            "-DPREFETCH_MIN_BYTES=1", *isa_flags,
                            "-I", str(tmp_path / "lib"), str(tmp_path / "drv.c"), str(tmp_path / "lib" / "model.c"),
                            "-lpthread", "-o", str(exe)], capture_output=True, text=True)
    if built.returncode != 0:
        pytest.skip(f"this compiler cannot build with ThreadSanitizer: {built.stderr.strip()[:200]}")
    res = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "TSAN_OPTIONS": "halt_on_error=1 exitcode=66"})
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-3000:]
