"""Package attributes loaded on first use: the one ``__getattr__`` of ``lgcc``, ``lgcc.ir`` and ``lgcc.frontend``."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any


def package_attribute(package: str, name: str, exports: dict[str, str] | None = None) -> Any:
    """Attribute ``name`` of ``package``: a re-exported name (``exports``: name -> module defining it,
    absolute or relative to ``package``), else a submodule, imported now; else AttributeError.

    Only identifiers are looked up: ``find_spec`` of a dotted name imports its parent, and
    ``getattr(package, "a.b", None)`` must give None, not ModuleNotFoundError.
    """
    if exports and name in exports:
        return getattr(importlib.import_module(exports[name], package), name)
    if name.isidentifier() and not name.startswith("_") and importlib.util.find_spec(f"{package}.{name}"):
        return importlib.import_module(f".{name}", package)
    raise AttributeError(f"module {package!r} has no attribute {name!r}")
