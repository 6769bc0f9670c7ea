"""Graph statistics: gates per layer, per level and per op, depth, input use, outputs per class.

All counts are vectorized (``bincount`` over the flat arrays), so statistics of
a 10-million-gate graph take about as long as computing its levels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..gates import AIG_COST, IS_BINARY, NAMES, NUM_GATES
from ..graph import FIRST_INPUT, Graph
from .select import cone_mask

#: How many unused input indices the report lists before it stops.
MAX_LISTED = 32


def graph_stats(graph: Graph) -> dict[str, Any]:
    """A JSON-able dictionary of statistics of ``graph``."""
    fg = graph.first_gate
    levels = graph.levels()
    gate_levels = levels[fg:]
    per_op = np.bincount(graph.op, minlength=NUM_GATES)
    cone = cone_mask(graph, graph.outputs)
    # an input read only by dead gates is unused: the same count as the prune pass reports
    unused_inputs = np.flatnonzero(~cone[FIRST_INPUT:fg])
    live = cone[fg:]
    stats: dict[str, Any] = {
        "inputs": graph.n_inputs,
        "gates": graph.n_gates,
        "outputs": graph.n_outputs,
        "depth": graph.depth(),
        "binary_gates": int(per_op[IS_BINARY].sum()),
        "live_gates": int(live.sum()),
        "dead_gates": int(graph.n_gates - live.sum()),
        "aig_cost": int((per_op * AIG_COST).sum()),
        "gates_per_op": {NAMES[g]: int(per_op[g]) for g in range(NUM_GATES)},
        "gates_per_level": np.bincount(gate_levels, minlength=int(gate_levels.max(initial=0)) + 1)[1:].tolist(),
        "gates_per_layer": np.diff(graph.layers).tolist() if graph.layers is not None else None,
        "used_inputs": int(graph.n_inputs - unused_inputs.size),
        "unused_inputs": int(unused_inputs.size),
        "unused_input_indices": unused_inputs[:MAX_LISTED].tolist(),
        "negated_outputs": int(graph.out_neg.sum()),
        "head": None,
        "encoding": None,
    }
    if graph.head is not None:
        stats["head"] = {"k": graph.head.k, "tau": graph.head.tau,
                         "outputs_per_class": graph.head.sizes.tolist(), "offsets": graph.head.offsets.tolist()}
    if graph.encoding is not None:
        stats["encoding"] = {"features": graph.encoding.n_features,
                             "features_used": int(np.unique(graph.encoding.feature[cone[FIRST_INPUT:fg]]).size)}
    return stats


def format_table(stats: dict[str, Any]) -> str:
    """A plain-text report of :func:`graph_stats`."""
    rows = [("inputs", f"{stats['inputs']} ({stats['used_inputs']} used, {stats['unused_inputs']} unused)"),
            ("gates", f"{stats['gates']} ({stats['live_gates']} live, {stats['dead_gates']} dead, "
                      f"{stats['binary_gates']} binary)"),
            ("outputs", f"{stats['outputs']} ({stats['negated_outputs']} negated)"),
            ("depth", str(stats["depth"])),
            ("AIG cost", f"{stats['aig_cost']} AND nodes")]
    if stats["unused_inputs"]:
        more = ", ..." if stats["unused_inputs"] > len(stats["unused_input_indices"]) else ""
        rows.append(("unused inputs", ", ".join(f"x{i}" for i in stats["unused_input_indices"]) + more))
    if stats["head"]:
        h = stats["head"]
        rows.append(("head", f"GroupSum k={h['k']} tau={h['tau']!r}"))
        rows.append(("outputs/class", " ".join(str(s) for s in h["outputs_per_class"])))
    if stats["encoding"]:
        e = stats["encoding"]
        rows.append(("encoding", f"{e['features']} features ({e['features_used']} used)"))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines += ["", "gates per op:"]
    lines += [f"  {name:<12} {count:>10}" for name, count in stats["gates_per_op"].items() if count]
    for key, title in (("gates_per_layer", "layer"), ("gates_per_level", "level")):
        counts = stats[key]
        if counts:
            first = 0 if key == "gates_per_layer" else 1
            lines += ["", f"gates per {title}:"]
            lines += [f"  {title} {i + first:<6} {c:>10}" for i, c in enumerate(counts)]
    return "\n".join(lines) + "\n"
