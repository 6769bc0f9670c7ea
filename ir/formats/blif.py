"""BLIF (Berkeley Logic Interchange Format): write and read combinational netlists.

Writing: one ``.names`` per gate whose cubes are the gate's on-set rows of
:data:`~lgcc.ir.gates.TRUTH` (the constant-0 gate is written without fanins);
deterministic signal names ``x{i}`` (inputs), ``g{j}`` (gate index ``j``),
``y{o}`` (outputs, each a buffer or inverter of its driver), ``c0``/``c1`` for
the constants when used.  The head, input encoding
and ``meta`` travel in one ``# lgcc {json}`` comment (see :mod:`.annotation`);
layer boundaries are lost.

Reading: one ``.model`` with ``.inputs``, ``.outputs``, ``.names`` covers of any
width (on-set or off-set), ``.conn`` buffers, ``.end``, ``\\`` continuations and
``#`` comments, as ABC and Yosys write them; the result is simplified and
structurally hashed.  Files in the common shape (covers of at most two inputs,
one canonical line per cube: what lgcc, ABC and Yosys write for gate-level
netlists) are read vectorized by :mod:`.blif_fast` (about a microsecond per
gate); any other file by the general line-by-line reader :mod:`.blif_parse`
(tens of microseconds per gate).  Both give the same function and the same
error messages.  Sequential and hierarchical constructs are rejected with the
line number.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..fileio import atomic_path
from ..gates import CASES, TRUTH
from ..graph import FIRST_INPUT, Graph
from . import blif_fast, blif_parse, require_file
from .annotation import TAG, annotation_text

#: The on-set cube lines of each gate, derived from the truth table.
_CUBES = tuple("".join(f"{a}{b} 1\n" for c, (a, b) in enumerate(CASES) if TRUTH[g, c]) for g in range(16))
#: The UTF-8 byte-order mark some Windows editors put first.
_BOM = b"\xef\xbb\xbf"


#: Gates written per chunk: a file of millions of gates is written out piece by piece.
CHUNK_GATES = 1 << 16


def node_signal_names(graph: Graph, nodes: np.ndarray | None = None) -> list[str]:
    """Signal name of every node (or of the node ids ``nodes``): ``c0``, ``c1``, ``x{i}``, ``g{j}``."""
    fg = graph.first_gate
    ids = range(graph.n_nodes) if nodes is None else np.asarray(nodes, dtype=np.int64).tolist()
    return [f"c{n}" if n < FIRST_INPUT else f"x{n - FIRST_INPUT}" if n < fg else f"g{n - fg}" for n in ids]


def write(graph: Graph, path: str | os.PathLike) -> None:
    """Write ``graph`` as BLIF to ``path`` atomically (piece by piece: memory stays bounded)."""
    chunks = text_chunks(graph, model=Path(path).stem or "lgcc")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as out:
        out.writelines(chunks)


def to_text(graph: Graph, model: str = "lgcc") -> str:
    """The BLIF text of ``graph`` (deterministic)."""
    return "".join(text_chunks(graph, model))


def text_chunks(graph: Graph, model: str = "lgcc") -> Iterator[str]:
    """:func:`to_text` in pieces of at most :data:`CHUNK_GATES` gates."""
    graph.verify()
    fg = graph.first_gate
    parts = [f"# written by lgcc: {graph.n_inputs} inputs, {graph.n_gates} gates, {graph.n_outputs} outputs\n"]
    note = annotation_text(graph)
    if note:
        parts.append(f"# {TAG} {note}\n")
    safe_model = "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in model) or "lgcc"
    parts.append(f".model {safe_model}\n")
    parts.append(_wrapped(".inputs", node_signal_names(graph, np.arange(FIRST_INPUT, fg))))
    parts.append(_wrapped(".outputs", [f"y{o}" for o in range(graph.n_outputs)]))
    used = set(graph.a[graph.a < 2].tolist()) | set(graph.b[graph.b < 2].tolist())
    used |= set(graph.outputs[graph.outputs < 2].tolist())
    if 0 in used:
        parts.append(".names c0\n")
    if 1 in used:
        parts.append(".names c1\n1\n")
    yield "".join(parts)
    for s in range(0, graph.n_gates, CHUNK_GATES):
        e = min(graph.n_gates, s + CHUNK_GATES)
        an = node_signal_names(graph, graph.a[s:e])
        bn = node_signal_names(graph, graph.b[s:e])
        # A constant-0 gate has no cubes; ABC rejects an empty cover with fanins, so it has none.
        yield "".join(f".names {x} {y} g{j}\n{_CUBES[op]}" if op else f".names g{j}\n"
                      for j, op, x, y in zip(range(s, e), graph.op[s:e].tolist(), an, bn))
    yield "".join(f".names {name} y{o}\n{'0' if neg else '1'} 1\n"
                  for o, (name, neg) in enumerate(zip(node_signal_names(graph, graph.outputs),
                                                      graph.out_neg.tolist())))
    yield ".end\n"


def _wrapped(directive: str, items: list[str], width: int = 100) -> str:
    """A directive with its items, continued with ``\\`` so lines stay short."""
    lines, line = [], directive
    for item in items:
        if len(line) + 1 + len(item) > width and line != directive:
            lines.append(line + " \\")
            line = " "
        line += " " + item
    lines.append(line)
    return "\n".join(lines) + "\n"


def read(path: str | os.PathLike) -> Graph:
    """Read a BLIF file into a simplified graph (with the head, if the lgcc comment is present)."""
    path = require_file(path)
    data = path.read_bytes()
    graph = blif_fast.from_bytes(data, str(path))
    if graph is not None:
        return graph
    body = data.removeprefix(_BOM)  # a byte-order mark (Windows editors) is dropped
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Names are not decoded by guess (Latin-1?): they become meta and C/Verilog names, and
        # a wrong guess would change them silently.  Say where, which serves binary files too.
        line = body.count(b"\n", 0, exc.start) + 1
        raise FormatError(f"{path}:{line}: not UTF-8 text (byte 0x{body[exc.start]:02x}): not a BLIF file, "
                          "or one in another encoding (save it as UTF-8)") from None
    return blif_parse.from_text(text, str(path))


def from_text(text: str, where: str = "<blif>") -> Graph:
    """Build the graph of BLIF text (vectorized when it has the common shape, see the module docstring)."""
    graph = blif_fast.from_bytes(text.encode("ascii"), where) if text.isascii() else None
    return graph if graph is not None else blif_parse.from_text(text, where)
