"""AIGER: and-inverter graphs, ASCII ``.aag`` and binary ``.aig``, write and read.

Writing maps each gate onto AND nodes with inverted literals, derived from the
truth table: a binary gate with one on-set case is one AND of (possibly
inverted) operands, one with three is an inverted AND, XOR/XNOR take three
ANDs, and wires, inverters and constants take none (their literal is the
operand's, possibly inverted).  Everything is vectorized over whole graphs.
Inputs and outputs get ``x{i}``/``y{o}`` symbols (or ``meta`` names); the
head, encoding and meta travel in an ``lgcc {json}`` comment line.

Reading accepts combinational AIGER (no latches; AIGER 1.9 header fields B, C,
J, F must be 0).  Each AND becomes one gate (``and`` with operand inversions
absorbed into the function), so reading is vectorized too.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..fileio import atomic_path
from ..gates import AIG_COST, DEPENDS_A, DEPENDS_B, IS_BINARY, IS_CONST, IS_XOR, NEG_A, NEG_B, TRUTH
from ..graph import FIRST_INPUT, Graph
from . import require_file, shown
from .aiger_encode import decode_deltas, encode_deltas, int_lines, parse_int_lines
from .annotation import TAG, annotation_text, apply_annotation, parse_annotation

# Per gate: the case (a, b) of its single on-set or off-set row (binary non-XOR gates).
_ONES = TRUTH.sum(axis=1)
_ODD_CASE = np.array([int(np.flatnonzero(TRUTH[g] == (1 if _ONES[g] == 1 else 0))[0]) if _ONES[g] in (1, 3) else 0
                      for g in range(16)], dtype=np.int64)
#: For binary non-XOR gates: inversion of operand a, of operand b and of the AND's output.
_INV_A = np.where(_ODD_CASE >= 2, 0, 1).astype(np.int64)  # case a=1 -> use a plainly
_INV_B = np.where(_ODD_CASE % 2 == 1, 0, 1).astype(np.int64)
_INV_OUT = (_ONES == 3).astype(np.int64)
#: For unary gates: which operand they pass (0: a, 1: b) and whether they invert it.
_PASSES_B = DEPENDS_B & ~DEPENDS_A
_UNARY_INV = TRUTH[:, 0].astype(np.int64)


def _and_op(inv_a: np.ndarray, inv_b: np.ndarray) -> np.ndarray:
    """Our gate for ``AND(a ^ inv_a, b ^ inv_b)`` on un-inverted operands a, b."""
    op = np.full(inv_a.shape, 1, dtype=np.uint8)
    op = np.where(inv_a.astype(bool), NEG_A[op], op)
    return np.where(inv_b.astype(bool), NEG_B[op], op).astype(np.uint8)


def to_aig(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """AND rows ``(A, 3)`` of literals (lhs, rhs0, rhs1) with rhs0 >= rhs1, and the output literals.

    AIGER variables: 1..I the inputs, then ANDs in gate order (so every AND
    reads smaller literals).  Vectorized; the literal of a wire/inverter gate
    is resolved by pointer jumping through chains of such gates.
    """
    graph.verify()
    ni, fg, op = graph.n_inputs, graph.first_gate, graph.op.astype(np.int64)
    cost = AIG_COST[op]  # AND nodes per gate; its first AND variable follows
    first_var = ni + 1 + np.concatenate(([0], np.cumsum(cost)[:-1])) if graph.n_gates else np.zeros(0, np.int64)
    lit = np.empty(graph.n_nodes, dtype=np.int64)  # AIGER literal of each node's value
    lit[0], lit[1] = 0, 1
    lit[FIRST_INPUT:fg] = 2 * np.arange(1, ni + 1)
    binary = IS_BINARY[op]
    xor = IS_XOR[op]
    lit[fg:][binary] = 2 * (first_var[binary] + np.where(xor[binary], 2, 0)) + np.where(
        xor[binary], TRUTH[op[binary], 1].astype(np.int64), _INV_OUT[op[binary]])
    const = IS_CONST[op]
    lit[fg:][const] = TRUTH[op[const], 0]
    unary = np.flatnonzero(~binary & ~const)
    src = np.where(_PASSES_B[op[unary]], graph.b[unary], graph.a[unary]).astype(np.int64)
    inv = _UNARY_INV[op[unary]]
    _resolve_unary(lit, fg + unary, src, inv)
    la = lit[graph.a]
    lb = lit[graph.b]
    rows = []
    simple = np.flatnonzero(binary & ~xor)
    if simple.size:
        o = op[simple]
        rows.append(np.stack([first_var[simple], la[simple] ^ _INV_A[o], lb[simple] ^ _INV_B[o]], axis=1))
    xors = np.flatnonzero(xor)
    if xors.size:
        v, x, y = first_var[xors], la[xors], lb[xors]
        rows.append(np.stack([v, x, y ^ 1], axis=1))  # t1 = x & ~y
        rows.append(np.stack([v + 1, x ^ 1, y], axis=1))  # t2 = ~x & y
        rows.append(np.stack([v + 2, 2 * v + 1, 2 * (v + 1) + 1], axis=1))  # ~t1 & ~t2 = xnor
    if rows:
        ands = np.concatenate(rows)
        ands = ands[np.argsort(ands[:, 0], kind="stable")]
        ands[:, 0] *= 2
        ands[:, 1:] = np.sort(ands[:, 1:], axis=1)[:, ::-1]
    else:
        ands = np.zeros((0, 3), dtype=np.int64)
    outs = lit[graph.outputs] ^ graph.out_neg.astype(np.int64)
    return ands, outs


def _resolve_unary(lit: np.ndarray, nodes: np.ndarray, src: np.ndarray, inv: np.ndarray) -> None:
    """Set ``lit[nodes] = lit[src] ^ inv`` where sources may themselves be unary nodes (chains)."""
    if not nodes.size:
        return
    is_unary = np.zeros(lit.shape[0], dtype=bool)
    is_unary[nodes] = True
    pos = np.full(lit.shape[0], -1, dtype=np.int64)
    pos[nodes] = np.arange(nodes.size)
    src, inv = src.copy(), inv.copy()
    pending = is_unary[src]
    while pending.any():  # pointer jumping: each round halves the remaining chain lengths
        j = np.flatnonzero(pending)
        k = pos[src[j]]
        inv[j] ^= inv[k]
        src[j] = src[k]
        pending = is_unary[src]
    lit[nodes] = lit[src] ^ inv


def write(graph: Graph, path: str | os.PathLike) -> None:
    """Write ``graph`` as ``.aag`` (ASCII) or ``.aig`` (binary) by the extension of ``path``."""
    data = to_bytes(graph, binary=Path(path).suffix.lower() == ".aig")
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def to_bytes(graph: Graph, binary: bool) -> bytes:
    """The AIGER file contents of ``graph``."""
    ands, outs = to_aig(graph)
    ni = graph.n_inputs
    m = ni + ands.shape[0]
    parts = [f"{'aig' if binary else 'aag'} {m} {ni} 0 {graph.n_outputs} {ands.shape[0]}\n".encode()]
    if binary:
        parts.append(int_lines(outs[:, None]))
        parts.append(encode_deltas(ands))
    else:
        parts.append(int_lines(2 * np.arange(1, ni + 1, dtype=np.int64)[:, None]))
        parts.append(int_lines(outs[:, None]))
        parts.append(int_lines(ands))
    in_names = graph.meta_names("input_names") or [f"x{i}" for i in range(ni)]
    out_names = graph.meta_names("output_names") or [f"y{o}" for o in range(graph.n_outputs)]
    parts.append("".join(f"i{i} {_symbol(n)}\n" for i, n in enumerate(in_names)).encode())
    parts.append("".join(f"o{o} {_symbol(n)}\n" for o, n in enumerate(out_names)).encode())
    note = annotation_text(graph)
    parts.append(f"c\nwritten by lgcc: {graph.n_gates} gates\n".encode())
    if note:
        parts.append(f"{TAG} {note}\n".encode())
    return b"".join(parts)


def _symbol(name: object) -> str:
    return "".join(ch if ch.isprintable() and ch != " " else "_" for ch in str(name)) or "_"


def read(path: str | os.PathLike) -> Graph:
    """Read an ``.aag`` or ``.aig`` file (the header decides which) into a graph."""
    path = require_file(path)
    return from_bytes(path.read_bytes(), str(path))


def _header(data: bytes, where: str) -> tuple[bool, list[int], int]:
    end = data.find(b"\n")
    line = data[: end if end >= 0 else len(data)].decode("latin-1").split()
    if not line or line[0] not in ("aag", "aig"):
        raise FormatError(f"{where}: not an AIGER file (expected an 'aag' or 'aig' header)")
    try:
        fields = [int(v) for v in line[1:]]
    except ValueError:
        raise FormatError(f"{where}:1: bad AIGER header {shown(' '.join(line), 60)}") from None
    if len(fields) < 5 or min(fields) < 0:
        raise FormatError(f"{where}:1: bad AIGER header {shown(' '.join(line), 60)} (need M I L O A)")
    if fields[2]:
        raise FormatError(f"{where}:1: {fields[2]} latches: sequential AIGER is not supported")
    if any(fields[5:]):
        raise FormatError(f"{where}:1: bad/justice/fairness properties (AIGER 1.9 B C J F) are not supported")
    return line[0] == "aig", fields[:5], end + 1


def from_bytes(data: bytes, where: str = "<aiger>") -> Graph:
    """Build a graph from AIGER file contents."""
    binary, (m, ni, _, no, na), pos = _header(data, where)
    # every AND takes at least 2 bytes (binary) and every listed literal 2 (ASCII): a header
    # promising more than the file holds is truncated or corrupt, and must not allocate
    if 2 * (na + no + (0 if binary else ni)) > len(data) - pos or ni >= 1 << 31:
        raise FormatError(f"{where}: the header promises more than the file holds (truncated AIGER file)")
    lines = _Lines(data, pos, where)
    if binary:
        in_lits: np.ndarray = 2 * np.arange(1, ni + 1, dtype=np.int64)
        outs = lines.ints(no, 1)[:, 0]
        deltas, pos = decode_deltas(data, lines.pos, na, where)
        lhs = 2 * (ni + 1 + np.arange(na, dtype=np.int64))
        rhs0 = lhs - deltas[:, 0]
        ands = np.stack([lhs, rhs0, rhs0 - deltas[:, 1]], axis=1)
        lines.pos = pos
    else:
        in_lits = lines.ints(ni, 1)[:, 0]
        outs = lines.ints(no, 1)[:, 0]
        ands = lines.ints(na, 3)
    names, note = lines.symbols(ni, no)
    graph = _build(m, in_lits, outs, ands, where)
    meta = {}
    for key, table, n in (("input_names", names["i"], ni), ("output_names", names["o"], no)):
        default = "x" if key == "input_names" else "y"
        if not table:  # no symbols: no list of n names (a binary header alone can declare 10^8 inputs)
            continue
        full = [table.get(i, f"{default}{i}") for i in range(n)]
        if full != [f"{default}{i}" for i in range(n)]:
            meta[key] = full
    return apply_annotation(graph.copy(meta=meta), note, where)


class _Lines:
    """Reads ASCII lines of integers and the symbol table from a byte buffer."""

    def __init__(self, data: bytes, pos: int, where: str) -> None:
        self.data, self.pos, self.where = data, pos, where

    def ints(self, count: int, width: int) -> np.ndarray:
        """The next ``count`` lines of ``width`` non-negative integers each."""
        if count == 0:
            return np.zeros((0, width), dtype=np.int64)
        values, self.pos = parse_int_lines(self.data, self.pos, count, width, self.where)
        return values

    def symbols(self, ni: int, no: int) -> tuple[dict[str, dict[int, str]], dict | None]:
        """Symbol table (``i``/``o`` -> index -> name) and the lgcc annotation of the comment section."""
        names: dict[str, dict[int, str]] = {"i": {}, "o": {}}
        note = None
        rest = self.data[self.pos:]
        if rest and not rest.endswith(b"\n") and f"{TAG} {{".encode() not in rest:
            # every AIGER line ends in a newline: a file cut inside its symbol table would
            # silently lose the lgcc comment (head and encoding) that follows it
            raise FormatError(f"{self.where}: the last line is cut short (truncated AIGER file)")
        text = rest.decode("utf-8", errors="replace").split("\n")
        for k, line in enumerate(text):
            line = line.removesuffix("\r")  # CR LF line ends (Windows): the CR belongs to no name
            if line == "c":
                for comment in text[k + 1:]:
                    note = parse_annotation(comment, self.where) or note
                break
            if not line:
                continue
            kind, _, symbol = line.partition(" ")
            if kind[:1] in names and kind[1:].isdigit():
                idx = int(kind[1:])
                if idx >= (ni if kind[0] == "i" else no):
                    raise FormatError(f"{self.where}: symbol '{kind}' refers to a missing {kind[0]}-put")
                names[kind[0]][idx] = symbol
            elif kind[:1] not in ("l", "b", "c", "j", "f"):
                raise FormatError(f"{self.where}: unexpected data after the AIGER body: {shown(line)}")
        return names, note


def _build(m: int, in_lits: np.ndarray, outs: np.ndarray, ands: np.ndarray, where: str) -> Graph:
    """Map AIGER variables to nodes (ANDs in topological order) and ANDs to gates."""
    ni, na = in_lits.shape[0], ands.shape[0]
    if (ands.size and ands.min() < 0) or (outs.size and outs.min() < 0):
        raise FormatError(f"{where}: negative literal (corrupt binary AIGER deltas)")
    if np.any(in_lits & 1) or np.any(in_lits < 2) or (ands.size and np.any(ands[:, 0] & 1)):
        raise FormatError(f"{where}: an input or AND output literal is odd or constant")
    top = max(int(in_lits.max(initial=0)), int(ands.max(initial=0)), int(outs.max(initial=0))) // 2
    if top > m:
        raise FormatError(f"{where}: literal of variable {top} exceeds the header's maximum M={m} "
                          f"(literals go up to 2M+1 = {2 * m + 1})")
    original = None  # AIGER number of each variable, where they are renumbered
    if top > 2 * (ni + outs.size + ands.size) + 64:
        # ASCII AIGER may use any variable up to M, and a 50-byte file can name variable 10^17:
        # arrays indexed by variable must be sized by the literals present, not by the largest one
        in_lits, outs, ands, original = _renumber(in_lits, outs, ands)
        top = original.size - 1
    node = np.full(top + 1, -1, dtype=np.int64)
    node[0] = 0
    defined = np.bincount(np.concatenate([in_lits // 2, ands[:, 0] // 2]), minlength=top + 1)
    if defined.max(initial=0) > 1:
        raise FormatError(f"{where}: variable {_aiger_var(int(np.argmax(defined)), original)} is defined twice")
    node[in_lits // 2] = FIRST_INPUT + np.arange(ni)
    order = _and_order(ands, top, where, original)
    ands = ands[order]
    node[ands[:, 0] // 2] = FIRST_INPUT + ni + np.arange(na)
    for col in (1, 2):
        if na and np.any(node[ands[:, col] // 2] < 0):
            raise FormatError(f"{where}: an AND reads a variable that is never defined")
    if np.any(node[outs // 2] < 0):
        raise FormatError(f"{where}: an output reads a variable that is never defined")
    op = _and_op(ands[:, 1] & 1, ands[:, 2] & 1)
    return Graph.from_arrays(ni, op, node[ands[:, 1] // 2], node[ands[:, 2] // 2], node[outs // 2],
                             (outs & 1).astype(bool)).verify()


def _renumber(in_lits: np.ndarray, outs: np.ndarray,
              ands: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The literals over the variables they use numbered 0..K-1 in order (the constant stays 0, an AND
    still reads smaller variables than its own), and each new variable's original number."""
    ni, no = in_lits.shape[0], outs.shape[0]
    lits = np.concatenate([np.zeros(1, dtype=np.int64), in_lits, outs, ands.reshape(-1)])
    original, var = np.unique(lits // 2, return_inverse=True)
    lits = 2 * var.reshape(-1) + (lits & 1)
    return lits[1:1 + ni], lits[1 + ni:1 + ni + no], lits[1 + ni + no:].reshape(-1, 3), original


def _aiger_var(var: int, original: np.ndarray | None) -> int:
    """The variable's number in the file (``original`` maps renumbered variables back)."""
    return var if original is None else int(original[var])


def _and_order(ands: np.ndarray, top: int, where: str, original: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ANDs in topological order; FormatError on a cycle (vectorized level by level)."""
    na = ands.shape[0]
    if na == 0:
        return np.zeros(0, dtype=np.int64)
    lhs = ands[:, 0] // 2
    if np.all(np.diff(lhs) > 0) and np.all(ands[:, 1:] // 2 < lhs[:, None]):
        return np.arange(na)  # already ordered (always so for binary files)
    row = np.full(top + 1, -1, dtype=np.int64)
    row[lhs] = np.arange(na)
    level = np.full(na, -1, dtype=np.int64)
    deps = row[ands[:, 1:] // 2]  # -1 for inputs, constants or undefined variables
    for step in range(na + 1):
        dep_level = np.where(deps >= 0, level[np.maximum(deps, 0)], 0)
        ready = (level < 0) & np.all(dep_level >= 0, axis=1)
        if not ready.any():
            break
        level[ready] = step
    if np.any(level < 0):
        bad = _aiger_var(int(lhs[np.flatnonzero(level < 0)[0]]), original)
        raise FormatError(f"{where}: combinational cycle through AND variable {bad}")
    return np.argsort(level, kind="stable")
