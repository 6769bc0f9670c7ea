"""Dead-gate pruning: gates that cannot reach an output disappear.

Marks the gates in the transitive fan-in of the outputs (one vectorized step per
wave, from the outputs back), keeps those in their original order and renumbers
operands, outputs and layer boundaries.  Primary inputs are always kept, so the
interface is unchanged; inputs that no output depends on are reported.
Function (every output bit) is preserved.
"""

from __future__ import annotations

import numpy as np

from ..graph import FIRST_INPUT, Graph
from .registry import PassStats, register

#: Unused input indices listed in the stats notes (the count is always given).
_LIST_UNUSED = 10


def live_nodes(graph: Graph) -> np.ndarray:
    """bool[n_nodes]: the nodes in the transitive fan-in of the outputs (outputs included)."""
    return graph.fanin_cone(graph.outputs)


@register("prune", "remove gates no output depends on; report unused inputs (inputs are kept)")
def prune(graph: Graph) -> tuple[Graph, PassStats]:
    """Remove dead gates (see the module docstring)."""
    fg = graph.first_gate
    live = live_nodes(graph)
    keep = live[fg:]
    renum = np.arange(graph.n_nodes, dtype=np.int64)
    renum[fg:] = fg + np.cumsum(keep) - 1
    layers = None
    if graph.layers is not None:
        kept_before = np.concatenate([[0], np.cumsum(keep)])
        layers = np.unique(kept_before[graph.layers]).astype(np.int64)  # empty layers collapse
    out = graph.copy(op=graph.op[keep], a=renum[graph.a[keep]].astype(np.int32),
                     b=renum[graph.b[keep]].astype(np.int32),
                     outputs=renum[graph.outputs].astype(np.int32), layers=layers)
    unused = np.flatnonzero(~live[FIRST_INPUT:fg])
    stats = PassStats("prune", {"removed_gates": int(graph.n_gates - np.count_nonzero(keep)),
                                "unused_inputs": int(unused.size)})
    if unused.size:
        shown = ", ".join(str(i) for i in unused[:_LIST_UNUSED]) + (", ..." if unused.size > _LIST_UNUSED else "")
        stats.notes.append(f"unused inputs: {shown}")
    return out, stats
