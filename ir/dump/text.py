"""Stable, human-readable text dump: one line per gate, for golden tests and debugging.

Example::

    # lgcc graph: 3 inputs, 5 gates, 2 outputs, depth 3; showing whole graph
    head: GroupSum k=2 tau=1.0 bounds=[0, 1, 2] offsets=[0, 0]
    inputs: x0 x1 x2
    layer 0:
    g0 = and(x0, x1)
    ...
    y0 = g3  [class 0]
    y1 = ~g4  [class 1]
"""

from __future__ import annotations

import numpy as np

from ..gates import NAMES
from ..graph import Graph
from .names import node_names, output_classes
from .select import Selection, gate_layers


def render(graph: Graph, sel: Selection) -> str:
    """The text dump of the selected part of ``graph`` (deterministic)."""
    lines = [f"# lgcc graph: {graph.n_inputs} inputs, {graph.n_gates} gates, {graph.n_outputs} outputs, "
             f"depth {graph.depth()}; showing {sel.what}"]
    if graph.head is not None:
        h = graph.head
        lines.append(f"head: GroupSum k={h.k} tau={h.tau!r} bounds={h.bounds.tolist()} offsets={h.offsets.tolist()}")
    if graph.encoding is not None:
        e = graph.encoding
        lines.append(f"encoding: {e.n_features} features, input i = feature[i] > threshold[i]")
        lines.extend(f"  x{i}: f{f} > {float(t)!r}" for i, (f, t) in enumerate(zip(e.feature.tolist(), e.threshold)))
    lines.append("inputs: " + " ".join(node_names(graph, np.arange(graph.n_inputs) + 2)))
    gates = sel.gates
    layer = gate_layers(graph)[gates]
    an = node_names(graph, graph.a[gates])
    bn = node_names(graph, graph.b[gates])
    ops = graph.op[gates].tolist()
    kind = "layer" if graph.layers is not None else "level"
    prev = None
    for j, ly, op, x, y in zip(gates.tolist(), layer.tolist(), ops, an, bn):
        if ly != prev:
            lines.append(f"{kind} {ly if graph.layers is not None else ly + 1}:")
            prev = ly
        lines.append(f"g{j} = {NAMES[op]}({x}, {y})")
    classes = output_classes(graph)
    src = node_names(graph, graph.outputs[sel.outputs])
    for o, s in zip(sel.outputs.tolist(), src):
        tail = f"  [class {classes[o]}]" if classes[o] >= 0 else ""
        lines.append(f"y{o} = {'~' if graph.out_neg[o] else ''}{s}{tail}")
    return "\n".join(lines) + "\n"
