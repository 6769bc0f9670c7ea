"""lgcc.ir.passes: optimization passes, one file each, registered by name.

Each pass is a pure function ``Graph -> (Graph, PassStats)``; see
:mod:`.registry` for the list and :mod:`.manager` for the ``-O`` pipelines.
"""

from .manager import PIPELINES, OptResult, optimize
from .registry import PassStats, all_passes, get_pass

__all__ = ["PIPELINES", "OptResult", "PassStats", "all_passes", "get_pass", "optimize"]
