"""The vectorized rebuild core shared by the simplifying passes.

``rebuild`` walks a graph one logic level at a time and maps every node to a
*literal* of the new graph (``2 * node + negated``, as in
:mod:`lgcc.ir.builder`).  For each level's gates it maps the operands through the
literal map and then, depending on :class:`Rules`:

* absorbs negated operand literals into the gate's function (``NEG_A``/``NEG_B``:
  all 16 functions exist, so an inverter is free);
* ``fold_constants``: a gate with a constant function or a constant operand becomes
  a constant or a one-input function of the other operand;
* ``absorb``: a wire or inverter (a one-input function, or a gate reading the same
  signal twice) becomes the literal of its operand, so it disappears and every user
  reads the original signal;
* ``strash``: operands are ordered (``SWAP``), the stored gate is the polarity with
  output 0 on (0, 0) (the negation moves into the users' literal, ``NEG_OUT``), and
  identical gates are merged through a hash table keyed by the packed ``(op, a, b)``.

These are exactly :class:`~lgcc.ir.builder.GraphBuilder`'s scalar rules, applied to
a whole level at a time with numpy.  The result is ordered by logic level (so
``Graph.waves()`` are the levels) and carries the levels as ``layers`` metadata.
Dead gates are kept (that is :mod:`.prune`'s job).  Head, encoding and meta are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..gates import DEPENDS_A, DEPENDS_B, IS_CONST, NEG_A, NEG_B, NEG_OUT, SWAP, TRUTH
from ..graph import CONST0, CONST1, FIRST_INPUT, Graph

_TRUTH = TRUTH.astype(np.int64)
_NEG_A = NEG_A.astype(np.int64)
_NEG_B = NEG_B.astype(np.int64)
_NEG_OUT = NEG_OUT.astype(np.int64)
_SWAP = SWAP.astype(np.int64)
_WIRE_OP, _INV_OP = 3, 12  # "a" and "not a": how a one-input function is stored when not absorbed


@dataclass(frozen=True)
class Rules:
    """Which simplifications a rebuild applies (see the module docstring)."""

    fold_constants: bool = True
    absorb: bool = True
    strash: bool = True


@dataclass
class RebuildResult:
    """A rebuilt graph and the literal each old node became."""

    graph: Graph
    literal: np.ndarray  # int64[old n_nodes]: old node -> literal of the new graph
    constants: int = 0  # gates that became a constant
    one_input: int = 0  # gates that became (the negation of) another signal
    merged: int = 0  # gates found identical to another gate


def gate_levels(graph: Graph) -> np.ndarray:
    """Logic level of every gate (1 = reads only constants and inputs), int32[n_gates]."""
    return graph.levels()[graph.first_gate:]


def level_batches(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gate indices sorted by level (stable) and the boundaries of each level's run."""
    order = np.argsort(levels, kind="stable")
    sorted_lv = levels[order]
    starts = np.flatnonzero(np.diff(sorted_lv, prepend=-1)) if levels.size else np.zeros(0, np.int64)
    return order, np.append(starts, levels.size).astype(np.int64)


class _LevelTables:
    """Hash tables of created gates, one sorted key array per new logic level.

    A key can only match a gate of the same level (its operands fix the level),
    so each lookup touches one small table instead of the whole graph.
    """

    def __init__(self) -> None:
        self.keys: dict[int, np.ndarray] = {}
        self.nodes: dict[int, np.ndarray] = {}

    def lookup(self, keys: np.ndarray, lv: np.ndarray) -> np.ndarray:
        """Node of each key, or -1 where no gate with that key exists yet."""
        found = np.full(keys.shape, -1, dtype=np.int64)
        for level in np.unique(lv):
            table = self.keys.get(int(level))
            if table is None:
                continue
            sel = np.flatnonzero(lv == level)
            pos = np.minimum(np.searchsorted(table, keys[sel]), table.size - 1)
            hit = table[pos] == keys[sel]
            found[sel[hit]] = self.nodes[int(level)][pos[hit]]
        return found

    def insert(self, keys: np.ndarray, nodes: np.ndarray, lv: np.ndarray) -> None:
        """Add new (unique, absent) keys."""
        for level in np.unique(lv):
            sel = lv == level
            k, n = keys[sel], nodes[sel]
            old = self.keys.get(int(level))
            if old is not None:
                k, n = np.concatenate([old, k]), np.concatenate([self.nodes[int(level)], n])
            order = np.argsort(k, kind="stable")
            self.keys[int(level)], self.nodes[int(level)] = k[order], n[order]


