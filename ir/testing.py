"""Hypothesis strategies and oracles shared by the test suites of every issue.

Importing this module needs ``hypothesis`` (the ``test`` extra).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .gates import eval_bits
from .graph import FIRST_INPUT, Graph, Head


@st.composite
def graphs(draw: st.DrawFn, min_inputs: int = 1, max_inputs: int = 8, max_gates: int = 40, max_outputs: int = 8,
           head: bool | None = None, plant: bool = True) -> Graph:
    """Random valid graphs, optionally with a GroupSum head.

    With ``plant`` the ops favour what passes must remove: constants, wires,
    inverters, duplicate gates and dead cones, and operands include the
    constant nodes.
    """
    n_inputs = draw(st.integers(min_inputs, max_inputs))
    n_gates = draw(st.integers(0, max_gates))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    first = FIRST_INPUT + n_inputs
    op = rng.integers(0, 16, n_gates).astype(np.uint8)
    if plant and n_gates:
        weird = rng.random(n_gates) < 0.3
        op[weird] = rng.choice(np.array([0, 3, 5, 10, 12, 15], dtype=np.uint8), int(weird.sum()))
    own = first + np.arange(n_gates)
    lo = 0 if plant else FIRST_INPUT
    a = (lo + (rng.random(n_gates) * (own - lo)).astype(np.int64)).astype(np.int32)
    b = (lo + (rng.random(n_gates) * (own - lo)).astype(np.int64)).astype(np.int32)
    if plant and n_gates > 1:  # duplicates of earlier gates
        dup = np.flatnonzero(rng.random(n_gates) < 0.15)
        for g in dup[dup > 0]:
            src = int(rng.integers(0, g))
            op[g], a[g], b[g] = op[src], a[src], b[src]
    n_nodes = first + n_gates
    n_out = draw(st.integers(1, max_outputs))
    use_head = draw(st.booleans()) if head is None else head
    k = 1
    if use_head:
        k = draw(st.integers(1, 4))
        n_out = max(k, (n_out // k) * k)
    outputs = rng.integers(0 if plant else FIRST_INPUT, n_nodes, n_out).astype(np.int32)
    out_neg = rng.random(n_out) < (0.3 if plant else 0.0)
    g = Graph.from_arrays(n_inputs, op, a, b, outputs, out_neg,
                          head=Head.group_sum(n_out, k, tau=draw(st.sampled_from([1.0, 2.5]))) if use_head else None)
    return g.verify()


def naive_simulate(graph: Graph, bits: np.ndarray) -> np.ndarray:
    """Per-sample, per-gate pure-Python evaluation (slow; the simulator is tested against it)."""
    bits = np.asarray(bits, dtype=np.uint8)
    out = np.zeros((bits.shape[0], graph.n_outputs), dtype=bool)
    op, a, b = graph.op.tolist(), graph.a.tolist(), graph.b.tolist()
    for s, row in enumerate(bits):
        vals = [0, 1] + [int(v) for v in row]
        for g in range(graph.n_gates):
            vals.append(int(eval_bits(op[g], vals[a[g]], vals[b[g]])))
        for o in range(graph.n_outputs):
            out[s, o] = bool(vals[graph.outputs[o]] ^ int(graph.out_neg[o]))
    return out


def random_bits(graph: Graph, n: int, seed: int = 0) -> np.ndarray:
    """``n`` random rows of input bits for ``graph``."""
    return np.random.default_rng(seed).integers(0, 2, (n, graph.n_inputs)).astype(bool)


def with_extras(graph: Graph, seed: int = 0) -> Graph:
    """``graph`` plus an input encoding, layer boundaries and metadata (for lossless-format tests)."""
    from .graph import Encoding

    rng = np.random.default_rng(seed)
    n_features = max(1, graph.n_inputs // 2)
    enc = Encoding(n_features, rng.integers(0, n_features, graph.n_inputs).astype(np.int32),
                   rng.normal(size=graph.n_inputs).astype(np.float32))
    cuts = np.sort(rng.integers(0, graph.n_gates + 1, 2))
    layers = np.unique(np.concatenate([[0], cuts, [graph.n_gates]])).astype(np.int64)
    meta = {"input_names": [f"pixel {i}" for i in range(graph.n_inputs)], "source": "test", "seed": int(seed)}
    return graph.copy(encoding=enc, layers=layers, meta=meta).verify()
