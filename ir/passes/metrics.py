"""Size and depth figures of a graph, reported before and after every pass."""

from __future__ import annotations

import numpy as np

from ..gates import AIG_COST, IS_BINARY
from ..graph import Graph


def graph_metrics(graph: Graph) -> dict[str, int]:
    """``gates``, real 2-input gates (``binary``), AIG-node equivalent (``aig``: XOR/XNOR count 3), ``depth``.

    Counts are over all stored gates, so run dead-gate pruning first to count only live logic.
    """
    return {
        "gates": graph.n_gates,
        "binary": int(np.count_nonzero(IS_BINARY[graph.op])),
        "aig": int(AIG_COST[graph.op].sum()),
        "depth": graph.depth(),
        "outputs": graph.n_outputs,
    }
