"""lgcc.frontend: PyTorch modules for training, checkpoints and lowering to the IR.

Names are imported lazily (``lgcc.frontend.LogicLayer`` loads torch on first
use), so importing the package itself stays cheap.
"""

from __future__ import annotations

from typing import Any

from lgcc.lazy import package_attribute

#: Public name -> submodule that defines it (relative to this package).
_EXPORTS = {
    "LogicLayer": ".layers", "GroupSum": ".layers",
    "Thresholds": ".encoding", "Thermometer": ".encoding",
    "save": ".checkpoint", "load": ".checkpoint", "read_checkpoint": ".checkpoint",
    "lower": ".lowering", "lower_checkpoint": ".lowering", "lower_spec": ".lowering",
    "model_spec": ".spec", "build_model": ".spec", "from_difflogic": ".spec",
    "PackBitsTensor": ".packbits", "CompiledLogicNet": ".compiled",
    "make_model": ".training", "train_loop": ".training", "evaluate": ".training", "TrainConfig": ".training",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return package_attribute(__name__, name, _EXPORTS)  # also a submodule (fastload, cuda_ext, ...), lazily
