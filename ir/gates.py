"""The one definition of the 16 two-input gates, and everything derived from it.

Gate ids follow difflogic's numbering: gate ``g`` applied to bits ``a``, ``b``
yields bit ``3 - 2a - b`` of ``g``.  Every other table in lgcc (evaluation on
words, operand swapping, inverter absorption, C/CUDA/Verilog expressions, the
torch relaxation) is computed here from :data:`TRUTH` or checked against it at
import time, so there is no second hand-written copy of the gates.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

#: Number of distinct 2-input gates.
NUM_GATES = 16

#: The four input cases in the column order used by every table: (a, b).
CASES: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (1, 0), (1, 1))

#: ``TRUTH[g, c]`` is gate g's output on input case ``CASES[c]`` (uint8 0/1).
TRUTH = np.array(
    [[(g >> (3 - 2 * a - b)) & 1 for (a, b) in CASES] for g in range(NUM_GATES)],
    dtype=np.uint8,
)


def _gate_of(truth_rows: np.ndarray) -> np.ndarray:
    """Gate ids of rows of 4 output bits (inverse of :data:`TRUTH`)."""
    rows = np.asarray(truth_rows, dtype=np.int64)
    weights = np.array([1 << (3 - 2 * a - b) for (a, b) in CASES], dtype=np.int64)
    return (rows * weights).sum(axis=-1).astype(np.uint8)


# Permutations of the case columns for operand transformations.
_SWAP_COLS = [CASES.index((b, a)) for (a, b) in CASES]
_NEG_A_COLS = [CASES.index((1 - a, b)) for (a, b) in CASES]
_NEG_B_COLS = [CASES.index((a, 1 - b)) for (a, b) in CASES]

#: ``SWAP[g]``: the gate h with h(a, b) == g(b, a).
SWAP = _gate_of(TRUTH[:, _SWAP_COLS])
#: ``NEG_A[g]``: the gate h with h(a, b) == g(not a, b).
NEG_A = _gate_of(TRUTH[:, _NEG_A_COLS])
#: ``NEG_B[g]``: the gate h with h(a, b) == g(a, not b).
NEG_B = _gate_of(TRUTH[:, _NEG_B_COLS])
#: ``NEG_OUT[g]``: the gate h with h(a, b) == not g(a, b).
NEG_OUT = _gate_of(1 - TRUTH)

#: Whether the gate's output changes with operand a (resp. b) for some value of the other.
DEPENDS_A = (TRUTH != TRUTH[:, _NEG_A_COLS]).any(axis=1)
DEPENDS_B = (TRUTH != TRUTH[:, _NEG_B_COLS]).any(axis=1)
#: Gates whose output is constant; ``CONST_VALUE`` holds that constant (0 elsewhere).
IS_CONST = ~DEPENDS_A & ~DEPENDS_B
CONST_VALUE = np.where(IS_CONST, TRUTH[:, 0], 0).astype(np.uint8)
#: Gates that are a wire or an inverter of exactly one operand.
IS_UNARY = DEPENDS_A ^ DEPENDS_B
#: Gates that read both operands (the "real" 2-input gates).
IS_BINARY = DEPENDS_A & DEPENDS_B
#: XOR-like gates (cost 3 AND nodes in an AIG); the other binary gates cost 1.
IS_XOR = IS_BINARY & (TRUTH.sum(axis=1) == 2)
#: AND-inverter-graph node cost of each gate.
AIG_COST = np.where(IS_XOR, 3, np.where(IS_BINARY, 1, 0)).astype(np.int64)

#: Algebraic normal form: g(a,b) = ANF[g,0] ^ ANF[g,1]&a ^ ANF[g,2]&b ^ ANF[g,3]&a&b.
ANF = np.stack(
    [
        TRUTH[:, 0],
        TRUTH[:, 0] ^ TRUTH[:, 2],
        TRUTH[:, 0] ^ TRUTH[:, 1],
        TRUTH[:, 0] ^ TRUTH[:, 1] ^ TRUTH[:, 2] ^ TRUTH[:, 3],
    ],
    axis=1,
).astype(np.uint8)

#: All-ones uint64 masks of the ANF coefficients, for word-parallel evaluation.
ANF_MASKS = np.where(ANF.astype(bool), np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(0))

NAMES: tuple[str, ...] = (
    "false", "and", "a_and_not_b", "a", "not_a_and_b", "b", "xor", "or",
    "nor", "xnor", "not_b", "a_or_not_b", "not_a", "not_a_or_b", "nand", "true",
)

#: Bitwise expressions in the operator syntax that Python, C, CUDA and Verilog share.
#: ``ONES`` stands for an all-ones value of the target's word type.
EXPRS: tuple[str, ...] = (
    "0", "a & b", "a & ~b", "a", "~a & b", "b", "a ^ b", "a | b",
    "~(a | b)", "~(a ^ b)", "~b", "a | ~b", "~a", "~a | b", "~(a & b)", "ONES",
)

#: Short symbols for graph dumps.
SYMBOLS: tuple[str, ...] = (
    "0", "a&b", "a&~b", "a", "~a&b", "b", "a^b", "a|b",
    "~(a|b)", "~(a^b)", "~b", "a|~b", "~a", "~a|b", "~(a&b)", "1",
)


def expr_pieces(op: int, ones: str = "ONES", zero: str = "0") -> list[str]:
    """Gate ``op``'s expression (:data:`EXPRS`) as literal text pieces and operand tokens ``a``/``b``.

    ``ones``/``zero`` spell the constants in the target language (e.g. ``1'b1`` in
    Verilog); backends that substitute operand names vectorized use the pieces.
    """
    spell = {"ONES": ones, "0": zero}
    return [spell.get(p, p) for p in re.split(r"\b(a|b|ONES|0)\b", EXPRS[op]) if p != ""]


def render_expr(op: int, a: str = "a", b: str = "b", ones: str = "ONES", zero: str = "0") -> str:
    """Gate ``op``'s expression with operands named ``a``/``b`` and constants spelled ``ones``/``zero``."""
    return "".join(a if p == "a" else b if p == "b" else p for p in expr_pieces(op, ones, zero))


