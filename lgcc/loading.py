"""Reading and writing graphs by file extension, for the CLI and the public API."""

from __future__ import annotations

import os
from pathlib import Path

from lgcc.ir.errors import LgccError
from lgcc.ir.formats import require_file
from lgcc.ir.graph import Graph

#: Extension -> (module, reader, writer) of the IR file formats.
GRAPH_FORMATS: dict[str, tuple[str, str, str | None]] = {
    ".lgir": ("lgcc.ir.formats.lgir", "read", "write"),
    ".blif": ("lgcc.ir.formats.blif", "read", "write"),
    ".aag": ("lgcc.ir.formats.aiger", "read", "write"),
    ".aig": ("lgcc.ir.formats.aiger", "read", "write"),
}
#: Extensions of PyTorch checkpoints written by ``lgcc.save``.
CHECKPOINT_EXTS = (".pt", ".pth", ".ckpt")


def _module(name: str):
    import importlib

    return importlib.import_module(name)


def load_graph(path: str | os.PathLike, opt_level: int = 0) -> Graph:
    """Read a graph from ``.lgir``, ``.blif``, ``.aag``/``.aig`` or lower a checkpoint.

    ``opt_level`` runs the ``-O<level>`` pipeline on the result (0: none).
    """
    path = require_file(path)
    ext = path.suffix.lower()
    if ext in GRAPH_FORMATS:
        mod, reader, _ = GRAPH_FORMATS[ext]
        graph = getattr(_module(mod), reader)(path)
    elif ext in CHECKPOINT_EXTS:
        graph = _module("lgcc.frontend.fastload").lower_checkpoint(path)  # torch-free when it can
    else:
        known = ", ".join(sorted(GRAPH_FORMATS) + list(CHECKPOINT_EXTS))
        raise LgccError(f"{path}: unknown file type '{ext}' (known: {known})")
    graph.verify()
    if opt_level:
        graph = _module("lgcc.ir.passes.manager").optimize(graph, level=opt_level).graph
    return graph


def save_graph(graph: Graph, path: str | os.PathLike) -> None:
    """Write ``graph`` in the format given by the extension of ``path`` (atomically)."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in GRAPH_FORMATS or GRAPH_FORMATS[ext][2] is None:
        known = ", ".join(sorted(e for e, f in GRAPH_FORMATS.items() if f[2]))
        raise LgccError(f"{path}: cannot write '{ext}' files (known: {known})")
    mod, _, writer = GRAPH_FORMATS[ext]
    getattr(_module(mod), writer)(graph, path)
