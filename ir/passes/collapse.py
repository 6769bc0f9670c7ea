"""Two-input cone collapsing: a gate whose two-level cone reads only two signals becomes one gate.

A gate ``g(x, y)`` where ``x`` and ``y`` are gates over the same two signals
``p``, ``q`` (or one of them is ``p``/``q`` itself) computes a function of
``p`` and ``q`` alone, and every such function is one of the 16 gates: ``g`` is
replaced by that gate on ``p``, ``q`` (its truth table is composed from the gate
table).  This recovers XOR/XNOR from the three ANDs of an AIG (ABC's output) and
folds absorption-law patterns such as ``a & (a | b) = a``.  A rewrite is made
only where it does not raise the AIG-node count (the cone's gates it leaves
behind must die, i.e. have no other reader).  Each round is followed by the
``simplify`` rules and dead-gate pruning, until no candidate is left.
Function (every output bit) is preserved.
"""

from __future__ import annotations

import numpy as np

from ..gates import AIG_COST, TRUTH
from ..graph import Graph
from .prune import prune
from .rebuild import Rules, rebuild
from .registry import PassStats, register

_T = TRUTH.astype(np.int64)
#: Gate id from its four truth-table bits (case order (0,0), (0,1), (1,0), (1,1)).
_WEIGHTS = np.array([8, 4, 2, 1], dtype=np.int64)
_MAX_ROUNDS = 16


def _operand_values(node: np.ndarray, p: np.ndarray, q: np.ndarray, fg: int, op: np.ndarray, a: np.ndarray,
                    b: np.ndarray) -> np.ndarray:
    """Value of ``node`` on the four cases of (p, q), int64 (n, 4); node is p, q or a gate over them."""
    vp = np.array([0, 0, 1, 1], dtype=np.int64)
    vq = np.array([0, 1, 0, 1], dtype=np.int64)
    is_gate = node >= fg
    gi = np.where(is_gate, node - fg, 0)
    va = np.where((a[gi] == p)[:, None], vp, vq)
    vb = np.where((b[gi] == p)[:, None], vp, vq)
    gate_val = np.take_along_axis(_T[op[gi]], 2 * va + vb, axis=1)
    # p or q themselves may be gates: their value is the case's, not their function's
    return np.where((node == p)[:, None], vp, np.where((node == q)[:, None], vq, gate_val))


def _candidates(graph: Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gates to collapse, their support (p < q) and their new op."""
    fg = graph.first_gate
    op = graph.op.astype(np.int64)
    a, b = graph.a.astype(np.int64), graph.b.astype(np.int64)
    lo = np.full(graph.n_nodes, -1, dtype=np.int64)
    hi = np.full(graph.n_nodes, -1, dtype=np.int64)
    lo[fg:], hi[fg:] = np.minimum(a, b), np.maximum(a, b)
    xg, yg = a >= fg, b >= fg
    both = xg & yg & (lo[a] == lo[b]) & (hi[a] == hi[b])
    x_over_y = xg & ((lo[a] == b) | (hi[a] == b))
    y_over_x = yg & ((lo[b] == a) | (hi[b] == a))
    p = np.where(both | x_over_y, lo[a], lo[b])
    q = np.where(both | x_over_y, hi[a], hi[b])
    cand = np.flatnonzero((both | x_over_y | y_over_x) & (p != q))
    p, q = p[cand], q[cand]
    va = _operand_values(a[cand], p, q, fg, op, a, b)
    vb = _operand_values(b[cand], p, q, fg, op, a, b)
    new_op = (np.take_along_axis(_T[op[cand]], 2 * va + vb, axis=1) * _WEIGHTS).sum(axis=1)
    # keep the AIG count from rising: count what dies (operand gates read only by this gate)
    fanout = np.bincount(np.concatenate([a, b, graph.outputs.astype(np.int64)]), minlength=graph.n_nodes)
    dies = lambda n: np.where((n >= fg) & (fanout[n] == 1), AIG_COST[op[np.maximum(n - fg, 0)]], 0)  # noqa: E731
    same = a[cand] == b[cand]
    freed = AIG_COST[op[cand]] + dies(a[cand]) + np.where(same, 0, dies(b[cand]))
    ok = AIG_COST[new_op] <= freed
    return cand[ok], p[ok], q[ok], new_op[ok]


@register("collapse", "a gate whose 2-level cone reads only two signals becomes one gate (XOR recovery)")
def collapse(graph: Graph) -> tuple[Graph, PassStats]:
    """Collapse two-input cones (see the module docstring)."""
    total = 0
    for _ in range(_MAX_ROUNDS):
        cand, p, q, new_op = _candidates(graph)
        if cand.size == 0:
            break
        op, a, b = graph.op.copy(), graph.a.copy(), graph.b.copy()
        op[cand], a[cand], b[cand] = new_op, p, q  # p, q precede the old operands: order stays valid
        # each rewrite lowers a gate's level, so the rounds end (the cap is a safety net)
        graph, _ = prune(rebuild(graph.copy(op=op.astype(np.uint8), a=a, b=b), Rules()).graph)
        total += int(cand.size)
    return graph, PassStats("collapse", {"collapsed_gates": total})
