"""JSON dump: the selected gates and outputs with names, plus head, encoding, layers and meta."""

from __future__ import annotations

import json
from collections.abc import Iterator
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


#: Gates rendered per chunk: a dump of millions of gates is written out piece by piece.
CHUNK_GATES = 1 << 16
#: Each gate's function name as a JSON string.
_GATE_JSON = [json.dumps(name) for name in NAMES]


def render(graph: Graph, sel: Selection) -> str:
    """The JSON dump text (deterministic: sorted keys, fixed indentation)."""
    return "".join(render_chunks(graph, sel))


def render_chunks(graph: Graph, sel: Selection) -> Iterator[str]:
    """:func:`render`'s text in pieces, the same bytes as ``json.dumps(to_dict(...), indent=1, sort_keys=True)``.

    The document around the two long lists comes from ``json.dumps``; the ``gates`` and
    ``outputs`` items are formatted here (names, numbers and booleans only) a chunk at a
    time, so a dump of millions of gates never holds millions of dicts.
    """
    frame = Selection(sel.gates[:0], sel.outputs[:0], sel.what)  # the document with both lists empty
    doc = json.dumps(to_dict(graph, frame), indent=1, sort_keys=True) + "\n"
    # top-level keys are the only lines indented by exactly one space: nothing in meta can match
    before, rest = doc.split('\n "gates": [],\n', 1)
    middle, after = rest.split('\n "outputs": [],\n', 1)
    yield before + '\n "gates": ['
    layer = gate_layers(graph)
    sep = "\n"
    for s in range(0, sel.gates.size, CHUNK_GATES):
        gates = sel.gates[s: s + CHUNK_GATES]
        an = node_names(graph, graph.a[gates])
        bn = node_names(graph, graph.b[gates])
        yield sep + ",\n".join(
            f'  {{\n   "a": "{x}",\n   "b": "{y}",\n   "gate": {_GATE_JSON[op]},\n   "layer": {ly},\n'
            f'   "name": "g{j}",\n   "op": {op}\n  }}'
            for j, op, x, y, ly in zip(gates.tolist(), graph.op[gates].tolist(), an, bn, layer[gates].tolist()))
        sep = ",\n"
    yield ("\n ]" if sel.gates.size else "]") + ",\n" + middle + '\n "outputs": ['
    classes = output_classes(graph)
    sep = "\n"
    for s in range(0, sel.outputs.size, CHUNK_GATES):  # outputs a chunk at a time too
        outs = sel.outputs[s: s + CHUNK_GATES]
        yield sep + ",\n".join(
            f'  {{\n   "class": {int(classes[o])},\n   "name": "y{o}",\n   "negated": {"true" if neg else "false"},\n'
            f'   "source": "{src}"\n  }}'
            for o, neg, src in zip(outs.tolist(), graph.out_neg[outs].tolist(), node_names(graph, graph.outputs[outs])))
        sep = ",\n"
    yield ("\n ]" if sel.outputs.size else "]") + ",\n" + after
