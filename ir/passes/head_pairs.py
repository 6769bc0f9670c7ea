"""Head-aware pair rewriting: outputs of one class over the same two signals, summed more cheaply.

Only a class's popcount matters, so outputs of one class that are all functions
of the same two signals ``p``, ``q`` (gates reading ``p`` and ``q``, and the
outputs ``p``/``q`` themselves) can be replaced by any other functions of ``p``
and ``q`` with the same *sum* on each of the four input cases.  A dynamic
programme over the 16 gates (from the gate table) gives, for every possible sum,
the cheapest such functions: e.g. ``(p & q) + (p | q) = p + q`` (two gates become
two wires), ``(p & q) + (p & ~q) = p``, ``(p ^ q) + (p & q) = p | q``; constant
functions move into the class offset.

A group is rewritten only if its gates are read by nothing else (they die)
and the new functions cost strictly less: fewer AIG nodes, then fewer 2-input gates
(or the other way round with ``PairsParams(minimize="gates")``).
Every class score is preserved exactly; output bits are not.  New gates are
appended (run ``simplify`` and ``prune`` next).  A graph without a head is
returned unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import LgccError
from ..gates import AIG_COST, IS_BINARY, IS_CONST, NEG_OUT, SWAP, TRUTH
from ..graph import Graph, Head
from .registry import PassStats, register

_T = TRUTH.astype(np.int64)


@dataclass(frozen=True)
class PairsParams:
    """Largest group rewritten together (bigger groups are left alone) and what "cheaper" means.

    ``minimize="aig"``: AIG nodes first, then 2-input gates (XOR counts 3: for ABC/FPGA flows);
    ``"gates"``: 2-input gates first (every gate is one instruction in the C/CUDA backends).
    """

    max_group: int = 6
    minimize: str = "aig"


@lru_cache(maxsize=None)
def cheapest_sums(n: int, gates_first: bool = False) -> np.ndarray:
    """``ops[index(s)]``: ``n`` gates whose truth rows sum to ``s`` at the least cost.

    ``s`` (4 counts in 0..n, case order of ``TRUTH``) is indexed in base ``n + 1``.
    Cost: AIG nodes, then 2-input gates (swapped with ``gates_first``), then
    outputs that are not constants.
    """
    rows = [tuple(int(v) for v in TRUTH[g]) for g in range(16)]
    cost = [(int(AIG_COST[g]), int(IS_BINARY[g]), int(not IS_CONST[g])) for g in range(16)]
    if gates_first:
        cost = [(c[1], c[0], c[2]) for c in cost]
    best: dict[tuple, tuple[tuple, tuple]] = {(0, 0, 0, 0): ((0, 0, 0), ())}
    for _ in range(n):  # best sums of j+1 gates from best sums of j (cost is additive)
        nxt: dict[tuple, tuple[tuple, tuple]] = {}
        for s, (c, ops) in best.items():
            for g in range(16):
                s2 = tuple(x + y for x, y in zip(s, rows[g]))
                c2 = tuple(x + y for x, y in zip(c, cost[g]))
                if s2 not in nxt or c2 < nxt[s2][0]:
                    nxt[s2] = (c2, ops + (g,))
        best = nxt
    table = np.zeros(((n + 1) ** 4, n), dtype=np.int64)
    for s, (_, ops) in best.items():
        table[_index(np.array(s), n)] = ops
    return table


def _index(s: np.ndarray, n: int) -> np.ndarray:
    """Base-(n+1) index of sum vectors ``s`` (last axis of length 4)."""
    base = np.asarray(n) + 1
    return ((s[..., 0] * base + s[..., 1]) * base + s[..., 2]) * base + s[..., 3]


@register("pairs", "rewrite outputs of a class over the same two signals to a cheaper equal-sum set",
          params=PairsParams)
def pair_rewrite(graph: Graph, params: PairsParams = PairsParams()) -> tuple[Graph, PassStats]:
    """Rewrite groups of same-support outputs (see the module docstring)."""
    if params.minimize not in ("aig", "gates"):
        raise LgccError(f"pairs: minimize must be 'aig' or 'gates', got {params.minimize!r}")
    stats = PassStats("pairs")
    if graph.head is None:
        stats.notes.append("no GroupSum head: nothing to do")
        return graph, stats
    groups = 0
    removed = 0
    for _ in range(8):  # a rewrite can expose another (new wire outputs join other groups)
        out = _rewrite_round(graph, params)
        if out is None:
            break
        graph, n_groups, n_cost = out
        groups += n_groups
        removed += n_cost
    stats.counts.update({"groups_rewritten": groups, "aig_saved": removed})
    return graph, stats


def _rewrite_round(graph: Graph, params: PairsParams) -> tuple[Graph, int, int] | None:
    head = graph.head
    assert head is not None
    fg = graph.first_gate
    if graph.n_gates == 0:
        return None
    cls = np.repeat(np.arange(head.k, dtype=np.int64), head.sizes)
    node = graph.outputs.astype(np.int64)
    neg = graph.out_neg.astype(np.int64)
    is_gate = node >= fg
    gi = np.where(is_gate, node - fg, 0)

    # gate outputs that die if rewritten: read by no gate, and outputs of one class only
    # (the others may join a group as a signal p or q themselves)
    read = np.zeros(graph.n_nodes, dtype=bool)
    read[graph.a] = True
    read[graph.b] = True
    lo = np.full(graph.n_nodes, head.k, dtype=np.int64)
    hi = np.full(graph.n_nodes, -1, dtype=np.int64)
    np.minimum.at(lo, node, cls)
    np.maximum.at(hi, node, cls)
    dies = is_gate & ~read[node] & (lo[node] == hi[node])

    # support (p < q) and function over (p, q) of every gate output
    a, b = graph.a[gi].astype(np.int64), graph.b[gi].astype(np.int64)
    op = graph.op[gi].astype(np.int64)
    swap = a > b
    op = np.where(swap, SWAP[op].astype(np.int64), op)
    p, q = np.minimum(a, b), np.maximum(a, b)
    member = dies & (p != q)
    func = _T[op] ^ neg[:, None]

    idx = np.flatnonzero(member)
    if idx.size == 0:
        return None
    key = np.stack([cls[idx], p[idx], q[idx]], axis=1)
    gkeys, ginv = np.unique(key, axis=0, return_inverse=True)
    ginv = ginv.reshape(-1)
    group = np.full(node.size, -1, dtype=np.int64)
    group[idx] = ginv

    # outputs that are p or q themselves join a group of their class (the first that has them)
    lit = np.flatnonzero(~member)
    for col, row in ((1, (0, 0, 1, 1)), (2, (0, 1, 0, 1))):
        free = lit[group[lit] < 0]
        order = np.lexsort((gkeys[:, col], gkeys[:, 0]))
        ck = gkeys[order]
        pos = np.searchsorted(ck[:, 0] * (graph.n_nodes + 1) + ck[:, col],
                              cls[free] * (graph.n_nodes + 1) + node[free])
        pos = np.minimum(pos, len(ck) - 1)
        hit = (ck[pos, 0] == cls[free]) & (ck[pos, col] == node[free])
        group[free[hit]] = order[pos[hit]]
        func[free[hit]] = np.array(row, dtype=np.int64) ^ neg[free[hit], None]

    in_group = np.flatnonzero(group >= 0)
    size = np.bincount(group[in_group], minlength=len(gkeys))
    sums = np.zeros((len(gkeys), 4), dtype=np.int64)
    np.add.at(sums, group[in_group], func[in_group])
    old_cost = _old_cost(group, member, node, graph.op, fg, len(gkeys))

    new_ops = np.full((len(gkeys), params.max_group), -1, dtype=np.int64)
    for n in range(2, params.max_group + 1):
        sel = np.flatnonzero(size == n)
        if sel.size:
            new_ops[sel, :n] = cheapest_sums(n, params.minimize == "gates")[_index(sums[sel], n)]
    valid = new_ops >= 0
    new_cost = np.stack([np.where(valid, AIG_COST[np.maximum(new_ops, 0)], 0).sum(axis=1),
                         np.where(valid, IS_BINARY[np.maximum(new_ops, 0)], 0).sum(axis=1)], axis=1)
    if params.minimize == "gates":  # compare (2-input gates, AIG nodes) instead
        new_cost, old_cost = new_cost[:, ::-1], old_cost[:, ::-1]
    better = (size >= 2) & (size <= params.max_group) & (
        (new_cost[:, 0] < old_cost[:, 0]) | ((new_cost[:, 0] == old_cost[:, 0]) & (new_cost[:, 1] < old_cost[:, 1])))
    if not better.any():
        return None
    saved = (old_cost[better] - new_cost[better]).sum(axis=0)
    aig_saved = int(saved[1] if params.minimize == "gates" else saved[0])
    return _apply(graph, cls, group, better, gkeys, new_ops), int(better.sum()), aig_saved


def _old_cost(group: np.ndarray, dying: np.ndarray, node: np.ndarray, op: np.ndarray, fg: int,
              n_groups: int) -> np.ndarray:
    """(AIG nodes, 2-input gates) of each group's distinct gates that die when it is rewritten."""
    sel = np.flatnonzero(dying)
    pairs = np.unique(np.stack([group[sel], node[sel]], axis=1), axis=0)
    gop = op[pairs[:, 1] - fg]
    cost = np.zeros((n_groups, 2), dtype=np.int64)
    np.add.at(cost[:, 0], pairs[:, 0], AIG_COST[gop])
    np.add.at(cost[:, 1], pairs[:, 0], IS_BINARY[gop].astype(np.int64))
    return cost


