"""Stable names of nodes in every dump: ``0``/``1``, ``x{i}``, ``g{j}`` (gate index), ``y{o}``."""

from __future__ import annotations

import numpy as np

from ..graph import FIRST_INPUT, Graph


def node_names(graph: Graph, nodes: np.ndarray) -> list[str]:
    """Names of the node ids ``nodes``: constants ``0``/``1``, inputs ``x{i}``, gates ``g{j}``."""
    fg = graph.first_gate
    out = []
    for n in np.asarray(nodes, dtype=np.int64).tolist():
        if n < FIRST_INPUT:
            out.append(str(n))
        elif n < fg:
            out.append(f"x{n - FIRST_INPUT}")
        else:
            out.append(f"g{n - fg}")
    return out


def output_classes(graph: Graph) -> np.ndarray:
    """Class of every output (-1 without a head)."""
    if graph.head is None:
        return np.full(graph.n_outputs, -1, dtype=np.int64)
    return (np.searchsorted(graph.head.bounds, np.arange(graph.n_outputs), side="right") - 1).astype(np.int64)
