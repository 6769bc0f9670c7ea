"""The C library's raw-features entry points, bit for bit against ``Encoding.encode``: every way
its encoder fetches a group of 16 features (in order, permuted, gathered, padding), on every ISA
this machine runs; and the grouping that ``render.py`` computes for it (hypothesis)."""

from __future__ import annotations

import importlib
import re
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lgcc.backends.c import toolchain as cbuild
from lgcc.backends.c import write_library
from lgcc.ir.graph import FIRST_INPUT, Encoding, Graph
from lgcc.runtime import load

render = importlib.import_module("lgcc.backends.c.render")
RUNNABLE = cbuild.runnable_isas()
FG = {"contig": render.FG_CONTIG, "span": render.FG_SPAN, "gather": render.FG_GATHER, "zero": render.FG_ZERO}


def _encodings() -> dict[str, Encoding]:
    rng = np.random.default_rng(11)

    def enc(n_features: int, feature) -> Encoding:
        feature = np.asarray(feature, dtype=np.int32)
        return Encoding(n_features, feature, rng.normal(size=feature.size).astype(np.float32))

    return {
        # in order from feature 5; the last group's 3 inputs sit near the row's end (a permuted load)
        "in order": enc(40, np.arange(5, 40)),
        "thermometer": enc(30, np.repeat(np.arange(30), 7)),  # every group permutes one load
        "scattered": enc(50, rng.integers(0, 50, 100)),  # gathered
        "under 16 features": enc(5, rng.integers(0, 5, 70)),  # copied into 16 floats, then loaded
        "mixed": enc(64, np.concatenate((np.arange(64), np.repeat(np.arange(64), 3), rng.integers(0, 64, 37)))),
    }


ENCODINGS = _encodings()


def _identity(enc: Encoding) -> Graph:
    """A graph whose outputs are its inputs (every third one negated): outputs(features) is the encoding."""
    n = enc.feature.size
    return Graph.from_arrays(n, [], [], [], FIRST_INPUT + np.arange(n), np.arange(n) % 3 == 1, encoding=enc).verify()


def _features(enc: Encoding, n: int, seed: int = 0) -> np.ndarray:
    """Random rows, with exact ties, NaN, infinities and signed zeros where the thresholds allow."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, enc.n_features)).astype(np.float32)
    x[: n // 4, enc.feature] = enc.threshold  # ties: not above the threshold
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=np.float32)
    hits = rng.random(x.shape) < 0.1
    x[hits] = rng.choice(special, int(hits.sum()))
    return x


def _doubles(x: np.ndarray, seed: int = 1) -> np.ndarray:
    """float64 rows near ``x``: some nudged by less than half a float32 step (they round back to x,
    so a tie stays a tie), some by more, and some beyond float32's range."""
    rng = np.random.default_rng(seed)
    x64 = x.astype(np.float64)
    finite = np.isfinite(x64)
    step = np.where(finite, np.abs(np.where(finite, x64, 0.0)) * 2.0 ** -24, 0.0)  # half a float32 ulp, roughly
    nudge = rng.choice([-0.4, 0.4, -3.0, 3.0], x.shape) * np.where(step > 0, step, 1e-45)
    x64 += np.where(finite & (rng.random(x.shape) < 0.5), nudge, 0.0)
    x64[rng.random(x.shape) < 0.02] = 1e300 * rng.choice([-1.0, 1.0])  # overflows float32: +-inf
    return x64


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_features_bit_for_bit(name, tmp_path):
    """float32 rows (the _features entries) and float64 rows (_features_f64: each value rounded to
    float32 first, as the reference encoder does)."""
    enc = ENCODINGS[name]
    g = _identity(enc)
    x = _features(enc, 600)
    x64 = _doubles(x)
    want = enc.encode(x) ^ g.out_neg
    with np.errstate(over="ignore"):
        want64 = enc.encode(x64) ^ g.out_neg
    assert not np.array_equal(want, want64)  # the doubles differ from the floats where it matters
    for isa in RUNNABLE:
        write_library(g, tmp_path / isa, isa=isa, extra_flags=("-O1",))
        model = load(tmp_path / isa)
        for n in (1, 65, 600):
            np.testing.assert_array_equal(model.outputs(x[:n]).astype(bool), want[:n], err_msg=f"{name} {isa} n={n}")
            np.testing.assert_array_equal(model.outputs(x64[:n]).astype(bool), want64[:n],
                                          err_msg=f"{name} {isa} n={n} float64")


