"""Turn a graph plus a planned head into the body of the Verilog module, with pipelining.

Pipelining: a signal at logic level ``L >= 1`` belongs to stage ``(L - 1) // N``
(``N`` = levels per stage); inputs belong to stage 0.  A reader in stage ``t``
sees a signal of stage ``s`` through ``t - s`` registers (a delay chain that is
only as long as its latest reader needs); the outputs are read in stage
``latency``, so they always come straight from registers.  With ``N = 0``
everything is stage 0 and no register is emitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lgcc.ir.gates import DEPENDS_A, DEPENDS_B
from lgcc.ir.graph import FIRST_INPUT, Graph

from .head import Cell, Const, HeadPlan, NodeBit, Ref, Sig
from .network import NodeNames, declarations, delay_chains, gate_assigns, live_gates


def stage_of(levels: np.ndarray | int, per_stage: int) -> np.ndarray:
    """Pipeline stage of signals at ``levels`` (0 everywhere when not pipelined)."""
    levels = np.asarray(levels, dtype=np.int64)
    if per_stage <= 0:
        return np.zeros_like(levels)
    return np.maximum(levels - 1, 0) // per_stage


@dataclass
class Body:
    """Text blocks of the module body, and counts for the report."""

    decls: list[str] = field(default_factory=list)
    assigns: list[str] = field(default_factory=list)
    regs: list[str] = field(default_factory=list)  # lines of the clocked always block
    gates: int = 0
    levels: int = 0  # logic depth of the emitted gates
    unused_inputs: int = 0
    flipflops: int = 0


class Emitter:
    """Names signals as seen from a pipeline stage and records the registers that requires."""

    def __init__(self, graph: Graph, per_stage: int) -> None:
        self.graph = graph
        self.per_stage = per_stage
        self.names = NodeNames(graph)
        levels = graph.levels()
        self.levels = levels
        self.avail = stage_of(levels, per_stage)  # inputs: level 0 -> stage 0
        self.need = np.zeros(graph.n_nodes, dtype=np.int64)
        self.used = np.zeros(graph.n_nodes, dtype=bool)
        self.sigs: list[Sig] = []

    def stage(self, level: int) -> int:
        """Stage of one logic level (scalar :func:`stage_of`, for the head's cells)."""
        return max(level - 1, 0) // self.per_stage if self.per_stage > 0 else 0

    def ref(self, ref: Ref, stage: int) -> str:
        """Verilog text of ``ref`` read in ``stage``."""
        if isinstance(ref, Const):
            return ref.text
        if isinstance(ref, NodeBit):
            delay = stage - int(self.avail[ref.node]) if ref.node >= FIRST_INPUT else 0
            self.used[ref.node] = True
            self.need[ref.node] = max(int(self.need[ref.node]), delay)
            return self.names.literal(ref.node, ref.neg, delay)
        delay = stage - self.stage(ref.level)
        ref.need = max(ref.need, delay)
        return ref.name if delay == 0 else f"{ref.name}_d{delay}"

    def node_outputs(self, nodes: np.ndarray, negated: np.ndarray, stage: int) -> np.ndarray:
        """Literals of output nodes read in ``stage`` (vectorized :meth:`ref`)."""
        nodes = nodes.astype(np.int64)
        delays = np.where(nodes >= FIRST_INPUT, stage - self.avail[nodes], 0)
        self.used[nodes] = True
        np.maximum.at(self.need, nodes, delays)
        return self.names.literals(nodes, negated, delays)


def _decl(kind: str, sig: Sig, suffix: str = "") -> str:
    rng = f"[{sig.width - 1}:0] " if sig.width > 1 else ""
    return f"{kind} {rng}{sig.name}{suffix};"


def _zext(bits: list[str], width: int) -> str:
    """Concatenation of ``bits`` (LSB first) zero-extended to ``width`` bits."""
    pad = [f"{width - len(bits)}'d0"] if width > len(bits) else []
    return "{" + ", ".join(pad + bits[::-1]) + "}"


def counter_lines(inputs: list[str], outs: list[str]) -> list[str]:
    """A bit counter as full/half adders on single bits (``outs`` LSB first).

    Spelled out as bit logic rather than ``a + b + ...`` so that Yosys hands
    ABC plain logic (no ``$macc`` cells to expand), and ABC packs each output,
    a function of at most 6 inputs, into one LUT-6.
    """
    cols: list[list[str]] = [list(inputs)]
    wires: list[str] = []
    lines: list[str] = []

    def temp(expr: str) -> str:
        """A new wire of this counter holding ``expr``."""
        name = f"{outs[0]}_t{len(wires)}"
        wires.append(name)
        lines.append(f"assign {name} = {expr};")
        return name

    w = 0
    while w < len(cols):
        while len(cols[w]) > 1:
            a, b, *rest = cols[w]
            if rest:  # full adder
                c, rest = rest[0], rest[1:]
                ab = temp(f"{a} ^ {b}")
                total, carry = temp(f"{ab} ^ {c}"), temp(f"({a} & {b}) | ({c} & {ab})")
            else:  # half adder
                total, carry = temp(f"{a} ^ {b}"), temp(f"{a} & {b}")
            cols[w] = rest + [total]
            if w + 1 == len(cols):
                cols.append([])
            cols[w + 1].append(carry)
        w += 1
    if len(cols) > len(outs):
        raise AssertionError(f"counter of {len(inputs)} bits needs {len(cols)} outputs")
    decl = [f"wire {', '.join(wires)};"] if wires else []
    cols += [["1'b0"]] * (len(outs) - len(cols))  # bits the counter can never set
    return decl + lines + [f"assign {o} = {col[0]};" for o, col in zip(outs, cols)]


def cell_lines(em: Emitter, cell: Cell, live: set[int]) -> list[str]:
    """Assign statements of one head cell, operands read in the cell's own stage.

    ``live`` holds the ids of the signals something reads (a comparator's value may not be).
    """
    stage = em.stage(cell.level)
    outs = [o.name for o in cell.outputs]
    if cell.kind == "count":
        return counter_lines([em.ref(r, stage) for r in cell.inputs], outs)
    if cell.kind == "add":
        width = cell.outputs[0].width
        n = cell.columns
        terms = []
        for row in (cell.inputs[:n], cell.inputs[n:]):
            if any(r is not None for r in row):
                terms.append(_zext([em.ref(r, stage) if r is not None else "1'b0" for r in row], width))
        if cell.constant or not terms:
            terms.append(f"{width}'d{cell.constant}")
        return [f"assign {outs[0]} = {' + '.join(terms)};"]
    vl, il, vr, ir = (em.ref(r, stage) for r in cell.inputs)
    sel, val, idx = cell.outputs
    cmp = f"$signed({vr}) > $signed({vl})" if cell.signed else f"{vr} > {vl}"
    lines = [f"assign {sel.name} = {cmp};"]
    if id(val) in live:  # the final comparator's winning value is not read
        lines.append(f"assign {val.name} = {sel.name} ? {vr} : {vl};")
    lines.append(f"assign {idx.name} = {sel.name} ? {ir} : {il};")
    return lines


def _live(plan: HeadPlan, roots: list) -> tuple[list[Cell], set[int]]:
    """The cells some root reads, directly or not, and the ids of the signals read.

    E.g. the final comparator's winning value, or every score when only a
    constant class is output, would otherwise be logic that nothing reads.
    """
    live = {id(r) for r in roots if isinstance(r, Sig)}
    cells = []
    for cell in reversed(plan.cells):  # cells are in dependency order
        if any(id(o) in live for o in cell.outputs):
            if cell.kind == "max":  # the select drives the value and index muxes
                live.add(id(cell.outputs[0]))
            live.update(id(r) for r in cell.inputs if isinstance(r, Sig))
            cells.append(cell)
    return cells[::-1], live


def emit_head(em: Emitter, plan: HeadPlan, body: Body, roots: list) -> None:
    """Declarations and assigns of the head's cells that the output ``roots`` need."""
    cells, live = _live(plan, roots)
    compares = False
    for cell in cells:
        if cell.kind == "max" and not compares:
            # In a graph that was not optimized (-O0) a gate may be constant in disguise and make a
            # score constant; Verilator's lint folds that and calls the comparison constant.
            body.assigns.append("/* verilator lint_off CMPCONST */")
            body.assigns.append("/* verilator lint_off UNSIGNED */")
            compares = True
        outs = [o for o in cell.outputs if id(o) in live]
        body.decls.extend(_decl("wire", o) for o in outs)
        body.assigns.extend(cell_lines(em, cell, live))
        em.sigs.extend(outs)
    if compares:
        body.assigns.append("/* verilator lint_on UNSIGNED */")
        body.assigns.append("/* verilator lint_on CMPCONST */")


def emit_network(em: Emitter, body: Body) -> None:
    """Assigns of the live gates and the delay registers of network nodes.

    Call after every other reader of network nodes was emitted (head, outputs):
    liveness and register chains are computed from the recorded uses.
    """
    g = em.graph
    live = live_gates(g, np.flatnonzero(em.used))
    gates = np.flatnonzero(live)
    fg = g.first_gate
    stage = em.avail[fg + gates]
    op = g.op[gates]
    read = em.used.copy()
    delays = []
    for operand, depends in ((g.a[gates], DEPENDS_A[op]), (g.b[gates], DEPENDS_B[op])):
        # operands the gate's function ignores are neither read nor delayed
        d = np.where(depends & (operand >= FIRST_INPUT), stage - em.avail[operand], 0)
        np.maximum.at(em.need, operand, d)
        read[operand[depends]] = True
        delays.append(d)
    da, db = delays
    body.unused_inputs = int((~read[FIRST_INPUT:fg]).sum())
    body.gates = int(gates.size)
    body.levels = int(em.levels[fg + gates].max(initial=0))
    em.need[:FIRST_INPUT] = 0
    if gates.size:
        body.decls.insert(0, declarations("wire", em.names.names(fg + gates)).rstrip("\n"))
    body.assigns[:0] = gate_assigns(g, gates, em.names, da, db).tolist()
    decls, lines = delay_chains(em.names, em.need)
    if decls:
        body.decls.append(decls.rstrip("\n"))
        body.regs.append(lines)
    body.flipflops += int(em.need.sum())


def emit_sig_chains(em: Emitter, body: Body) -> None:
    """Delay registers of head signals read in later stages."""
    for sig in em.sigs:
        prev = sig.name
        for d in range(1, sig.need + 1):
            body.decls.append(_decl("reg", sig, f"_d{d}"))
            body.regs.append(f"    {sig.name}_d{d} <= {prev};")
            prev = f"{sig.name}_d{d}"
        body.flipflops += sig.need * sig.width
