"""Graphviz DOT dump: layers as ranks, gate names and symbols as labels, inputs and outputs marked.

Inputs are boxes on the top rank, each layer (or logic level) of the selection
is one ``rank=same`` group, outputs are double circles on the bottom rank.
Operand ``a`` edges are solid, operand ``b`` edges dashed (the symbols such as
``a&~b`` name them); a negated output's edge ends in an ``odot`` arrowhead.
Operands outside the selection appear as grey dashed nodes.
"""

from __future__ import annotations

import numpy as np

from ..gates import NAMES, SYMBOLS
from ..graph import FIRST_INPUT, Graph
from .names import node_names, output_classes
from .select import Selection, gate_layers


def _esc(text: str) -> str:
    """Text made safe inside a DOT string (labels add their own ``\\n`` line breaks after this)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _quote(text: str) -> str:
    return f'"{text}"'


def render(graph: Graph, sel: Selection) -> str:
    """The DOT text of the selected part of ``graph`` (deterministic)."""
    fg = graph.first_gate
    gates = sel.gates
    ids = fg + gates
    lines = ["digraph lgcc {", f"  // {sel.what}; edges: a solid, b dashed",
             "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=10];']
    inside = np.zeros(graph.n_nodes, dtype=bool)
    inside[ids] = True
    refs = np.flatnonzero(sel.reads(graph))
    inputs = refs[refs < fg]
    outside = refs[(refs >= fg) & ~inside[refs]]
    names = graph.meta_names("input_names")
    in_lines = []
    for n, name in zip(inputs.tolist(), node_names(graph, inputs)):
        label = name if n < FIRST_INPUT or not names else f"{name}\\n{_esc(names[n - FIRST_INPUT])}"
        shape = "plaintext" if n < FIRST_INPUT else "box"
        in_lines.append(f"    {name} [shape={shape}, label={_quote(label)}];")
    if in_lines:
        lines += ["  { rank=source;"] + in_lines + ["  }"]
    for n, name in zip(outside.tolist(), node_names(graph, outside)):
        lines.append(f'  {name} [shape=ellipse, style=dashed, color=grey, label={_quote(name)}];')
    layer = gate_layers(graph)[gates]
    op = graph.op[gates].tolist()
    for ly in np.unique(layer).tolist():
        members = np.flatnonzero(layer == ly)
        lines.append(f"  {{ rank=same; // layer {ly}")
        for m in members.tolist():  # the gate's name over its symbol: the name finds it in the text dump
            label = f"g{gates[m]}\\n{SYMBOLS[op[m]]}"
            lines.append(f"    g{gates[m]} [shape=ellipse, label={_quote(label)}, tooltip={_quote(NAMES[op[m]])}];")
        lines.append("  }")
    an = node_names(graph, graph.a[gates])
    bn = node_names(graph, graph.b[gates])
    for j, x, y in zip(gates.tolist(), an, bn):
        lines.append(f"  {x} -> g{j};")
        lines.append(f"  {y} -> g{j} [style=dashed];")
    classes = output_classes(graph)
    out_lines, edges = [], []
    for o, src in zip(sel.outputs.tolist(), node_names(graph, graph.outputs[sel.outputs])):
        label = f"y{o}" + (f"\\nclass {classes[o]}" if classes[o] >= 0 else "")
        out_lines.append(f"    y{o} [shape=doublecircle, label={_quote(label)}];")
        edges.append(f"  {src} -> y{o}" + (" [arrowhead=odot];" if graph.out_neg[o] else ";"))
    if out_lines:
        lines += ["  { rank=sink;"] + out_lines + ["  }"]
    lines += edges
    lines.append("}")
    return "\n".join(lines) + "\n"