def test_encodings_cover_every_fetch():
    """The cases above reach every group kind (else the test above would not test them all)."""
    seen = set()
    for enc in ENCODINGS.values():
        kind, _, _ = render.encoder_groups(enc)
        seen |= set(kind.tolist())
    assert seen == set(FG.values())


def test_rows_under_16_features_are_loaded_not_gathered():
    """A row of fewer than 16 features is copied into 16 floats, so its groups are loaded (and
    permuted) rather than gathered a feature at a time: 2x faster for the wine model (AVX-512)."""
    enc = Encoding(13, np.repeat(np.arange(13, dtype=np.int32), 8), np.zeros(104, np.float32))
    kind, base, _ = render.encoder_groups(enc)
    assert set(kind.tolist()) == {FG["span"], FG["zero"]} and not base.any()


@pytest.mark.parametrize("isa", [isa for isa in ("sse2", "avx2") if cbuild.machine_runs(isa)])
def test_feature_compares_are_vector_instructions(isa, tmp_path, c_compiler):
    """Below AVX-512, GCC made the 16-float compare 16 scalar ones through memory: the mnist model's
    features took 7x longer than with vector compares of the machine's width (AVX2); and AVX2
    permutes a thermometer code's features (vpermps; Clang writes vpermd, the same permute) instead
    of loading them one at a time."""
    for file, text in render.render(_identity(ENCODINGS["mixed"])).items():
        (tmp_path / file).write_text(text)
    res = subprocess.run([*c_compiler, "-O3", "-std=c99", *cbuild.ISA_FLAGS[isa], "-S", "-o", "-", str(tmp_path / "model.c")],
                         capture_output=True, text=True, check=True)
    assert "comiss" not in res.stdout  # (v)ucomiss / (v)comiss: a scalar float compare
    permuted = re.search(r"\bvperm(ps|d)\b", res.stdout) is not None
    assert permuted == (isa == "avx2")


@settings(max_examples=200, deadline=None)
@given(n_features=st.integers(1, 70), data=st.data())
def test_feature_groups(n_features, data):
    """Every input's feature is reachable from its group, loads stay inside the row, runs tile the groups."""
    layout = data.draw(st.sampled_from(["random", "runs", "repeats"]))
    n = data.draw(st.integers(1, 150))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    if layout == "random":
        feature = rng.integers(0, n_features, n)
    elif layout == "runs":
        feature = (np.arange(n) + rng.integers(0, n_features)) % n_features
    else:
        feature = np.repeat(rng.integers(0, n_features, -(-n // 4)), 4)[:n]
    kind, base, index = render.feature_groups(feature, n_features)
    n_groups = kind.size
    assert n_groups % 4 == 0 and n_groups * 16 >= n > (n_groups - 4) * 16
    group = np.arange(n) // 16
    np.testing.assert_array_equal(base[group] + index[:n], feature)  # every input reads its own feature
    loads = (kind == FG["contig"]) | (kind == FG["span"])
    assert np.all(base[loads] + 16 <= n_features) and np.all(base >= 0)  # 16-float loads stay in the row
    grid = index.reshape(-1, 16)
    assert np.all(grid[kind == FG["contig"]] == np.arange(16))
    assert np.all((grid[kind == FG["span"]] >= 0) & (grid[kind == FG["span"]] < 16))
    assert np.all(base[kind == FG["gather"]] == 0)
    assert set(np.flatnonzero(kind == FG["zero"])) == set(range(-(-n // 16), n_groups))
    assert np.all((base + grid.max(axis=1) < n_features) | (kind == FG["zero"]))  # padding reads stay inside too
    runs = render.feature_runs(kind, base)
    np.testing.assert_array_equal(np.repeat(runs[:, 0], runs[:, 2]), kind)  # runs tile the groups, in order
    np.testing.assert_array_equal(runs[:, 1], np.concatenate(([0], np.cumsum(runs[:-1, 2]))))
    for k, g0, count in runs:
        if k == FG["contig"]:
            np.testing.assert_array_equal(np.diff(base[g0:g0 + count]), 16)
