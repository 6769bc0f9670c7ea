"""``lgcc verify``: check that two graphs compute the same outputs (or the same class scores)."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Callable

from lgcc.ir.equiv import DEFAULT_VECTORS, Simulator, check_equivalence, interface_difference
from lgcc.ir.errors import LgccError, WorkFailed
from lgcc.ir.graph import Graph
from lgcc.ir.simulate import MAX_EXHAUSTIVE_INPUTS
from lgcc.loading import load_graph

#: Gate evaluations (gates of both graphs x vectors) above which the simulation shows a
#: progress bar, and ``--engine auto`` simulates through the compiled C libraries: about ten
#: seconds of numpy simulation, against a C build of ~2 s per million gates.
PROGRESS_MIN_GATE_EVALS = 2 * 10**10

NAME = "verify"
HELP = "check two graphs for equivalence (exhaustive, random simulation, ABC cec); exit 1 if they differ"
EXAMPLES = [
    "lgcc verify model.lgir model.opt.lgir",
    "lgcc verify model.lgir model.opt.blif --vectors 4000000 --seed 7 --no-abc",
    "lgcc verify model.lgir abc_output.blif --bits   # a netlist from ABC has no GroupSum head",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``lgcc verify``."""
    parser.add_argument("a", metavar="A", help="first graph file (.lgir, .blif, .aag, .aig) or checkpoint")
    parser.add_argument("b", metavar="B", help="second graph file or checkpoint (the same formats)")
    parser.add_argument("--vectors", type=int, default=DEFAULT_VECTORS, metavar="N",
                        help=f"random input vectors when there are more than 20 inputs (default {DEFAULT_VECTORS:,}; "
                             "the time grows with gates x vectors: two 1M-gate graphs took 50 s with --engine c; "
                             "a progress bar shows the time left)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--bits", action="store_true",
                        help="compare output bits only, ignoring GroupSum heads and input encodings (e.g. against a "
                             "netlist from another tool, which has neither); the graphs need the same outputs in the "
                             "same order")
    parser.add_argument("--engine", choices=("auto", "numpy", "c"), default="auto",
                        help="simulator: the numpy reference, or each graph's C library built on the fly (many times "
                             "faster on big graphs; first checked against the reference on 4096 vectors); auto "
                             "(default) uses C for long simulations when a C compiler is installed")
    parser.add_argument("--no-abc", action="store_true", help="do not try an ABC cec proof")
    parser.add_argument("--abc-timeout", type=float, default=300.0, metavar="S",
                        help="time limit of ABC cec in seconds (default 300)")


def _compiled(stack: contextlib.ExitStack, a: Graph, b: Graph,
              required: bool) -> tuple[Simulator, Simulator] | None:
    """Simulators through the C libraries of ``a`` and ``b`` (None: use numpy, and say why on stderr)."""
    from lgcc.compiled_sim import compiled_simulators

    sims, why = stack.enter_context(compiled_simulators((a, b)))
    if sims is None:
        if required:
            raise LgccError(f"--engine c: {why}")
        sys.stderr.write(f"lgcc verify: simulating with numpy: {why}\n")
        return None
    sim_a, sim_b = sims  # one per graph
    return sim_a, sim_b


def _progress_bar(long_run: bool) -> Callable[[int, int], None] | None:
    """A progress bar on stderr for simulations long enough to wait for (none for small ones)."""
    if not long_run:
        return None
    from lgcc.frontend.progress import Progress

    bar: list[Progress] = []

    def update(done: int, total: int) -> None:
        if not bar:
            bar.append(Progress(total, label="verify: simulating"))
        bar[0].update(done)
        if done == total:
            bar[0].close()

    return update


def _status(text: str) -> None:
    sys.stderr.write(f"lgcc verify: {text}\n")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    """Compare; print the verdict; on a difference print the counterexample and fail."""
    if args.vectors < 1:
        raise LgccError("--vectors must be at least 1")
    if args.seed < 0:
        raise LgccError(f"--seed must be >= 0, got {args.seed}")
    if not 0 < args.abc_timeout < math.inf:  # inf: subprocess cannot wait that long
        raise LgccError(f"--abc-timeout must be a finite number of seconds > 0, got {args.abc_timeout}")
    a, b = load_graph(args.a), load_graph(args.b)
    if args.bits:
        a, b = a.copy(head=None, encoding=None), b.copy(head=None, encoding=None)
    n_vectors = 1 << a.n_inputs if a.n_inputs <= MAX_EXHAUSTIVE_INPUTS else args.vectors
    long_run = (a.n_gates + b.n_gates) * n_vectors >= PROGRESS_MIN_GATE_EVALS
    # no C libraries to build where the interfaces alone decide
    use_c = interface_difference(a, b) is None and (args.engine == "c" or (args.engine == "auto" and long_run))
    with contextlib.ExitStack() as stack:
        sims = _compiled(stack, a, b, required=args.engine == "c") if use_c else None
        res = check_equivalence(a, b, vectors=args.vectors, seed=args.seed, use_abc=not args.no_abc,
                                abc_timeout=args.abc_timeout, progress=_progress_bar(long_run), simulators=sims,
                                status=_status if long_run or sys.stderr.isatty() else None)
    if res.equivalent:
        sys.stdout.write(res.summary() + "\n")
        return 0
    if res.counterexample is not None:
        bits = "".join("1" if v else "0" for v in res.counterexample)
        sys.stdout.write(f"counterexample (input 0 first): {bits}\n")
    raise WorkFailed(res.summary())
