"""CUDA extension for training LogicLayer on GPUs (``implementation='cuda'``).

Interface (all tensors on one CUDA device, contiguous; float32 or float64 for the relaxed path):

* ``available() -> bool`` and ``reason() -> str`` (why not, '' when available): nvcc and a CUDA
  build of torch with a visible GPU are needed; nothing is compiled by asking.
* ``load()`` -> the compiled extension module, built with ``torch.utils.cpp_extension.load`` on
  first use (cached in torch's extension folder); raises :class:`LgccError` with the reason.
* ``logic_layer_cuda(x [batch, in_dim], a_idx int64[out], b_idx int64[out], coeffs [out, 4],
  rev=None) -> [batch, out]``: the relaxed layer
  ``y = c0 (1-a)(1-b) + c1 (1-a) b + c2 a (1-b) + c3 a b``, differentiable in ``x`` and ``coeffs``
  (``coeffs = softmax(weights) @ TRUTH``, so autograd carries the gradient on to the weights).
  ``rev`` is the optional cached result of :func:`reverse_index` for these indices.
* ``eval_packed(words int64[in_dim, W], a_idx, b_idx, ops uint8[out]) -> int64[out, W]``: the
  discrete layer on packed bits (bit j of word w is sample 64 w + j).
* ``group_sum_packed(words int64[m, W], k, n_samples) -> int32[n_samples, k]``: class popcounts.
* ``pack_rows(rows bool|uint8 [N, dim]) -> int64[dim, ceil(N / 64)]``.

The kernels live in ``csrc/logic_layer.cu`` (no torch headers) and the binding in
``csrc/logic_layer_binding.cpp``.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lgcc.ir.errors import LgccError
from lgcc.ir.gates import ANF

_CSRC = Path(__file__).resolve().parent / "csrc"

#: ANF of the 16 gates packed 4 bits per gate (bit 4 g + k = ANF[g, k]); the kernels decode it.
ANF_PACKED = int(sum(int(ANF[g, k]) << (4 * g + k) for g in range(16) for k in range(4)))


def _signed64(value: int) -> int:
    """The int64 with the same bits as an unsigned 64-bit value (pybind11 takes int64_t)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def reason() -> str:
    """Why the extension cannot be used here ('' when it can)."""
    if torch.version.cuda is None:
        return f"torch {torch.__version__} is a CPU-only build; install a CUDA build of torch"
    if not torch.cuda.is_available():
        return "no CUDA GPU is visible to torch"
    from torch.utils.cpp_extension import CUDA_HOME

    if shutil.which("nvcc") is None and not (CUDA_HOME and Path(CUDA_HOME, "bin", "nvcc").exists()):
        return "nvcc was not found (set CUDA_HOME or put nvcc on PATH)"
    return ""


def available() -> bool:
    """Whether the CUDA extension can be built and run here."""
    return reason() == ""


