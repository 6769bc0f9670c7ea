"""Lowering: the graph equals the eval-mode model bit for bit; difflogic models import without difflogic."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import lgcc
from lgcc.frontend import GroupSum, LogicLayer, Thermometer, Thresholds, lower
from lgcc.frontend.lowering import lower_checkpoint
from lgcc.ir.errors import FormatError, LgccError
from lgcc.ir.simulate import predict, scores, simulate


def _model(impl="cpu", seed=0, encoder=True, k=5, dims=(24, 60, 60, 50)):
    gen = torch.Generator().manual_seed(seed)
    mods = [Thermometer.uniform(8, 3, -1.0, 1.0)] if encoder else []
    mods += [LogicLayer(i, o, implementation=impl, generator=gen) for i, o in zip(dims[:-1], dims[1:])]
    mods.append(GroupSum(k, tau=3.0))
    return nn.Sequential(*mods).eval()


@pytest.mark.parametrize("impl", ["python", "cpu"])
def test_eval_model_equals_simulator_bit_for_bit(impl):
    model = _model(impl)
    x = torch.randn(500, 8)
    graph = lower(model)
    graph.verify()
    bits = graph.encoding.encode(x.numpy())
    assert np.array_equal(bits, model[0](x).numpy().astype(bool))
    hidden = model[:-1](x).numpy()
    assert np.array_equal(simulate(graph, bits), hidden.astype(bool)) and set(np.unique(hidden)) <= {0.0, 1.0}
    s = scores(graph, bits)
    out = model(x)
    assert torch.equal(out, torch.tensor(s, dtype=torch.float32) / 3.0)
    assert np.array_equal(predict(graph, bits), out.argmax(1).numpy())


def test_graph_structure_and_metadata():
    model = _model(encoder=False)
    graph = lower(model)
    assert graph.n_inputs == 24 and graph.n_gates == 170 and graph.n_outputs == 50
    assert graph.layers.tolist() == [0, 60, 120, 170]
    assert graph.meta["layer_dims"] == [24, 60, 60, 50]
    assert graph.head.k == 5 and graph.head.tau == 3.0 and graph.encoding is None
    layer = model[0]
    assert np.array_equal(graph.op[:60], layer.ops().numpy())
    assert np.array_equal(graph.a[:60], 2 + layer.a.numpy())
    second = model[1]
    assert np.array_equal(graph.b[60:120], graph.first_gate + second.b.numpy())
    bits = np.random.default_rng(0).integers(0, 2, (300, 24)).astype(bool)
    assert np.array_equal(scores(graph, bits), (model(torch.tensor(bits, dtype=torch.float32)) * 3).round().long().numpy())


def test_thresholds_are_strict_and_float32():
    enc = Thresholds(2, [0, 0, 1], [0.5, 0.1, -2.0])
    x = np.array([[0.5, -2.0], [0.50001, -1.9999], [0.1, 0.0]], dtype=np.float32)
    bits = enc(torch.tensor(x)).numpy().astype(bool)
    assert bits.tolist() == [[False, True, False], [True, True, True], [False, False, True]]
    assert np.array_equal(enc.to_encoding().encode(x), bits)
    t = Thermometer.from_data(np.random.default_rng(0).normal(size=(1000, 3)), 4)
    assert t.out_dim == 12 and np.all(np.diff(t.threshold.numpy().reshape(3, 4), axis=1) > 0)


def test_lower_from_checkpoint_and_via_loading(tmp_path):
    model = _model(seed=3)
    path = lgcc.save(model, tmp_path / "m.pt", meta={"dataset": "toy"})
    g1, g2 = lower(model), lower(path)
    for name in ("op", "a", "b", "outputs", "layers"):
        assert np.array_equal(getattr(g1, name), getattr(g2, name))
    assert g2.encoding.same_as(g1.encoding) and g2.head.same_as(g1.head)
    assert g2.meta["training"] == {"dataset": "toy"}
    assert np.array_equal(lower_checkpoint(path).op, g1.op)
    from lgcc.loading import load_graph

    assert np.array_equal(load_graph(path).op, g1.op)


class _FakeDifflogicLayer(nn.Module):
    """Shaped like difflogic.LogicLayer: indices tuple, weights (out, 16), in_dim, out_dim (no lgcc code)."""

    def __init__(self, in_dim, out_dim, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.in_dim, self.out_dim = in_dim, out_dim
        self.weights = nn.Parameter(torch.randn(out_dim, 16, generator=g))
        self.indices = (torch.randint(0, in_dim, (out_dim,), generator=g),
                        torch.randint(0, in_dim, (out_dim,), generator=g))

    def forward(self, x):
        """difflogic's eval: the one-hot argmax gate over the 16 real-valued ops (written out independently)."""
        a, b = x[:, self.indices[0]], x[:, self.indices[1]]
        ops = [torch.zeros_like(a), a * b, a - a * b, a, b - a * b, b, a + b - 2 * a * b, a + b - a * b,
               1 - (a + b - a * b), 1 - (a + b - 2 * a * b), 1 - b, 1 - b + a * b, 1 - a, 1 - a + a * b,
               1 - a * b, torch.ones_like(a)]
        onehot = nn.functional.one_hot(self.weights.argmax(-1), 16).to(x.dtype)
        return (torch.stack(ops, -1) * onehot).sum(-1)


