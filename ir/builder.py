"""A graph builder that simplifies at construction.

The builder works on *literals* ``2 * node + negated`` (as in AIGER), so an
inverter never needs a gate: a negated operand is absorbed into the gate's
function (all 16 functions are available) and a negated output sets the
output's negation flag.  ``gate()`` orders operands, folds constants, equal and
complementary operands and one-input functions, and hash-conses identical
gates, so building through it gives structural hashing and most constant
folding for free.

This is the scalar, per-gate API for hand-built graphs, importers and tests.
Passes that rebuild whole graphs use the vectorized equivalent in
``lgcc.ir.passes``; both are tested against the reference simulator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import GraphError
from .gates import DEPENDS_A, DEPENDS_B, IS_CONST, NEG_A, NEG_B, NEG_OUT, SWAP, TRUTH
from .graph import CONST0, FIRST_INPUT, Encoding, Graph, Head

FALSE = 2 * CONST0  #: literal of constant 0
TRUE = 2 * CONST0 + 1  #: literal of constant 1 (constant 0, negated)


def lit(node: int, negated: bool = False) -> int:
    """Literal of ``node``, optionally negated."""
    return 2 * int(node) + int(bool(negated))


def _unary_literal(op: int, x: int) -> int:
    """Literal of a gate that reads only operand a (= literal ``x``): x, not x, or a constant."""
    if IS_CONST[op]:
        return TRUE if TRUTH[op, 0] else FALSE
    # depends on a only: output at a=0 tells whether it is an inverter
    return x ^ int(TRUTH[op, 0])


class GraphBuilder:
    """Build a :class:`Graph` gate by gate, simplifying as it goes."""

    def __init__(self, n_inputs: int) -> None:
        if n_inputs < 0:
            raise GraphError("n_inputs must be >= 0")
        self.n_inputs = int(n_inputs)
        self._op: list[int] = []
        self._a: list[int] = []
        self._b: list[int] = []
        self._table: dict[tuple[int, int, int], int] = {}
        self._outputs: list[int] = []
        self._layers: list[int] = [0]

    @property
    def first_gate(self) -> int:
        """Node id of the first gate."""
        return FIRST_INPUT + self.n_inputs

    def input(self, i: int) -> int:
        """Literal of primary input ``i``."""
        if not 0 <= i < self.n_inputs:
            raise GraphError(f"input {i} out of range 0..{self.n_inputs - 1}")
        return lit(FIRST_INPUT + i)

    def const(self, value: bool) -> int:
        """Literal of a constant."""
        return TRUE if value else FALSE

    def gate(self, op: int, x: int, y: int) -> int:
        """Literal of gate ``op`` applied to literals ``x`` (operand a) and ``y`` (operand b)."""
        op = int(op)
        if not 0 <= op < 16:
            raise GraphError(f"gate op {op} is not in 0..15")
        # absorb operand negations into the function
        if x & 1:
            op, x = int(NEG_A[op]), x ^ 1
        if y & 1:
            op, y = int(NEG_B[op]), y ^ 1
        # substitute constant operands (node 0 is constant 0 once un-negated)
        if x == FALSE:
            return _unary_literal(self._fix_a(op, 0), y)  # a function of b only, moved to a
        if y == FALSE:
            op = self._fix_b(op, 0)
            return _unary_literal(op, x)
        if x == y:
            # f(x, x): t00 when x=0, t11 when x=1
            t0, t1 = int(TRUTH[op, 0]), int(TRUTH[op, 3])
            return (TRUE if t0 else FALSE) if t0 == t1 else x ^ t0
        if not DEPENDS_B[op]:
            return _unary_literal(op, x)
        if not DEPENDS_A[op]:
            return _unary_literal(int(SWAP[op]), y)
        if x > y:
            op, x, y = int(SWAP[op]), y, x
        # canonical polarity: store the gate whose output on (0,0) is 0, negate the literal if needed
        neg = int(TRUTH[op, 0])
        if neg:
            op = int(NEG_OUT[op])
        key = (op, x >> 1, y >> 1)
        node = self._table.get(key)
        if node is None:
            node = self.first_gate + len(self._op)
            self._op.append(op)
            self._a.append(x >> 1)
            self._b.append(y >> 1)
            self._table[key] = node
        return lit(node, bool(neg))

    @staticmethod
    def _fix_a(op: int, value: int) -> int:
        """The gate g'(a, b) = op(value, a): operand a fixed, b moved into a."""
        t = TRUTH[op]
        # cases (a=value, b=0) and (a=value, b=1) become the new (a=0,*) and (a=1,*)
        lo, hi = int(t[2 * value]), int(t[2 * value + 1])
        return (lo << 3) | (lo << 2) | (hi << 1) | hi

    @staticmethod
    def _fix_b(op: int, value: int) -> int:
        """The gate g'(a, b) = op(a, value): a function of operand a only."""
        t = TRUTH[op]
        lo, hi = int(t[value]), int(t[2 + value])
        return (lo << 3) | (lo << 2) | (hi << 1) | hi

    # convenience wrappers for hand-written graphs
    def AND(self, x: int, y: int) -> int:  # noqa: N802 - gate names read best in capitals
        """x and y."""
        return self.gate(1, x, y)

    def OR(self, x: int, y: int) -> int:  # noqa: N802
        """x or y."""
        return self.gate(7, x, y)

    def XOR(self, x: int, y: int) -> int:  # noqa: N802
        """x xor y."""
        return self.gate(6, x, y)

    def output(self, x: int) -> int:
        """Declare literal ``x`` as the next output; returns its output index."""
        self._outputs.append(int(x))
        return len(self._outputs) - 1

    def end_layer(self) -> None:
        """Record a layer boundary after the gates built so far (metadata only)."""
        if len(self._op) != self._layers[-1]:
            self._layers.append(len(self._op))

    def build(self, head: Head | None = None, k: int | None = None, tau: float = 1.0,
              encoding: Encoding | None = None, meta: dict[str, Any] | None = None) -> Graph:
        """The finished graph; pass ``k`` for an equal-groups GroupSum head."""
        outs = np.asarray(self._outputs, dtype=np.int64)
        if head is None and k is not None:
            head = Head.group_sum(len(outs), k, tau)
        layers = list(self._layers)
        if layers[-1] != len(self._op):
            layers.append(len(self._op))
        g = Graph.from_arrays(self.n_inputs, self._op, self._a, self._b, outs >> 1, (outs & 1).astype(bool),
                              head=head, encoding=encoding,
                              layers=np.asarray(layers, dtype=np.int64) if len(layers) > 2 else None,
                              meta=dict(meta or {}))
        return g.verify()
