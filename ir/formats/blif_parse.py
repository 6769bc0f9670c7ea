"""The general BLIF reader: line by line, every cover built through the GraphBuilder.

Accepts one ``.model`` with ``.inputs``, ``.outputs``, ``.names`` covers of any
width (on-set or off-set), ``.conn`` buffers, ``.end``, ``\\`` continuations and
``#`` comments, as ABC and Yosys write them.  Each cover becomes an AND/OR tree
through :class:`~lgcc.ir.builder.GraphBuilder`, so the result is simplified and
structurally hashed.  Sequential and hierarchical constructs are rejected with
the line number.

This path costs tens of microseconds per gate; :mod:`.blif_fast` reads the
common shape of large files vectorized and uses :func:`parse_lines` here for
the few directive lines, so both readers share every directive rule and message.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..builder import FALSE, TRUE, GraphBuilder
from ..errors import FormatError
from ..gates import CASES
from ..graph import Graph
from .annotation import apply_annotation, parse_annotation

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


def _is_register_cell(model: str) -> bool:
    """Whether a ``.subckt`` model is one of Yosys's internal flip-flop or latch cells (``$_DFF_P_``,
    ``$_SDFF_PN0_``, ``$_DLATCH_N_``, ...), which ``write_blif`` writes for registers."""
    return model.startswith("$_") and any(kind in model for kind in ("DFF", "LATCH", "SR_", "_FF_"))


class Unhandled(Exception):
    """Raised by :func:`parse_lines` in directives-only mode for a line it cannot place alone.

    Covers and cube lines belong to the caller (the fast reader), which then
    falls back to this module's full parser on the whole file.
    """


@dataclass
class _Cover:
    """One ``.names``: input signals, cubes (plane, value) and where it was defined."""

    inputs: list[str]
    line: int
    cubes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Netlist:
    """A parsed BLIF model: interface, covers by driven signal, the lgcc annotation."""

    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    covers: dict[str, _Cover] = field(default_factory=dict)
    annotation: dict | None = None
    directives: int = 0  # how many BLIF directives were seen (0: not a BLIF file)
    end_line: int | None = None  # line of .end (None: no .end)


def _logical_lines(lines: Iterable[tuple[int, str]], where: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, tokens) of each logical line: comments removed, ``\\`` continuations joined."""
    pending: list[str] = []
    start = 0
    for number, raw in lines:
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


def parse(text: str, where: str = "<blif>") -> Netlist:
    """Parse BLIF text into covers (no logic built yet)."""
    return parse_lines(list(enumerate(text.splitlines(), 1)), where)


def parse_lines(lines: list[tuple[int, str]], where: str, directives_only: bool = False) -> Netlist:
    """Parse numbered physical lines; with ``directives_only``, :class:`Unhandled` on covers and cubes."""
    net = Netlist()
    for _, raw in lines:
        if raw.lstrip().startswith("#"):
            note = parse_annotation(raw.lstrip()[1:], where)
            if note is not None:
                net.annotation = note
    current: _Cover | None = None
    seen_model = False
    for number, tokens in _logical_lines(lines, where):
        head = tokens[0]
        if directives_only and (head in (".names", ".conn") or not head.startswith(".")):
            raise Unhandled(number)
        if not head.startswith("."):
            if current is None:
                line = " ".join(tokens)
                shown = line if len(line) <= 60 and line.isprintable() else ascii(line[:30])[1:-1] + "..."
                raise FormatError(f"{where}:{number}: cube line '{shown}' outside a .names (is this a BLIF file?)")
            current.cubes.append(_cube(tokens, len(current.inputs), where, number))
            continue
        current = None
        net.directives += 1
        if net.end_line is not None:
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
            current = _open_cover(net, head, tokens, number, where)
        elif head == ".end":
            net.end_line = number
        elif head == ".subckt" and len(tokens) > 1 and _is_register_cell(tokens[1]):
            raise FormatError(f"{where}:{number}: .subckt {tokens[1]}: a register (sequential cell) is not "
                              "supported (lgcc reads combinational .names netlists; synthesize without registers)")
        elif head in _UNSUPPORTED:
            raise FormatError(f"{where}:{number}: {head}: {_UNSUPPORTED[head]} are not supported "
                              "(lgcc reads combinational .names netlists)")
        elif head not in _IGNORED:
            raise FormatError(f"{where}:{number}: unknown BLIF directive '{head}'")
    if net.annotation is not None and net.end_line is None:
        # lgcc always ends its BLIF with .end: one of ours without it was cut short
        raise FormatError(f"{where}: no .end after the last line; the file is truncated")
    return net


def _open_cover(net: Netlist, head: str, tokens: list[str], number: int, where: str) -> _Cover | None:
    """Register the cover of a ``.names``/``.conn`` line; the cover that takes cube lines, if any."""
    if len(tokens) < 2 or (head == ".conn" and len(tokens) != 3):
        raise FormatError(f"{where}:{number}: {head} needs signal names")
    out = tokens[-1]
    if out in net.covers:
        raise FormatError(f"{where}:{number}: signal '{out}' is driven twice (also at line {net.covers[out].line})")
    cover = _Cover(tokens[1:-1], number)
    net.covers[out] = cover
    if head == ".conn":
        cover.cubes.append(("1", "1"))
        return None
    return cover


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


def default_names_meta(inputs: list[str], outputs: list[str]) -> dict:
    """``meta`` with the signal names, where they differ from the writer's ``x{i}``/``y{o}``."""
    meta = {}
    if inputs != [f"x{i}" for i in range(len(inputs))]:
        meta["input_names"] = list(inputs)
    if outputs != [f"y{o}" for o in range(len(outputs))]:
        meta["output_names"] = list(outputs)
    return meta


def from_text(text: str, where: str = "<blif>") -> Graph:
    """Build the graph of BLIF text, one cover at a time (any BLIF the module docstring lists)."""
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
    meta = default_names_meta(net.inputs, net.outputs)
    return apply_annotation(builder.build(meta=meta), net.annotation, where)


def _topological(net: Netlist, where: str) -> list[str]:
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
        ops = small_cover_op(tuple(p for p, _ in cover.cubes), len(lits)) ^ (15 if values == {"0"} else 0)
        return builder.gate(ops, *(lits + [FALSE] * (2 - len(lits))))
    terms = []
    for plane, _ in cover.cubes:
        terms.append(_tree(builder, 1, [lit ^ (ch == "0") for lit, ch in zip(lits, plane) if ch != "-"], TRUE))
    result = _tree(builder, 7, terms, FALSE)
    return result ^ 1 if values == {"0"} else result


@functools.lru_cache(maxsize=4096)
def small_cover_op(planes: tuple[str, ...], n: int) -> int:
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
