"""Graph dumps (text, JSON, DOT, GraphML) and statistics, over a selection of the graph."""

from __future__ import annotations

import importlib

from ..errors import LgccError
from ..graph import Graph
from .select import DEFAULT_MAX_NODES, Selection, check_size, select

#: Dump format -> module with ``render(graph, selection) -> str``.
FORMATS = {"text": "text", "json": "jsondump", "dot": "dot", "graphml": "graphml"}


def dump(graph: Graph, fmt: str = "text", selection: Selection | None = None,
         max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """Render ``graph`` (or a selection of it) in ``fmt``; LgccError if more than ``max_nodes`` gates."""
    if fmt not in FORMATS:
        raise LgccError(f"unknown dump format '{fmt}' (known: {', '.join(FORMATS)})")
    sel = selection if selection is not None else select(graph)
    check_size(sel, max_nodes)
    return importlib.import_module(f"{__name__}.{FORMATS[fmt]}").render(graph, sel)


__all__ = ["DEFAULT_MAX_NODES", "FORMATS", "Selection", "dump", "select"]
