"""Random graphs for tests and benchmarks (numpy only, deterministic for a seed)."""

from __future__ import annotations

import numpy as np

from .graph import FIRST_INPUT, Graph, Head


def random_layered_graph(n_inputs: int, widths: list[int] | tuple[int, ...], k: int | None = None,
                         tau: float = 1.0, seed: int = 0, ops: np.ndarray | None = None) -> Graph:
    """A difflogic-shaped network: each layer's gates read two random nodes of the previous layer.

    Layer 0 reads the inputs.  The last layer's gates are the outputs; with ``k``
    they feed a GroupSum(k, tau) head (the last width must be divisible by ``k``).
    ``ops`` restricts the gate functions drawn (default: all 16).
    """
    rng = np.random.default_rng(seed)
    choices = np.arange(16, dtype=np.uint8) if ops is None else np.asarray(ops, dtype=np.uint8)
    n_gates = int(sum(widths))
    op = choices[rng.integers(0, len(choices), n_gates)]
    a = np.empty(n_gates, dtype=np.int32)
    b = np.empty(n_gates, dtype=np.int32)
    prev_start, prev_n = FIRST_INPUT, n_inputs
    start = 0
    bounds = [0]
    for w in widths:
        a[start:start + w] = prev_start + rng.integers(0, prev_n, w)
        b[start:start + w] = prev_start + rng.integers(0, prev_n, w)
        prev_start, prev_n = FIRST_INPUT + n_inputs + start, w
        start += w
        bounds.append(start)
    outputs = np.arange(prev_start, prev_start + prev_n, dtype=np.int32)
    head = Head.group_sum(len(outputs), k, tau) if k else None
    return Graph.from_arrays(n_inputs, op, a, b, outputs, head=head, layers=np.asarray(bounds, dtype=np.int64))


#: Gate mix of a trained difflogic network (issue 4: ~21% wires, ~21% inverters, ~6% constants,
#: the rest real 2-input gates), as an op list to draw uniformly from.
TRAINED_LIKE_OPS = np.array([3] * 11 + [5] * 10 + [10] * 10 + [12] * 11 + [0] * 3 + [15] * 3
                            + [1, 2, 4, 6, 7, 8, 9, 11, 13, 14] * 5 + [1, 7], dtype=np.uint8)


def trained_like_graph(n_inputs: int, widths: list[int] | tuple[int, ...], k: int | None = None,
                       tau: float = 1.0, seed: int = 0) -> Graph:
    """A random layered graph with the gate mix of a trained network (:data:`TRAINED_LIKE_OPS`).

    Only the mix is realistic, not the structure a training run finds; a stand-in
    for benchmarks and tests that must not train a model.
    """
    return random_layered_graph(n_inputs, widths, k=k, tau=tau, seed=seed, ops=TRAINED_LIKE_OPS)
