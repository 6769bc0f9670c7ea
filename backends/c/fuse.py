"""Instructions of the bit-sliced C engine: gates, and gate pairs fused into one 3-input function.

Every instruction of the engine loads its operands from slots and stores its result.
A gate whose value is read by exactly one gate and by no output need not be stored at
all: its reader evaluates both as one 3-input function of the producer's two operands
and its own other operand.  Such a fused pair costs 3 loads and 1 store instead of 4
and 2 (and 4 table entries instead of 6); on the mnist model 2,110 of 9,476 gates are
absorbed this way.  Loads and stores, not logic, bound the engine (AVX-512 has a
3-input logic instruction, vpternlogq; other ISAs spend one or two more logic
operations), so the pair is cheaper: AVX-512, mnist model, pre-sliced input in cache,
35.4 -> 32.5 ns per sample (best of 150 calls); random 100k-gate graphs ~25% faster.

Kinds: ``0 .. 15`` are the 16 gates on operands (a, b); ``16 + 16 * g0 + g1`` is the
fused function ``c ? g1(a, b) : g0(a, b)`` of three operands (a, b, c), with g0, g1
gate numbers.  Everything is derived from :data:`lgcc.ir.gates.TRUTH`.

A reader absorbs at most one operand, and a gate that its reader absorbs absorbs
nothing itself (no chains of three): decided level by level from the outputs down.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lgcc.ir.gates import DEPENDS_A, DEPENDS_B, TRUTH, render_expr
from lgcc.ir.graph import Graph

#: Kinds below this are plain gates; from it on, fused 3-input functions.
FUSED_BASE = 16
#: At most this many distinct fused kinds (the most frequent): each is a loop of its own in
#: the C code (~10 ms of compile time each; random graphs with all 16 gates have ~90 of them).
MAX_FUSED_KINDS = 32


@dataclass(frozen=True)
class Instructions:
    """The engine's instructions in graph order (not yet scheduled)."""

    node: np.ndarray  # int64[I]: node whose value the instruction computes
    level: np.ndarray  # int64[I]: logic level of that node
    kind: np.ndarray  # int64[I]: gate number, or FUSED_BASE + 16 * g0 + g1
    operands: np.ndarray  # int64[I, 3]: operand node ids (0, constant 0, where unused)
    uses: np.ndarray  # bool[I, 3]: which operands the instruction reads
    n_gates: int  # gates the instructions evaluate (fused pairs count 2)


def fused_kind(g0: np.ndarray, g1: np.ndarray) -> np.ndarray:
    """Kind of the 3-input function ``c ? g1(a, b) : g0(a, b)``."""
    return FUSED_BASE + 16 * np.asarray(g0, dtype=np.int64) + np.asarray(g1, dtype=np.int64)


def kind_gates(kind: int) -> tuple[int, int]:
    """(g0, g1) of a fused kind."""
    return divmod(kind - FUSED_BASE, 16)


def kind_expr(kind: int, zero: str = "ZERO") -> str:
    """C expression of an instruction kind on words ``a``, ``b`` (and ``c`` for fused kinds)."""
    if kind < FUSED_BASE:
        return render_expr(kind, zero=zero)
    g0, g1 = kind_gates(kind)
    e0, e1 = render_expr(g0, zero=zero), render_expr(g1, zero=zero)
    return e0 if g0 == g1 else f"(c & ({e1})) | (~c & ({e0}))"


def kind_ternlog(kind: int) -> int:
    """Truth table of a fused kind as a vpternlogq immediate: bit 4a + 2b + c is f(a, b, c)."""
    g0, g1 = kind_gates(kind)
    return sum(int(TRUTH[g1 if c else g0, 2 * a + b]) << (4 * a + 2 * b + c)
               for a in (0, 1) for b in (0, 1) for c in (0, 1))


def _gate_number(values: np.ndarray) -> np.ndarray:
    """Gate numbers from values[..., 4] on the cases (a, b) = (0,0), (0,1), (1,0), (1,1)."""
    weights = np.array([8, 4, 2, 1], dtype=np.int64)  # case 2a+b is bit 3-2a-b of the number
    return values.astype(np.int64) @ weights


