"""Graph dumps (text, JSON, DOT, GraphML) and statistics, over a selection of the graph."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from ..errors import LgccError
from ..graph import Graph
from .select import DEFAULT_MAX_NODES, Selection, check_size, select

#: Dump format -> module with ``render(graph, selection) -> str`` (and, for the formats that
#: make sense at millions of gates, ``render_chunks`` yielding the same text in pieces).
FORMATS = {"text": "text", "json": "jsondump", "dot": "dot", "graphml": "graphml"}


def dump(graph: Graph, fmt: str = "text", selection: Selection | None = None,
         max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """Render ``graph`` (or a selection of it) in ``fmt``; LgccError if more than ``max_nodes`` gates."""
    return "".join(dump_chunks(graph, fmt, selection, max_nodes))


def dump_chunks(graph: Graph, fmt: str = "text", selection: Selection | None = None,
                max_nodes: int = DEFAULT_MAX_NODES) -> Iterator[str]:
    """:func:`dump`'s text in pieces to write one after another (text and JSON: bounded memory).

    The checks (format, ``max_nodes``, the size limit of DOT and GraphML) are made
    before the first piece is asked for.
    """
    if fmt not in FORMATS:
        raise LgccError(f"unknown dump format '{fmt}' (known: {', '.join(FORMATS)})")
    sel = selection if selection is not None else select(graph)
    check_size(sel, max_nodes, fmt)
    mod = importlib.import_module(f"{__name__}.{FORMATS[fmt]}")
    return mod.render_chunks(graph, sel) if hasattr(mod, "render_chunks") else _pieces(mod.render(graph, sel))


def _pieces(text: str, size: int = 1 << 16) -> Iterator[str]:
    """``text`` in writes of ``size`` characters: a reader that stops early (``| head``) ends the
    writer at its next write, with the SIGPIPE status, as for the formats rendered in chunks
    (a single write of the whole text would just be cut short and end with status 0)."""
    for start in range(0, len(text), size):
        yield text[start:start + size]


__all__ = ["DEFAULT_MAX_NODES", "FORMATS", "Selection", "dump", "dump_chunks", "select"]
