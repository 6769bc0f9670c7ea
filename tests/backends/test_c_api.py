"""The C API itself: error codes for bad arguments (via cffi), re-entrancy under threads,
the example program in examples/c, and two models linked into one C program."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

cffi = pytest.importorskip("cffi", reason="the C runtime needs cffi (a test extra; absent on the GPU machines)")

from lgcc.backends.c import COptions, write_library
from lgcc.ir.graph import Encoding
from lgcc.ir.random import random_layered_graph
from lgcc.ir.testing import random_bits
from lgcc.runtime import load

sim = importlib.import_module("lgcc.ir.simulate")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "c"
FAST = ("-O1", "-DLGCC_MIN_THREAD_NS=0")  # quick to compile; small batches still start every thread


@pytest.fixture(scope="module")
def graph():
    return random_layered_graph(21, [80, 60, 40], k=4, seed=11)


@pytest.fixture(scope="module")
def outdir(graph, tmp_path_factory):
    out = tmp_path_factory.mktemp("c_api")
    write_library(graph, out, isa="auto", extra_flags=FAST)
    return out


def _open(outdir: Path):
    """(ffi, library) of ``outdir/libmodel.so`` through its own cdef: the C API without the Python checks."""
    ffi = cffi.FFI()
    ffi.cdef(json.loads((outdir / "model.json").read_text())["cdef"])
    return ffi, ffi.dlopen(str(outdir / "libmodel.so"))


@pytest.fixture(scope="module")
def lib(outdir):
    return _open(outdir)


def test_error_codes(lib):
    ffi, c = lib
    x = np.zeros((4, 21), np.uint8)
    out = np.zeros(64 * 4, np.int32)
    xb, ob = ffi.from_buffer("uint8_t[]", x), ffi.from_buffer("int32_t[]", out)
    assert c.lgcc_predict_bits(xb, 4, ob, 1) == c.lgcc_OK
    assert c.lgcc_predict_bits(ffi.NULL, 4, ob, 1) == c.lgcc_ERR_NULL
    assert c.lgcc_scores_bits(xb, 4, ffi.NULL, 1) == c.lgcc_ERR_NULL
    assert c.lgcc_predict_bits(xb, 0, ob, 1) == c.lgcc_ERR_NO_ROWS
    assert c.lgcc_predict_bits(xb, 4, ob, -1) == c.lgcc_ERR_THREADS
    huge = (1 << 64) - 1
    assert c.lgcc_predict_bits(xb, huge // 3, ob, 1) == c.lgcc_ERR_OVERFLOW
    assert c.lgcc_scores_sliced(ffi.cast("uint64_t *", xb), huge // 32, ob, 1) == c.lgcc_ERR_OVERFLOW
    assert c.lgcc_predict_features(ffi.cast("float *", xb), 1, ob, 1) == c.lgcc_ERR_NO_ENCODING
    assert c.lgcc_scores_features_f64(ffi.cast("double *", xb), 1, ob, 1) == c.lgcc_ERR_NO_ENCODING
    x[3, 20] = ord("1")  # a character, not a bit: refused, not read by its bit 0
    assert c.lgcc_predict_bits(xb, 4, ob, 2) == c.lgcc_ERR_NOT_BITS
    assert b"neither 0 nor 1" in ffi.string(c.lgcc_strerror(c.lgcc_ERR_NOT_BITS))
    x[3, 20] = 1
    assert c.lgcc_predict_packed(xb, 4, ob, 1) == c.lgcc_OK  # packed rows: every byte value is 8 bits
    for code in range(9):
        assert ffi.string(c.lgcc_strerror(code))
    assert b"unknown" in ffi.string(c.lgcc_strerror(12345))
    assert ffi.string(c.lgcc_isa()) in (b"portable", b"sse2", b"avx2", b"avx512", b"neon")
    assert (c.lgcc_n_inputs(), c.lgcc_n_classes(), c.lgcc_n_outputs()) == (21, 4, 40)


def test_no_head_error_code(tmp_path):
    """predict_/scores_ of a model without a GroupSum head return ERR_NO_HEAD for every input kind
    (the model has an encoding, so features are refused for the head alone); outputs_ work."""
    g = random_layered_graph(21, [60, 40], seed=13)
    enc = Encoding(7, np.arange(21, dtype=np.int32) % 7, np.zeros(21, np.float32))
    write_library(g.copy(encoding=enc).verify(), tmp_path, isa="portable", extra_flags=FAST)
    ffi, c = _open(tmp_path)
    n = 4
    inputs = {"bits": ffi.new("uint8_t[]", n * 21), "packed": ffi.new("uint8_t[]", n * 3),
              "features": ffi.new("float[]", n * 7), "sliced": ffi.new("uint64_t[]", n * 21)}
    out = ffi.new("int32_t[]", 64 * n * 40)
    for kind, x in inputs.items():
        for entry in ("predict", "scores"):
            assert getattr(c, f"lgcc_{entry}_{kind}")(x, n, out, 1) == c.lgcc_ERR_NO_HEAD, f"{entry}_{kind}"
        assert getattr(c, f"lgcc_outputs_{kind}")(x, n, ffi.cast("uint8_t *", out), 1) == c.lgcc_OK, kind


NOMEM_DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "model.h"

/* Address space in use now (bytes). */
static rlim_t vm_size(void)
{
    char line[256];
    long kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f != NULL && fgets(line, sizeof line, f))
        if (strncmp(line, "VmSize:", 7) == 0) kb = atol(line + 7);
    if (f != NULL) fclose(f);
    return (rlim_t)kb * 1024;
}

/* Map 256 KB more stack now: under the limit only the heap and thread stacks must be starved. */
static void grow_stack(void)
{
    volatile char pad[1 << 18];
    pad[0] = pad[sizeof pad - 1] = 0;
}

int main(int argc, char **argv)
{
    const int threads = atoi(argv[1]);
    const size_t n = 2048; /* 4 blocks of 512 samples even for AVX-512: every thread gets work */
    uint8_t *x = calloc(n, lgcc_n_inputs());
    int32_t *classes = calloc(n, sizeof(int32_t));
    struct rlimit lim;
    int starved, again;
    if (x == NULL || classes == NULL || getrlimit(RLIMIT_AS, &lim) != 0) return 3;
    grow_stack();
    lim.rlim_cur = vm_size(); /* no room to grow: workspaces and thread stacks cannot be allocated */
    if (setrlimit(RLIMIT_AS, &lim) != 0) return 3;
    starved = lgcc_predict_bits(x, n, classes, threads);
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_AS, &lim) != 0) return 3;
    again = lgcc_predict_bits(x, n, classes, threads);
    printf("%d %d %d\n", starved, again, (int)classes[n - 1]);
    return 0;
}
"""