class _FakeGroupSum(nn.Module):
    def __init__(self, k, tau):
        super().__init__()
        self.k, self.tau = k, tau

    def forward(self, x):
        return x.reshape(x.shape[0], self.k, -1).sum(-1) / self.tau


def test_difflogic_like_model_imports_without_difflogic():
    model = nn.Sequential(nn.Flatten(), _FakeDifflogicLayer(16, 40, 1), _FakeDifflogicLayer(40, 30, 2),
                          _FakeGroupSum(3, 2.0)).eval()
    graph = lower(model)
    bits = np.random.default_rng(1).integers(0, 2, (400, 16)).astype(bool)
    x = torch.tensor(bits, dtype=torch.float32).reshape(400, 4, 4)
    out = model(x)
    assert torch.equal(out, torch.tensor(scores(graph, bits), dtype=torch.float32) / 2.0)
    rebuilt = lgcc.frontend.from_difflogic(model).eval()
    assert torch.equal(rebuilt(x), out) and isinstance(rebuilt[1], LogicLayer)


def test_nested_sequentials_lower_and_save_as_the_flat_model(tmp_path):
    """Sequential(encoder, Sequential(*layers), head), a common way to write a model, is the flat one."""
    flat = _model(seed=4)
    nested = nn.Sequential(flat[0], nn.Sequential(*flat[1:-1]), flat[-1]).eval()
    g1, g2 = lower(flat), lower(nested)
    for name in ("op", "a", "b", "outputs", "layers"):
        assert np.array_equal(getattr(g1, name), getattr(g2, name))
    x = torch.randn(50, 8)
    assert torch.equal(lgcc.load(lgcc.save(nested, tmp_path / "n.pt")).eval()(x), flat(x))


def test_unsupported_models_are_clear_errors():
    with pytest.raises(LgccError, match="cannot describe layer Linear"):
        lower(nn.Sequential(nn.Linear(3, 3)))
    with pytest.raises(FormatError, match="in_dim 7 does not match"):
        lower(nn.Sequential(LogicLayer(4, 6), LogicLayer(7, 6)))
    with pytest.raises(FormatError, match="no LogicLayer"):
        lower(nn.Sequential(GroupSum(2)))


def test_trained_fixture(trained_graph):
    tg = trained_graph
    assert tg.accuracy > 0.5
    assert np.array_equal(predict(tg.graph, tg.bits), tg.model(torch.tensor(tg.features)).argmax(1).numpy())
    assert np.array_equal(lower(tg.checkpoint).op, tg.graph.op)
