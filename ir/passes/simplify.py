"""All local simplifications in one level-by-level sweep.

Constant folding, wire/inverter absorption, canonicalization and structural
hashing applied together (the rules of :mod:`.constant_fold`, :mod:`.absorb`
and :mod:`.strash`), so every simplification enables the next within the same
sweep: after it no gate is constant, a one-input function, reads a constant or
the same signal twice, or duplicates another gate.  Removes those gates;
function (every output bit) is preserved.  Dead gates are kept (see :mod:`.prune`).
"""

from __future__ import annotations

from ..graph import Graph
from .rebuild import Rules, rebuild
from .registry import PassStats, register


@register("simplify", "const_fold + absorb + strash in one sweep (the workhorse of -O1)")
def simplify(graph: Graph) -> tuple[Graph, PassStats]:
    """Fold, absorb and hash in one sweep (see the module docstring)."""
    res = rebuild(graph, Rules(fold_constants=True, absorb=True, strash=True))
    return res.graph, PassStats("simplify", {"constant_gates": res.constants, "absorbed_gates": res.one_input,
                                             "merged_gates": res.merged,
                                             "removed_gates": graph.n_gates - res.graph.n_gates})
