"""``lgcc compile``: a checkpoint or graph file into a C library, Verilog or CUDA.

The common options live here; each target in :data:`lgcc.backends.TARGETS` adds
its own (``add_arguments``) and does the work (``compile_target``).  Target
modules are imported lazily by name, so a missing one only fails when chosen.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, overload

from lgcc.backends import TARGETS
from lgcc.ir.errors import LgccError

if TYPE_CHECKING:
    from lgcc.ir.graph import Graph

NAME = "compile"
HELP = "compile a checkpoint or graph into a C library (SIMD bit-sliced), Verilog or CUDA"
EXAMPLES = [
    "lgcc compile model.pt --target c -o out/",
    "lgcc compile model.lgir --target c -o out/ --isa avx2 --prefix digits --threads 2",
    "lgcc compile model.blif --target c -o out/ -O0 --isa portable",
    "lgcc compile model.pt --target verilog -o rtl/",
]


@overload
def _target_module(name: str, required: Literal[True]) -> ModuleType: ...


@overload
def _target_module(name: str, required: bool) -> ModuleType | None: ...


def _target_module(name: str, required: bool) -> ModuleType | None:
    """The module implementing target ``name``; None (or, if ``required``, an error) when absent."""
    try:
        return importlib.import_module(TARGETS[name])
    except ModuleNotFoundError as exc:
        if not required:
            return None
        if exc.name and TARGETS[name].startswith(exc.name):
            raise LgccError(f"target '{name}' is not available in this installation "
                            f"(module {TARGETS[name]} is missing)") from None
        raise LgccError(f"target '{name}' needs the Python module '{exc.name}': install it "
                        "(pip install -e . installs lgcc's dependencies)") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Common options, then every available target's own options."""
    parser.add_argument("model", metavar="MODEL", help="checkpoint (.pt/.pth/.ckpt) or graph (.lgir, .blif, .aag, .aig)")
    parser.add_argument("--target", "-t", choices=sorted(TARGETS), default="c", help="what to produce (default: c)")
    parser.add_argument("-o", "--output", metavar="OUTDIR", required=True, help="folder for the generated files")
    parser.add_argument("-O", "--opt-level", type=int, default=None, metavar="N",
                        help="IR optimization level before code generation (default 1; 0: none)")
    parser.add_argument("--passes", metavar="A,B,C", help="run these IR passes instead of the -O pipeline")
    parser.add_argument("--prefix", metavar="NAME", default=None,
                        help="name prefix of the generated symbols/modules (two models can link together; "
                             "default: lgcc for c, lgcc_model for cuda; verilog: see --top)")
    owner: dict[str, tuple[str, str, Any]] = {}  # dest -> (target, option, default)
    for name in sorted(TARGETS):
        mod = _target_module(name, required=False)
        if mod is not None:
            known = len(parser._actions)
            mod.add_arguments(parser)
            owner.update((a.dest, (name, a.option_strings[0], a.default)) for a in parser._actions[known:])
    parser.set_defaults(_target_options=owner)


def _check_options(args: argparse.Namespace) -> None:
    """Refuse an empty -o or --prefix and options of another target (they would be silently ignored)."""
    if not args.output:
        raise LgccError("-o/--output must name a folder (it is empty)")
    if args.prefix is not None and not args.prefix:
        raise LgccError("--prefix must not be empty (leave it out for the default)")
    for dest, (target, option, default) in getattr(args, "_target_options", {}).items():
        if target != args.target and getattr(args, dest, default) != default:
            raise LgccError(f"{option} is an option of --target {target}, not of --target {args.target}")


def _load(args: argparse.Namespace) -> tuple[Graph, Graph]:
    """Load the model; return (graph as loaded, graph after the requested IR optimization)."""
    from lgcc.ir.passes.manager import command_line_choice, optimize
    from lgcc.loading import load_graph

    if args.opt_level is not None and args.opt_level < 0:
        raise LgccError(f"-O must be 0 or more, got {args.opt_level}")
    level, passes = command_line_choice(args.opt_level, args.passes)
    graph = load_graph(args.model, opt_level=0)
    if passes is None and level == 0:
        return graph, graph
    result = optimize(graph, level=level, passes=passes)
    for line in result.skipped():
        sys.stderr.write(f"lgcc compile: {line}\n")
    return graph, result.graph


def _summary_line(args: argparse.Namespace, before: int, summary: dict[str, Any], seconds: float) -> str:
    extras = [f"{k}={summary[k]}" for k in ("isa", "classes", "levels") if summary.get(k) is not None]
    gates = summary.get("gates", "?")
    return (f"lgcc compile: {args.model} -> {args.output} (target {args.target}{', ' if extras else ''}"
            f"{', '.join(extras)}): {gates} gates (of {before} loaded), {seconds:.2f} s\n")


def run(args: argparse.Namespace) -> int:
    """Load, optimize, hand over to the target, print a one-line summary."""
    t0 = time.perf_counter()
    _check_options(args)
    mod = _target_module(args.target, required=True)
    loaded, graph = _load(args)
    summary = mod.compile_target(graph, args.output, args)
    for note in summary.get("notes", ()):
        sys.stderr.write(f"lgcc compile: note: {note}\n")
    sys.stdout.write(_summary_line(args, loaded.n_gates, summary, time.perf_counter() - t0))
    return 0
