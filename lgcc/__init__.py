"""lgcc: a compiler toolchain for logic gate networks.

``lgcc.save(model, path)`` and ``lgcc.load(path)`` (checkpoints) and difflogic's four names,
``LogicLayer``, ``GroupSum``, ``PackBitsTensor`` and ``CompiledLogicNet`` (so a difflogic script
runs with ``from lgcc import ...``), are re-exported from :mod:`lgcc.frontend` lazily, so
``import lgcc`` does not import torch.  The subpackages (``lgcc.ir``, ``lgcc.frontend``,
``lgcc.runtime``, ``lgcc.loading``, ...) are attributes too, imported on first use, so the
dotted names README uses work after a plain ``import lgcc``.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: Public name -> module that defines it (imported on first access).
_LAZY = {"save": "lgcc.frontend.checkpoint", "load": "lgcc.frontend.checkpoint",
         "LogicLayer": "lgcc.frontend.layers", "GroupSum": "lgcc.frontend.layers",
         "PackBitsTensor": "lgcc.frontend.packbits", "CompiledLogicNet": "lgcc.frontend.compiled"}


def __getattr__(name: str) -> Any:
    from .lazy import package_attribute

    return package_attribute(__name__, name, _LAZY)
