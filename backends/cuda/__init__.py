"""lgcc.backends.cuda: packed-bits CUDA inference compiled per model.

``render(graph, options) -> {filename: text}`` is pure; ``build`` runs nvcc; ``target``
plugs into ``lgcc compile --target cuda``; ``emulate`` runs the generated per-word code on
the CPU for tests.
"""

from .render import CudaOptions, render

__all__ = ["CudaOptions", "render"]
