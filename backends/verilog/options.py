"""Options of the Verilog backend, validated once so the renderer can trust them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lgcc.ir.errors import LgccError
from lgcc.ir.graph import Graph

#: Output selections of ``--outputs`` (``y`` is used for graphs without a head).
OUTPUT_MODES = ("scores", "class", "both")
#: Most test vectors a testbench gets (16M: a 784-input model's vectors.mem is then ~3.7 GB, written in chunks).
MAX_VECTORS = 1 << 24

#: Words that cannot name the top module: Verilog-2001 keywords plus the
#: SystemVerilog ones Verilator rejects (it parses .v files as SystemVerilog).
_RESERVED = frozenset("""
always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default
defparam design disable edge else end endcase endconfig endfunction endgenerate endmodule endprimitive
endspecify endtable endtask event for force forever fork function generate genvar highz0 highz1 if
ifnone incdir include initial inout input instance integer join large liblist library localparam
macromodule medium module nand negedge nmos nor noshowcancelled not notif0 notif1 or output parameter
pmos posedge primitive pull0 pull1 pulldown pullup pulsestyle_onevent pulsestyle_ondetect rcmos real
realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small
specify specparam strong0 strong1 supply0 supply1 table task time tran tranif0 tranif1 tri tri0 tri1
triand trior trireg unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor
bit byte logic int shortint longint class interface package program struct union enum typedef void
string chandle const static virtual extends import export bind final alias assert assume cover
""".split())
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: Names the module gives its ports and signals (see :mod:`.network`, :mod:`.head`, :mod:`.module`).
#: Verilog keeps module and signal names apart, but Verilator refuses a top module that has a
#: signal of its own name ("Variable has same name as instance"), so ``make lint`` would fail.
SIGNAL_NAME = re.compile(r"(?:x|y|scores|class_id|clk|rst|in_valid|out_valid"
                         r"|valid_d\d+|x\d+_d\d+|(?:g\d+|s\d+|pc\d+_\d+(?:_t\d+)?|m[svi]\d+_\d+)(?:_d\d+)?)\Z")


def check_module_name(name: str, option: str) -> None:
    """:class:`LgccError` unless ``name`` (given by ``option``) can name a Verilog module."""
    if not _IDENT.match(name) or name.lower() in _RESERVED:
        raise LgccError(f"{option} {name!r} is not a usable Verilog module name "
                        "(letters, digits and '_', not starting with a digit, not a keyword)")
    if SIGNAL_NAME.match(name):
        raise LgccError(f"{option} {name!r} is a name the module gives one of its own signals "
                        "(Verilator rejects a top module named like its signals); choose another name")


@dataclass(frozen=True)
class VerilogOptions:
    """What to emit.

    ``outputs`` is ``scores``, ``class`` or ``both`` for graphs with a head and
    ``None`` (the default) to pick ``both``; graphs without a head always output
    their raw bits ``y``.  ``pipeline`` is the number of logic levels per
    register stage (0: combinational).  ``vectors`` test vectors are drawn with
    ``vector_seed``.
    """

    top: str = "lgn"
    outputs: str | None = None
    pipeline: int = 0
    reset: bool = False
    vectors: int = 256
    vector_seed: int = 0

    def validated(self, graph: Graph) -> "VerilogOptions":
        """Check the options against ``graph``; return them with ``outputs`` resolved."""
        check_module_name(self.top, "--top")
        if self.pipeline < 0:
            raise LgccError(f"--pipeline must be >= 0 (0: combinational), got {self.pipeline}")
        if self.reset and self.pipeline == 0:
            raise LgccError("--reset needs a pipelined design (--pipeline N with N >= 1); "
                            "a combinational module has no registers to reset")
        if not 1 <= self.vectors <= MAX_VECTORS:
            raise LgccError(f"--vectors must be between 1 and {MAX_VECTORS} (one vectors.mem line and one "
                            f"simulated cycle each), got {self.vectors}")
        if self.vector_seed < 0:  # numpy's generators take no negative seed
            raise LgccError(f"--vector-seed must be >= 0, got {self.vector_seed}")
        if graph.n_inputs < 1:
            raise LgccError("the graph has no inputs; a Verilog module needs at least one input bit")
        outputs = self.outputs
        if graph.head is None:
            if outputs not in (None, "y"):
                raise LgccError(f"--outputs {outputs} needs a model with a GroupSum head; "
                                "this graph has none, so its raw output bits 'y' are emitted")
            if graph.n_outputs == 0:
                raise LgccError("the graph has no outputs and no head: nothing to emit")
            outputs = "y"
        elif outputs is None:
            outputs = "both"
        elif outputs not in OUTPUT_MODES:
            raise LgccError(f"--outputs must be one of {', '.join(OUTPUT_MODES)}, got {outputs!r}")
        return VerilogOptions(self.top, outputs, int(self.pipeline), bool(self.reset), int(self.vectors),
                              int(self.vector_seed))
