"""``PackBitsTensor`` through a model in eval mode equals the IR's reference simulator (difflogic's API)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lgcc
from lgcc.frontend.encoding import Thermometer
from lgcc.frontend.layers import GroupSum, LogicLayer
from lgcc.frontend.lowering import lower
from lgcc.frontend.packbits import PackBitsTensor
from lgcc.ir.errors import LgccError

sim = importlib.import_module("lgcc.ir.simulate")


def _model(seed: int, in_dim: int, widths: list[int], k: int, tau: float = 2.0) -> torch.nn.Sequential:
    gen = torch.Generator().manual_seed(seed)
    dims = [in_dim, *widths]
    layers = [LogicLayer(a, b, generator=gen) for a, b in zip(dims, dims[1:])]
    return torch.nn.Sequential(torch.nn.Flatten(), *layers, GroupSum(k, tau=tau)).eval()


def _reference(model: torch.nn.Sequential, bits: np.ndarray) -> np.ndarray:
    """Class counts of the lowered graph in the IR's reference simulator."""
    return sim.scores(lower(model), bits)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), in_dim=st.integers(1, 40), depth=st.integers(1, 3), k=st.integers(1, 4),
       per_class=st.integers(1, 12), bit_count=st.sampled_from([8, 16, 32, 64]), n=st.integers(0, 300))