def eval_bits(op: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike) -> np.uint8 | npt.NDArray[np.uint8]:
    """Evaluate gates on 0/1 values (scalars or arrays broadcast together)."""
    op = np.asarray(op, dtype=np.int64)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    return ((op >> (3 - 2 * a - b)) & 1).astype(np.uint8)


def eval_words(op: npt.ArrayLike, a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Evaluate gates on uint64 words, 64 independent samples per word.

    ``op`` broadcasts against ``a``/``b`` on the leading axis (shape ``(n,)`` with
    words of shape ``(n, w)``), so a whole level of mixed gates is one call.
    """
    op = np.asarray(op)
    masks = ANF_MASKS[op]
    if np.ndim(a) > np.ndim(op):
        masks = masks.reshape(masks.shape[:-1] + (1,) * (np.ndim(a) - np.ndim(op)) + masks.shape[-1:])
    out = a & b
    out &= masks[..., 3]
    out ^= a & masks[..., 1]
    out ^= b & masks[..., 2]
    out ^= masks[..., 0]
    return out


def _check_table() -> None:
    """Import-time proof that the derived tables agree with TRUTH (cheap, exhaustive)."""
    for g in range(NUM_GATES):
        for c, (a, b) in enumerate(CASES):
            t = int(TRUTH[g, c])
            ones = 1
            env = {"a": a, "b": b, "ONES": ones}
            assert eval(EXPRS[g], {}, env) & 1 == t, (g, a, b)  # noqa: S307 - constant table
            assert int(TRUTH[SWAP[g], CASES.index((b, a))]) == t
            assert int(TRUTH[NEG_A[g], CASES.index((1 - a, b))]) == t
            assert int(TRUTH[NEG_B[g], CASES.index((a, 1 - b))]) == t
            assert int(TRUTH[NEG_OUT[g], c]) == 1 - t
            anf = ANF[g]
            assert (anf[0] ^ (anf[1] & a) ^ (anf[2] & b) ^ (anf[3] & a & b)) == t


_check_table()


def relaxed(op_probs: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Real-valued relaxation used in training (numpy reference).

    ``op_probs`` has a trailing axis of 16 gate probabilities; ``a``/``b`` are
    probabilities of the operands being 1.  The result is
    ``sum_c T_c * P(case c)`` with ``T = op_probs @ TRUTH``; the torch modules in
    the frontend use the same product and are tested against this function.
    """
    t = np.asarray(op_probs, dtype=np.float64) @ TRUTH.astype(np.float64)
    na, nb = 1 - a, 1 - b
    return t[..., 0] * na * nb + t[..., 1] * na * b + t[..., 2] * a * nb + t[..., 3] * a * b
