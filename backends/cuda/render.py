"""Render a graph into CUDA source: ``render(graph, options) -> {filename: text}`` (pure, deterministic).

Files: ``model.h`` (the ``extern "C"`` launch API), ``model.cu`` (kernels; compiles in seconds
whatever the model size, since gates come from tables) and ``model_tables.c`` (the tables as
one string literal, compiled by the host C compiler).  Models with at most
``straight_max_gates`` gates also get generated straight-line code (one statement per gate).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jinja2
import numpy as np

from lgcc.backends import check_c_prefix
from lgcc.ir.errors import LgccError
from lgcc.ir.gates import ANF, render_expr
from lgcc.ir.graph import FIRST_INPUT, Graph

from .schedule import Schedule, schedule

#: Default gate count up to which straight-line kernels are generated.
STRAIGHT_MAX_GATES = 2000
#: Head counts per sample are int32 and shared memory holds 64 samples x classes of them.
MAX_CLASSES = 512
_ALIGN = 16
_LINE_BYTES = 1024


@dataclass(frozen=True)
class CudaOptions:
    """Options of the CUDA renderer."""

    prefix: str = "lgcc_model"
    straight_max_gates: int = STRAIGHT_MAX_GATES


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("lgcc.backends.cuda", "templates"),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              trim_blocks=False, lstrip_blocks=False, autoescape=False)


def anf_packed() -> int:
    """The 16 gates' ANF (:data:`lgcc.ir.gates.ANF`) packed 4 bits per gate: bit 4 g + k = ANF[g, k]."""
    return int(sum(int(ANF[g, k]) << (4 * g + k) for g in range(16) for k in range(4)))


def _c_expr(op: int, a: str, b: str) -> str:
    """The gate's operator expression with operands substituted (from lgcc.ir.gates.EXPRS)."""
    return render_expr(op, a, b)


def _straight_lines(graph: Graph) -> list[str]:
    """One statement per live input, gate and output (only for graphs below the threshold)."""
    fg = graph.first_gate
    live = graph.fanin_cone(graph.outputs, read_only=True)  # straight-line code skips the rest
    lines = [f"const uint64_t n{i} = {'0ull' if i == 0 else 'ONES'};" for i in range(FIRST_INPUT) if live[i]]
    lines += [f"const uint64_t n{i} = in[{i - FIRST_INPUT} * ld_in + w];" for i in range(FIRST_INPUT, fg) if live[i]]
    ops, a, b = graph.op.tolist(), graph.a.tolist(), graph.b.tolist()
    lines += [f"const uint64_t n{fg + g} = {_c_expr(ops[g], f'n{a[g]}', f'n{b[g]}')};"
              for g in range(graph.n_gates) if live[fg + g]]
    lines += [f"out[{o} * ld_out + w] = n{int(node)}{' ^ ONES' if neg else ''};"
              for o, (node, neg) in enumerate(zip(graph.outputs.tolist(), graph.out_neg.tolist()))]
    return lines


def _blob(graph: Graph, sched: Schedule) -> tuple[bytes, dict[str, int]]:
    """Concatenate the tables (16-byte aligned sections) and return their offsets."""
    head, enc = graph.head, graph.encoding
    if head is not None:
        if head.k > MAX_CLASSES:
            raise LgccError(f"the cuda target supports at most {MAX_CLASSES} classes, this model has {head.k}")
        if np.abs(head.offsets).max(initial=0) + graph.n_outputs >= 2 ** 31:
            raise LgccError("head offsets do not fit the cuda target's int32 scores")
    sections = {
        "gates": sched.gates.astype("<u4"),
        "levels": sched.level_starts.astype("<u4"),
        "out_refs": sched.out_refs.astype("<u4"),
        "pieces": sched.pieces.astype("<i4"),
        "class_pieces": np.searchsorted(sched.pieces[:, 0], np.arange((head.k if head is not None else 0) + 1))
        .astype("<i4"),
        "offsets": (head.offsets if head is not None else np.zeros(0)).astype("<i4"),
        "feature": (enc.feature if enc is not None else np.zeros(0)).astype("<i4"),
        "threshold": (enc.threshold if enc is not None else np.zeros(0)).astype("<f4"),
    }
    parts, offsets, pos = [], {}, 0
    for name, arr in sections.items():
        data = arr.tobytes()
        offsets[name] = pos
        pad = -len(data) % _ALIGN
        parts.append(data + b"\0" * pad)
        pos += len(data) + pad
    return b"".join(parts), offsets


def c_string_literal(data: bytes) -> str:
    r"""``data`` as adjacent C string literals of ``\xHH`` escapes (vectorized; fast for 100 MB)."""
    if not data:
        return '""'
    hexed = np.frombuffer(data.hex().encode(), dtype=np.uint8).reshape(-1, 2)
    esc = np.empty((hexed.shape[0], 4), dtype=np.uint8)
    esc[:, 0] = ord("\\")
    esc[:, 1] = ord("x")
    esc[:, 2:] = hexed
    flat = esc.reshape(-1)
    step = 4 * _LINE_BYTES
    lines = [flat[i:i + step].tobytes().decode() for i in range(0, flat.shape[0], step)]
    return "\n".join(f'"{line}"' for line in lines)


def render(graph: Graph, options: CudaOptions | None = None) -> dict[str, str]:
    """Generate ``model.h``, ``model.cu`` and ``model_tables.c`` for ``graph`` (deterministic)."""
    graph.verify()
    return render_scheduled(graph, schedule(graph), options)


def render_scheduled(graph: Graph, sched: Schedule, options: CudaOptions | None = None) -> dict[str, str]:
    """:func:`render` with the schedule already computed (``lgcc compile`` also reports it)."""
    options = options or CudaOptions()
    p = check_c_prefix(options.prefix)
    blob, off = _blob(graph, sched)
    straight = graph.n_gates <= options.straight_max_gates
    ctx = dict(
        p=p, P=p.upper(), header="model.h", source="model.cu",
        n_inputs=graph.n_inputs, n_outputs=graph.n_outputs, n_gates=graph.n_gates,
        depth=sched.depth, n_slots=sched.n_slots, k=graph.head.k if graph.head is not None else 0,
        n_pieces=int(sched.pieces.shape[0]), has_encoding=int(graph.encoding is not None),
        n_features=graph.encoding.n_features if graph.encoding is not None else 0,
        anf_packed=f"0x{anf_packed():016x}", off=off, blob_size=len(blob), blob_alloc=len(blob) + 1,
        straight=straight, straight_lines=_straight_lines(graph) if straight else [],
    )
    env = _env()
    return {
        "model.h": env.get_template("model.h.j2").render(ctx),
        "model.cu": env.get_template("model.cu.j2").render(ctx),
        "model_tables.c": env.get_template("model_tables.c.j2").render(ctx, literal=c_string_literal(blob)),
    }