def _compose(p_op: np.ndarray, r_op: np.ndarray, p_is_a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(g0, g1) of reader ``r_op`` applied to producer ``p_op`` (its operand a where ``p_is_a``, else b)
    and the reader's other operand c: the fused function is c ? g1(a, b) : g0(a, b)."""
    p_val = TRUTH[p_op].astype(np.int64)  # [F, 4]: the producer on the cases of (a, b)
    g = []
    for c in (0, 1):
        r_case = np.where(p_is_a[:, None], 2 * p_val + c, 2 * c + p_val)
        g.append(_gate_number(TRUTH[r_op[:, None], r_case]))
    return g[0], g[1]


def _absorb(node: np.ndarray, level: np.ndarray, movable_a: np.ndarray, movable_b: np.ndarray,
            a: np.ndarray, b: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Which readers absorb operand a, which operand b: level by level from the outputs down, a
    gate that its reader absorbed absorbs nothing itself (no chains of three); any other gate
    absorbs one movable operand (a first)."""
    side_a = np.zeros(node.size, dtype=bool)
    side_b = np.zeros(node.size, dtype=bool)
    absorbed = np.zeros(n_nodes, dtype=bool)
    by_level = np.argsort(-level[node], kind="stable")
    for idx in np.split(by_level, np.flatnonzero(np.diff(level[node][by_level])) + 1):
        free = ~absorbed[node[idx]]
        side_a[idx] = free & movable_a[idx]
        side_b[idx] = free & movable_b[idx] & ~side_a[idx]
        absorbed[a[idx[side_a[idx]]]] = True
        absorbed[b[idx[side_b[idx]]]] = True
    return side_a, side_b


def build_instructions(graph: Graph, gates: np.ndarray, level: np.ndarray, fuse: bool = True) -> Instructions:
    """Instructions for the live ``gates`` (gate indices, ascending); ``level`` per node."""
    fg = graph.first_gate
    node = fg + gates
    ops = graph.op[gates].astype(np.int64)
    dep_a, dep_b = DEPENDS_A[ops], DEPENDS_B[ops]
    a = np.where(dep_a, graph.a[gates], 0).astype(np.int64)
    b = np.where(dep_b, graph.b[gates], 0).astype(np.int64)
    pos = np.full(graph.n_nodes, -1, dtype=np.int64)
    pos[node] = np.arange(gates.size)
    side_a = side_b = np.zeros(gates.size, dtype=bool)
    if fuse and gates.size:
        readers = np.bincount(np.concatenate((a[dep_a], b[dep_b])), minlength=graph.n_nodes)
        movable = readers == 1
        movable[:fg] = False
        movable[graph.outputs] = False
        candidates = []
        for dep, opnd, p_is_a in ((dep_a, a, True), (dep_b, b, False)):
            ok = dep & movable[opnd]
            g0, g1 = _compose(ops[pos[opnd]], ops, np.full(gates.size, p_is_a))
            candidates.append((ok, fused_kind(g0, g1)))
        # Only the most common fused kinds: every kind is one more loop in the C code to compile.
        counts = np.bincount(np.concatenate([k[ok] for ok, k in candidates]), minlength=FUSED_BASE + 256)
        allowed = np.zeros(counts.size, dtype=bool)
        allowed[np.argsort(-counts, kind="stable")[:MAX_FUSED_KINDS]] = True
        allowed &= counts > 0
        (ok_a, kind_a), (ok_b, kind_b) = candidates
        side_a, side_b = _absorb(node, level, ok_a & allowed[kind_a], ok_b & allowed[kind_b], a, b, graph.n_nodes)
    fused = side_a | side_b
    pa = side_a[fused]
    p = pos[np.where(pa, a[fused], b[fused])]  # the absorbed producer of each fusing reader
    g0, g1 = _compose(ops[p], ops[fused], pa)
    other = np.where(pa, b[fused], a[fused])

    kind = ops.copy()
    operands = np.stack((a, b, np.zeros_like(a)), axis=1)
    uses = np.stack((dep_a, dep_b, np.zeros_like(dep_a)), axis=1)
    kind[fused] = fused_kind(g0, g1)
    operands[fused] = np.stack((a[p], b[p], other), axis=1)
    # an operand is read only if the fused function depends on it (operands of a constant or
    # one-input producer, or a reader whose result ignores it, drop out)
    uses[fused] = np.stack((DEPENDS_A[g0] | DEPENDS_A[g1], DEPENDS_B[g0] | DEPENDS_B[g1], g0 != g1), axis=1)
    operands[~uses] = 0
    keep = np.ones(gates.size, dtype=bool)
    keep[p] = False
    return Instructions(node=node[keep], level=level[node][keep], kind=kind[keep], operands=operands[keep],
                        uses=uses[keep], n_gates=int(gates.size))
