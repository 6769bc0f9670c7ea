"""Choosing the part of a graph to dump: layer ranges, fan-in cones, a node cap.

A :class:`Selection` is a sorted array of gate indices plus the outputs shown.
Cones are marked backwards one level at a time (vectorized), so selecting the
cone of one output of a 10-million-gate graph takes a few numpy steps per level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import LgccError
from ..graph import Graph

#: Default cap on the gates a dump shows (dot/graphml/text/json).
DEFAULT_MAX_NODES = 5000
#: Most gates a DOT or GraphML dump shows, even with no ``--max-nodes`` cap: Graphviz and yEd
#: cannot lay out more; text and JSON dumps, for programs, have no such limit.
LAYOUT_MAX_NODES = 200_000
_LAYOUT_FORMATS = ("dot", "graphml")


@dataclass(frozen=True)
class Selection:
    """Gates (sorted gate indices) and outputs (output indices) to show; ``what`` describes them."""

    gates: np.ndarray
    outputs: np.ndarray
    what: str = "whole graph"

    def reads(self, graph: Graph) -> np.ndarray:
        """bool[n_nodes]: the nodes the selected gates and outputs read (their operands and sources)."""
        read = np.zeros(graph.n_nodes, dtype=bool)
        for nodes in (graph.a[self.gates], graph.b[self.gates], graph.outputs[self.outputs]):
            read[nodes] = True
        return read


def gate_layers(graph: Graph) -> np.ndarray:
    """Layer index of every gate: from ``graph.layers`` metadata, else logic level - 1."""
    if graph.layers is not None:
        return (np.searchsorted(graph.layers, np.arange(graph.n_gates), side="right") - 1).astype(np.int64)
    return graph.levels()[graph.first_gate:].astype(np.int64) - 1


def n_layers(graph: Graph) -> int:
    """Number of layers (metadata layers, else logic levels)."""
    if graph.layers is not None:
        return int(graph.layers.shape[0] - 1)
    return int(gate_layers(graph).max(initial=-1) + 1)


def cone_mask(graph: Graph, roots: np.ndarray) -> np.ndarray:
    """bool[n_nodes]: the nodes in the transitive fan-in of the node ids ``roots`` (roots included)."""
    return graph.fanin_cone(roots)


def parse_layer_range(text: str, count: int) -> tuple[int, int]:
    """``I:J`` (Python slice, either side optional) or ``I`` -> (start, stop) within 0..count."""
    parts = text.split(":")
    try:
        if len(parts) == 1:
            start = int(parts[0])
            stop = start + 1
        elif len(parts) == 2:
            start = int(parts[0]) if parts[0].strip() else 0
            stop = int(parts[1]) if parts[1].strip() else count
        else:
            raise ValueError
    except ValueError:
        raise LgccError(f"--layers '{text}': expected I:J, I: , :J or I (layer indices)") from None
    if count == 0:
        raise LgccError(f"--layers {text}: the graph has no gates, so no layers to select")
    if start >= stop:
        raise LgccError(f"--layers {text}: empty range (the first layer must come before the end)")
    if not (0 <= start and stop <= count):
        raise LgccError(f"--layers {text}: out of range, the graph has {count} layers (0..{count - 1})")
    return start, stop


def select(graph: Graph, layers: str | None = None, cone: int | None = None,
           klass: int | None = None) -> Selection:
    """The gates and outputs chosen by a layer range and/or the cone of one output or one class.

    A layer range keeps the outputs driven by its gates (none driven by an input or constant).
    """
    gates = np.ones(graph.n_gates, dtype=bool)
    outputs: np.ndarray = np.arange(graph.n_outputs, dtype=np.int64)
    what = []
    if cone is not None and klass is not None:
        raise LgccError("choose either --cone or --class, not both")
    if cone is not None:
        if graph.n_outputs == 0:
            raise LgccError(f"--cone {cone}: the graph has no outputs, so no cone to select")
        if not 0 <= cone < graph.n_outputs:
            raise LgccError(f"--cone {cone}: out of range, the graph has {graph.n_outputs} outputs "
                            f"(0..{graph.n_outputs - 1})")
        outputs = np.array([cone], dtype=np.int64)
        what.append(f"cone of output {cone}")
    if klass is not None:
        if graph.head is None:
            raise LgccError("--class needs a graph with a GroupSum head; this one has none (use --cone)")
        if not 0 <= klass < graph.head.k:
            raise LgccError(f"--class {klass}: out of range, the head has {graph.head.k} classes "
                            f"(0..{graph.head.k - 1})")
        outputs = np.arange(graph.head.bounds[klass], graph.head.bounds[klass + 1], dtype=np.int64)
        what.append(f"cone of class {klass}")
    if cone is not None or klass is not None:
        gates &= cone_mask(graph, graph.outputs[outputs])[graph.first_gate:]
    if layers is not None:
        start, stop = parse_layer_range(layers, n_layers(graph))
        gl = gate_layers(graph)
        gates &= (gl >= start) & (gl < stop)
        # only the outputs that the range's own gates drive: any other would stand for a gate not shown
        # (a DOT dump would have to draw each such output's source as a grey stand-in node)
        src = graph.outputs[outputs].astype(np.int64) - graph.first_gate
        outputs = outputs[(src >= 0) & gates[np.maximum(src, 0)]]
        unit = "layers" if graph.layers is not None else "levels (the graph has no layer metadata)"
        what.append(f"{unit} {start}..{stop - 1}")
    return Selection(np.flatnonzero(gates).astype(np.int64), outputs, ", ".join(what) or "whole graph")


def check_size(sel: Selection, max_nodes: int, fmt: str = "text") -> None:
    """Raise a clear error when the selection has more gates than ``max_nodes`` (0: no cap)
    or, for DOT and GraphML, than :data:`LAYOUT_MAX_NODES`."""
    if max_nodes and sel.gates.size > max_nodes:
        raise LgccError(f"{sel.what} has {sel.gates.size} gates, more than --max-nodes {max_nodes}; "
                        "select part of it (--layers I:J, --cone OUTPUT, --class C) or raise --max-nodes")
    if fmt in _LAYOUT_FORMATS and sel.gates.size > LAYOUT_MAX_NODES:
        raise LgccError(f"{sel.what} has {sel.gates.size} gates, more than a {fmt} dump shows "
                        f"({LAYOUT_MAX_NODES}, whatever --max-nodes says: no viewer lays out more); "
                        "select part of it (--layers I:J, --cone OUTPUT, --class C) or use --format text or json")
