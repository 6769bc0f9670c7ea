"""lgcc.backends.c: the bit-sliced SIMD C library backend.

``render(graph, options) -> {filename: text}`` is pure (:mod:`.render`);
``build(folder, isa, cc)`` runs the C compiler (:mod:`.build`);
``target`` wires both into ``lgcc compile --target c``.
"""

from .toolchain import ISAS, build
from .render import ABI_VERSION, COptions, render
from .target import write_library

__all__ = ["ABI_VERSION", "COptions", "ISAS", "build", "render", "write_library"]
