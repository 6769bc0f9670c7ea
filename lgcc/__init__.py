"""lgcc: a compiler toolchain for logic gate networks.

``lgcc.save(model, path)`` and ``lgcc.load(path)`` (checkpoints) and difflogic's four names,
``LogicLayer``, ``GroupSum``, ``PackBitsTensor`` and ``CompiledLogicNet`` (so a difflogic script
runs with ``from lgcc import ...``), are re-exported from :mod:`lgcc.frontend` lazily, so
``import lgcc`` does not import torch.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: Public name -> module that defines it (imported on first access).
_LAZY = {"save": "lgcc.frontend.checkpoint", "load": "lgcc.frontend.checkpoint",
         "LogicLayer": "lgcc.frontend.layers", "GroupSum": "lgcc.frontend.layers",
         "PackBitsTensor": "lgcc.frontend.packbits", "CompiledLogicNet": "lgcc.frontend.compiled"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lgcc' has no attribute {name!r}")
