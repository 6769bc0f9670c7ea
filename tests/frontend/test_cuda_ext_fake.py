"""The training extension's kernels, run on the CPU against a stand-in CUDA runtime (no GPU needed).

``frontend/csrc/logic_layer.cu`` is compiled as C++ with ``-DLGCC_FAKE_CUDA``
(``backends/cuda/lgcc_fake_cuda.h``) behind a small ``extern "C"`` shim and compared with
torch autograd on the 4-case relaxation and with the IR's reference simulator.
"""

from __future__ import annotations

import ctypes
import importlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

import lgcc.backends.cuda
from lgcc.frontend import cuda_ext
from lgcc.ir.graph import FIRST_INPUT, Graph, Head

sim = importlib.import_module("lgcc.ir.simulate")
pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

SHIM = r"""
#include "logic_layer.cuh"
using namespace lgcc_train;
extern "C" {
int ll_forward(const double* x, int64_t n, int64_t d, const int64_t* a, const int64_t* b, const double* c,
               int64_t m, double* y) { return forward<double>(x, n, d, a, b, c, m, y, nullptr); }
int ll_backward_coeffs(const double* x, const double* dy, int64_t n, int64_t d, const int64_t* a,
                       const int64_t* b, int64_t m, double* dc) {
  return backward_coeffs<double>(x, dy, n, d, a, b, m, dc, nullptr); }
int ll_backward_x(const double* x, const double* dy, int64_t n, int64_t d, const int64_t* a, const int64_t* b,
                  const double* c, int64_t m, const int64_t* rp, const int64_t* rr, double* dx) {
  return backward_x<double>(x, dy, n, d, a, b, c, m, rp, rr, dx, nullptr); }
int ll_eval_packed(const uint64_t* w, int64_t d, int64_t nw, const int64_t* a, const int64_t* b,
                   const uint8_t* ops, int64_t m, uint64_t anf, uint64_t* out) {
  return eval_packed(w, d, nw, a, b, ops, m, anf, out, nullptr); }
int ll_group_sum(const uint64_t* w, int64_t m, int64_t nw, int64_t k, int64_t n, int32_t* s) {
  return group_sum_packed(w, m, nw, k, n, s, nullptr); }
int ll_pack_rows(const uint8_t* rows, int64_t n, int64_t d, uint64_t* w) { return pack_rows(rows, n, d, w, nullptr); }
}
"""


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    work = tmp_path_factory.mktemp("fake_ext")
    (work / "shim.cpp").write_text(SHIM)
    csrc, fake = cuda_ext._CSRC, Path(lgcc.backends.cuda.__file__).parent
    cmd = ["g++", "-O1", "-shared", "-fPIC", "-std=c++17", "-pthread", "-DLGCC_FAKE_CUDA", f"-I{csrc}", f"-I{fake}",
           "-x", "c++", str(csrc / "logic_layer.cu"), str(work / "shim.cpp"), "-o", str(work / "libfake.so")]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    return ctypes.CDLL(str(work / "libfake.so"))


def _p(a):
    return ctypes.c_void_p(a.ctypes.data)


def _i(*vals):
    return [ctypes.c_int64(v) for v in vals]


def test_forward_and_both_gradients_match_autograd(lib):
    rng = np.random.default_rng(0)
    n, d, m = 7, 11, 9
    x = rng.random((n, d))
    a, b = rng.integers(0, d, m), rng.integers(0, d, m)
    c = rng.random((m, 4))
    dy = rng.standard_normal((n, m))
    y = np.zeros((n, m))
    assert lib.ll_forward(_p(x), *_i(n, d), _p(a), _p(b), _p(c), *_i(m), _p(y)) == 0
    xt = torch.tensor(x, requires_grad=True)
    ct = torch.tensor(c, requires_grad=True)
    va, vb = xt[:, torch.tensor(a)], xt[:, torch.tensor(b)]
    ref = ct[:, 0] * (1 - va) * (1 - vb) + ct[:, 1] * (1 - va) * vb + ct[:, 2] * va * (1 - vb) + ct[:, 3] * va * vb
    ref.backward(torch.tensor(dy))
    np.testing.assert_allclose(y, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    dc, dx = np.zeros_like(c), np.zeros_like(x)
    assert lib.ll_backward_coeffs(_p(x), _p(dy), *_i(n, d), _p(a), _p(b), *_i(m), _p(dc)) == 0
    rp, rr = (t.numpy() for t in cuda_ext.reverse_index(torch.tensor(a), torch.tensor(b), d))
    assert lib.ll_backward_x(_p(x), _p(dy), *_i(n, d), _p(a), _p(b), _p(c), *_i(m), _p(rp), _p(rr), _p(dx)) == 0
    np.testing.assert_allclose(dc, ct.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [1, 63, 64, 65, 300])
def test_packed_eval_group_sum_and_packing(lib, n):
    rng = np.random.default_rng(n)
    d, m, k = 20, 12, 3
    bits = rng.integers(0, 2, (n, d)).astype(np.uint8)
    n_words = (n + 63) // 64
    words = np.zeros((d, n_words), dtype=np.uint64)
    assert lib.ll_pack_rows(_p(bits), *_i(n, d), _p(words)) == 0
    assert np.array_equal(words, sim.pack_rows(bits))
    a, b = rng.integers(0, d, m), rng.integers(0, d, m)
    ops = rng.integers(0, 16, m).astype(np.uint8)
    out = np.zeros((m, n_words), dtype=np.uint64)
    anf = ctypes.c_uint64(cuda_ext.ANF_PACKED)
    assert lib.ll_eval_packed(_p(words), *_i(d, n_words), _p(a), _p(b), _p(ops), *_i(m), anf, _p(out)) == 0
    graph = Graph.from_arrays(d, ops, a + FIRST_INPUT, b + FIRST_INPUT, np.arange(m) + FIRST_INPUT + d,
                              head=Head.group_sum(m, k))
    assert np.array_equal(sim.unpack_rows(out, n), sim.simulate(graph, bits))
    scores = np.zeros((n, k), dtype=np.int32)
    assert lib.ll_group_sum(_p(out), *_i(m, n_words, k, n), _p(scores)) == 0
    assert np.array_equal(scores, sim.scores(graph, bits))
