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
``#`` comments, as ABC and Yosys write them.  Each cover becomes an AND/OR tree
through :class:`~lgcc.ir.builder.GraphBuilder`, so the result is simplified and
structurally hashed.  Sequential and hierarchical constructs are rejected with
the line number.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..builder import FALSE, TRUE, GraphBuilder
from ..errors import FormatError
from ..fileio import atomic_path
from ..gates import CASES, TRUTH
from ..graph import Graph
from . import require_file
from .annotation import TAG, annotation_text, apply_annotation, parse_annotation

#: The on-set cube lines of each gate, derived from the truth table.
_CUBES = tuple("".join(f"{a}{b} 1\n" for c, (a, b) in enumerate(CASES) if TRUTH[g, c]) for g in range(16))
#: Directives that only carry timing/attribute information: skipped on reading.
_IGNORED = frozenset({
    ".default_input_arrival", ".default_output_required", ".default_input_drive", ".default_output_load",
    ".default_max_input_load", ".input_arrival", ".output_required", ".input_drive", ".output_load",
    ".max_input_load", ".wire_load_slope", ".wire", ".area", ".delay", ".attr", ".param", ".cname",
})
_UNSUPPORTED = {
    ".latch": "latches (sequential logic)", ".mlatch": "latches (sequential logic)", ".clock": "clocks",
    ".subckt": "subcircuits (hierarchical BLIF; flatten it first, e.g. yosys 'flatten')",
    ".gate": "library gates (.gate; write with 'write_blif' after 'strash' in ABC)",
    ".exdc": "external don't-care networks", ".search": "included files (.search)",
}


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


@dataclass
class _Cover:
    """One ``.names``: input signals, cubes (plane, value) and where it was defined."""

    inputs: list[str]
    line: int
    cubes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Netlist:
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    covers: dict[str, _Cover] = field(default_factory=dict)
    annotation: dict | None = None
    directives: int = 0  # how many BLIF directives were seen (0: not a BLIF file)


