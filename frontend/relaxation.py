"""The real-valued relaxation of the 16 gates, derived from :data:`lgcc.ir.gates.TRUTH`.

A gate is fixed by its outputs on the four input cases (``TRUTH[g]``).  Its
relaxation on probabilities ``a``, ``b`` is the multilinear extension of that
table: ``sum_c TRUTH[g, c] * P(case c)`` with ``P(0,0) = (1-a)(1-b)`` and so on.
Expanding the four case probabilities into the monomials ``1, a, b, ab`` gives
the equivalent polynomial form ``c0 + c1 a + c2 b + c3 ab`` whose coefficients
are ``TRUTH @ inv(V).T`` where ``V`` holds the monomials at the four corners.

A neuron with gate probabilities ``p`` (softmax of 16 weights) computes
``sum_g p_g gate_g(a, b)`` which, being linear in ``p``, is the same polynomial
with coefficients ``p @ GATE_POLY``: a 16x4 product per neuron, then 4 numbers
per element instead of 16 gate evaluations.  The ``python`` implementation
evaluates all 16 relaxed gates (the readable reference); the ``cpu`` one uses
the 4-coefficient form in a custom autograd function.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lgcc.ir.gates import CASES, NUM_GATES, TRUTH

#: Monomials 1, a, b, ab evaluated at the four input cases (rows follow ``CASES``).
_CORNER_MONOMIALS = np.array([[1, a, b, a * b] for (a, b) in CASES], dtype=np.float64)
#: ``GATE_POLY[g] = (c0, c1, c2, c3)`` with ``gate_g(a, b) = c0 + c1 a + c2 b + c3 ab`` on reals.
GATE_POLY = TRUTH.astype(np.float64) @ np.linalg.inv(_CORNER_MONOMIALS).T
# The coefficients are small integers; rounding removes inversion noise so that
# evaluation on 0/1 inputs is exact in every float type.
GATE_POLY = np.rint(GATE_POLY)
assert np.array_equal(GATE_POLY @ _CORNER_MONOMIALS.T, TRUTH), "polynomial form must reproduce TRUTH"

_TABLES: dict[tuple, torch.Tensor] = {}


def gate_poly(dtype: torch.dtype, device: torch.device | str) -> torch.Tensor:
    """:data:`GATE_POLY` as a ``(16, 4)`` tensor (cached per dtype and device)."""
    key = (dtype, torch.device(device))
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = torch.tensor(GATE_POLY, dtype=dtype, device=device)
    return table


def truth_table(dtype: torch.dtype, device: torch.device | str) -> torch.Tensor:
    """:data:`lgcc.ir.gates.TRUTH` as a ``(16, 4)`` float tensor (case form, used by the CUDA kernels)."""
    key = (dtype, torch.device(device), "truth")
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = torch.tensor(TRUTH, dtype=dtype, device=device)
    return table


def case_coefficients(weights: torch.Tensor, hard: bool) -> torch.Tensor:
    """Probabilities of output 1 per input case ``(out, 4)``: ``softmax(w) @ TRUTH``, or the argmax gate's row."""
    truth = truth_table(weights.dtype, weights.device)
    if hard:
        return truth[hard_ops(weights)]
    return torch.softmax(weights, dim=-1) @ truth


def soft_coefficients(weights: torch.Tensor) -> torch.Tensor:
    """Training-mode polynomial coefficients ``(out, 4)`` = ``softmax(weights) @ GATE_POLY``."""
    probs = torch.softmax(weights, dim=-1)
    return probs @ gate_poly(probs.dtype, probs.device)


def hard_ops(weights: torch.Tensor) -> torch.Tensor:
    """Discrete gate per neuron: argmax of the 16 weights (first index on ties), int64."""
    return torch.argmax(weights, dim=-1)


def hard_coefficients(weights: torch.Tensor) -> torch.Tensor:
    """Eval-mode coefficients: the polynomial of the argmax gate (exact on 0/1 inputs)."""
    return gate_poly(weights.dtype, weights.device)[hard_ops(weights)]


