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
from pathlib import Path

from ..errors import FormatError
from ..fileio import atomic_path
from ..gates import CASES, TRUTH
from ..graph import Graph
from . import blif_fast, blif_parse, require_file
from .annotation import TAG, annotation_text

#: The on-set cube lines of each gate, derived from the truth table.
_CUBES = tuple("".join(f"{a}{b} 1\n" for c, (a, b) in enumerate(CASES) if TRUTH[g, c]) for g in range(16))


def node_signal_names(graph: Graph) -> list[str]:
    """Signal name of every node: ``c0``, ``c1``, ``x{i}``, ``g{j}``."""
    return ["c0", "c1"] + [f"x{i}" for i in range(graph.n_inputs)] + [f"g{j}" for j in range(graph.n_gates)]


def write(graph: Graph, path: str | os.PathLike) -> None:
    """Write ``graph`` as BLIF to ``path`` atomically."""
    text = to_text(graph, model=Path(path).stem or "lgcc")
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def to_text(graph: Graph, model: str = "lgcc") -> str:
    """The BLIF text of ``graph`` (deterministic)."""
    graph.verify()
    names = node_signal_names(graph)
    fg = graph.first_gate
    parts = [f"# written by lgcc: {graph.n_inputs} inputs, {graph.n_gates} gates, {graph.n_outputs} outputs\n"]
    note = annotation_text(graph)
    if note:
        parts.append(f"# {TAG} {note}\n")
    safe_model = "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in model) or "lgcc"
    parts.append(f".model {safe_model}\n")
    parts.append(_wrapped(".inputs", names[2:fg]))
    parts.append(_wrapped(".outputs", [f"y{o}" for o in range(graph.n_outputs)]))
    used = set(graph.a[graph.a < 2].tolist()) | set(graph.b[graph.b < 2].tolist())
    used |= set(graph.outputs[graph.outputs < 2].tolist())
    if 0 in used:
        parts.append(".names c0\n")
    if 1 in used:
        parts.append(".names c1\n1\n")
    # A constant-0 gate has no cubes; ABC rejects an empty cover with fanins, so it has none.
    parts.extend(f".names {names[x]} {names[y]} {names[fg + j]}\n{_CUBES[op]}" if op else f".names {names[fg + j]}\n"
                 for j, (op, x, y) in enumerate(zip(graph.op.tolist(), graph.a.tolist(), graph.b.tolist())))
    parts.extend(f".names {names[node]} y{o}\n{'0' if neg else '1'} 1\n"
                 for o, (node, neg) in enumerate(zip(graph.outputs.tolist(), graph.out_neg.tolist())))
    parts.append(".end\n")
    return "".join(parts)


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
    try:
        text = data.decode("utf-8-sig")  # -sig: a byte-order mark (Windows editors) is dropped
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not a BLIF file (binary data)") from None
    return blif_parse.from_text(text, str(path))


def from_text(text: str, where: str = "<blif>") -> Graph:
    """Build the graph of BLIF text (vectorized when it has the common shape, see the module docstring)."""
    graph = blif_fast.from_bytes(text.encode("ascii"), where) if text.isascii() else None
    return graph if graph is not None else blif_parse.from_text(text, where)
