"""JSON dump: the selected gates and outputs with names, plus head, encoding, layers and meta."""

from __future__ import annotations

import json
from typing import Any

from ..gates import NAMES
from ..graph import Graph
from .names import node_names, output_classes
from .select import Selection, gate_layers

#: Identifies the document layout; bump when it changes incompatibly.
DUMP_VERSION = 1


def to_dict(graph: Graph, sel: Selection) -> dict[str, Any]:
    """Plain-value form of the selected part of ``graph``."""
    gates = sel.gates
    layer = gate_layers(graph)[gates].tolist()
    an = node_names(graph, graph.a[gates])
    bn = node_names(graph, graph.b[gates])
    classes = output_classes(graph)
    return {
        "format": "lgcc-dump", "version": DUMP_VERSION, "selection": sel.what,
        "n_inputs": graph.n_inputs, "n_gates": graph.n_gates, "n_outputs": graph.n_outputs,
        "head": graph.head.to_json() if graph.head is not None else None,
        "encoding": graph.encoding.to_json() if graph.encoding is not None else None,
        "layers": graph.layers.tolist() if graph.layers is not None else None,
        "meta": graph.meta,
        "gates": [{"name": f"g{j}", "op": op, "gate": NAMES[op], "a": x, "b": y, "layer": ly}
                  for j, op, x, y, ly in zip(gates.tolist(), graph.op[gates].tolist(), an, bn, layer)],
        "outputs": [{"name": f"y{o}", "source": s, "negated": bool(graph.out_neg[o]), "class": int(classes[o])}
                    for o, s in zip(sel.outputs.tolist(), node_names(graph, graph.outputs[sel.outputs]))],
    }


def render(graph: Graph, sel: Selection) -> str:
    """The JSON dump text (deterministic: sorted keys, fixed indentation)."""
    return json.dumps(to_dict(graph, sel), indent=1, sort_keys=True) + "\n"
