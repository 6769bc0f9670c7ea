"""Class scores as logic: the GroupSum head of two graphs turned into adder circuits, for a proof.

ABC's ``cec`` compares output bits.  To prove that two graphs give the same class
scores (the head-aware passes change output bits, offsets and the order of
outputs), :func:`score_circuits` builds, for each graph, a head-less graph whose
outputs are the binary digits of every class score: ``popcount(class outputs) +
offset + bias``, least significant bit first, ``width`` bits per class, with the
same ``bias`` (making every score non-negative) and ``width`` for both graphs.
The two circuits have the same outputs exactly when the class scores agree on
every input.

Adder trees over different orders of the same bits are hard for a SAT solver to
equate, so the shape is made common to both graphs.  The outputs of a class that
compute the same function in both graphs (found by simulation; constant outputs
only pair with constants) are summed in the same order, in one carry-save tree;
the other outputs and the offset's bits in a second tree; a ripple-carry adder of
fixed width adds the two.  ABC then merges the first trees and the final adders as
soon as it has proved the second trees' sums equal, which is all that is left to
prove.  A carry-save tree takes, every round, the bits of each (class, weight)
column three at a time into full adders (a last two into a half adder), all
columns and classes at once with numpy, until no column holds two bits.
"""

from __future__ import annotations

import numpy as np

from .gates import NAMES
from .graph import CONST0, CONST1, Graph
from .simulate import simulate_words

_XOR, _AND, _OR, _NOT_A = (NAMES.index(n) for n in ("xor", "and", "or", "not_a"))
#: Random input words simulated to tell the outputs' functions apart (64 vectors each).
_SIGNATURE_WORDS = 4


def score_range(a: Graph, b: Graph) -> tuple[int, int]:
    """``(bias, width)``: ``score + bias >= 0`` for every class of both graphs, and fits ``width`` bits."""
    assert a.head is not None and b.head is not None
    bias = max(0, -int(min(a.head.offsets.min(initial=0), b.head.offsets.min(initial=0))))
    top = max(int((h.sizes + h.offsets).max(initial=0)) + bias for h in (a.head, b.head))
    return bias, max(1, top.bit_length())


def score_circuits(a: Graph, b: Graph, seed: int = 0) -> tuple[Graph, Graph]:
    """Head-less graphs of ``a`` and ``b`` whose outputs are their class scores in binary (see the module doc).

    Both graphs need a GroupSum head with the same ``k`` and the same inputs.  Output
    ``c * width + j`` is bit ``j`` of class ``c``'s score plus ``bias`` (:func:`score_range`).
    """
    assert a.head is not None and b.head is not None and a.head.k == b.head.k and a.n_inputs == b.n_inputs
    bias, width = score_range(a, b)
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 2**64, (a.n_inputs, _SIGNATURE_WORDS), dtype=np.uint64, endpoint=False)
    sig_a, sig_b = (simulate_words(g, words) for g in (a, b))
    _, sig = np.unique(np.concatenate([sig_a, sig_b]), axis=0, return_inverse=True)
    sig = sig.reshape(-1)
    # constant outputs get ids of their own: a rare function that simulates as constant must not
    # pair with a constant (in one graph but not in the other, it would put the two out of step)
    outputs = np.concatenate([a.outputs, b.outputs]).astype(np.int64)
    const = outputs <= CONST1
    sig[const] = sig.max(initial=0) + 1 + (outputs[const] ^ np.concatenate([a.out_neg, b.out_neg])[const])
    sig_a, sig_b = sig[: a.n_outputs], sig[a.n_outputs:]
    cls_a, cls_b = (np.repeat(np.arange(h.k, dtype=np.int64), h.sizes) for h in (a.head, b.head))
    return (_circuit(a, cls_a, sig_a, _matched(cls_a, sig_a, cls_b, sig_b), bias, width),
            _circuit(b, cls_b, sig_b, _matched(cls_b, sig_b, cls_a, sig_a), bias, width))


