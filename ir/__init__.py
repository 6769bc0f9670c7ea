"""lgcc.ir: the gate-level IR, the gate table, the reference simulator, passes and file formats.

Nothing here imports torch.
"""

from .builder import FALSE, TRUE, GraphBuilder, lit
from .errors import FormatError, GraphError, LgccError, WorkFailed
from .graph import CONST0, CONST1, FIRST_INPUT, Encoding, Graph, Head
from .simulate import predict, scores, simulate, simulate_words, truth_table

__all__ = [
    "CONST0", "CONST1", "FALSE", "FIRST_INPUT", "TRUE", "Encoding", "FormatError", "Graph",
    "GraphBuilder", "GraphError", "Head", "LgccError", "WorkFailed", "lit", "predict", "scores",
    "simulate", "simulate_words", "truth_table",
]
