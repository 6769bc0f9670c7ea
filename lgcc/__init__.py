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
    import importlib
    import importlib.util

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    # (a name, not a dotted path: getattr(lgcc, "a.b", None) must give None, not ModuleNotFoundError)
    if name.isidentifier() and not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lgcc' has no attribute {name!r}")
