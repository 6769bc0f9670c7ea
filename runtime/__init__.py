"""lgcc.runtime: loading and calling what the backends built.

``lgcc.runtime.load(OUTDIR)`` returns a :class:`CompiledModel` for a folder made by
``lgcc compile --target c`` (or its ``libmodel.so``).  Importing this package does
not import torch or cffi; loading a model needs cffi.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .model import ABI_VERSION, CompiledModel, RuntimeModelError, load

__all__ = ["ABI_VERSION", "CompiledModel", "RuntimeModelError", "load", "load_cuda"]

if TYPE_CHECKING:
    from .cuda import CudaModel


def load_cuda(outdir: str | Path) -> CudaModel:
    """Load a model built by ``lgcc compile --target cuda --build`` (see :mod:`lgcc.runtime.cuda`)."""
    from .cuda import load_cuda as _load_cuda  # lazy: importing lgcc.runtime must not need torch

    return _load_cuda(outdir)