def test_packed_forward_equals_the_reference_simulator(seed, in_dim, depth, k, per_class, bit_count, n):
    widths = [int(w) for w in np.random.default_rng(seed).integers(1, 50, depth - 1)] + [k * per_class]
    model = _model(seed, in_dim, widths, k)
    bits = np.random.default_rng(seed + 1).integers(0, 2, (n, in_dim)).astype(bool)
    packed = PackBitsTensor(torch.from_numpy(bits), bit_count=bit_count)
    assert packed.pad_len == -n % bit_count and packed.t.shape == (in_dim, -(-n // bit_count))
    assert np.array_equal(packed.unpack().numpy(), bits)
    counts = model(packed)
    assert counts.dtype == torch.int32 and counts.shape == (n, k)
    assert np.array_equal(counts.numpy(), _reference(model, bits))
    # the float path in eval mode gives the same counts divided by tau
    assert torch.equal(model(torch.from_numpy(bits).float()) * 2.0, counts.float())


def test_exhaustive_inputs_of_a_small_model():
    model = _model(7, 10, [64, 48, 30], 3)
    bits = ((np.arange(1 << 10)[:, None] >> np.arange(10)) & 1).astype(bool)
    for bit_count in (8, 64):
        assert np.array_equal(model(PackBitsTensor(bits, bit_count)).numpy(), _reference(model, bits))


def test_word_layout_is_samples_least_significant_bit_first():
    bits = torch.zeros(40, 3, dtype=torch.bool)
    bits[0, 0] = bits[33, 2] = bits[39, 1] = True
    packed = PackBitsTensor(bits, bit_count=32)
    assert packed.t.dtype == torch.int32 and packed.t.shape == (3, 2) and packed.pad_len == 24
    assert packed.t.tolist() == [[1, 0], [0, 1 << 7], [0, 1 << 1]]
    assert PackBitsTensor(bits[:1], bit_count=8).t.tolist() == [[1], [0], [0]]
    # the top bit of a word is the sign bit of its signed dtype
    top = torch.zeros(8, 1, dtype=torch.bool)
    top[7, 0] = True
    assert PackBitsTensor(top, bit_count=8).t.tolist() == [[-128]]


def test_integer_and_numpy_rows_and_the_difflogic_names():
    model = _model(3, 12, [20, 16], 4)
    bits = np.random.default_rng(0).integers(0, 2, (70, 12))
    want = _reference(model, bits.astype(bool))
    for rows in (bits, bits.astype(np.uint8), torch.from_numpy(bits), torch.from_numpy(bits).to(torch.int8)):
        assert np.array_equal(model(lgcc.PackBitsTensor(rows)).numpy(), want)
    assert lgcc.LogicLayer is LogicLayer and lgcc.GroupSum is GroupSum
    assert lgcc.frontend.PackBitsTensor is PackBitsTensor
    assert "PackBitsTensor(samples=70, inputs=12, bit_count=32" in repr(PackBitsTensor(bits))


def test_layer_outputs_stay_packed_and_to_moves_them():
    model = _model(5, 9, [30], 3)
    bits = np.random.default_rng(1).integers(0, 2, (77, 9)).astype(bool)
    out = model[1](PackBitsTensor(bits, 16))  # the LogicLayer alone: raw output bits, still packed
    assert isinstance(out, PackBitsTensor) and out.n_samples == 77 and out.t.dtype == torch.int16
    assert np.array_equal(out.unpack().numpy(), sim.simulate(lower(model), bits))
    assert torch.equal(out.to("cpu").t, out.t) and model[0](out) is out  # nn.Flatten passes it through


@pytest.mark.parametrize("rows, message", [
    (np.zeros((4, 3), dtype=np.float32), "threshold the features first"),
    (np.zeros((2, 3, 4), dtype=bool), "2-D bool tensor"),
    (np.zeros((2, 1, 3, 4), dtype=bool), r"got shape \(2, 1, 3, 4\) \(flatten each sample: x.reshape"),
    (np.array([[0, 2]]), "values other than 0 and 1"),
    ([[0, 1]], "got list"),
])
def test_rows_that_are_not_bits_are_one_line_errors(rows, message):
    with pytest.raises(LgccError, match=message):
        PackBitsTensor(rows)


def test_misuse_is_a_one_line_error():
    model = _model(2, 6, [12], 3)
    bits = np.zeros((5, 6), dtype=bool)
    with pytest.raises(LgccError, match="bit_count must be one of"):
        PackBitsTensor(bits, bit_count=12)
    with pytest.raises(LgccError, match="expected 6 inputs per sample, the PackBitsTensor has 7"):
        model(PackBitsTensor(np.zeros((5, 7), dtype=bool)))
    with pytest.raises(LgccError, match="cannot be split into 5 equal classes"):
        GroupSum(5)(PackBitsTensor(np.zeros((5, 12), dtype=bool)))
    with pytest.raises(LgccError, match="call model.eval"):
        model.train()(PackBitsTensor(bits))
    encoder = Thermometer(torch.zeros(2, 3))
    with pytest.raises(LgccError, match="encode first, then pack"):
        encoder(PackBitsTensor(bits))
    with pytest.raises(LgccError, match="cannot hold exactly 100 samples"):
        PackBitsTensor.from_words(torch.zeros(3, 1, dtype=torch.int64), 100)
    with pytest.raises(LgccError, match="int8/16/32/64"):
        PackBitsTensor.from_words(torch.zeros(3, 1), 1)


def test_a_device_this_machine_lacks_is_a_one_line_error():
    """torch says AssertionError (no CUDA build) or 'invalid device ordinal' deep inside .to()."""
    bits = np.zeros((5, 6), dtype=bool)
    with pytest.raises(LgccError, match="device 'cuda:99'"):
        PackBitsTensor(bits, device="cuda:99")
    with pytest.raises(LgccError, match="device 'cuda:99'"):
        PackBitsTensor(bits).to("cuda:99")
    assert PackBitsTensor(bits, device=torch.device("cpu")).device == torch.device("cpu")


def test_difflogic_script_idioms():
    """difflogic's experiments print the model size from num_neurons and num_weights; its README's
    implementation='cuda' on CPU tensors is told where the CPU path is."""
    layers = [LogicLayer(12, 40), LogicLayer(40, 30)]
    assert sum(layer.num_neurons for layer in layers) == 70 and sum(layer.num_weights for layer in layers) == 70
    with pytest.raises(LgccError, match="or use implementation='auto'"):
        LogicLayer(12, 40, implementation="cuda", device="cpu")(torch.rand(3, 12))


@pytest.mark.parametrize("shape", [(5, 0), (0, 3), (0, 0), (1, 1), (70, 9)])
def test_unpack_gives_contiguous_rows_for_any_shape(shape):
    """unpack() transposes bytes, not bits, so the rows come back contiguous; no input or no sample is fine."""
    bits = torch.from_numpy(np.random.default_rng(sum(shape)).integers(0, 2, shape).astype(bool))
    for bit_count in (8, 64):
        rows = PackBitsTensor(bits, bit_count).unpack()
        assert rows.is_contiguous() and torch.equal(rows, bits)
