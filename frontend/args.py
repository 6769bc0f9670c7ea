"""Checks of what the frontend's modules are built from and given: the counts and scales of
:mod:`lgcc.ir.checks`, and their tensor inputs."""

from __future__ import annotations

import torch

from lgcc.ir.checks import MAX_WIDTH, checked_finite, checked_int, checked_positive
from lgcc.ir.errors import LgccError

__all__ = ["MAX_WIDTH", "checked_finite", "checked_input", "checked_int", "checked_positive"]


def checked_input(x: object, what: str, device: torch.device | None) -> torch.Tensor:
    """``x`` if it is a tensor on ``device`` (None: any), else LgccError: torch's own errors for a numpy
    array or a tensor on another device come from deep inside the computation."""
    if not isinstance(x, torch.Tensor):
        raise LgccError(f"{what} takes a torch tensor, got {type(x).__name__}; convert it with torch.as_tensor(x)")
    if device is not None and x.device != device:
        raise LgccError(f"{what}: the input is on {x.device}, the module on {device}; move one with .to()")
    return x
