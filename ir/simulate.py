"""The reference simulator: the oracle every pass and backend is tested against.

Bit-parallel over uint64 words (64 samples per word) with numpy, one vectorized
step per wave of gates (see :meth:`Graph.waves`), never a Python loop per gate.
Samples are processed in chunks so the value table stays within a memory budget
even for 10-million-gate graphs.
"""

from __future__ import annotations

import numpy as np

from .errors import GraphError
from .gates import eval_words
from .graph import CONST1, FIRST_INPUT, Graph

ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
#: Default budget for the node-value table of one chunk of samples.
DEFAULT_BUDGET_BYTES = 256 << 20
#: Gates evaluated per vectorized step (keeps temporaries in cache).
_BLOCK = 1 << 14


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
    node-value table needs at most ``budget_bytes``.
    """
    inputs = np.asarray(inputs)
    if inputs.dtype != np.uint64 or inputs.ndim != 2 or inputs.shape[0] != graph.n_inputs:
        raise GraphError(f"expected uint64 words of shape ({graph.n_inputs}, W), got {inputs.dtype} {inputs.shape}")
    n_words = inputs.shape[1]
    chunk = max(1, min(n_words, budget_bytes // (8 * max(1, graph.n_nodes))))
    out = np.empty((graph.n_outputs, n_words), dtype=np.uint64)
    waves = graph.waves()
    for s in range(0, n_words, chunk):
        e = min(n_words, s + chunk)
        out[:, s:e] = _simulate_chunk(graph, inputs[:, s:e], waves)
    return out


def _simulate_chunk(graph: Graph, inputs: np.ndarray, waves: np.ndarray) -> np.ndarray:
    width = inputs.shape[1]
    vals = np.empty((graph.n_nodes, width), dtype=np.uint64)
    vals[0] = 0
    vals[CONST1] = ALL_ONES
    vals[FIRST_INPUT:graph.first_gate] = inputs
    fg = graph.first_gate
    for ws, we in zip(waves[:-1], waves[1:]):
        for s in range(int(ws), int(we), _BLOCK):
            e = min(int(we), s + _BLOCK)
            vals[fg + s: fg + e] = eval_words(graph.op[s:e], vals[graph.a[s:e]], vals[graph.b[s:e]])
    res = vals[graph.outputs]
    res ^= np.where(graph.out_neg, ALL_ONES, np.uint64(0))[:, None]
    return res


def _check_bits(graph: Graph, bits: np.ndarray) -> np.ndarray:
    bits = np.asarray(bits)
    if bits.ndim != 2 or bits.shape[1] != graph.n_inputs:
        raise GraphError(f"expected input bits of shape (N, {graph.n_inputs}), got {bits.shape}")
    if bits.dtype != np.bool_ and not np.issubdtype(bits.dtype, np.integer):
        raise GraphError(f"input bits must be bool or integer 0/1, got dtype {bits.dtype}")
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
    out = simulate_words(graph, inputs)
    bits = unpack_rows(out, n_samples).astype(np.int64)  # (N, m)
    sums = np.add.reduceat(bits, head.bounds[:-1], axis=1) if bits.shape[1] else np.zeros((n_samples, head.k), np.int64)
    sums[:, head.sizes == 0] = 0  # reduceat returns the element itself for empty groups
    return sums + head.offsets


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


def _need_head(graph: Graph):
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