@pytest.fixture(scope="module")
def nomem_driver(tmp_path_factory):
    """(graph, program) calling predict_bits with no address space left, then again with it back.

    16,384 inputs make the workspace (a slot and packing masks per input) ~300 KB even for
    portable words: more than the heap has free, so its allocation really fails."""
    root = tmp_path_factory.mktemp("nomem")
    g = random_layered_graph(1 << 14, [64, 32], k=4, seed=14)
    write_library(g, root / "lib", isa="auto", extra_flags=FAST)
    (root / "drv.c").write_text(NOMEM_DRIVER)
    exe = root / "drv"
    subprocess.run(["cc", "-O1", "-std=gnu99", "-I", str(root / "lib"), str(root / "drv.c"),
                    str(root / "lib" / "libmodel.a"), "-lpthread", "-o", str(exe)], check=True)
    return g, exe


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc/self/status as Linux has them")
@pytest.mark.parametrize("threads", [1, 4])
def test_out_of_memory_error_code(nomem_driver, lib, threads):
    """With RLIMIT_AS at the address space in use, a call returns ERR_NOMEM (no crash, whatever the
    thread count: threads that cannot start leave their share to the caller); then it works again."""
    (g, exe), (_, c) = nomem_driver, lib
    res = subprocess.run([str(exe), str(threads)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    starved, again, last_class = map(int, res.stdout.split())
    assert (starved, again) == (c.lgcc_ERR_NOMEM, c.lgcc_OK)
    assert last_class == sim.predict(g, np.zeros((1, g.n_inputs), bool))[0]


def test_concurrent_calls(outdir, graph):
    """Several Python threads in the library at once (cffi drops the GIL) all get right answers."""
    model = load(outdir)
    batches = [random_bits(graph, 500 + 37 * i, seed=i) for i in range(8)]
    want = [sim.predict(graph, x) for x in batches]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda x: model.predict(x, threads=2), batches * 3))
    for i, g in enumerate(got):
        np.testing.assert_array_equal(g, want[i % 8])


