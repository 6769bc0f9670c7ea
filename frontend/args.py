"""Checks of the numbers the frontend's modules are built from (widths, counts, scales), and of their inputs.

A float where a count belongs would be truncated (``GroupSum(2.5)`` became 2 classes), a bool
is an int to Python, and a width past what a graph can number would fail, or exhaust memory,
far from the call that asked for it: each is one :class:`LgccError` line at the call instead.
"""

from __future__ import annotations

import math
import numbers

import torch

from lgcc.ir.errors import LgccError
from lgcc.ir.graph import FIRST_INPUT

#: Largest layer width: graph node ids are int32, after the two constants.
MAX_WIDTH = 2**31 - 1 - FIRST_INPUT


def checked_int(value: object, what: str, low: int = 1, high: int = MAX_WIDTH) -> int:
    """``value`` as an int in ``low..high`` (numpy integers too, not bools or floats), else LgccError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= int(value) <= high:
        raise LgccError(f"{what} must be an integer in {low}..{high}, got {value!r:.40}")
    return int(value)


def checked_positive(value: object, what: str) -> float:
    """``value`` as a finite float above 0, else LgccError."""
    try:
        number = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else math.nan
    except OverflowError:  # an integer beyond float's range
        number = math.inf
    if not (math.isfinite(number) and number > 0):
        raise LgccError(f"{what} must be a finite number above 0, got {value!r:.40}")
    return number


def checked_input(x: object, what: str, device: torch.device | None) -> torch.Tensor:
    """``x`` if it is a tensor on ``device`` (None: any), else LgccError: torch's own errors for a numpy
    array or a tensor on another device come from deep inside the computation."""
    if not isinstance(x, torch.Tensor):
        raise LgccError(f"{what} takes a torch tensor, got {type(x).__name__}; convert it with torch.as_tensor(x)")
    if device is not None and x.device != device:
        raise LgccError(f"{what}: the input is on {x.device}, the module on {device}; move one with .to()")
    return x