def _unary(v0: np.ndarray, v1: np.ndarray, node: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A one-input function given by its values ``v0``/``v1`` at node=0/1: (is_const, literal)."""
    const = v0 == v1
    return const, np.where(const, v0, 2 * node + v0)


def rebuild(graph: Graph, rules: Rules = Rules()) -> RebuildResult:
    """Rebuild ``graph`` level by level under ``rules``; function (every output bit) is preserved."""
    fg = graph.first_gate
    n_old = graph.n_nodes
    lit = np.full(n_old, -1, dtype=np.int64)
    lit[CONST0] = 0
    # node 1 becomes "node 0 negated" only when constants are folded; otherwise it stays itself
    lit[CONST1] = 1 if rules.fold_constants else 2 * CONST1
    lit[FIRST_INPUT:fg] = 2 * np.arange(FIRST_INPUT, fg, dtype=np.int64)

    cap = n_old  # at most one new gate per old gate
    new_op = np.empty(graph.n_gates, dtype=np.int64)
    new_a = np.empty(graph.n_gates, dtype=np.int64)
    new_b = np.empty(graph.n_gates, dtype=np.int64)
    new_lv = np.zeros(cap, dtype=np.int64)
    shift = max(1, int(cap).bit_length())
    tables = _LevelTables()
    count = 0
    folded = absorbed = merged = 0

    order, bounds = level_batches(gate_levels(graph))
    for s, e in zip(bounds[:-1], bounds[1:]):
        g = order[s:e]
        op = graph.op[g].astype(np.int64)
        la, lb = lit[graph.a[g]], lit[graph.b[g]]
        op = np.where(la & 1, _NEG_A[op], op)
        op = np.where(lb & 1, _NEG_B[op], op)
        x, y = la >> 1, lb >> 1
        res: np.ndarray = np.full(g.size, -1, dtype=np.int64)  # result literal; -1: a gate must be created
        one_input = np.zeros(g.size, dtype=bool)  # folded to a one-input function (literal in res)

        if rules.fold_constants:
            t = _TRUTH[op]
            cx, cy = x == CONST0, y == CONST0
            # a fixed to 0 leaves a function of b (t00, t01); b fixed to 0 one of a (t00, t10)
            const, ulit = _unary(t[:, 0], np.where(cx, t[:, 1], t[:, 2]), np.where(cx, y, x))
            hit = cx | cy
            ulit = np.where(cx & cy, t[:, 0], ulit)
            res = np.where(hit, ulit, res)
            one_input = hit & ~const & ~(cx & cy)
            res = np.where(IS_CONST[op] & (res < 0), t[:, 0], res)

        if rules.absorb:
            pend = res < 0
            t = _TRUTH[op]
            eq = pend & (x == y)
            only_a = pend & ~eq & DEPENDS_A[op] & ~DEPENDS_B[op]
            only_b = pend & ~eq & ~DEPENDS_A[op] & DEPENDS_B[op]
            v1 = np.where(eq, t[:, 3], np.where(only_a, t[:, 2], t[:, 1]))
            const, ulit = _unary(t[:, 0], v1, np.where(only_b, y, x))
            # a one-input gate that is constant (e.g. x ^ x) is left to constant folding
            res = np.where((eq | only_a | only_b) & (~const | rules.fold_constants), ulit, res)
        elif one_input.any():
            # constant folding alone: a one-input result stays a "wire"/"inverter" gate
            sel = np.flatnonzero(one_input)
            node = res[sel] >> 1
            op[sel] = np.where(res[sel] & 1, _INV_OP, _WIRE_OP)
            x[sel], y[sel] = node, node
            res[sel] = -1

        done = res >= 0
        folded += int(np.count_nonzero(done & (res < 2)))
        absorbed += int(np.count_nonzero(done & (res >= 2)))
        make = np.flatnonzero(~done)
        if make.size:
            nodes, neg, n_new = _create(op[make], x[make], y[make], rules, fg + count, tables, new_lv, shift,
                                        (new_op[count:], new_a[count:], new_b[count:]))
            count += n_new
            merged += make.size - n_new
            res[make] = 2 * nodes + neg
        lit[fg + g] = res

    return RebuildResult(_finish(graph, new_op[:count], new_a[:count], new_b[:count],
                                 new_lv[fg: fg + count], lit, rules.strash), lit, folded, absorbed, merged)


def _create(op: np.ndarray, x: np.ndarray, y: np.ndarray, rules: Rules, next_node: int,
            tables: _LevelTables, new_lv: np.ndarray, shift: int,
            store: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
    """Create (or, with strash, find) the gates ``op(x, y)``.

    New gates are written to the front of the ``store`` views and numbered from
    ``next_node``; returns each gate's node, its output negation and the count created.
    """
    neg = np.zeros(op.size, dtype=np.int64)
    if rules.strash:
        swap = x > y
        op = np.where(swap, _SWAP[op], op)
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        # store the polarity with output 0 on (0, 0); the negation goes into the users' literal
        neg = _TRUTH[op, 0]
        op = np.where(neg == 1, _NEG_OUT[op], op)
    lv = np.maximum(new_lv[x], new_lv[y]) + 1
    if rules.strash:
        key = (op << (2 * shift)) | (x << shift) | y
        ukey, first, inv = np.unique(key, return_index=True, return_inverse=True)
        unode = tables.lookup(ukey, lv[first])
        fresh = np.flatnonzero(unode < 0)
        unode[fresh] = next_node + np.arange(fresh.size)
        tables.insert(ukey[fresh], unode[fresh], lv[first[fresh]])
        src = first[fresh]
        nodes = unode[inv.reshape(-1)]
    else:
        src = np.arange(op.size)
        nodes = next_node + src
    n_new = src.size
    store[0][:n_new], store[1][:n_new], store[2][:n_new] = op[src], x[src], y[src]
    new_lv[next_node: next_node + n_new] = lv[src]
    return nodes, neg, n_new


def _finish(graph: Graph, op: np.ndarray, a: np.ndarray, b: np.ndarray, lv: np.ndarray,
            lit: np.ndarray, canonical: bool) -> Graph:
    """Renumber created gates by level and map the outputs.

    Within a level the order is creation order, or with ``canonical`` (hashed
    gates) the order of the key ``(op, a, b)`` in final ids, so that rebuilding
    the result again gives the identical graph (the passes are idempotent).
    """
    fg = graph.first_gate
    order, bounds = level_batches(lv)
    renum = np.arange(fg + op.size, dtype=np.int64)
    op, a, b = op.copy(), a.copy(), b.copy()
    if canonical:
        for s, e in zip(bounds[:-1], bounds[1:]):  # lower levels are final before a level is sorted
            g = order[s:e]
            ra, rb = renum[a[g]], renum[b[g]]
            swap = ra > rb  # renumbering may flip the operand order: restore a < b
            op[g] = np.where(swap, _SWAP[op[g]], op[g])
            a[g], b[g] = np.where(swap, b[g], a[g]), np.where(swap, a[g], b[g])
            order[s:e] = g[np.lexsort((np.maximum(ra, rb), np.minimum(ra, rb), op[g]))]
            renum[fg + order[s:e]] = fg + np.arange(s, e)
    else:
        renum[fg + order] = fg + np.arange(op.size)
    out_lit = lit[graph.outputs] ^ graph.out_neg.astype(np.int64)
    return graph.copy(
        op=op[order].astype(np.uint8), a=renum[a[order]].astype(np.int32), b=renum[b[order]].astype(np.int32),
        outputs=renum[out_lit >> 1].astype(np.int32), out_neg=(out_lit & 1).astype(bool),
        layers=bounds if op.size else None,  # every level 1..max is populated: these are the levels
    )
