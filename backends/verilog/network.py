"""The gate network as Verilog text: one ``assign`` per live gate, plus pipeline delays.

Everything here is vectorized over gates with numpy string ufuncs (``np.strings``),
a level or a pipeline stage at a time, never a Python loop per gate.

Names: primary input ``i`` is ``x[i]``, gate ``k`` (node ``first_gate + k``) is
``g{k}``, the constants are ``1'b0``/``1'b1``; a copy of a signal delayed by
``d`` pipeline registers is ``g{k}_d{d}`` (``x{i}_d{d}`` for inputs).
"""

from __future__ import annotations


import numpy as np
from numpy.dtypes import StringDType

from lgcc.ir.gates import NUM_GATES, expr_pieces
from lgcc.ir.graph import CONST1, FIRST_INPUT, Graph

_STR = StringDType()
#: Declarations per line of ``wire``/``reg`` lists.
_PER_DECL_LINE = 16


def live_gates(graph: Graph, roots: np.ndarray) -> np.ndarray:
    """Mask of the gates in the fan-in cone of the nodes ``roots`` (bool[n_gates]).

    Only operands a gate's function depends on count (a wire gate ``a`` does not read ``b``).
    """
    return graph.fanin_cone(roots, read_only=True)[graph.first_gate:]


def _cat(*parts: str | np.ndarray) -> np.ndarray:
    """Element-wise concatenation of string arrays and Python strings."""
    out = np.asarray(parts[0], dtype=_STR) if not isinstance(parts[0], str) else parts[0]
    for p in parts[1:]:
        out = np.strings.add(out, p)
    return np.asarray(out, dtype=_STR)


def _numbers(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).astype(_STR)


class NodeNames:
    """Verilog names of graph nodes, undelayed and delayed, for whole arrays of nodes."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        ids = np.arange(graph.n_nodes, dtype=np.int64)
        n_in = graph.n_inputs
        # Prefix shared by a node's delayed copies: x{i} for inputs, g{k} for gates.
        stem = np.empty(graph.n_nodes, dtype=_STR)
        stem[:FIRST_INPUT] = ""
        stem[FIRST_INPUT:graph.first_gate] = _cat("x", _numbers(ids[:n_in]))
        stem[graph.first_gate:] = _cat("g", _numbers(ids[:graph.n_gates]))
        plain = stem.copy()
        plain[0], plain[CONST1] = "1'b0", "1'b1"
        plain[FIRST_INPUT:graph.first_gate] = _cat("x[", _numbers(ids[:n_in]), "]")
        self.stem = stem
        self.plain = plain

    def names(self, nodes: np.ndarray, delays: np.ndarray | int = 0) -> np.ndarray:
        """Names of ``nodes`` seen through ``delays`` registers (constants never delay)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        delays = np.broadcast_to(np.asarray(delays, dtype=np.int64), nodes.shape)
        out = self.plain[nodes]
        late = (delays > 0) & (nodes >= FIRST_INPUT)
        if late.any():
            out[late] = _cat(self.stem[nodes[late]], "_d", _numbers(delays[late]))
        return out

    def literal(self, node: int, negated: bool, delay: int = 0) -> str:
        """Scalar :meth:`literals` (for the head, which reads one output bit at a time)."""
        if node < FIRST_INPUT:
            return "1'b1" if (node == CONST1) ^ bool(negated) else "1'b0"
        name = str(self.plain[node]) if delay == 0 else f"{self.stem[node]}_d{delay}"
        return "~" + name if negated else name

    def literals(self, nodes: np.ndarray, negated: np.ndarray, delays: np.ndarray | int = 0) -> np.ndarray:
        """Like :meth:`names` with ``~`` on negated entries (negated constants folded)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        negated = np.asarray(negated, dtype=bool)
        out = self.names(nodes, delays)
        const = nodes < FIRST_INPUT
        out[const] = np.where((nodes[const] == CONST1) ^ negated[const], "1'b1", "1'b0")
        inv = negated & ~const
        if inv.any():
            out[inv] = _cat("~", out[inv])
        return out


_PIECES = [expr_pieces(op, ones="1'b1", zero="1'b0") for op in range(NUM_GATES)]


def gate_assigns(graph: Graph, gates: np.ndarray, names: NodeNames, delay_a: np.ndarray,
                 delay_b: np.ndarray) -> np.ndarray:
    """``assign g{k} = <expr>;`` for the gate indices ``gates`` (in the given order).

    ``delay_a``/``delay_b`` say through how many pipeline registers each
    operand is read.  The expression text comes from :data:`lgcc.ir.gates.EXPRS`.
    """
    fg = graph.first_gate
    lhs = names.names(fg + gates)
    opa = names.names(graph.a[gates], delay_a)
    opb = names.names(graph.b[gates], delay_b)
    ops = graph.op[gates]
    lines = np.empty(gates.shape[0], dtype=_STR)
    for op in np.unique(ops):
        sel = ops == op
        parts: list = ["assign ", lhs[sel], " = "]
        for p in _PIECES[int(op)]:
            parts.append(opa[sel] if p == "a" else opb[sel] if p == "b" else p)
        parts.append(";")
        lines[sel] = _cat(*parts)
    return lines


def declarations(kind: str, names: np.ndarray) -> str:
    """``wire``/``reg`` declaration lines listing ``names``, a few per line."""
    n = names.shape[0]
    if n == 0:
        return ""
    pos = np.arange(n)
    first = (pos % _PER_DECL_LINE) == 0
    last = ((pos % _PER_DECL_LINE) == _PER_DECL_LINE - 1) | (pos == n - 1)
    text = _cat(np.where(first, f"{kind} ", "").astype(_STR), names,
                np.where(last, ";\n", ", ").astype(_STR))
    return "".join(text.tolist())


def delay_chains(names: NodeNames, need: np.ndarray) -> tuple[str, str]:
    """Registers delaying each node ``v`` by 1..``need[v]`` stages: (declarations, always-block lines).

    Only nodes with ``need > 0`` get registers, and each chain is only as long
    as its latest reader requires.
    """
    decls: list[str] = []
    lines: list[str] = []
    for d in range(1, int(need.max(initial=0)) + 1):
        nodes = np.flatnonzero(need >= d)
        cur = names.names(nodes, d)
        decls.append(declarations("reg", cur))
        lines.extend(_cat("    ", cur, " <= ", names.names(nodes, d - 1), ";").tolist())
    return "".join(decls), "\n".join(lines)
