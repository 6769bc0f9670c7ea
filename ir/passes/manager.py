"""The pass manager: ``-O0``/``-O1``/``-O2`` pipelines and the per-pass report.

A pipeline is a straight-line list of named passes (see :data:`PIPELINES`); a
:class:`FixedPoint` step repeats its passes until the graph stops changing.
``optimize(graph, level=1)`` runs a pipeline and returns the optimized graph
with what each pass did; with ``report=True`` it also measures gates, real
2-input gates, AIG-node equivalent and depth after every pass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..checks import checked_int
from ..errors import LgccError
from ..graph import Graph
from .metrics import graph_metrics
from .registry import PassStats, get_pass


@dataclass(frozen=True)
class FixedPoint:
    """Repeat ``passes`` until a round leaves the graph unchanged (at most ``max_rounds``)."""

    passes: tuple[str, ...]
    max_rounds: int = 8


Step = str | FixedPoint

#: The optimization levels, as recipes.
PIPELINES: dict[int, list[Step]] = {
    0: [],
    1: [
        "simplify",  # fold constants, absorb wires/inverters, merge identical gates (one sweep)
        "prune",  # drop what no output reads
    ],
    2: [
        "simplify",
        FixedPoint((
            "collapse",  # a gate whose 2-level cone reads two signals becomes one gate
            "pairs",  # outputs of a class over the same two signals: cheaper functions, same sum
            "head",  # constant outputs and x/~x pairs become class offsets; outputs sorted per class
            "prune",
            "simplify",
        )),
    ],
}


@dataclass
class PassRun:
    """One pass run: its stats, the wall time and (with ``report``) the graph's metrics after it."""

    stats: PassStats
    seconds: float
    metrics: dict[str, int] | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain-value form."""
        return {**self.stats.to_json(), "seconds": round(self.seconds, 4), "metrics": self.metrics}


@dataclass
class OptResult:
    """The optimized graph and the record of every pass run."""

    graph: Graph
    runs: list[PassRun] = field(default_factory=list)
    before: dict[str, int] | None = None

    @property
    def seconds(self) -> float:
        """Total time in passes."""
        return sum(r.seconds for r in self.runs)

    def skipped(self) -> list[str]:
        """``name: skipped: why`` of each pass that could not run (a tool not installed), once each:
        what a command says on stderr, so that a pass asked for by name is not left out silently."""
        return list(dict.fromkeys(f"{r.stats.name}: {note}" for r in self.runs for note in r.stats.notes
                                  if note.startswith("skipped:")))

    def report(self) -> str:
        """A table: one line per pass with the metrics after it, then each pass's stats."""
        lines = [f"{'pass':<10} {'gates':>10} {'binary':>10} {'aig':>10} {'depth':>6} {'time_s':>8}"]
        if self.before:
            b = self.before
            lines.append(f"{'(input)':<10} {b['gates']:>10} {b['binary']:>10} {b['aig']:>10} {b['depth']:>6} {'':>8}")
        for r in self.runs:
            m = r.metrics or {}
            lines.append(f"{r.stats.name:<10} {m.get('gates', ''):>10} {m.get('binary', ''):>10} "
                         f"{m.get('aig', ''):>10} {m.get('depth', ''):>6} {r.seconds:>8.3f}")
        lines += ["", *(r.stats.report() for r in self.runs)]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Plain-value form for ``--report --json``."""
        return {"before": self.before, "after": graph_metrics(self.graph) if self.before else None,
                "seconds": round(self.seconds, 4), "passes": [r.to_json() for r in self.runs]}


def parse_pass_list(text: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]`` (the ``--passes`` option), checking every name exists."""
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names:
        raise LgccError("--passes needs a comma-separated list of pass names (see 'lgcc opt --list-passes')")
    for name in names:
        get_pass(name)
    return names


def command_line_choice(level: int | None, passes: str | None) -> tuple[int, list[str] | None]:
    """``-O`` level (default 1) and ``--passes`` list of a command line; LgccError when both are given."""
    if passes is not None and level is not None:
        raise LgccError(f"-O{level} and --passes both given: --passes replaces the -O pipeline; give one of them")
    return (1 if level is None else level), (parse_pass_list(passes) if passes is not None else None)


def pipeline(level: int) -> list[Step]:
    """The steps of ``-O<level>``."""
    if level not in PIPELINES:
        raise LgccError(f"unknown optimization level -O{level} (known: {', '.join(f'-O{k}' for k in PIPELINES)})")
    return PIPELINES[level]


def optimize(graph: Graph, level: int = 1, passes: list[str] | str | None = None, report: bool = False) -> OptResult:
    """Run ``-O<level>`` (or the named ``passes`` in order: a list, or a comma-separated string) on ``graph``.

    Every pass preserves the function (head rewrites: every class score).  With
    ``report`` the metrics of the input and after every pass are measured.
    """
    if isinstance(passes, str):  # "simplify,prune": a list, not its letters
        passes = parse_pass_list(passes)
    if passes is None:
        level = checked_int(level, "optimization level", low=0, high=None)  # pipeline() names the known ones
    steps: list[Step] = list(passes) if passes is not None else pipeline(level)
    for step in steps:  # fail on a bad name before doing any work
        for name in (step.passes if isinstance(step, FixedPoint) else (step,)):
            get_pass(name)
    result = OptResult(graph.verify(), before=graph_metrics(graph) if report else None)
    for step in steps:
        if isinstance(step, FixedPoint):
            for _ in range(step.max_rounds):
                start = result.graph
                for name in step.passes:
                    _run(result, name, report)
                if same_graph(start, result.graph):
                    break
        else:
            _run(result, step, report)
    return result


def _run(result: OptResult, name: str, report: bool) -> None:
    t0 = time.perf_counter()
    graph, stats = get_pass(name)(result.graph)
    seconds = time.perf_counter() - t0
    result.graph = graph
    result.runs.append(PassRun(stats, seconds, graph_metrics(graph) if report else None))


def same_graph(x: Graph, y: Graph) -> bool:
    """Whether two graphs have identical gates, outputs and head."""
    if x is y:
        return True
    same_head = (x.head is None and y.head is None) or (x.head is not None and x.head.same_as(y.head))
    return (same_head and x.n_inputs == y.n_inputs
            and all(np.array_equal(getattr(x, f), getattr(y, f)) for f in ("op", "a", "b", "outputs", "out_neg")))