def _samples_file(path: Path, x: np.ndarray) -> None:
    path.write_text("\n".join("".join(map(str, row)) for row in x.astype(int)) + "\n")


def test_example_program(outdir, graph, tmp_path, c_compiler):
    """examples/c/classify links libmodel.a and classifies a file of samples; it builds with no
    warning from GCC or Clang."""
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    exe = tmp_path / "classify"
    built = subprocess.run(["make", "-s", "-C", str(EXAMPLE), f"MODEL={outdir}", f"OUT={exe}", f"CC={' '.join(c_compiler)}",
                            "CFLAGS=-O2 -std=c99 -Wall -Wextra -Wpedantic -Werror"], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    x = random_bits(graph, 300, seed=5)
    _samples_file(tmp_path / "samples.txt", x)
    res = subprocess.run([str(exe), str(tmp_path / "samples.txt"), "2"], capture_output=True, text=True, check=True)
    np.testing.assert_array_equal(np.array(res.stdout.split(), dtype=np.int64), sim.predict(graph, x))
    (tmp_path / "bad.txt").write_text("0101\n")
    bad = subprocess.run([str(exe), str(tmp_path / "bad.txt")], capture_output=True, text=True)
    assert bad.returncode == 2 and "fewer bits" in bad.stderr
    no_enc = subprocess.run([str(exe), "-f", str(tmp_path / "samples.txt")], capture_output=True, text=True)
    assert no_enc.returncode == 2 and "no input encoding" in no_enc.stderr


def test_example_program_reads_raw_features(graph, tmp_path):
    """classify -f: a CSV of raw features, thresholded inside the library (a model with an encoding)."""
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    rng = np.random.default_rng(6)
    enc = Encoding(7, np.repeat(np.arange(7, dtype=np.int32), 3), rng.normal(size=21).astype(np.float32))
    g = graph.copy(encoding=enc).verify()
    out, exe = tmp_path / "model", tmp_path / "classify"
    write_library(g, out, isa="portable", extra_flags=FAST)
    subprocess.run(["make", "-s", "-C", str(EXAMPLE), f"MODEL={out}", f"OUT={exe}"], check=True, capture_output=True)
    x = rng.normal(size=(150, 7)).astype(np.float32)
    lines = [", ".join(repr(float(v)) for v in row) if i % 2 else "\t".join(f"{v:.9g}" for v in row)
             for i, row in enumerate(x)]  # commas and tabs; float32 values printed exactly
    (tmp_path / "x.csv").write_text("\n".join(lines[:75]) + "\n\n" + "\n".join(lines[75:]) + "\n")
    res = subprocess.run([str(exe), "-f", str(tmp_path / "x.csv"), "2"], capture_output=True, text=True, check=True)
    np.testing.assert_array_equal(np.array(res.stdout.split(), dtype=np.int64), sim.predict(g, sim.encode(g, x)))
    for text, msg in (("1 2 3\n", "fewer numbers"), ("1 2 3 4 5 6 7 8\n", "more numbers"), ("1 2 x\n", "not a number")):
        (tmp_path / "bad.csv").write_text(text)
        bad = subprocess.run([str(exe), "-f", str(tmp_path / "bad.csv")], capture_output=True, text=True)
        assert bad.returncode == 2 and msg in bad.stderr, bad.stderr


def test_two_prefixes_link_into_one_program(graph, tmp_path):
    other = random_layered_graph(21, [50, 30], k=3, seed=12)
    for name, g in (("alpha", graph), ("ALPHA", other)):  # prefixes differing in case only
        write_library(g, tmp_path / name, COptions(prefix=name), isa="portable", extra_flags=FAST)
    x = random_bits(graph, 70, seed=3)
    rows = ",".join(str(v) for v in x.astype(int).ravel())
    (tmp_path / "both.c").write_text(f"""
#include <stdio.h>
#include "alpha/model.h"
#include "ALPHA/model.h"
static const uint8_t x[] = {{{rows}}};
int main(void) {{
    int32_t a[70], b[70]; int i;
    if (alpha_predict_bits(x, 70, a, 1) || ALPHA_predict_bits(x, 70, b, 1)) return 1;
    for (i = 0; i < 70; i++) printf("%d %d\\n", (int)a[i], (int)b[i]);
    return 0;
}}
""")
    exe = tmp_path / "both"
    subprocess.run(["cc", "-std=c99", "-Werror=implicit-function-declaration",  # both headers must declare
                    "-I", str(tmp_path), str(tmp_path / "both.c"), str(tmp_path / "alpha" / "libmodel.a"),
                    str(tmp_path / "ALPHA" / "libmodel.a"), "-lpthread", "-o", str(exe)], check=True)
    got = np.array(subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split(),
                   dtype=np.int64).reshape(70, 2)
    np.testing.assert_array_equal(got[:, 0], sim.predict(graph, x))
    np.testing.assert_array_equal(got[:, 1], sim.predict(other, x))


SANITIZE_DRIVER = r"""
#include <stdlib.h>
#include "model.h"
int main(void) {
    const size_t ns[] = {1, 63, 64, 65, 257, 1025};
    size_t t, i;
    float *f;
    double *d;
    for (t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        const size_t n = ns[t], ni = lgcc_n_inputs(), k = lgcc_n_classes(), no = lgcc_n_outputs();
        unsigned char *x = malloc(n * ni), *o = malloc(64 * n * no);
        uint64_t *w = malloc(ni * n * 8);
        int32_t *c = malloc(64 * n * 4), *s = malloc(64 * n * k * 4);
        for (i = 0; i < n * ni; i++) x[i] = (unsigned char)(rand() & 1);
        for (i = 0; i < ni * n; i++) w[i] = ((uint64_t)rand() << 32) ^ (uint64_t)rand();
        if (lgcc_predict_bits(x, n, c, 2) || lgcc_scores_bits(x, n, s, 3) || lgcc_outputs_bits(x, n, o, 1)
            || lgcc_predict_sliced(w, n, c, 2) || lgcc_scores_sliced(w, n, s, 1) || lgcc_outputs_sliced(w, n, o, 2))
            return 1;
        x = realloc(x, n * ((ni + 7) / 8)); /* exactly n packed rows: a read past them is caught */
        if (x == NULL || lgcc_predict_packed(x, n, c, 2) || lgcc_outputs_packed(x, n, o, 1))
            return 1;
        f = calloc(n * lgcc_n_features(), sizeof(float)); /* exactly n rows: a read past them is caught */
        if (lgcc_n_features() && (f == NULL || lgcc_predict_features(f, n, c, 2) || lgcc_scores_features(f, n, s, 1)))
            return 1;
        d = calloc(n * lgcc_n_features(), sizeof(double));
        if (lgcc_n_features() && (d == NULL || lgcc_predict_features_f64(d, n, c, 2) || lgcc_outputs_features_f64(d, n, o, 1)))
            return 1;
        free(x); free(o); free(w); free(c); free(s); free(f); free(d);
    }
    return 0;
}
"""


@pytest.mark.parametrize("wide", [False, True], ids=["21_inputs", "100_inputs"])
def test_address_and_undefined_behaviour_sanitizers(outdir, tmp_path, wide, c_compiler):
    """The engine, every entry and batch edge under ASan + UBSan (no out-of-bounds access, no UB), with
    GCC's sanitizers and Clang's (whose C takes its own paths).

    21 inputs: row chunks shorter than one 64-input chunk; 100: a whole chunk plus a partial
    one read as the row's last 64 bytes (and packed rows of 13 bytes, read as their last 8),
    with an input encoding so the float-feature entries run too: 16 features loaded in order,
    16 gathered, and a thermometer code of the row's last 16 features (one load ending at the row's end).
    """
    if wide:
        outdir = tmp_path / "wide"
        g = random_layered_graph(100, [70, 40], k=4, seed=2)
        feature = np.concatenate((np.arange(30), [29, 0], np.repeat(np.arange(14, 30), 5)[:68])).astype(np.int32)
        enc = Encoding(30, feature, np.linspace(-1, 1, 100, dtype=np.float32))
        write_library(g.copy(encoding=enc).verify(), outdir, isa="auto", extra_flags=FAST)
    (tmp_path / "drv.c").write_text(SANITIZE_DRIVER)
    flags = json.loads((outdir / "model.json").read_text())["cflags"].split()
    isa_flags = [f for f in flags if f.startswith(("-m", "-DLGCC"))]
    exe = tmp_path / "drv"
    built = subprocess.run([*c_compiler, "-O1", "-std=c99", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                            "-DPREFETCH_MIN_BYTES=1", *isa_flags, "-I", str(outdir), str(tmp_path / "drv.c"), str(outdir / "model.c"),
                            "-lpthread", "-o", str(exe)], capture_output=True, text=True)
    if built.returncode != 0:
        pytest.skip(f"this compiler cannot build with sanitizers: {built.stderr.strip()[:200]}")
    res = subprocess.run([str(exe)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]


@pytest.mark.parametrize("cxx", ["c++", "clang++"])
def test_header_compiles_as_cpp(outdir, tmp_path, cxx):
    """model.h is usable from C++ (extern "C"), with no warning from GCC or Clang."""
    if shutil.which(cxx) is None:
        pytest.skip(f"no {cxx}")
    (tmp_path / "use.cpp").write_text('#include "model.h"\nint main() { return lgcc_n_inputs() == 21 ? 0 : 1; }\n')
    exe = tmp_path / "use"
    subprocess.run([cxx, "-std=c++11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-I", str(outdir),
                    str(tmp_path / "use.cpp"), str(outdir / "libmodel.a"), "-lpthread", "-o", str(exe)], check=True)
    subprocess.run([str(exe)], check=True)


def test_phase_times_only_in_the_diagnostic_build(graph, outdir, tmp_path):
    """-DLGCC_PHASE_TIMES adds lgcc_phase_seconds (input, gates, output), which a call fills while it
    still classifies like the simulator; the default build has no such symbol (no global state)."""
    phase_dir = tmp_path / "phases"
    write_library(graph, phase_dir, isa="auto", extra_flags=(*FAST, "-DLGCC_PHASE_TIMES"))
    ffi = cffi.FFI()
    ffi.cdef("extern double lgcc_phase_seconds[3];")
    seconds = ffi.dlopen(str(phase_dir / "libmodel.so")).lgcc_phase_seconds
    x = random_bits(graph, 3000, seed=5)
    np.testing.assert_array_equal(load(phase_dir).predict(x, threads=2), sim.predict(graph, x))
    assert all(seconds[k] > 0 for k in range(3))
    plain = cffi.FFI()
    plain.cdef("extern double lgcc_phase_seconds[3];")
    with pytest.raises(KeyError, match="undefined symbol: lgcc_phase_seconds"):
        plain.dlopen(str(outdir / "libmodel.so")).lgcc_phase_seconds  # noqa: B018 - the lookup is the test
