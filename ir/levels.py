"""Logic levels of a graph whose ids are any topological order, and reordering gates by level.

Node ids are a topological order, but not always a level order: an AIGER file lists
the three ANDs of an XOR one after another, and ABC writes netlists depth-first.  In
such an order the runs of gates that read only earlier runs (:func:`runs`) hold a
handful of gates each, so one vectorized step per run is a Python step per few gates
(a million-gate AIGER file: 200,000 runs).  Here levels are found a block of
consecutive gates at a time instead.  A block of a few runs (a level-ordered graph)
takes one step per run; any other block is swept, ``level = max(level[a],
level[b]) + 1`` over the whole block until nothing changes (each sweep settles one
more link of the longest chain inside the block, and the fixed point is the
answer): three or four sweeps for AIGER's order, the depth for ABC's.  A block that
needs more sweeps than :data:`_SWEEPS` (a deep, narrow graph) falls back to a step
per run.

Once the levels are known, a graph is *level-sorted* when they never decrease along
the gate ids; its runs are then exactly its levels (:func:`level_bounds`), and
:func:`sort_by_level` makes any graph so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

import numpy as np

if TYPE_CHECKING:
    from .graph import Graph

#: Gates per block: big enough that numpy's per-call overhead vanishes.
_BLOCK = 1 << 15
#: A block of at most this many runs (a level-ordered graph: one or two) takes a step per run.
_FEW_RUNS = 16
#: Sweeps tried on any other block before falling back to one step per run.
_SWEEPS = 64


def node_levels(first_gate: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Level of every node (constants and inputs 0, a gate 1 + its deeper operand's), int32[n_nodes]."""
    n = int(a.shape[0])
    lv = np.zeros(first_gate + n, dtype=np.int32)
    dep = np.maximum(a, b).astype(np.int64) - first_gate  # gate index of the later operand (< 0: none)
    for s in range(0, n, _BLOCK):
        e = min(n, s + _BLOCK)
        bounds = runs(dep[s:e], s, e, limit=_FEW_RUNS)
        if bounds is None and _sweep_block(lv, first_gate, a, b, s, e):
            continue
        if bounds is None:
            bounds = runs(dep[s:e], s, e)
        for rs, re_ in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            lv[first_gate + rs: first_gate + re_] = np.maximum(lv[a[rs:re_]], lv[b[rs:re_]]) + 1
    return lv


def _sweep_block(lv: np.ndarray, fg: int, a: np.ndarray, b: np.ndarray, s: int, e: int) -> bool:
    """Settle gates ``s..e-1`` by sweeps (the gates before ``s`` are final); False if that takes too many.

    A gate before the first one a sweep changed is final (its operands come before
    it and did not change either), so each sweep starts there.
    """
    for _ in range(_SWEEPS):
        dst = lv[fg + s: fg + e]  # a view: each sweep's gathers see the previous sweep's values
        new = np.maximum(lv[a[s:e]], lv[b[s:e]])
        new += 1
        changed = np.flatnonzero(new != dst)
        if not changed.size:
            return True
        dst[changed[0]:] = new[changed[0]:]
        s += int(changed[0])
    return False


@overload
def runs(dep: np.ndarray, start: int, stop: int, limit: None = None) -> np.ndarray: ...


@overload
def runs(dep: np.ndarray, start: int, stop: int, limit: int) -> np.ndarray | None: ...


def runs(dep: np.ndarray, start: int, stop: int, limit: int | None = None) -> np.ndarray | None:
    """Boundaries of the maximal runs of gates ``start..stop-1`` that only read gates before their run.

    ``dep[g - start]`` is the gate index of gate ``g``'s later operand (negative for an
    input or constant).  One Python step per run (exponential search for its end);
    None once there are more than ``limit`` runs.
    """
    bounds = [start]
    s = start
    while s < stop:
        if limit is not None and len(bounds) > limit:
            return None
        step, end = 256, s
        while True:
            hi = min(stop, end + step)
            bad = np.flatnonzero(dep[end - start: hi - start] >= s)
            if bad.size:
                end += int(bad[0])
                break
            end = hi
            if end >= stop:
                break
            step *= 2
        s = max(end, s + 1)
        bounds.append(s)
    return np.asarray(bounds, dtype=np.int64)


def level_bounds(gate_levels: np.ndarray) -> np.ndarray | None:
    """Gate-index boundaries of the levels when the gates are level-sorted, else None."""
    n = gate_levels.shape[0]
    steps = np.diff(gate_levels)
    if np.any(steps < 0):
        return None
    return np.concatenate([[0], np.flatnonzero(steps) + 1, [n]]).astype(np.int64) if n else np.zeros(1, np.int64)


def level_groups(gate_levels: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Gates grouped by level, lowest first: (gate order or None when it is the identity, group bounds)."""
    bounds = level_bounds(gate_levels)
    if bounds is not None:
        return None, bounds
    order = np.argsort(gate_levels, kind="stable")
    sorted_lv = gate_levels[order]
    starts = np.flatnonzero(np.diff(sorted_lv, prepend=-1))
    return order, np.append(starts, gate_levels.shape[0]).astype(np.int64)


def sort_by_level(graph: "Graph") -> "Graph":
    """``graph`` with its gates renumbered by level (ties in id order); ``graph`` itself if already so.

    The function is the same (outputs follow their gates).  Layer metadata, which
    names gate ranges of the old order, is dropped when the order changes.
    """
    fg = graph.first_gate
    order, _ = level_groups(node_levels(fg, graph.a, graph.b)[fg:])
    if order is None:
        return graph
    new_id = np.arange(graph.n_nodes, dtype=np.int32)
    new_id[fg + order] = np.arange(fg, graph.n_nodes, dtype=np.int32)
    return graph.copy(op=graph.op[order], a=new_id[graph.a[order]], b=new_id[graph.b[order]],
                      outputs=new_id[graph.outputs], layers=None)