def _rank_in_group(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows of ``keys`` (n, m): the rank of each row among equal rows (stable), and its group's id."""
    order = np.lexsort(keys.T[::-1])
    s = keys[order]
    new = np.ones(len(s), dtype=bool)
    new[1:] = (s[1:] != s[:-1]).any(axis=1)
    gid_sorted = np.cumsum(new) - 1
    start = np.flatnonzero(new)[gid_sorted]
    rank, gid = np.empty(len(s), np.int64), np.empty(len(s), np.int64)
    rank[order] = np.arange(len(s)) - start
    gid[order] = gid_sorted
    return rank, gid


def _matched(cls: np.ndarray, sig: np.ndarray, cls_o: np.ndarray, sig_o: np.ndarray) -> np.ndarray:
    """Outputs whose (class, function) the other graph also has (as many times as it has it)."""
    n_sig = int(max(sig.max(initial=-1), sig_o.max(initial=-1))) + 1
    key, key_o = cls * n_sig + sig, cls_o * n_sig + sig_o
    uniq, counts = np.unique(key_o, return_counts=True)
    pos = np.searchsorted(uniq, key)
    found = pos < uniq.size
    found[found] = uniq[pos[found]] == key[found]
    have = np.zeros(key.size, np.int64)
    have[found] = counts[pos[found]]
    return _rank_in_group(np.stack([cls, sig], axis=1))[0] < have


class _Gates:
    """Gates appended to a graph: node ids continue after its last node."""

    def __init__(self, first_node: int) -> None:
        self.next = first_node
        self.op: list[np.ndarray] = []
        self.a: list[np.ndarray] = []
        self.b: list[np.ndarray] = []

    def add(self, op: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Append one gate per element of ``a``/``b``; their node ids."""
        n = a.size
        self.op.append(np.full(n, op, dtype=np.uint8))
        self.a.append(a.astype(np.int32))
        self.b.append(b.astype(np.int32))
        ids = np.arange(self.next, self.next + n, dtype=np.int64)
        self.next += n
        return ids


def _circuit(graph: Graph, cls: np.ndarray, sig: np.ndarray, common: np.ndarray, bias: int, width: int) -> Graph:
    """The score circuit of one graph: ``common`` outputs and the rest summed apart, then added."""
    head = graph.head
    assert head is not None
    gates = _Gates(graph.n_nodes)
    node = graph.outputs.astype(np.int64)
    neg = np.flatnonzero(graph.out_neg)
    node[neg] = gates.add(_NOT_A, node[neg], node[neg])
    # common outputs in the order of their functions: the same adders in both graphs.  Functions
    # the simulation cannot tell apart go in node order, which the passes keep (they renumber
    # gates in order), so they too usually line up
    first = np.lexsort((graph.out_neg, graph.outputs, sig))
    key = np.empty(first.size, np.int64)
    key[first] = np.arange(first.size)
    shared = _reduce(gates, cls[common], np.zeros(int(common.sum()), np.int64), node[common], key[common],
                     head.k, width)
    # the rest and the constant bits of offset + bias
    c_cls, c_w = np.nonzero((head.offsets + bias)[:, None] >> np.arange(width)[None, :] & 1)
    own = np.flatnonzero(~common)
    rest = _reduce(gates, np.concatenate([cls[own], c_cls]), np.concatenate([np.zeros(own.size, np.int64), c_w]),
                   np.concatenate([node[own], np.full(c_cls.size, CONST1, np.int64)]),
                   np.arange(own.size + c_cls.size), head.k, width)
    # the two sums through one ripple-carry adder of fixed shape: where the sums of the rest
    # agree bit for bit (ABC proves that first), the two circuits become the same
    carry = np.full(head.k, CONST0, np.int64)
    outputs = np.empty((head.k, width), np.int64)
    for j in range(width):
        outputs[:, j], carry = _full_adder(gates, shared[:, j], rest[:, j], carry)
    return graph.copy(op=np.concatenate([graph.op, *gates.op]), a=np.concatenate([graph.a, *gates.a]),
                      b=np.concatenate([graph.b, *gates.b]), outputs=outputs.reshape(-1).astype(np.int32),
                      out_neg=np.zeros(outputs.size, dtype=bool), head=None, layers=None, meta={})


def _full_adder(gates: _Gates, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum and carry nodes of full adders over the node arrays ``x``, ``y``, ``z`` (5 gates each)."""
    t, u = gates.add(_XOR, x, y), gates.add(_AND, x, y)
    return gates.add(_XOR, t, z), gates.add(_OR, u, gates.add(_AND, t, z))


def _reduce(gates: _Gates, cls: np.ndarray, w: np.ndarray, node: np.ndarray, key: np.ndarray,
            k: int, width: int) -> np.ndarray:
    """Bits (class, weight, node) summed into binary per class: ``(k, width)`` nodes, CONST0 where empty.

    Carry-save rounds: each (class, weight) column, in ``key`` order, goes three bits at a
    time into full adders and a last two into a half adder, until no column holds two bits.
    A half adder's sum and carry are never both 1, so carries can run past the top column;
    those are 0 (every partial sum fits ``width`` bits) and are dropped.
    """
    while True:
        order = np.lexsort((key, w, cls))
        cls, w, node, key = cls[order], w[order], node[order], key[order]
        rank, gid = _rank_in_group(np.stack([cls, w], axis=1))
        size = np.bincount(gid)[gid] if gid.size else gid
        if size.size == 0 or size.max() <= 1:
            break
        triple = rank // 3
        full = triple < size // 3
        half = ~full & (size % 3 == 2)
        keep = ~full & ~half
        parts = [_adders(gates, node, cls, w, triple, full, 3), _adders(gates, node, cls, w, triple, half, 2),
                 (cls[keep], w[keep], node[keep], 3 * triple[keep] + 2)]
        cls, w, node, key = (np.concatenate(cols) for cols in zip(*parts))
    out = np.full((k, width), CONST0, np.int64)
    low = w < width
    out[cls[low], w[low]] = node[low]
    return out


def _adders(gates: _Gates, node: np.ndarray, cls: np.ndarray, w: np.ndarray, triple: np.ndarray, sel: np.ndarray,
            n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Full (``n_in`` 3) or half (2) adders over the selected bits, consecutive runs of ``n_in``.

    Returns the new bits (class, weight, node, key): each adder's sum stays in its column
    with key ``3 t``, its carry moves one column up with key ``3 t + 1`` (``t`` the triple).
    """
    idx = np.flatnonzero(sel)
    grp = idx.reshape(-1, n_in)  # sorted by (class, weight, rank): consecutive runs are the adders
    x, y = node[grp[:, 0]], node[grp[:, 1]]
    if n_in == 3:
        s, c = _full_adder(gates, x, y, node[grp[:, 2]])
    else:
        s, c = gates.add(_XOR, x, y), gates.add(_AND, x, y)
    first = grp[:, 0]
    return (np.concatenate([cls[first], cls[first]]), np.concatenate([w[first], w[first] + 1]),
            np.concatenate([s, c]), np.concatenate([3 * triple[first], 3 * triple[first] + 1]))
