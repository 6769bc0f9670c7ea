"""LogicLayer implementations agree: cpu == python (forward and gradient), both == the gate table."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from lgcc.frontend.encoding import Thermometer
from lgcc.frontend.layers import GroupSum, LogicLayer, random_connections, unique_connections
from lgcc.frontend import relaxation
from lgcc.frontend.relaxation import GATE_POLY, PolyLayerFunction, relaxed_gates, soft_coefficients
from lgcc.ir import gates
from lgcc.ir.errors import LgccError


def _pair(in_dim, out_dim, seed=0, **kw):
    """The same layer twice, python and cpu implementations, float64."""
    gen = torch.Generator().manual_seed(seed)
    py = LogicLayer(in_dim, out_dim, implementation="python", dtype=torch.float64, generator=gen, **kw)
    cpu = LogicLayer(in_dim, out_dim, implementation="cpu", dtype=torch.float64, **kw)
    cpu.load_state_dict(py.state_dict())
    return py, cpu


def test_relaxed_gates_match_truth_table_at_corners_and_numpy_reference():
    a = torch.tensor([0.0, 0.0, 1.0, 1.0], dtype=torch.float64)
    b = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64)
    assert np.array_equal(relaxed_gates(a, b).T.numpy(), gates.TRUTH)  # (a, b) in CASES order
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(16), size=50)
    x, y = rng.random(50), rng.random(50)
    mixture = (relaxed_gates(torch.tensor(x), torch.tensor(y)) * torch.tensor(probs)).sum(-1).numpy()
    np.testing.assert_allclose(mixture, gates.relaxed(probs, x, y), rtol=1e-12)
    assert GATE_POLY.shape == (16, 4)


@pytest.mark.parametrize("grad_factor, chunk", [(1.0, None), (1.5, None), (1.0, 40)])
def test_cpu_equals_python_forward_and_gradients(grad_factor, chunk, monkeypatch):
    if chunk:  # several chunks of neurons, the last one partial
        monkeypatch.setattr(relaxation, "CHUNK_ELEMENTS", chunk)
    torch.manual_seed(1)
    py, cpu = _pair(37, 53, grad_factor=grad_factor)
    x = torch.rand(17, 37, dtype=torch.float64, requires_grad=True)
    y_py = py(x)
    g = torch.randn_like(y_py)
    gx_py, gw_py = torch.autograd.grad(y_py, (x, py.weights), g)
    y_cpu = cpu(x)
    gx_cpu, gw_cpu = torch.autograd.grad(y_cpu, (x, cpu.weights), g)
    torch.testing.assert_close(y_cpu, y_py, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(gx_cpu, gx_py, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(gw_cpu, gw_py, rtol=1e-10, atol=1e-12)


def test_cpu_equals_python_on_a_larger_random_network():
    torch.manual_seed(2)
    gen = torch.Generator().manual_seed(3)
    dims = [300, 500, 500, 400]
    nets = {}
    for impl in ("python", "cpu"):
        gen.manual_seed(3)
        layers = [LogicLayer(i, o, implementation=impl, dtype=torch.float64, generator=gen)
                  for i, o in zip(dims[:-1], dims[1:])]
        nets[impl] = torch.nn.Sequential(*layers, GroupSum(10, 3.0))
    x = torch.rand(64, 300, dtype=torch.float64)
    target = torch.randint(0, 10, (64,))
    grads = {}
    for impl, net in nets.items():
        loss = torch.nn.functional.cross_entropy(net(x), target)
        grads[impl] = torch.autograd.grad(loss, list(net.parameters()))
    for gp, gc in zip(grads["python"], grads["cpu"]):
        torch.testing.assert_close(gc, gp, rtol=1e-9, atol=1e-12)


def test_gradcheck_of_the_fast_layer_function():
    torch.manual_seed(4)
    x = torch.rand(5, 6, dtype=torch.float64, requires_grad=True)
    w = torch.randn(7, 16, dtype=torch.float64, requires_grad=True)
    a, b = random_connections(6, 7)

    def f(x, w):
        return PolyLayerFunction.apply(x, soft_coefficients(w), a, b, 1.0)

    assert torch.autograd.gradcheck(f, (x, w))


def test_gradcheck_with_grad_factor_and_repeated_inputs():
    x = torch.rand(4, 3, dtype=torch.float64, requires_grad=True)
    coeffs = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    a = torch.tensor([0, 0, 1, 2, 2])
    b = torch.tensor([0, 1, 1, 2, 0])  # a == b and inputs read many times: scatter-add must sum
    assert torch.autograd.gradcheck(lambda x, c: PolyLayerFunction.apply(x, c, a, b, 1.0), (x, coeffs))
    g1, = torch.autograd.grad(PolyLayerFunction.apply(x, coeffs, a, b, 1.0).sum(), x)
    g25, = torch.autograd.grad(PolyLayerFunction.apply(x, coeffs, a, b, 2.5).sum(), x)
    torch.testing.assert_close(g25, 2.5 * g1)


@pytest.mark.parametrize("impl", ["python", "cpu"])
def test_eval_mode_is_the_argmax_gate_on_bits(impl):
    torch.manual_seed(5)
    layer = LogicLayer(8, 64, implementation=impl).eval()
    bits = torch.randint(0, 2, (100, 8)).float()
    out = layer(bits)
    ops = layer.ops().numpy()
    expect = gates.eval_bits(ops[None, :], bits[:, layer.a].numpy().astype(int), bits[:, layer.b].numpy().astype(int))
    assert np.array_equal(out.numpy(), expect.astype(np.float32))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("impl", ["python", "cpu"])
def test_integer_bits_give_what_float_bits_give(impl, training):
    # train: ints would truncate the relaxed outputs to 0; eval: bools made the gate coefficient -1 True
    # (cpu: wrong gates, silently) or reached a matmul torch lacks for bool (python: NotImplementedError)
    layer = LogicLayer(6, 64, implementation=impl, generator=torch.Generator().manual_seed(3)).train(training)
    bits = torch.randint(0, 2, (50, 6), generator=torch.Generator().manual_seed(4))
    for x in (bits, bits.bool(), bits.to(torch.uint8)):
        assert torch.equal(layer(x), layer(bits.float()))


def test_connections():
    gen = torch.Generator().manual_seed(0)
    a, b = random_connections(10, 20, gen)
    assert a.dtype == torch.int64 and int(a.max()) < 10 and int(b.min()) >= 0
    assert torch.bincount(torch.cat([a, b]), minlength=10).min() == 4  # every input used equally
    a, b = unique_connections(12, 60, gen)
    assert bool((a != b).all())
    pairs = {(min(x, y), max(x, y)) for x, y in zip(a.tolist(), b.tolist())}
    assert len(pairs) == 60
    with pytest.raises(LgccError, match="unique"):
        unique_connections(4, 7)
    layer = LogicLayer(12, 30, connections="unique")
    assert layer.indices[0] is layer.a


def test_residual_init_starts_as_pass_through():
    layer = LogicLayer(20, 30, init="residual", implementation="cpu")
    probs = torch.softmax(layer.weights.detach(), -1)
    assert bool((probs.argmax(-1) == 3).all()) and float(probs[0, 3]) > 0.9
    x = torch.rand(8, 20)
    y = layer(x).detach()  # training mode: close to the first operand
    assert float((y - x[:, layer.a]).abs().max()) < 0.1
    assert LogicLayer(20, 30).weights.std() > 0.5  # random: difflogic's normal init


def test_bad_arguments_are_one_line_errors():
    with pytest.raises(LgccError, match="implementation"):
        LogicLayer(4, 4, implementation="fast")
    with pytest.raises(LgccError, match="connections"):
        LogicLayer(4, 4, connections="full")
    with pytest.raises(LgccError, match="init"):
        LogicLayer(4, 4, init="zeros")
    with pytest.raises(LgccError, match=r"shape \(batch, 4\)"):
        LogicLayer(4, 4)(torch.rand(2, 5))
    with pytest.raises(LgccError, match="CUDA"):
        LogicLayer(4, 4, implementation="cuda")(torch.rand(2, 4))
    with pytest.raises(LgccError, match="equal classes"):
        GroupSum(3)(torch.rand(2, 4))


@pytest.mark.parametrize("make, message", [
    # were truncated or accepted, giving another model than asked for
    (lambda: GroupSum(2.5), "GroupSum k must be an integer in 1..2147483645, got 2.5"),
    (lambda: GroupSum(2, tau=float("inf")), "GroupSum tau must be a finite number above 0, got inf"),
    (lambda: Thermometer.uniform(3, 2.5), "Thermometer n_bits must be an integer in 1..715827881, got 2.5"),
    (lambda: LogicLayer(4, 4, grad_factor=float("nan")), "grad_factor must be a finite number, got nan"),
    (lambda: LogicLayer(True, 4), "in_dim must be an integer in 1..2147483645, got True"),
    # were torch's "randperm() received an invalid combination of arguments", and more input bits than a graph holds
    (lambda: LogicLayer(2.5, 4), "in_dim must be an integer in 1..2147483645, got 2.5"),
    (lambda: Thermometer.uniform(2, 2**30), "Thermometer n_bits must be an integer in 1..1073741822"),
    (lambda: Thermometer.uniform(2, 3, low=[0, 1, 2]), "low and high must be numbers or 2 of them"),
    # integer input that is not bits: the eval-mode gates returned values such as -4 and 21
    (lambda: LogicLayer(4, 6).eval()(torch.full((1, 4), 5, dtype=torch.int8)), "integer input must be bits"),
    # were AttributeError "'numpy.ndarray' object has no attribute 'dim'", torch's device errors, an IndexError
    (lambda: LogicLayer(4, 6)(np.zeros((2, 4), np.float32)), "LogicLayer takes a torch tensor, got ndarray"),
    (lambda: Thermometer.uniform(2, 2)(np.zeros((2, 2))), "Thresholds takes a torch tensor, got ndarray"),
    (lambda: LogicLayer(4, 6)(torch.zeros(2, 4, device="meta")), "the input is on meta, the module on cpu"),
    (lambda: Thermometer.uniform(2, 2)(torch.zeros(2, 2, device="meta")), "the input is on meta, the module on cpu"),
    (lambda: GroupSum(4)(torch.tensor(1.0)), "GroupSum expects (batch, n) values, got a 0-dimensional tensor"),
])
def test_counts_scales_and_bits_are_checked_at_the_call(make, message):
    with pytest.raises(LgccError, match=re.escape(message)):
        make()


def test_given_wiring_is_used_as_it_is_and_checked():
    a, b = torch.tensor([0, 3, 5]), torch.tensor([1, 1, 2], dtype=torch.int32)
    layer = LogicLayer(6, 3, wiring=(a, b))
    assert layer.a.tolist() == [0, 3, 5] and layer.b.dtype == torch.int64 and layer.b.tolist() == [1, 1, 2]
    a[0] = 4
    assert int(layer.a[0]) == 0  # a copy: the caller's tensor stays theirs
    for wiring, message in (((a, b.float()), r"wiring b must be integer indices of shape \(3,\), got float32"),
                            ((a[:2], b), r"wiring a must be integer indices of shape \(3,\), got int64 \(2,\)"),
                            ((a, b + 5), "wiring b reads outside the 6 inputs"),
                            (a, "wiring must be a pair")):
        with pytest.raises(LgccError, match=message):
            LogicLayer(6, 3, wiring=wiring)


@pytest.mark.parametrize("device, message", [
    ("cuda", "device 'cuda': no CUDA device is available to this torch build; use device='cpu'"),
    ("cuda:0", "device 'cuda:0': no CUDA device is available"),
    ("gpu", "unknown device 'gpu'; use 'cpu', 'cuda' or 'cuda:N'"),
    ("xla", "device 'xla' is not available to this torch build; use device='cpu'"),  # were torch's errors
    ("meta", "device 'meta' holds no data, so nothing can be trained or run there"),
])
def test_unusable_devices_are_one_line_errors(monkeypatch, device, message):
    """Was torch's 'AssertionError: Torch not compiled with CUDA enabled' (or a RuntimeError) from .to()."""
    from lgcc.frontend.training import TrainConfig, evaluate, make_model, train_loop

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # also on a machine with a GPU
    cfg = TrainConfig(layers=1, width=4, steps=1)
    for make in (lambda: LogicLayer(4, 4, device=device), lambda: GroupSum(2, device=device),
                 lambda: make_model(None, 4, 2, cfg, device=device),
                 lambda: train_loop(make_model(None, 4, 2, cfg), np.zeros((2, 4), np.float32), np.zeros(2), cfg,
                                    device=device),
                 lambda: evaluate(make_model(None, 4, 2, cfg), np.zeros((2, 4), np.float32), np.zeros(2), device)):
        with pytest.raises(LgccError, match=re.escape(message)):
            make()


def test_group_sum_matches_difflogic_semantics():
    x = torch.arange(12.0).reshape(1, 12)
    assert GroupSum(3, tau=2.0)(x).tolist() == [[3.0, 11.0, 19.0]]
