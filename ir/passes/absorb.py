"""Wire and inverter absorption: gates that copy or negate one signal disappear.

Removes every gate whose output depends on one operand only (a wire ``a``/``b``
or an inverter ``not a``/``not b``) and every gate that reads the same signal
twice and is not constant (``x & x``).  Every user is rewritten to the
equivalent gate on the original signal (``gates.NEG_A``/``NEG_B`` when the
signal arrives negated: all 16 functions exist, so inverters are free) and
every output to the original signal with its negation flag (``out_neg``)
toggled.  Function (every output bit) is preserved.
"""

from __future__ import annotations

import numpy as np

from ..graph import Graph
from .rebuild import Rules, rebuild
from .registry import PassStats, register


@register("absorb", "remove wires and inverters; users read the original signal (negation absorbed)")
def absorb(graph: Graph) -> tuple[Graph, PassStats]:
    """Absorb wires and inverters (see the module docstring)."""
    res = rebuild(graph, Rules(fold_constants=False, absorb=True, strash=False))
    flipped = int(np.count_nonzero(res.graph.out_neg != graph.out_neg))
    return res.graph, PassStats("absorb", {"absorbed_gates": res.one_input, "outputs_negated": flipped,
                                           "removed_gates": graph.n_gates - res.graph.n_gates})
