"""lgcc.backends: one sub-package per target, each a pure ``render(graph, options) -> files``.

``TARGETS`` maps a ``lgcc compile --target`` name to the module that implements it.
Each such module provides ``add_arguments(parser)`` and ``compile_target(graph, outdir, args)``.
"""

import re

from lgcc.ir.errors import LgccError

_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_c_prefix(prefix: str) -> str:
    """``prefix`` if C symbol names can start with it (the C and CUDA ``--prefix``), else a one-line error."""
    if not _C_IDENTIFIER.fullmatch(prefix):
        raise LgccError(f"--prefix {prefix!r} is not a C identifier: letters, digits and '_', "
                        "not starting with a digit")
    if prefix.startswith("_"):  # _X... and __... are reserved to the C implementation
        raise LgccError(f"--prefix {prefix!r} starts with '_': C reserves such names to the compiler "
                        "and its library; start it with a letter")
    return prefix


TARGETS: dict[str, str] = {
    "c": "lgcc.backends.c.target",
    "verilog": "lgcc.backends.verilog.target",
    "cuda": "lgcc.backends.cuda.target",
}
