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

from collections.abc import Iterator

import numpy as np

from ..gates import NAMES
from ..graph import FIRST_INPUT, Graph
from .names import node_names, output_classes
from .select import Selection, gate_layers


#: Gates rendered per chunk: a dump of millions of gates is written out piece by piece.
CHUNK_GATES = 1 << 16


def _shown_inputs(graph: Graph, sel: Selection) -> tuple[np.ndarray, str]:
    """The inputs the dump lists (with their encoding): all of them for the whole graph, else those the
    selected gates and outputs read (a cone of a 784-input model need not list 784 thresholds)."""
    if sel.gates.size == graph.n_gates and sel.outputs.size == graph.n_outputs:
        return np.arange(graph.n_inputs), ""
    return np.flatnonzero(sel.reads(graph)[FIRST_INPUT:graph.first_gate]), " (those the selection reads)"


def render(graph: Graph, sel: Selection) -> str:
    """The text dump of the selected part of ``graph`` (deterministic)."""
    return "".join(render_chunks(graph, sel))


def render_chunks(graph: Graph, sel: Selection) -> Iterator[str]:
    """:func:`render`'s text in pieces of at most :data:`CHUNK_GATES` gate or output lines (memory stays bounded)."""
    lines = [f"# lgcc graph: {graph.n_inputs} inputs, {graph.n_gates} gates, {graph.n_outputs} outputs, "
             f"depth {graph.depth()}; showing {sel.what}"]
    if graph.head is not None:
        h = graph.head
        lines.append(f"head: GroupSum k={h.k} tau={h.tau!r} bounds={h.bounds.tolist()} offsets={h.offsets.tolist()}")
    inputs, which = _shown_inputs(graph, sel)
    if graph.encoding is not None:
        e = graph.encoding
        lines.append(f"encoding: {e.n_features} features, input i = feature[i] > threshold[i]{which}")
        lines.extend(f"  x{i}: f{f} > {float(t)!r}"
                     for i, f, t in zip(inputs.tolist(), e.feature[inputs].tolist(), e.threshold[inputs]))
    lines.append(f"inputs{which}: " + " ".join(node_names(graph, inputs + FIRST_INPUT)))
    yield "\n".join(lines) + "\n"
    layer = gate_layers(graph)
    kind = "layer" if graph.layers is not None else "level"
    shift = 0 if graph.layers is not None else 1  # levels are shown counted from 1, as lgcc stats does
    prev = None
    for s in range(0, sel.gates.size, CHUNK_GATES):
        gates = sel.gates[s: s + CHUNK_GATES]
        lines = []
        an = node_names(graph, graph.a[gates])
        bn = node_names(graph, graph.b[gates])
        for j, ly, op, x, y in zip(gates.tolist(), layer[gates].tolist(), graph.op[gates].tolist(), an, bn):
            if ly != prev:
                lines.append(f"{kind} {ly + shift}:")
                prev = ly
            lines.append(f"g{j} = {NAMES[op]}({x}, {y})")
        yield "\n".join(lines) + "\n"
    classes = output_classes(graph)
    for s in range(0, sel.outputs.size, CHUNK_GATES):  # outputs too: a model may have millions
        outs = sel.outputs[s: s + CHUNK_GATES]
        lines = []
        for o, src in zip(outs.tolist(), node_names(graph, graph.outputs[outs])):
            tail = f"  [class {classes[o]}]" if classes[o] >= 0 else ""
            lines.append(f"y{o} = {'~' if graph.out_neg[o] else ''}{src}{tail}")
        yield "\n".join(lines) + "\n"
