"""The ``abc`` pass: hand the logic to Berkeley ABC and take the result back.

Writes the graph as binary AIGER, runs an ABC script (default
``strash; dc2; resyn2; fraig``: AIG rewriting, refactoring and SAT-proved
merging of equivalent nodes), reads the AND graph back and re-absorbs the
inverters and hashes it (the ``simplify`` rules).  The head, encoding and meta
are kept.  ABC restructures logic the local passes cannot, but sees outputs one
by one and only ANDs (XORs cost 3): :mod:`.collapse` recovers XOR/XNOR gates
from their three ANDs.  Function (every output bit) is preserved.  When
``berkeley-abc`` is not installed the graph is returned unchanged with a note;
the result is also discarded unless it is smaller (AIG-node equivalent, then
2-input gates) than the input, so the pass never makes a graph worse.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..graph import Graph
from .abc_tool import BEST_SCRIPT, abc_binary, optimize_with_abc
from .collapse import collapse
from .metrics import graph_metrics
from .rebuild import Rules, rebuild
from .registry import PassStats, register


@dataclass(frozen=True)
class AbcParams:
    """ABC script and time limit."""

    script: str = BEST_SCRIPT
    timeout: float = 600.0


@register("abc", "optimize with Berkeley ABC (strash; dc2; resyn2; fraig) if installed", params=AbcParams)
def abc_pass(graph: Graph, params: AbcParams = AbcParams()) -> tuple[Graph, PassStats]:
    """Optimize with ABC (see the module docstring)."""
    if abc_binary() is None:
        return graph, PassStats("abc", notes=["skipped: berkeley-abc is not installed"])
    before = _cost(graph)
    result, n_and = optimize_with_abc(graph, params.script, params.timeout)
    result, _ = collapse(rebuild(result, Rules()).graph)  # XOR/XNOR back from their three ANDs
    after = _cost(result)
    stats = PassStats("abc", {"abc_and_nodes": n_and, "aig_before": before[0], "aig_after": min(before, after)[0]})
    if after >= before:
        stats.notes.append("ABC's result was not smaller; kept the input")
        return graph, stats
    return result, stats


def _cost(graph: Graph) -> tuple[int, int]:
    m = graph_metrics(graph)
    return m["aig"], m["binary"]
