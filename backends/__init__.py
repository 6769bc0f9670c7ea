"""lgcc.backends: one sub-package per target, each a pure ``render(graph, options) -> files``.

``TARGETS`` maps a ``lgcc compile --target`` name to the module that implements it.
Each such module provides ``add_arguments(parser)`` and ``compile_target(graph, outdir, args)``.
"""

TARGETS: dict[str, str] = {
    "c": "lgcc.backends.c.target",
    "verilog": "lgcc.backends.verilog.target",
    "cuda": "lgcc.backends.cuda.target",
}
