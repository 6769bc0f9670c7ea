"""lgcc.backends.verilog: synthesizable Verilog with a popcount/argmax head, pipelining and a testbench.

``render(graph, VerilogOptions(...))`` returns the files; ``target.compile_target``
writes them for ``lgcc compile --target verilog``.
"""

from .options import VerilogOptions
from .render import render, write_files

__all__ = ["VerilogOptions", "render", "write_files"]
