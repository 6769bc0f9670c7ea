"""Simulating a graph through its compiled C library, for checks too big for numpy.

The reference simulator (:func:`lgcc.ir.simulate.simulate_words`) takes one numpy
step per level: about 6.5e9 gate evaluations per second here, so ``lgcc verify`` of
two million-gate graphs at its default 1,000,000 vectors takes five minutes.  The C
backend evaluates the same gates bit-sliced, many times faster.  A
:class:`CompiledSimulator` builds the library of a graph into a temporary folder and
serves ``words -> output words`` in the reference simulator's layout (the library's
``outputs_words`` entry), so :func:`lgcc.ir.equiv.check_equivalence` can use either.

The C library is itself tested against the reference simulator; each simulator
here also checks :data:`CHECK_WORDS` words of random vectors against it after the
build, and :func:`compiled_simulators` gives None (use numpy), with the reason, if
they disagree or the library cannot be built.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from lgcc.ir.errors import LgccError
from lgcc.ir.graph import Graph
from lgcc.ir.simulate import simulate_words

#: Random words (64 vectors each) checked against the reference simulator after a build.
CHECK_WORDS = 64


class CompiledSimulator:
    """``sim(words)``: output words of ``graph`` for input words, like ``simulate_words(graph, words)``."""

    def __init__(self, graph: Graph, workdir: Path, cc: str | None = None) -> None:
        from lgcc.backends.c.target import write_library
        from lgcc.runtime import load

        write_library(graph, workdir, isa="auto", cc=cc, static=False)  # loaded as a .so: no libmodel.a, no ar
        self.model = load(workdir)

    def __call__(self, words: np.ndarray) -> np.ndarray:
        return self.model.outputs_words(words)


@contextmanager
def compiled_simulators(graphs: tuple[Graph, ...], cc: str | None = None, seed: int = 0
                        ) -> Iterator[tuple[tuple[Callable[[np.ndarray], np.ndarray], ...] | None, str]]:
    """Yield (one simulator per graph, "") or (None, why not); the libraries live until the block ends."""
    workdir = Path(tempfile.mkdtemp(prefix="lgcc-sim-"))
    try:
        try:
            sims = tuple(CompiledSimulator(g, workdir / f"g{i}", cc) for i, g in enumerate(graphs))
        except LgccError as exc:
            yield None, f"the C library could not be built ({exc})"
            return
        rng = np.random.default_rng(seed)
        for i, (g, sim) in enumerate(zip(graphs, sims)):
            words = rng.integers(0, 2**64, (g.n_inputs, CHECK_WORDS), dtype=np.uint64, endpoint=False)
            if not np.array_equal(sim(words), simulate_words(g, words)):
                yield None, f"the C library of graph {i + 1} disagrees with the reference simulator"
                return
        yield sims, ""
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
