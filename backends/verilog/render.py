"""``render(graph, options) -> {filename: text}``: every file of the Verilog target, pure and deterministic.

A file's text is a string, or for ``vectors.mem`` (up to ~3 GB) an iterable of text
pieces made on demand, which :func:`write_files` writes piece by piece.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from lgcc import __version__
from lgcc.ir.fileio import atomic_dir
from lgcc.ir.graph import Graph

from .module import ModuleInfo, build_module, template
from .options import VerilogOptions
from .testbench import VectorsMem, testbench

#: Yosys scripts written beside model.v: file -> flow name used by ``lgcc verilog-report --flow``.
SYNTH_SCRIPTS = {"synth.ys": "generic", "synth_xilinx.ys": "xilinx", "synth_ice40.ys": "ice40"}


def model_json(graph: Graph, info: ModuleInfo, opts: VerilogOptions, files: list[str]) -> str:
    """``model.json``: the module's interface and cost figures, for tools and people; ``files``: the
    names this output writes (see :func:`lgcc.ir.fileio.atomic_dir`)."""
    doc = {
        "top": info.top,
        "lgcc_version": __version__,
        "outputs": info.outputs,
        "ports": info.ports,
        "latency_cycles": info.latency,
        "pipeline_levels_per_stage": info.per_stage,
        "reset": info.reset,
        "gates": info.gates,
        "graph_gates": graph.n_gates,
        "levels": info.levels,
        "head_levels": info.head_levels,
        "flipflops": info.flipflops,
        "n_inputs": graph.n_inputs,
        "n_outputs": graph.n_outputs,
        "head": graph.head.to_json() if graph.head is not None else None,
        "class_labels": graph.class_labels(),
        "score_width": info.score_width,
        "score_signed": info.score_signed,
        "class_width": info.class_width,
        "encoding": graph.encoding.to_json() if graph.encoding is not None else None,
        "vectors": opts.vectors,
        "vector_seed": opts.vector_seed,
        "files": files,
    }
    return json.dumps(doc, indent=1) + "\n"


def render(graph: Graph, options: VerilogOptions | None = None) -> dict[str, str | Iterable[str]]:
    """All files of the Verilog target for ``graph``: model.v, tb_model.v, vectors.mem,
    Makefile, the Yosys scripts and model.json (byte-identical for the same input).

    Every text is a string except ``vectors.mem``, a :class:`~.testbench.VectorsMem`
    that yields its text in pieces (``"".join`` it for the whole text).
    """
    opts = (options or VerilogOptions()).validated(graph)
    model, info = build_module(graph, opts)
    files: dict[str, str | Iterable[str]] = {
        "model.v": model,
        "tb_model.v": testbench(info, opts),
        "vectors.mem": VectorsMem(graph, info, opts),
        "Makefile": template("Makefile.j2").render(top=opts.top),
    }
    for name in SYNTH_SCRIPTS:
        files[name] = template(name + ".j2").render(top=opts.top)
    files["model.json"] = model_json(graph, info, opts, sorted([*files, "model.json"]))
    return files


def write_files(files: dict[str, str | Iterable[str]], outdir: str | os.PathLike) -> None:
    """Write rendered ``files`` into ``outdir`` (created if needed); no file is ever half-written.

    A text given in pieces is written piece by piece, so it is never whole in
    memory; the files appear in ``outdir`` only once all are written, and files of an
    earlier output that this one does not write are removed (see
    :func:`lgcc.ir.fileio.atomic_dir`).
    """
    with atomic_dir(outdir, replace_listed=True) as stage:
        for name, text in files.items():
            with open(stage / name, "w") as out:  # the encoding Path.write_text used: the locale's
                out.writelines([text] if isinstance(text, str) else text)
