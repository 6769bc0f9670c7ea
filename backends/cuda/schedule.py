"""Level schedule and storage of a graph for the table-driven CUDA kernels.

Gates are sorted by logic level; all gates of one level are evaluated in parallel (one
launch, or one ``__syncthreads`` step of the fused kernel).  Node values live in *slots*
(rows of a ``[n_slots][words]`` array, in shared or global memory); a slot is reused once
the last gate reading its node has run, so the storage is the widest cut of the graph, not
its size.  Everything here is vectorized numpy with one Python step per level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lgcc.ir.errors import LgccError
from lgcc.ir.graph import FIRST_INPUT, Graph

#: Largest number of outputs one head piece counts (its counter has 7 bit-sliced words).
PIECE = 64
#: Slot ids share a 32-bit word with the 4-bit gate id.
MAX_SLOTS = 1 << 28


@dataclass(frozen=True)
class Schedule:
    """Tables consumed by the generated kernels (all little-endian fixed-width arrays)."""

    gates: np.ndarray  # uint32[n_gates, 3]: a slot, b slot, dst slot << 4 | op (level order)
    level_starts: np.ndarray  # uint32[depth + 1]: gate-table offset where each level begins
    out_refs: np.ndarray  # uint32[n_outputs]: slot << 1 | negate
    pieces: np.ndarray  # int32[n_pieces, 3]: class, first output, end output (<= PIECE outputs)
    n_slots: int

    @property
    def depth(self) -> int:
        """Number of levels."""
        return int(self.level_starts.shape[0] - 1)


def head_pieces(bounds: np.ndarray) -> np.ndarray:
    """Split each class's outputs ``bounds[c]:bounds[c+1]`` into runs of at most :data:`PIECE`."""
    bounds = np.asarray(bounds, dtype=np.int64)
    sizes = np.diff(bounds)
    counts = (sizes + PIECE - 1) // PIECE
    cls = np.repeat(np.arange(sizes.shape[0], dtype=np.int64), counts)
    first_piece = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if counts.size else counts
    rank = np.arange(cls.shape[0], dtype=np.int64) - np.repeat(first_piece, counts)
    lo = bounds[cls] + rank * PIECE
    hi = np.minimum(lo + PIECE, bounds[cls + 1])
    return np.stack([cls, lo, hi], axis=1).astype(np.int32).reshape(-1, 3)


def schedule(graph: Graph) -> Schedule:
    """Order gates by level and give every node a storage slot, reusing dead ones."""
    fg, n = graph.first_gate, graph.n_gates
    levels = graph.levels().astype(np.int64)
    gate_level = levels[fg:]
    depth = int(gate_level.max()) if n else 0
    order = np.argsort(gate_level, kind="stable")
    level_starts = np.searchsorted(gate_level[order], np.arange(1, depth + 2)).astype(np.int64)

    # Last level at which each node is read; outputs and constants stay live to the end,
    # nodes nobody reads die at their own level.
    last: np.ndarray = np.full(graph.n_nodes, -1, dtype=np.int64)
    np.maximum.at(last, graph.a, gate_level)
    np.maximum.at(last, graph.b, gate_level)
    last[graph.outputs] = depth + 1
    last[:FIRST_INPUT] = depth + 1
    last = np.where(last < 0, levels, last)
    by_last = np.argsort(last, kind="stable")
    last_starts = np.searchsorted(last[by_last], np.arange(depth + 2))

    slot = np.full(graph.n_nodes, -1, dtype=np.int64)
    slot[:fg] = np.arange(fg)  # constants and inputs keep their node id as slot
    n_slots = fg
    free = slot[by_last[last_starts[0]:last_starts[1]]]  # inputs read by nobody
    for lv in range(1, depth + 1):
        gates = order[level_starts[lv - 1]:level_starts[lv]]
        reuse = min(gates.shape[0], free.shape[0])
        fresh = np.arange(n_slots, n_slots + gates.shape[0] - reuse, dtype=np.int64)
        slot[fg + gates] = np.concatenate([free[free.shape[0] - reuse:], fresh])
        free = free[:free.shape[0] - reuse]
        n_slots += fresh.shape[0]
        dying = by_last[last_starts[lv]:last_starts[lv + 1]]
        free = np.concatenate([free, slot[dying]])
    if n_slots >= MAX_SLOTS:
        raise LgccError(f"the cuda target supports at most {MAX_SLOTS} live values, this graph needs {n_slots}")

    gates_tab = np.empty((n, 3), dtype=np.uint32)
    gates_tab[:, 0] = slot[graph.a[order]]
    gates_tab[:, 1] = slot[graph.b[order]]
    gates_tab[:, 2] = (slot[fg + order] << 4) | graph.op[order].astype(np.int64)
    out_refs = ((slot[graph.outputs] << 1) | graph.out_neg.astype(np.int64)).astype(np.uint32)
    pieces = head_pieces(graph.head.bounds) if graph.head is not None else np.zeros((0, 3), np.int32)
    return Schedule(gates_tab, level_starts.astype(np.uint32), out_refs, pieces, int(n_slots))
