"""Constant folding: constants and gates that become constant disappear.

Removes every gate whose function is constant (``false``/``true``) or whose
operands make it constant (``x & 0``), and rewrites every user of a constant to
the gate with that operand fixed: ``x & 1`` becomes a wire gate on ``x``, ``x | 1``
the constant 1, and an output that is constant reads the constant node.  The
constant node 1 is replaced by "node 0, negated".  Function (every output bit)
is preserved; other gates, including the now-dead fan-in of folded gates, are
kept (dead-gate pruning removes them).
"""

from __future__ import annotations

from ..graph import Graph
from .rebuild import Rules, rebuild
from .registry import PassStats, register


@register("const_fold", "fold constant gates and constant operands into their users")
def constant_fold(graph: Graph) -> tuple[Graph, PassStats]:
    """Fold constants (see the module docstring)."""
    res = rebuild(graph, Rules(fold_constants=True, absorb=False, strash=False))
    return res.graph, PassStats("const_fold", {"constant_gates": res.constants,
                                               "removed_gates": graph.n_gates - res.graph.n_gates})
