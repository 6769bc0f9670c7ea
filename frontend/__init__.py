"""lgcc.frontend: PyTorch modules for training, checkpoints and lowering to the IR.

Names are imported lazily (``lgcc.frontend.LogicLayer`` loads torch on first
use), so importing the package itself stays cheap.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

#: Public name -> submodule that defines it.
_EXPORTS = {
    "LogicLayer": "layers", "GroupSum": "layers",
    "Thresholds": "encoding", "Thermometer": "encoding",
    "save": "checkpoint", "load": "checkpoint", "read_checkpoint": "checkpoint",
    "lower": "lowering", "lower_checkpoint": "lowering", "lower_spec": "lowering",
    "model_spec": "spec", "build_model": "spec", "from_difflogic": "spec",
    "PackBitsTensor": "packbits", "CompiledLogicNet": "compiled",
    "make_model": "training", "train_loop": "training", "evaluate": "training", "TrainConfig": "training",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)  # a submodule (fastload, cuda_ext, ...), lazily too
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
