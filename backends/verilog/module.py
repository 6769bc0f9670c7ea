"""``model.v``: the synthesizable top module (network, head, pipeline registers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jinja2

from lgcc.ir.graph import Graph

from .emit import Body, Emitter, emit_head, emit_network, emit_sig_chains, stage_of
from .head import HeadPlan, plan_head
from .options import VerilogOptions

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("lgcc.backends.verilog", "templates"),
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                          undefined=jinja2.StrictUndefined, autoescape=False)


def template(name: str) -> jinja2.Template:
    """A template of this backend (``templates/<name>``)."""
    return _ENV.get_template(name)


@dataclass
class ModuleInfo:
    """What the module looks like from outside, for the testbench and ``model.json``."""

    top: str
    outputs: str  # y | scores | class | both
    ports: list[dict[str, Any]] = field(default_factory=list)
    n_inputs: int = 0
    result_width: int = 0  # width of {class_id, scores} or y, as the testbench compares it
    score_width: int = 0
    score_signed: bool = False
    class_width: int = 0
    k: int = 0
    latency: int = 0
    per_stage: int = 0
    reset: bool = False
    gates: int = 0
    levels: int = 0
    head_levels: int = 0
    flipflops: int = 0


def _port(name: str, direction: str, width: int, unused: bool = False) -> dict[str, Any]:
    return {"name": name, "direction": direction, "width": width,
            "range": f"[{width - 1}:0] " if width > 1 or name in ("x", "y", "scores") else "",
            "unused": unused}


def _outputs(em: Emitter, graph: Graph, opts: VerilogOptions, plan: HeadPlan | None, stage: int,
             info: ModuleInfo, body: Body) -> list[dict[str, Any]]:
    """Assigns of the output ports, read in ``stage``; returns the output ports."""
    if plan is None:
        lits = em.node_outputs(graph.outputs, graph.out_neg, stage)
        body.assigns.extend(f"assign y[{o}] = {t};" for o, t in enumerate(lits.tolist()))
        info.result_width = graph.n_outputs
        return [_port("y", "output", graph.n_outputs)]
    ports = []
    w = plan.score_width
    if opts.outputs in ("class", "both"):
        body.assigns.append(f"assign class_id = {em.ref(plan.label, stage)};")
        ports.append(_port("class_id", "output", plan.class_width))
        info.result_width += plan.class_width
    if opts.outputs in ("scores", "both"):
        for c, s in enumerate(plan.scores):
            body.assigns.append(f"assign scores[{(c + 1) * w - 1}:{c * w}] = {em.ref(s, stage)};")
        k = len(plan.scores)  # one per class of the head
        ports.insert(0, _port("scores", "output", k * w))
        info.result_width += k * w
    return ports


def _port_doc(info: ModuleInfo, graph: Graph) -> list[str]:
    doc = [f"x[i]: input bit i ({info.n_inputs} bits"
           + (", thresholds of raw features in model.json)" if graph.encoding is not None else ")")]
    head = graph.head
    if info.outputs == "y" or head is None:  # validated options: "y" exactly when there is no head
        doc.append(f"y[o]: output bit o of the network ({graph.n_outputs} bits, no GroupSum head)")
        return doc
    kind = "two's complement" if info.score_signed else "unsigned"
    if info.outputs in ("scores", "both"):
        doc.append(f"scores[c*{info.score_width} +: {info.score_width}]: class c's score = popcount of its "
                   f"outputs + offset ({kind}; GroupSum = score / tau, tau = {head.tau:g})")
    if info.outputs in ("class", "both"):
        doc.append(f"class_id: argmax of the {info.k} scores, ties to the lowest class index")
    return doc


def build_module(graph: Graph, opts: VerilogOptions) -> tuple[str, ModuleInfo]:
    """Render ``model.v`` for ``graph`` with validated ``opts``."""
    if opts.outputs is None:
        raise ValueError("build_module needs validated options (VerilogOptions.validated resolves outputs)")
    per_stage = opts.pipeline
    em = Emitter(graph, per_stage)
    info = ModuleInfo(top=opts.top, outputs=opts.outputs, n_inputs=graph.n_inputs, per_stage=per_stage,
                      reset=opts.reset and per_stage > 0)
    net_depth = int(em.levels[graph.outputs].max(initial=0))
    plan = None
    total = net_depth
    if graph.head is not None:
        with_argmax = opts.outputs in ("class", "both")
        plan = plan_head(graph, net_depth + 1, with_argmax)
        total = max(net_depth, plan.level if with_argmax else plan.popcount_level)
        info.score_width, info.score_signed = plan.score_width, plan.signed
        info.class_width, info.k = plan.class_width, graph.head.k
    latency = int(stage_of(total, per_stage)) + 1 if per_stage else 0
    body = Body()
    if plan is not None:
        roots = ([plan.label] if with_argmax else []) + (plan.scores if opts.outputs != "class" else [])
        emit_head(em, plan, body, roots)

    out_ports = _outputs(em, graph, opts, plan, latency, info, body)
    emit_network(em, body)
    emit_sig_chains(em, body)
    info.gates = body.gates
    info.levels = body.levels
    info.head_levels = max(0, total - net_depth) if plan is not None else 0
    info.latency = latency
    info.flipflops = body.flipflops + latency
    ports = []
    if per_stage:
        ports.append(_port("clk", "input", 1))
        if opts.reset:
            ports.append(_port("rst", "input", 1))
        ports.append(_port("in_valid", "input", 1))
    ports.append(_port("x", "input", graph.n_inputs, unused=body.unused_inputs > 0))
    ports.extend(out_ports)
    if per_stage:
        ports.append(_port("out_valid", "output", 1))
        body.assigns.append(f"assign out_valid = valid_d{latency};")
        body.decls.append("reg " + ", ".join(f"valid_d{d}" for d in range(1, latency + 1)) + ";")
    info.ports = [{k: p[k] for k in ("name", "direction", "width")} for p in ports]
    valid = [f"valid_d{d}" for d in range(1, latency + 1)]
    text = template("model.v.j2").render(
        top=opts.top, n_inputs=graph.n_inputs, gates=body.gates, levels=info.levels,
        dead=graph.n_gates - body.gates, port_doc=_port_doc(info, graph), pipelined=per_stage > 0,
        per_stage=per_stage, total_levels=total, latency=latency, flipflops=info.flipflops, reset=info.reset,
        lint_declfilename=opts.top != "model", ports=ports, decls=body.decls, assigns=body.assigns,
        regs=body.regs, valid=valid,
        valid_shift=[f"{v} <= {p};" for v, p in zip(valid, ["in_valid"] + valid[:-1])])
    return text, info

