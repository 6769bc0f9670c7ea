"""lgcc.ir: the gate-level IR, the gate table, the reference simulator, passes and file formats.

Nothing here imports torch.  Submodules not imported here (``passes``, ``equiv``,
``score_circuit``, ``formats``, ``dump``, ...) are attributes of the package on first use, so
``lgcc.ir.passes.optimize`` works after ``import lgcc.ir`` (or ``import lgcc``).
"""

from typing import Any

from lgcc.lazy import package_attribute

from .builder import FALSE, TRUE, GraphBuilder, lit
from .errors import FormatError, GraphError, LgccError, WorkFailed
from .graph import CONST0, CONST1, FIRST_INPUT, Encoding, Graph, Head
from .simulate import predict, scores, simulate, simulate_words, truth_table

__all__ = [
    "CONST0", "CONST1", "FALSE", "FIRST_INPUT", "TRUE", "Encoding", "FormatError", "Graph",
    "GraphBuilder", "GraphError", "Head", "LgccError", "WorkFailed", "lit", "predict", "scores",
    "simulate", "simulate_words", "truth_table",
]


def __getattr__(name: str) -> Any:
    return package_attribute(__name__, name)