def _apply(graph: Graph, cls: np.ndarray, group: np.ndarray, better: np.ndarray, gkeys: np.ndarray,
           new_ops: np.ndarray) -> Graph:
    """Drop the rewritten groups' outputs; add their new functions as outputs, gates and offsets."""
    head = graph.head
    assert head is not None
    keep = ~((group >= 0) & better[np.maximum(group, 0)])
    g, j = np.nonzero((new_ops >= 0) & better[:, None])
    u = new_ops[g, j]
    c, p, q = gkeys[g, 0], gkeys[g, 1], gkeys[g, 2]
    offsets = head.offsets + np.bincount(c[IS_CONST[u]], weights=_T[u[IS_CONST[u]], 0], minlength=head.k).astype(np.int64)
    nonconst = ~IS_CONST[u]
    u, c, p, q = u[nonconst], c[nonconst], p[nonconst], q[nonconst]
    neg = _T[u, 0]  # stored gates output 0 on (0, 0); wires/inverters become literals
    binary = IS_BINARY[u]
    reads_b = ~binary & (_T[u, 0] != _T[u, 1])  # one-input functions of q
    new_gate_op = np.where(neg == 1, NEG_OUT[u], u)[binary]
    first_new = graph.n_nodes
    out_node = np.where(binary, 0, np.where(reads_b, q, p))
    out_node[binary] = first_new + np.arange(int(binary.sum()))
    all_cls = np.concatenate([cls[keep], c])
    order = np.argsort(all_cls, kind="stable")
    outputs = np.concatenate([graph.outputs[keep].astype(np.int64), out_node])[order]
    out_neg = np.concatenate([graph.out_neg[keep], neg.astype(bool)])[order]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(all_cls, minlength=head.k))]).astype(np.int64)
    return graph.copy(
        op=np.concatenate([graph.op, new_gate_op.astype(np.uint8)]),
        a=np.concatenate([graph.a, p[binary].astype(np.int32)]),
        b=np.concatenate([graph.b, q[binary].astype(np.int32)]),
        outputs=outputs.astype(np.int32), out_neg=out_neg, layers=None,
        head=Head(head.k, head.tau, bounds, offsets),
    )
