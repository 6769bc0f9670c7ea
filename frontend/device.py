"""Checking a ``device=`` argument before any tensor moves there.

torch reports a CUDA device on a CPU-only build as ``AssertionError: Torch not
compiled with CUDA enabled`` (and a misspelt or missing one as a RuntimeError)
from deep inside ``.to()``; the frontend's modules and loaders check first and
say what to do in one line.
"""

from __future__ import annotations

import torch

from lgcc.ir.errors import LgccError


def checked_device(device: torch.device | str | None) -> torch.device | None:
    """``device`` as a ``torch.device`` (None stays None), or LgccError if this machine cannot use it."""
    if device is None:
        return None
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):  # 'gpu', 'cuda:x', an object of another type
        raise LgccError(f"unknown device {device!r}; use 'cpu', 'cuda' or 'cuda:N'") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise LgccError(f"device {str(device)!r}: no CUDA device is available to this torch build; "
                            "use device='cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise LgccError(f"device {str(device)!r}: this machine has {torch.cuda.device_count()} CUDA "
                            f"device(s), cuda:0..cuda:{torch.cuda.device_count() - 1}")
    elif dev.type == "meta":
        raise LgccError(f"device {str(device)!r} holds no data, so nothing can be trained or run there; "
                        "use device='cpu' or 'cuda'")
    elif dev.type != "cpu":  # 'mps', 'xla', ...: tried, since torch says no more than a RuntimeError
        try:
            torch.empty(0, device=dev)
        except Exception:  # noqa: BLE001 - NotImplementedError, AssertionError, ModuleNotFoundError: all say no
            raise LgccError(f"device {str(device)!r} is not available to this torch build; use device='cpu' "
                            "(or 'cuda')") from None
    return dev