def _logical_lines(text: str, where: str):
    """(line number, tokens) of each logical line: comments removed, ``\\`` continuations joined."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending and "#" not in raw and "\\" not in raw:  # the common case, fast
            tokens = raw.split()
            if tokens:
                yield number, tokens
            continue
        line = raw.split("#", 1)[0]
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending.append(line.rstrip()[:-1])
            continue
        pending.append(line)
        tokens = " ".join(pending).split()
        pending = []
        if tokens:
            yield start, tokens
    if pending and " ".join(pending).split():
        raise FormatError(f"{where}:{start}: file ends inside a '\\' continuation (truncated?)")


def parse(text: str, where: str = "<blif>") -> _Netlist:
    """Parse BLIF text into covers (no logic built yet)."""
    net = _Netlist()
    for raw in text.splitlines():
        if raw.lstrip().startswith("#"):
            note = parse_annotation(raw.lstrip()[1:], where)
            if note is not None:
                net.annotation = note
    current: _Cover | None = None
    seen_model = seen_end = False
    for number, tokens in _logical_lines(text, where):
        head = tokens[0]
        if not head.startswith("."):
            if current is None:
                raise FormatError(f"{where}:{number}: cube line '{' '.join(tokens)}' outside a .names")
            current.cubes.append(_cube(tokens, len(current.inputs), where, number))
            continue
        current = None
        net.directives += 1
        if seen_end:
            if head == ".model":
                raise FormatError(f"{where}:{number}: a second .model: hierarchical BLIF is not supported "
                                  "(flatten the design into one model)")
            raise FormatError(f"{where}:{number}: '{head}' after .end")
        if head == ".model":
            if seen_model:
                raise FormatError(f"{where}:{number}: a second .model without .end")
            seen_model = True
        elif head == ".inputs":
            net.inputs += tokens[1:]
        elif head == ".outputs":
            net.outputs += tokens[1:]
        elif head in (".names", ".conn"):
            if len(tokens) < 2 or (head == ".conn" and len(tokens) != 3):
                raise FormatError(f"{where}:{number}: {head} needs signal names")
            out = tokens[-1]
            if out in net.covers:
                raise FormatError(f"{where}:{number}: signal '{out}' is driven twice "
                                  f"(also at line {net.covers[out].line})")
            current = _Cover(tokens[1:-1], number)
            net.covers[out] = current
            if head == ".conn":
                current.cubes.append(("1", "1"))
                current = None
        elif head == ".end":
            seen_end = True
        elif head in _UNSUPPORTED:
            raise FormatError(f"{where}:{number}: {head}: {_UNSUPPORTED[head]} are not supported "
                              "(lgcc reads combinational .names netlists)")
        elif head not in _IGNORED:
            raise FormatError(f"{where}:{number}: unknown BLIF directive '{head}'")
    if net.annotation is not None and not seen_end:
        # lgcc always ends its BLIF with .end: one of ours without it was cut short
        raise FormatError(f"{where}: no .end after the last line; the file is truncated")
    return net


def _cube(tokens: list[str], n: int, where: str, number: int) -> tuple[str, str]:
    if len(tokens) == 2 and tokens[1] in ("0", "1") and _plane_ok(tokens[0], n):
        return tokens[0], tokens[1]
    if n == 0 and len(tokens) == 1:
        plane, value = "", tokens[0]
    elif len(tokens) == 2:
        plane, value = tokens
    else:
        raise FormatError(f"{where}:{number}: bad cube '{' '.join(tokens)}' (expected {n} input columns and a value)")
    if len(plane) != n or any(ch not in "01-" for ch in plane) or value not in ("0", "1"):
        raise FormatError(f"{where}:{number}: bad cube '{' '.join(tokens)}' for a .names with {n} inputs "
                          "(use 0, 1 or - per input, then 0 or 1)")
    return plane, value


@functools.lru_cache(maxsize=4096)
def _plane_ok(plane: str, n: int) -> bool:
    """Whether ``plane`` is an input plane of ``n`` columns (cached: netlists repeat a few planes)."""
    return len(plane) == n and all(ch in "01-" for ch in plane)


def read(path: str | os.PathLike) -> Graph:
    """Read a BLIF file into a simplified graph (with the head, if the lgcc comment is present)."""
    path = require_file(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # -sig: a byte-order mark (Windows editors) is dropped
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not a BLIF file (binary data)") from None
    return from_text(text, str(path))


def from_text(text: str, where: str = "<blif>") -> Graph:
    """Build the graph of BLIF text."""
    net = parse(text, where)
    if not net.directives:
        raise FormatError(f"{where}: not a BLIF file (no .model, .inputs, .outputs or .names)")
    index = {name: i for i, name in enumerate(net.inputs)}
    if len(index) != len(net.inputs):
        raise FormatError(f"{where}: an input is listed twice in .inputs")
    for name, cover in net.covers.items():
        if name in index:
            raise FormatError(f"{where}:{cover.line}: primary input '{name}' is also driven by a .names")
    builder = GraphBuilder(len(net.inputs))
    lits: dict[str, int] = {name: builder.input(i) for name, i in index.items()}
    for name in _topological(net, where):
        cover = net.covers[name]
        lits[name] = _sop(builder, cover, [lits[s] for s in cover.inputs], where)
    for name in net.outputs:
        builder.output(lits[name])
    meta = {}
    if net.inputs != [f"x{i}" for i in range(len(net.inputs))]:
        meta["input_names"] = list(net.inputs)
    if net.outputs != [f"y{o}" for o in range(len(net.outputs))]:
        meta["output_names"] = list(net.outputs)
    return apply_annotation(builder.build(meta=meta), net.annotation, where)


def _topological(net: _Netlist, where: str) -> list[str]:
    """Covers needed by the outputs, each after its inputs; FormatError on cycles and undriven signals."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    order: list[str] = []
    inputs = set(net.inputs)
    for root in net.outputs:
        if root in inputs:
            continue
        if root not in net.covers:
            raise FormatError(f"{where}: output '{root}' is never driven")
        stack = [(root, 0)]
        while stack:
            name, pos = stack.pop()
            if pos == 0:
                if state.get(name) == 2:
                    continue
                state[name] = 1
            fanin = net.covers[name].inputs
            while pos < len(fanin):
                src = fanin[pos]
                pos += 1
                if src in inputs or state.get(src) == 2:
                    continue
                if src not in net.covers:
                    raise FormatError(f"{where}:{net.covers[name].line}: signal '{src}' is used but never driven")
                if state.get(src) == 1:
                    raise FormatError(f"{where}:{net.covers[src].line}: combinational cycle through signal '{src}'")
                stack.append((name, pos))
                stack.append((src, 0))
                break
            else:
                state[name] = 2
                order.append(name)
    return order


def _sop(builder: GraphBuilder, cover: _Cover, lits: list[int], where: str) -> int:
    """Literal of a sum-of-products cover (on-set, or off-set when the values are 0)."""
    if not cover.cubes:
        return FALSE
    values = {v for _, v in cover.cubes}
    if len(values) > 1:
        raise FormatError(f"{where}:{cover.line}: .names mixes on-set and off-set cubes")
    if len(lits) <= 2:  # one gate: its function straight from the cover (as our writer emits)
        ops = _small_cover_op(tuple(p for p, _ in cover.cubes), len(lits)) ^ (15 if values == {"0"} else 0)
        return builder.gate(ops, *(lits + [FALSE] * (2 - len(lits))))
    terms = []
    for plane, _ in cover.cubes:
        terms.append(_tree(builder, 1, [lit ^ (ch == "0") for lit, ch in zip(lits, plane) if ch != "-"], TRUE))
    result = _tree(builder, 7, terms, FALSE)
    return result ^ 1 if values == {"0"} else result


@functools.lru_cache(maxsize=4096)
def _small_cover_op(planes: tuple[str, ...], n: int) -> int:
    """Gate id of a cover over at most 2 inputs (operand b unused when n < 2); few distinct covers, cached."""
    op = 0
    for c, case in enumerate(CASES):
        bits = "".join(str(v) for v in case[:n])
        if any(all(p == "-" or p == v for p, v in zip(plane, bits)) for plane in planes):
            op |= 1 << (3 - c)
    return op


def _tree(builder: GraphBuilder, op: int, lits: list[int], empty: int) -> int:
    """Balanced tree of an associative gate (and / or) over ``lits``."""
    if not lits:
        return empty
    while len(lits) > 1:
        pairs = [builder.gate(op, lits[i], lits[i + 1]) for i in range(0, len(lits) - 1, 2)]
        lits = pairs + ([lits[-1]] if len(lits) % 2 else [])
    return lits[0]
