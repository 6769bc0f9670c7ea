"""``implementation='cuda'`` agrees with ``'cpu'``: forward, gradients, eval mode, packed bits, PackBitsTensor (GPU only)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

from lgcc.frontend import cuda_ext
from lgcc.frontend.layers import GroupSum, LogicLayer
from lgcc.frontend.packbits import PackBitsTensor

sim = importlib.import_module("lgcc.ir.simulate")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not cuda_ext.available(), reason=f"CUDA extension unavailable: {cuda_ext.reason()}"),
]


def _pair(in_dim, out_dim, dtype, seed=0, grad_factor=1.0):
    """The same layer (wiring and weights) as a CPU module and as a CUDA module."""
    gen = torch.Generator().manual_seed(seed)
    cpu = LogicLayer(in_dim, out_dim, implementation="cpu", dtype=dtype, generator=gen, grad_factor=grad_factor)
    gpu = LogicLayer(in_dim, out_dim, implementation="cuda", dtype=dtype, grad_factor=grad_factor)
    gpu.load_state_dict(cpu.state_dict())
    return cpu, gpu.cuda()


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("shape", [(5, 7, 3), (100, 300, 1000), (33, 64, 8)])
def test_forward_and_gradients_match_cpu(dtype, shape):
    batch, in_dim, out_dim = shape
    cpu, gpu = _pair(in_dim, out_dim, dtype)
    x = torch.rand(batch, in_dim, dtype=dtype, generator=torch.Generator().manual_seed(1))
    xc = x.clone().requires_grad_(True)
    xg = x.cuda().requires_grad_(True)
    yc, yg = cpu(xc), gpu(xg)
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == torch.float64 else dict(rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(yg.cpu(), yc.detach(), **tol)
    dy = torch.randn(batch, out_dim, dtype=dtype, generator=torch.Generator().manual_seed(2))
    yc.backward(dy)
    yg.backward(dy.cuda())
    torch.testing.assert_close(xg.grad.cpu(), xc.grad, **tol)
    torch.testing.assert_close(gpu.weights.grad.cpu(), cpu.weights.grad, **tol)


def test_gradcheck_small_layer():
    _, gpu = _pair(6, 5, torch.float64, seed=3)
    x = torch.rand(4, 6, dtype=torch.float64, device="cuda", requires_grad=True)
    a, b = gpu.a, gpu.b
    coeffs = torch.rand(5, 4, dtype=torch.float64, device="cuda", requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, c: cuda_ext.logic_layer_cuda(x, a, b, c), (x, coeffs))


def test_gradients_are_deterministic():
    _, gpu = _pair(64, 512, torch.float32, seed=4)
    x = torch.rand(256, 64, device="cuda", requires_grad=True)
    grads = []
    for _ in range(2):
        x.grad = None
        gpu(x).square().sum().backward()
        grads.append(x.grad.clone())
    assert torch.equal(grads[0], grads[1])


def test_eval_mode_matches_cpu_exactly():
    cpu, gpu = _pair(50, 200, torch.float32, seed=5)
    cpu.eval()
    gpu.eval()
    x = (torch.rand(300, 50, generator=torch.Generator().manual_seed(6)) > 0.5).float()
    assert torch.equal(gpu(x.cuda()).cpu(), cpu(x))


@pytest.mark.parametrize("n", [1, 63, 64, 65, 1000])
def test_packed_eval_group_sum_and_packing(n):
    rng = np.random.default_rng(n)
    in_dim, out_dim = 40, 30
    bits = rng.integers(0, 2, (n, in_dim)).astype(bool)
    words = cuda_ext.pack_rows(torch.from_numpy(bits).cuda())
    assert np.array_equal(words.cpu().numpy().view(np.uint64), sim.pack_rows(bits))
    a = torch.from_numpy(rng.integers(0, in_dim, out_dim)).cuda()
    b = torch.from_numpy(rng.integers(0, in_dim, out_dim)).cuda()
    ops = torch.from_numpy(rng.integers(0, 16, out_dim).astype(np.uint8)).cuda()
    out = cuda_ext.eval_packed(words, a, b, ops)
    from lgcc.ir.graph import FIRST_INPUT, Graph, Head

    g = Graph.from_arrays(in_dim, ops.cpu().numpy(), a.cpu().numpy() + FIRST_INPUT, b.cpu().numpy() + FIRST_INPUT,
                          np.arange(out_dim) + FIRST_INPUT + in_dim, head=Head.group_sum(out_dim, 5))
    expect = sim.simulate_words(g, sim.pack_rows(bits))
    got = out.cpu().numpy().view(np.uint64)
    assert np.array_equal(sim.unpack_rows(got, n), sim.unpack_rows(expect, n))
    scores = cuda_ext.group_sum_packed(out, 5, n)
    assert np.array_equal(scores.cpu().numpy(), sim.scores(g, bits))


@pytest.mark.parametrize("bit_count", [32, 64])  # 64: the extension's kernel; 32: torch's bitwise ops on the GPU
def test_packbits_tensor_on_the_gpu_equals_the_cpu(bit_count):
    gen = torch.Generator().manual_seed(9)
    cpu = torch.nn.Sequential(LogicLayer(50, 300, generator=gen), LogicLayer(300, 200, generator=gen),
                              GroupSum(10)).eval()
    gpu = torch.nn.Sequential(LogicLayer(50, 300), LogicLayer(300, 200), GroupSum(10)).eval()
    gpu.load_state_dict(cpu.state_dict())
    bits = torch.randint(0, 2, (1000, 50), generator=torch.Generator().manual_seed(1)).bool()
    got = gpu.cuda()(PackBitsTensor(bits, bit_count, device="cuda"))
    assert got.is_cuda and torch.equal(got.cpu(), cpu(PackBitsTensor(bits, bit_count)))
