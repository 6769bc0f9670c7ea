"""Head-aware rewrites: outputs that only matter through their class's popcount.

The outputs feed a GroupSum, so only each class's score
``popcount(class outputs) + offset`` matters, not each output bit.  This pass

* removes every constant output and adds its value to its class's offset;
* removes an output together with its complement in the same class
  (``x + ~x = 1``) and adds 1 to the class's offset, pairing as many as exist;
* reorders the outputs within each class by (node, negation), so duplicates are
  adjacent and reads are in node order.

``head.bounds`` and ``head.offsets`` are updated so every class score is
preserved exactly for every input (not each output bit: this changes the
outputs).  The cones of removed outputs become dead (run ``prune`` next).
A graph without a head is returned unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..graph import CONST0, CONST1, Graph, Head
from .registry import PassStats, register


@dataclass(frozen=True)
class HeadParams:
    """Which head rewrites to apply."""

    constants: bool = True
    complements: bool = True
    sort: bool = True


@register("head", "constant outputs -> class offsets, x + ~x in a class -> +1, sort outputs per class",
          params=HeadParams)
def head_rewrite(graph: Graph, params: HeadParams = HeadParams()) -> tuple[Graph, PassStats]:
    """Rewrite the outputs against the GroupSum head (see the module docstring)."""
    head = graph.head
    if head is None:
        return graph, PassStats("head", notes=["no GroupSum head: nothing to do"])
    cls = np.repeat(np.arange(head.k, dtype=np.int64), head.sizes)
    node = graph.outputs.astype(np.int64)
    neg = graph.out_neg.astype(np.int64)
    offsets = head.offsets.copy()
    keep = np.ones(node.size, dtype=bool)
    n_const = n_pairs = 0

    if params.constants:
        const = (node == CONST0) | (node == CONST1)
        value = (node == CONST1).astype(np.int64) ^ neg
        offsets += np.bincount(cls[const], weights=value[const], minlength=head.k).astype(np.int64)
        keep &= ~const
        n_const = int(np.count_nonzero(const))

    if params.complements:
        drop, added = _complement_pairs(cls, node, neg, keep, head.k)
        keep &= ~drop
        offsets += added
        n_pairs = int(added.sum())

    kept = idx = np.flatnonzero(keep)
    if params.sort:
        idx = kept[np.lexsort((neg[kept], node[kept], cls[kept]))]
    new_head = Head(head.k, head.tau, np.concatenate([[0], np.cumsum(np.bincount(cls[idx], minlength=head.k))]),
                    offsets)
    out = graph.copy(outputs=graph.outputs[idx], out_neg=graph.out_neg[idx], head=new_head)
    return out, PassStats("head", {"constant_outputs": n_const, "complement_pairs": n_pairs,
                                   "removed_outputs": int(node.size - idx.size),
                                   "reordered_outputs": int(np.count_nonzero(idx != kept))})


def _complement_pairs(cls: np.ndarray, node: np.ndarray, neg: np.ndarray, keep: np.ndarray,
                      k: int) -> tuple[np.ndarray, np.ndarray]:
    """Outputs to drop as ``x``/``~x`` pairs within a class, and the +1s per class they give."""
    idx = np.flatnonzero(keep)
    drop = np.zeros(node.size, dtype=bool)
    if idx.size == 0:
        return drop, np.zeros(k, dtype=np.int64)
    order = idx[np.lexsort((neg[idx], node[idx], cls[idx]))]
    c, n, p = cls[order], node[order], neg[order]
    # groups of equal (class, node); within a group the plain ones come first, then the negated
    new_group = np.concatenate([[True], (c[1:] != c[:-1]) | (n[1:] != n[:-1])])
    gid = np.cumsum(new_group) - 1
    n_plain = np.bincount(gid, weights=(p == 0), minlength=gid[-1] + 1).astype(np.int64)
    n_negated = np.bincount(gid, weights=(p == 1), minlength=gid[-1] + 1).astype(np.int64)
    pairs = np.minimum(n_plain, n_negated)
    # rank of each output among its group's outputs of the same polarity
    start = np.flatnonzero(new_group)[gid]
    rank = np.arange(order.size) - start - np.where(p == 1, n_plain[gid], 0)
    drop[order[rank < pairs[gid]]] = True
    group_cls = c[np.flatnonzero(new_group)]
    return drop, np.bincount(group_cls, weights=pairs, minlength=k).astype(np.int64)
