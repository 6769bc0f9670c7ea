"""The reference simulator: the oracle every pass and backend is tested against.

Bit-parallel over uint64 words (64 samples per word) with numpy, one vectorized
step per logic level (a graph not in level order is simulated through a
level-ordered copy, see :mod:`lgcc.ir.levels`), never a Python loop per gate.
Samples are processed in chunks so the value table stays within a memory budget
even for 10-million-gate graphs; for those, table rows are reused once no later
wave reads them, so the chunks stay wide.
"""

from __future__ import annotations

import numpy as np

from .errors import GraphError
from .gates import ANF_MASKS
from .graph import CONST1, FIRST_INPUT, Graph, Head
from .levels import level_bounds, sort_by_level

ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
#: Default budget for the node-value table of one chunk of samples.
DEFAULT_BUDGET_BYTES = 256 << 20
#: Most gates evaluated per vectorized step.
_BLOCK = 1 << 14
#: Words (gates x samples/64) per step buffer, so a step's buffers stay in cache.
_BLOCK_WORDS = 1 << 15


def pack_rows(bits: np.ndarray) -> np.ndarray:
    """Rows of bits ``(N, n)`` -> words ``(n, ceil(N/64))``: bit ``j`` of word ``w`` is sample ``64w + j``."""
    bits = np.asarray(bits)
    n_samples, n = bits.shape
    n_words = (n_samples + 63) // 64
    padded = np.zeros((n_words * 64, n), dtype=np.uint8)
    padded[:n_samples] = bits != 0
    # (n, n_words, 64) little-endian bit order -> 8 bytes per word
    packed = np.packbits(padded.T.reshape(n, n_words, 64), axis=2, bitorder="little")
    return np.ascontiguousarray(packed.reshape(n, n_words * 8)).view(np.uint64)


def unpack_rows(words: np.ndarray, n_samples: int) -> np.ndarray:
    """Inverse of :func:`pack_rows`: words ``(n, W)`` -> bool rows ``(n_samples, n)``."""
    words = np.ascontiguousarray(words, dtype=np.uint64)
    n, n_words = words.shape
    bits = np.unpackbits(words.view(np.uint8).reshape(n, n_words * 8), axis=1, bitorder="little")
    return bits[:, :n_samples].T.astype(bool)


