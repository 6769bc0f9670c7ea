"""Checks of the numbers an API call is given (counts, widths, scales, seeds), torch-free.

A float where a count belongs would be truncated (``GroupSum(2.5)`` became 2 classes), a bool
is an int to Python, and a value past what a graph can number would fail, or exhaust memory,
far from the call that asked for it: each is one :class:`LgccError` line at the call instead.
Values that hold a whole number in another type (``10.0``, ``np.int64(3)``, a 0-d tensor) count.
"""

from __future__ import annotations

import math
import operator

from .errors import LgccError
from .graph import FIRST_INPUT

#: Largest layer width: graph node ids are int32, after the two constants.
MAX_WIDTH = 2**31 - 1 - FIRST_INPUT


def _as_float(value: object) -> float:
    """``float(value)``, or NaN where it has none (bools and text count as none); infinity past float's range."""
    if isinstance(value, (bool, str, bytes)):  # float("1") would read text as a number
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]  # any object: what float() refuses is caught
    except OverflowError:  # an integer beyond float's range
        return math.inf
    except (TypeError, ValueError, RuntimeError):  # RuntimeError: a tensor of more than one value
        return math.nan


def checked_int(value: object, what: str, low: int = 1, high: int | None = MAX_WIDTH) -> int:
    """``value`` as an int in ``low..high`` (no upper bound for None), else LgccError."""
    number: int | None = None
    if not isinstance(value, bool):
        try:
            number = operator.index(value)  # type: ignore[arg-type]  # int, numpy and 0-d integer tensors
        except TypeError:
            f = _as_float(value)
            number = int(f) if f.is_integer() else None
    if number is None or number < low or (high is not None and number > high):
        span = f"{low}..{high}" if high is not None else f"{low} or more"
        raise LgccError(f"{what} must be an integer in {span}, got {value!r:.40}")
    return number


def checked_positive(value: object, what: str) -> float:
    """``value`` as a finite float above 0, else LgccError."""
    number = _as_float(value)
    if not (math.isfinite(number) and number > 0):
        raise LgccError(f"{what} must be a finite number above 0, got {value!r:.40}")
    return number


def checked_finite(value: object, what: str) -> float:
    """``value`` as a finite float, else LgccError."""
    number = _as_float(value)
    if not math.isfinite(number):
        raise LgccError(f"{what} must be a finite number, got {value!r:.40}")
    return number