@functools.lru_cache(maxsize=None)
def load() -> Any:
    """Build (first call, cached by torch on disk) and import the extension module."""
    why = reason()
    if why:
        raise LgccError(f"the CUDA LogicLayer extension is unavailable: {why}; use implementation='cpu'")
    from torch.utils.cpp_extension import load as cpp_load

    try:
        return cpp_load(
            name="lgcc_logic_layer_cuda",
            sources=[str(_CSRC / "logic_layer_binding.cpp"), str(_CSRC / "logic_layer.cu")],
            extra_include_paths=[str(_CSRC)],
            extra_cuda_cflags=["-O3"],
            extra_cflags=["-O3"],
            verbose=bool(os.environ.get("LGCC_VERBOSE_BUILD")),
        )
    except (RuntimeError, OSError, ImportError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LgccError(f"building the CUDA LogicLayer extension failed: {first} "
                        "(set LGCC_VERBOSE_BUILD=1 to see the compiler output)") from exc


def reverse_index(a_idx: torch.Tensor, b_idx: torch.Tensor, in_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """CSR of the readers of each input: ``rev_ptr[in_dim + 1]``, ``rev_ref`` = 2 j + port.

    Used by the input-gradient kernel to gather instead of scattering with atomics, which
    keeps gradients deterministic.  Depends only on the indices, so layers may cache it.
    """
    out_dim = a_idx.shape[0]
    src = torch.cat([a_idx, b_idx]).to(torch.int64)
    ref = torch.cat([torch.arange(out_dim, device=a_idx.device) * 2,
                     torch.arange(out_dim, device=a_idx.device) * 2 + 1])
    order = torch.argsort(src, stable=True)
    counts = torch.bincount(src, minlength=in_dim)
    rev_ptr = torch.zeros(in_dim + 1, dtype=torch.int64, device=a_idx.device)
    rev_ptr[1:] = torch.cumsum(counts, 0)
    return rev_ptr.contiguous(), ref[order].contiguous()


class _LogicLayerFunction(torch.autograd.Function):
    """Autograd wrapper: forward and backward both run the CUDA kernels."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, a_idx: torch.Tensor, b_idx: torch.Tensor, coeffs: torch.Tensor,
                rev_ptr: torch.Tensor, rev_ref: torch.Tensor) -> torch.Tensor:
        ext = load()
        x = x.contiguous()
        coeffs = coeffs.contiguous()
        ctx.save_for_backward(x, a_idx, b_idx, coeffs, rev_ptr, rev_ref)
        return ext.forward(x, a_idx, b_idx, coeffs)

    @staticmethod
    def backward(ctx: Any,
                 dy: torch.Tensor) -> tuple[torch.Tensor | None, None, None, torch.Tensor | None, None, None]:
        x, a_idx, b_idx, coeffs, rev_ptr, rev_ref = ctx.saved_tensors
        need_x, _, _, need_c, _, _ = ctx.needs_input_grad
        dx, dc = load().backward(dy.contiguous(), x, a_idx, b_idx, coeffs, rev_ptr, rev_ref,
                                 bool(need_x), bool(need_c))
        return (dx if need_x else None), None, None, (dc if need_c else None), None, None


def _check_indices(a_idx: torch.Tensor, b_idx: torch.Tensor, in_dim: int, device: torch.device) -> None:
    for name, t in (("a_idx", a_idx), ("b_idx", b_idx)):
        if t.device != device or t.dtype != torch.int64 or t.dim() != 1:
            raise LgccError(f"{name} must be a 1-D int64 tensor on {device}")
    if a_idx.numel() == 0:
        return
    lo = int(torch.minimum(a_idx.min(), b_idx.min()))
    hi = int(torch.maximum(a_idx.max(), b_idx.max()))
    if lo < 0 or hi >= in_dim:
        raise LgccError(f"connection indices must be in 0..{in_dim - 1}, got {lo}..{hi}")


def logic_layer_cuda(x: torch.Tensor, a_idx: torch.Tensor, b_idx: torch.Tensor, coeffs: torch.Tensor,
                     rev: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """Relaxed logic layer on CUDA, differentiable in ``x`` and ``coeffs`` (see the module docstring)."""
    if not x.is_cuda:
        raise LgccError("logic_layer_cuda needs CUDA tensors; use implementation='cpu' for CPU tensors")
    a_idx = a_idx.contiguous()
    b_idx = b_idx.contiguous()
    if rev is None:
        rev = reverse_index(a_idx, b_idx, x.shape[1])
    return _LogicLayerFunction.apply(x, a_idx, b_idx, coeffs, rev[0], rev[1])


def eval_packed(words: torch.Tensor, a_idx: torch.Tensor, b_idx: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
    """Discrete layer on packed bits: int64 words ``[in_dim, W]`` -> ``[out, W]``."""
    if not words.is_cuda or words.dtype != torch.int64 or words.dim() != 2:
        raise LgccError("eval_packed needs int64 CUDA words of shape [in_dim, W]")
    _check_indices(a_idx, b_idx, words.shape[0], words.device)
    return load().eval_packed(words.contiguous(), a_idx.contiguous(), b_idx.contiguous(),
                              ops.to(torch.uint8).contiguous(), _signed64(ANF_PACKED))


def group_sum_packed(words: torch.Tensor, k: int, n_samples: int) -> torch.Tensor:
    """Per-class popcounts of packed outputs (difflogic's GroupSum without the division by tau)."""
    return load().group_sum_packed(words.contiguous(), int(k), int(n_samples))


def pack_rows(rows: torch.Tensor) -> torch.Tensor:
    """Rows of bits (bool/uint8, CUDA) -> int64 words ``[dim, ceil(N / 64)]``."""
    return load().pack_rows(rows.contiguous())


def anf_table() -> np.ndarray:
    """The ANF table the kernels decode from :data:`ANF_PACKED` (for tests)."""
    return np.array([[(ANF_PACKED >> (4 * g + k)) & 1 for k in range(4)] for g in range(16)], dtype=np.uint8)