def simulate_words(graph: Graph, inputs: np.ndarray, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> np.ndarray:
    """Evaluate on packed words: ``inputs`` uint64 ``(n_inputs, W)`` -> outputs uint64 ``(n_outputs, W)``.

    Output negation flags are applied.  Words are processed in chunks sized so the
    value table needs at most ``budget_bytes``; when one row per node would make
    the chunks narrow, rows are reused once no later wave reads them (see
    :func:`_row_plan`), so wide chunks fit the budget even for huge graphs.
    """
    inputs = np.asarray(inputs)
    if inputs.dtype != np.uint64 or inputs.ndim != 2 or inputs.shape[0] != graph.n_inputs:
        raise GraphError(f"expected uint64 words of shape ({graph.n_inputs}, W), got {inputs.dtype} {inputs.shape}")
    n_words = inputs.shape[1]
    waves = level_bounds(graph.levels()[graph.first_gate:])
    if waves is None:  # not in level order (e.g. read from AIGER): a level-ordered copy has the same outputs
        graph = sort_by_level(graph)
        waves = graph.waves()
    plan = _Plan.make(graph, waves, n_words, budget_bytes)
    chunk = max(1, min(n_words, budget_bytes // (8 * max(1, plan.rows))))
    # gates per step: the step's three (gates x words) buffers stay in the L2 cache
    blocks = plan.blocks(max(64, min(_BLOCK, _BLOCK_WORDS // chunk)))
    out = np.empty((graph.n_outputs, n_words), dtype=np.uint64)
    for s in range(0, n_words, chunk):
        e = min(n_words, s + chunk)
        out[:, s:e] = _simulate_chunk(graph, inputs[:, s:e], plan, blocks)
    return out


class _Plan:
    """Where each node's value lives in the value table, and the blocks of gates to evaluate."""

    def __init__(self, graph: Graph, waves: np.ndarray, row: np.ndarray | None, rows: int) -> None:
        fg = graph.first_gate
        self.rows = rows
        self.identity = row is None
        self.waves = waves
        self.a = graph.a if row is None else row[graph.a]
        self.b = graph.b if row is None else row[graph.b]
        self.outputs = graph.outputs if row is None else row[graph.outputs]
        self.gate_rows = np.arange(fg, graph.n_nodes) if row is None else row[fg:]

    def blocks(self, block: int) -> list[tuple[int, int, int]]:
        """(first gate, end gate, first destination row or -1 where the rows are not one run) per step."""
        out = []
        for ws, we in zip(self.waves[:-1].tolist(), self.waves[1:].tolist()):
            for s in range(ws, we, block):
                e = min(we, s + block)
                d = self.gate_rows[s:e]
                run = self.identity or (int(d[-1]) - int(d[0]) == e - s - 1 and bool(np.all(np.diff(d) == 1)))
                out.append((s, e, int(d[0]) if run else -1))
        return out

    @classmethod
    def make(cls, graph: Graph, waves: np.ndarray, n_words: int, budget_bytes: int) -> "_Plan":
        """One row per node when that fits ``n_words`` words in the budget, else rows reused by liveness."""
        if graph.n_nodes * 8 * n_words <= budget_bytes or graph.n_gates == 0:
            return cls(graph, waves, None, graph.n_nodes)
        row, rows = _row_plan(graph, waves)
        return cls(graph, waves, row, rows)


def _row_plan(graph: Graph, waves: np.ndarray) -> tuple[np.ndarray, int]:
    """Row of every node in a value table that reuses the rows of values no later wave reads.

    A gate's row is taken when its wave starts and released after the last wave that
    reads it (outputs, constants and inputs keep theirs); for a difflogic-shaped graph
    about two layers are live at a time.  Released rows are reused last-in first-out;
    a block of gates whose rows form one run is written in place, any other block
    through a buffer (:meth:`_Plan.blocks`).  Vectorized per wave.
    """
    fg, n = graph.first_gate, graph.n_gates
    n_waves = waves.shape[0] - 1
    wave_of = np.repeat(np.arange(n_waves, dtype=np.int64), np.diff(waves))
    last = np.empty(graph.n_nodes, dtype=np.int64)
    last[fg:] = wave_of
    last[:fg] = n_waves
    np.maximum.at(last, graph.a, wave_of)
    np.maximum.at(last, graph.b, wave_of)
    last[graph.outputs] = n_waves
    gate_last = last[fg:]
    order = np.argsort(gate_last, kind="stable")
    released = np.searchsorted(gate_last[order], np.arange(n_waves + 1))
    row = np.empty(graph.n_nodes, dtype=np.int64)
    row[:fg] = np.arange(fg)
    free = np.empty(n, dtype=np.int64)  # stack of released rows
    n_free, top = 0, fg
    for i in range(n_waves):
        s, e = int(waves[i]), int(waves[i + 1])
        k = min(e - s, n_free)
        row[fg + s: fg + s + k] = free[n_free - k: n_free]
        n_free -= k
        row[fg + s + k: fg + e] = np.arange(top, top + (e - s - k))
        top += e - s - k
        rel = row[fg + order[released[i]: released[i + 1]]]
        free[n_free: n_free + rel.size] = rel
        n_free += rel.size
    return row, top


def _simulate_chunk(graph: Graph, inputs: np.ndarray, plan: _Plan, blocks: list[tuple[int, int, int]]) -> np.ndarray:
    width = inputs.shape[1]
    vals = np.empty((plan.rows, width), dtype=np.uint64)
    vals[0] = 0
    vals[CONST1] = ALL_ONES
    vals[FIRST_INPUT:graph.first_gate] = inputs
    # Operand values are gathered into preallocated buffers and the gate's algebraic normal
    # form is applied in place, straight into the value table: no temporaries per block.
    longest = max((e - s for s, e, _ in blocks), default=0)
    buf_a, buf_b, buf_out = (np.empty((longest, width), dtype=np.uint64) for _ in range(3))
    for s, e, first_row in blocks:
        n = e - s
        va, vb = buf_a[:n], buf_b[:n]
        np.take(vals, plan.a[s:e], axis=0, out=va)
        np.take(vals, plan.b[s:e], axis=0, out=vb)
        masks = ANF_MASKS[graph.op[s:e]]
        dst = vals[first_row: first_row + n] if first_row >= 0 else buf_out[:n]
        np.bitwise_and(va, vb, out=dst)
        dst &= masks[:, 3:4]
        va &= masks[:, 1:2]
        dst ^= va
        vb &= masks[:, 2:3]
        dst ^= vb
        dst ^= masks[:, 0:1]
        if first_row < 0:
            vals[plan.gate_rows[s:e]] = dst
    res = vals[plan.outputs]
    res ^= np.where(graph.out_neg, ALL_ONES, np.uint64(0))[:, None]
    return res


def _check_bits(graph: Graph, bits: np.ndarray) -> np.ndarray:
    bits = np.asarray(bits)
    if bits.ndim != 2 or bits.shape[1] != graph.n_inputs:
        raise GraphError(f"expected input bits of shape (N, {graph.n_inputs}), got {bits.shape}")
    if bits.dtype != np.bool_ and not np.issubdtype(bits.dtype, np.integer):
        raise GraphError(f"input bits must be bool or integer 0/1, got dtype {bits.dtype}")
    if bits.dtype != np.bool_ and bits.size and (bits.min() < 0 or bits.max() > 1):
        raise GraphError("input bits must be 0 or 1 (found other values); threshold or encode the data first")
    return bits


def simulate(graph: Graph, bits: np.ndarray) -> np.ndarray:
    """Rows of input bits ``(N, n_inputs)`` -> rows of output bits ``(N, n_outputs)`` (bool)."""
    bits = _check_bits(graph, bits)
    words = simulate_words(graph, pack_rows(bits))
    return unpack_rows(words, bits.shape[0])


def popcount_words(words: np.ndarray) -> np.ndarray:
    """Number of set bits of each uint64 (vectorized)."""
    return np.bitwise_count(words).astype(np.int64)


def scores_words(graph: Graph, inputs: np.ndarray, n_samples: int) -> np.ndarray:
    """Integer class scores ``(n_samples, k)`` from packed input words (needs a head)."""
    head = _need_head(graph)
    return head_scores(head, simulate_words(graph, inputs), n_samples)


def head_scores(head: Head, out_words: np.ndarray, n_samples: int) -> np.ndarray:
    """Integer class scores ``(n_samples, k)`` of packed output words ``(n_outputs, W)`` under ``head``."""
    words = np.ascontiguousarray(out_words, dtype=np.uint64)
    n_out, n_words = words.shape
    # one byte per (output, sample), outputs along axis 0: each class is a sum of whole rows
    bits = np.unpackbits(words.view(np.uint8).reshape(n_out, n_words * 8), axis=1, bitorder="little")[:, :n_samples]
    counts = np.zeros((head.k, n_samples), dtype=np.int64)
    for c in np.flatnonzero(np.diff(head.bounds) > 0):  # per class (head rewrites can empty one)
        lo, hi = int(head.bounds[c]), int(head.bounds[c + 1])
        # a narrow accumulator sums 8x faster than reduceat's widening (measured); it cannot overflow
        counts[c] = np.add.reduce(bits[lo:hi], axis=0, dtype=np.uint16 if hi - lo < 1 << 16 else np.int64)
    return np.ascontiguousarray(counts.T) + head.offsets


def scores(graph: Graph, bits: np.ndarray) -> np.ndarray:
    """Integer class scores: popcount of each class's outputs plus its offset, int64 ``(N, k)``.

    Divide by ``graph.head.tau`` for the value GroupSum returns in PyTorch.
    """
    bits = _check_bits(graph, bits)
    return scores_words(graph, pack_rows(bits), bits.shape[0])


def predict(graph: Graph, bits: np.ndarray) -> np.ndarray:
    """Predicted class per row: argmax of :func:`scores`, ties to the lowest index (int64)."""
    return np.argmax(scores(graph, bits), axis=1).astype(np.int64)


def encode(graph: Graph, features: np.ndarray) -> np.ndarray:
    """Raw feature rows to input bit rows through the graph's input encoding."""
    if graph.encoding is None:
        raise GraphError("this graph has no input encoding; pass input bits instead of features")
    return graph.encoding.encode(features)


def _need_head(graph: Graph) -> Head:
    if graph.head is None:
        raise GraphError("this graph has no GroupSum head; use simulate() for raw output bits")
    return graph.head


#: Largest input count for which exhaustive truth tables are computed.
MAX_EXHAUSTIVE_INPUTS = 20


def exhaustive_inputs(n_inputs: int) -> np.ndarray:
    """Packed words enumerating all ``2**n_inputs`` input vectors (sample index = binary input value).

    Input ``i`` is bit ``i`` of the sample index.  Shape ``(n_inputs, max(1, 2**n / 64))``.
    """
    if n_inputs > MAX_EXHAUSTIVE_INPUTS:
        raise GraphError(f"exhaustive simulation supports at most {MAX_EXHAUSTIVE_INPUTS} inputs, got {n_inputs}")
    n_samples = 1 << n_inputs
    n_words = max(1, n_samples // 64)
    words = np.empty((n_inputs, n_words), dtype=np.uint64)
    idx = np.arange(n_words, dtype=np.uint64)
    for i in range(n_inputs):
        if i < 6:
            pattern = 0
            for j in range(64):
                if (j >> i) & 1:
                    pattern |= 1 << j
            words[i] = np.uint64(pattern)
        else:
            words[i] = np.where((idx >> np.uint64(i - 6)) & np.uint64(1), ALL_ONES, np.uint64(0))
    if n_samples < 64:  # clear bits of samples that do not exist
        words &= np.uint64((1 << n_samples) - 1)
    return words


def truth_table(graph: Graph) -> np.ndarray:
    """Exhaustive output words ``(n_outputs, W)`` over all inputs (at most 20 inputs)."""
    out = simulate_words(graph, exhaustive_inputs(graph.n_inputs))
    if graph.n_inputs < 6:  # only the first 2**n bits are samples
        out &= np.uint64((1 << (1 << graph.n_inputs)) - 1)
    return out