def relaxed_gates(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """All 16 relaxed gates on ``a``, ``b``: a tensor with a trailing axis of 16 (reference form)."""
    poly = gate_poly(a.dtype, a.device)
    ab = a * b
    terms = torch.stack([torch.ones_like(a), a, b, ab], dim=-1)  # (..., 4)
    return terms @ poly.T  # (..., 16)


def python_forward(x: torch.Tensor, a_idx: torch.Tensor, b_idx: torch.Tensor,
                   probs: torch.Tensor) -> torch.Tensor:
    """Reference layer: the mixture ``sum_g probs[:, g] * gate_g(x[:, a], x[:, b])``.

    ``x`` is ``(batch, in_dim)``, ``probs`` ``(out_dim, 16)``; plain autograd
    differentiates it.  Memory grows with ``batch * out_dim * 16``.
    """
    gates = relaxed_gates(x[:, a_idx], x[:, b_idx])  # (batch, out, 16)
    return (gates * probs.to(x.dtype)).sum(dim=-1)


#: Elements per chunk of neurons in the fast path: temporaries of ~256 KiB stay in cache.
CHUNK_ELEMENTS = 1 << 16


def _feature_major(x: torch.Tensor) -> torch.Tensor:
    """``x`` (batch, features) as a contiguous (features, batch) tensor (free for this module's outputs)."""
    return x.t().contiguous()


def _columns(coeffs: torch.Tensor, dtype: torch.dtype) -> list[torch.Tensor]:
    """The four coefficient vectors as contiguous ``(out, 1)`` columns (strided ones defeat vectorization)."""
    return list(coeffs.to(dtype).t().contiguous().unsqueeze(-1).unbind(0))


def _chunks(out_dim: int, batch: int) -> list[tuple[int, int]]:
    """Neuron ranges of about :data:`CHUNK_ELEMENTS` elements each."""
    rows = max(1, CHUNK_ELEMENTS // max(1, batch))
    return [(s, min(out_dim, s + rows)) for s in range(0, out_dim, rows)]


def _poly_rows(xt: torch.Tensor, a_idx: torch.Tensor, b_idx: torch.Tensor, c: list[torch.Tensor]) -> torch.Tensor:
    """Feature-major ``(out, batch)`` outputs ``a (c1 + c3 b) + (c0 + c2 b)``, a chunk of neurons at a time.

    Chunking keeps the gathered operands in cache and bounds the temporaries,
    so the only full-size allocation is the result.
    """
    yt = torch.empty(a_idx.shape[0], xt.shape[1], dtype=xt.dtype, device=xt.device)
    for s, e in _chunks(a_idx.shape[0], xt.shape[1]):
        at, bt = xt.index_select(0, a_idx[s:e]), xt.index_select(0, b_idx[s:e])
        y = torch.mul(bt, c[3][s:e], out=yt[s:e]).add_(c[1][s:e]).mul_(at)
        y.add_(bt.mul_(c[2][s:e]).add_(c[0][s:e]))
    return yt


def poly_forward(x: torch.Tensor, a_idx: torch.Tensor, b_idx: torch.Tensor, coeffs: torch.Tensor) -> torch.Tensor:
    """``c0 + c1 a + c2 b + c3 ab`` per neuron without autograd bookkeeping (eval and the fast path).

    Works feature-major: gathering whole rows of a ``(features, batch)`` tensor
    and scattering gradients into rows are contiguous copies, much faster than
    column gathers.  The result is returned as a transposed view ``(batch, out)``
    of a contiguous ``(out, batch)`` tensor, so the next layer gets its
    feature-major input for free.
    """
    return _poly_rows(_feature_major(x), a_idx, b_idx, _columns(coeffs, x.dtype)).t()


class PolyLayerFunction(torch.autograd.Function):
    """Fast CPU layer: forward and backward of the 4-coefficient form.

    Saves only the feature-major layer input (the previous layer's output
    storage, so no copy) and the ``(out, 4)`` coefficients; the gathered operands
    are recomputed in backward, chunk by chunk, so a layer costs one
    ``(batch, out_dim)`` tensor of memory (its output) instead of the dozens of
    temporaries plain autograd keeps.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, coeffs: torch.Tensor, a_idx: torch.Tensor, b_idx: torch.Tensor,
                grad_factor: float) -> torch.Tensor:
        """``y[n, j] = poly_j(x[n, a_idx[j]], x[n, b_idx[j]])``."""
        xt = _feature_major(x)
        ctx.save_for_backward(xt, coeffs, a_idx, b_idx)
        ctx.grad_factor = grad_factor
        return _poly_rows(xt, a_idx, b_idx, _columns(coeffs, x.dtype)).t()

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None, None, None, None]:
        """Gradients w.r.t. ``x`` (scaled by ``grad_factor``) and the coefficients."""
        xt, coeffs, a_idx, b_idx = ctx.saved_tensors
        gt = _feature_major(grad_y).to(xt.dtype)
        c = _columns(coeffs, xt.dtype)
        need_x, need_c = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        # each accumulator exists exactly when its gradient is needed (so None-checks stand for need_x/need_c)
        grad_xt = torch.zeros_like(xt) if need_x else None
        sums = torch.empty(4, a_idx.shape[0], dtype=xt.dtype, device=xt.device) if need_c else None
        for s, e in _chunks(a_idx.shape[0], xt.shape[1]):
            at, bt, g = xt.index_select(0, a_idx[s:e]), xt.index_select(0, b_idx[s:e]), gt[s:e]
            if grad_xt is not None:
                # dy/da = c1 + c3 b and dy/db = c2 + c3 a, scattered back to the input rows.
                d = torch.mul(bt, c[3][s:e]).add_(c[1][s:e]).mul_(g)
                grad_xt.index_add_(0, a_idx[s:e], d)
                torch.mul(at, c[3][s:e], out=d).add_(c[2][s:e]).mul_(g)
                grad_xt.index_add_(0, b_idx[s:e], d)
            if sums is not None:
                # Batch sums of g * (1, a, b, ab); g * a overwrites the gathered a.
                sums[0, s:e], sums[2, s:e] = g.sum(1), torch.linalg.vecdot(g, bt)
                ga = at.mul_(g)
                sums[1, s:e], sums[3, s:e] = ga.sum(1), torch.linalg.vecdot(ga, bt)
        grad_x = grad_c = None
        if grad_xt is not None:
            if ctx.grad_factor != 1.0:
                grad_xt.mul_(ctx.grad_factor)
            grad_x = grad_xt.t()
        if sums is not None:
            grad_c = sums.t().to(coeffs.dtype)
        return grad_x, grad_c, None, None, None


class GradFactor(torch.autograd.Function):
    """Identity forward; multiplies the gradient by a constant (difflogic's ``grad_factor``)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, factor: float) -> torch.Tensor:
        """Return ``x`` unchanged (a view, so no copy)."""
        ctx.factor = factor
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        """Scale the incoming gradient."""
        return grad * ctx.factor, None


__all__ = [
    "GATE_POLY", "GradFactor", "NUM_GATES", "PolyLayerFunction", "case_coefficients", "gate_poly",
    "hard_coefficients", "truth_table",
    "hard_ops", "poly_forward", "python_forward", "relaxed_gates", "soft_coefficients",
]
