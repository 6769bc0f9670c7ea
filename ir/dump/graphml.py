"""GraphML dump through :meth:`Graph.to_networkx` (readable by networkx, yEd, Gephi)."""

from __future__ import annotations

from ..graph import Graph
from .select import Selection


def render(graph: Graph, sel: Selection) -> str:
    """The GraphML text of the selected part of ``graph`` (deterministic node and edge order)."""
    import networkx as nx

    view = graph.to_networkx(gates=sel.gates, outputs=sel.outputs)
    view.graph["selection"] = sel.what
    return "\n".join(nx.generate_graphml(view)) + "\n"
