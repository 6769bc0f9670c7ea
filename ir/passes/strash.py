"""Operand canonicalization and structural hashing: identical gates are merged.

Every gate is put in canonical form — operands ordered by node id (``SWAP``) and
the stored function chosen with output 0 on input (0, 0), its negation moved into
the users' function or the output's negation flag (``NEG_OUT``) — and gates with
the same canonical ``(op, a, b)`` are merged into one (a hash table per logic
level, keys packed into int64).  So ``a & b`` and ``b & a`` merge, and so do
``a ^ b`` and ``~(a ^ b)``.  Function (every output bit) is preserved.
"""

from __future__ import annotations

from ..graph import Graph
from .rebuild import Rules, rebuild
from .registry import PassStats, register


@register("strash", "canonical operand order and polarity; merge structurally identical gates")
def strash(graph: Graph) -> tuple[Graph, PassStats]:
    """Canonicalize and hash-cons gates (see the module docstring)."""
    res = rebuild(graph, Rules(fold_constants=False, absorb=False, strash=True))
    return res.graph, PassStats("strash", {"merged_gates": res.merged,
                                           "removed_gates": graph.n_gates - res.graph.n_gates})
