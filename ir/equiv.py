"""Equivalence checking of two graphs: exhaustive, random simulation, and ABC ``cec``.

Two graphs with the same input encoding (or none) are compared output bit by
output bit when their interfaces match
(same outputs and the same head), or class score by class score when both have
a GroupSum head with the same ``k`` and ``tau`` but a rewritten head (offsets,
bounds or the order of outputs differ: what the head-aware passes produce).

* up to :data:`~lgcc.ir.simulate.MAX_EXHAUSTIVE_INPUTS` inputs: every input vector
  (a proof);
* more: ``vectors`` random input vectors (default 1,000,000), simulated in chunks,
  then ABC's ``cec`` when ``berkeley-abc`` is installed (a SAT proof, or a
  refutation): of the output bits, or, for class scores, of the scores written out
  as adder circuits (:mod:`lgcc.ir.score_circuit`).

A failure comes with a counterexample input vector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np

from .checks import checked_int
from .graph import Graph
from .simulate import (MAX_EXHAUSTIVE_INPUTS, exhaustive_inputs, head_scores, scores, simulate, simulate_words,
                       unpack_rows)

#: Output words of a graph for its input words: ``(n_inputs, W) -> (n_outputs, W)`` uint64.
Simulator = Callable[[np.ndarray], np.ndarray]

#: Default number of random vectors for graphs with too many inputs to enumerate.
DEFAULT_VECTORS = 1_000_000
#: Bytes of unpacked output bits per chunk when comparing class scores.
_SCORE_CHUNK_BYTES = 64 << 20
#: Words (64 vectors each) per chunk when comparing output bits ...
_BIT_CHUNK_WORDS = 2048
#: ... and bytes of one graph's output words per chunk: with 100,000 outputs, 2048 words would be
#: 1.6 GB per graph (and as much again for their difference).
_BIT_CHUNK_BYTES = 128 << 20


@dataclass
class EquivResult:
    """The verdict, how it was reached and, on failure, an input where the graphs differ."""

    equivalent: bool
    method: str  # "exhaustive", "random", "abc-cec" or "interface"
    compared: str  # "bits" or "scores"
    vectors: int
    proved: bool
    counterexample: np.ndarray | None = None  # bool[n_inputs]
    detail: str = ""

    def summary(self) -> str:
        """One human-readable line."""
        what = "output bits" if self.compared == "bits" else "class scores"
        if self.equivalent:
            how = "proved" if self.proved else "no difference found"
            return f"equivalent ({what}; {self.method}, {self.vectors} vectors; {how}){self._detail()}"
        return f"NOT equivalent ({what}; {self.method}){self._detail()}"

    def _detail(self) -> str:
        return f": {self.detail}" if self.detail else ""


def check_equivalence(a: Graph, b: Graph, vectors: int = DEFAULT_VECTORS, seed: int = 0,
                      use_abc: bool = True, abc_timeout: float = 300.0,
                      progress: Callable[[int, int], None] | None = None,
                      simulators: tuple[Simulator, Simulator] | None = None,
                      status: Callable[[str], None] | None = None) -> EquivResult:
    """Are ``a`` and ``b`` equivalent?  See the module docstring for what is compared and how.

    ``progress(done, total)``, if given, is called after each chunk of the simulation
    (``total`` chunks): big graphs take minutes per million vectors.  ``simulators``
    replace :func:`simulate_words` for ``a`` and ``b`` (each ``words -> output words``;
    ``lgcc.compiled_sim`` has ones many times faster on big graphs).  ``status(text)``, if
    given, is told when the ABC proof starts (it can take minutes).
    """
    seed = checked_int(seed, "seed", low=0, high=None)  # what numpy's generators take
    sims = simulators or (partial(simulate_words, a), partial(simulate_words, b))
    why = interface_difference(a, b)
    if why is not None:
        return EquivResult(False, "interface", "bits", 0, True, detail=why)
    compared = _comparison(a, b)[0] or "bits"
    exhaustive = a.n_inputs <= MAX_EXHAUSTIVE_INPUTS
    n_vectors = 1 << a.n_inputs if exhaustive else max(64, int(vectors))
    method = "exhaustive" if exhaustive else "random"
    res = _simulate_compare(a, b, sims, compared, exhaustive, n_vectors, seed, progress)
    result = EquivResult(True, method, compared, n_vectors, exhaustive)
    if res is not None and compared == "bits" and a.head is not None:
        # the same head but different bits (e.g. outputs reordered): every class score may still agree
        if _simulate_compare(a, b, sims, "scores", exhaustive, n_vectors, seed) is None:
            result.compared = "scores"
            result.detail = f"output bits differ ({res[2]}) but every class score agrees"
            res = None
    if res is not None:
        return EquivResult(False, method, res[0], n_vectors, True, res[1], res[2])
    if not exhaustive and use_abc:
        _abc_proof(a, b, result, abc_timeout, status)
    return result


def interface_difference(a: Graph, b: Graph) -> str | None:
    """Why ``a`` and ``b`` cannot be equivalent whatever their logic (inputs, input encodings, heads or
    outputs differ), else None: then they are compared by simulation (and ABC)."""
    if a.n_inputs != b.n_inputs:
        return f"input counts differ ({a.n_inputs} vs {b.n_inputs})"
    if not (a.encoding is None and b.encoding is None or a.encoding is not None and a.encoding.same_as(b.encoding)):
        # equal logic on input bits is not the same model on raw features
        return ("the input encodings (feature thresholds) differ; to compare the logic on input bits alone, "
                "drop them (lgcc verify --bits)")
    compared, reason = _comparison(a, b)
    return reason if compared is None else None


def _comparison(a: Graph, b: Graph) -> tuple[str | None, str]:
    """'bits' or 'scores' (or None and why not comparable)."""
    same_head = (a.head is None and b.head is None) or (a.head is not None and a.head.same_as(b.head))
    if same_head and a.n_outputs == b.n_outputs:
        return "bits", ""
    if a.head is not None and b.head is not None:
        if a.head.k == b.head.k and a.head.tau == b.head.tau:
            return "scores", ""
        return None, f"heads differ (k={a.head.k}, tau={a.head.tau} vs k={b.head.k}, tau={b.head.tau})"
    if a.head is None and b.head is None:
        return None, f"outputs differ ({a.n_outputs} vs {b.n_outputs})"
    return None, "only one of the graphs has a GroupSum head (to compare output bits alone: lgcc verify --bits)"


def _input_chunks(n_inputs: int, exhaustive: bool, n_vectors: int, seed: int,
                  words_per_chunk: int) -> Iterator[tuple[np.ndarray, int]]:
    """Yield ``(words, n_valid)`` chunks of input words covering the vectors to test."""
    if exhaustive:
        words = exhaustive_inputs(n_inputs)
        for s in range(0, words.shape[1], words_per_chunk):
            w = words[:, s: s + words_per_chunk]
            yield w, min(n_vectors - 64 * s, 64 * w.shape[1])
        return
    rng = np.random.default_rng(seed)
    total_words = (n_vectors + 63) // 64
    for s in range(0, total_words, words_per_chunk):
        n_w = min(words_per_chunk, total_words - s)
        yield rng.integers(0, 2**64, (n_inputs, n_w), dtype=np.uint64, endpoint=False), min(64 * n_w, n_vectors - 64 * s)


def _simulate_compare(a: Graph, b: Graph, sims: tuple[Simulator, Simulator], compared: str, exhaustive: bool,
                      n_vectors: int, seed: int,
                      progress: Callable[[int, int], None] | None = None) -> tuple[str, np.ndarray, str] | None:
    """None if no difference, else (compared, counterexample, description)."""
    if compared == "bits":
        chunk = max(1, min(_BIT_CHUNK_WORDS, _BIT_CHUNK_BYTES // (8 * max(a.n_outputs, b.n_outputs, 1))))
    else:
        chunk = max(1, _SCORE_CHUNK_BYTES // (64 * max(a.n_outputs, b.n_outputs, 1)))
    n_chunks = -(-((n_vectors + 63) // 64) // chunk)
    for done, (words, n_valid) in enumerate(_input_chunks(a.n_inputs, exhaustive, n_vectors, seed, chunk), 1):
        oa, ob = sims[0](words), sims[1](words)
        if compared == "bits":
            diff: np.ndarray = oa ^ ob  # uint64 words (numpy's stubs would type ndarray ^ ndarray as bool)
            diff[:, -1] &= np.uint64((1 << (n_valid - 64 * (diff.shape[1] - 1))) - 1)  # drop padding samples
            cols = np.flatnonzero(diff.any(axis=0))
            if cols.size:
                col = int(cols[0])
                row_bits = unpack_rows(diff[:, col: col + 1], 64)  # (64, m)
                s = 64 * col + int(np.flatnonzero(row_bits.any(axis=1))[0])
                o = int(np.flatnonzero(row_bits[s % 64])[0])
                cex = unpack_rows(words[:, col: col + 1], 64)[s % 64]
                return "bits", cex, f"output {o} is {int(_bit(oa, o, s))} vs {int(_bit(ob, o, s))}"
        else:
            assert a.head is not None and b.head is not None  # _comparison picks "scores" only for two heads
            sa, sb = head_scores(a.head, oa, n_valid), head_scores(b.head, ob, n_valid)
            bad = np.flatnonzero((sa != sb).any(axis=1))
            if bad.size:
                s = int(bad[0])
                cex = unpack_rows(words, n_valid)[s]
                return "scores", cex, f"class scores {sa[s].tolist()} vs {sb[s].tolist()}"
        if progress is not None:
            progress(done, n_chunks)
    return None


def _bit(words: np.ndarray, row: int, sample: int) -> bool:
    return bool((int(words[row, sample // 64]) >> (sample % 64)) & 1)



def _abc_proof(a: Graph, b: Graph, result: EquivResult, timeout: float,
               status: Callable[[str], None] | None = None) -> None:
    """Upgrade a random-simulation verdict with ABC ``cec`` where installed.

    Class scores are compared as the outputs of adder circuits built over each graph's
    head (:func:`~lgcc.ir.score_circuit.score_circuits`); output bits directly.
    """
    from .errors import LgccError
    from .passes.abc_tool import abc_binary, abc_cec
    from .score_circuit import score_circuits

    if abc_binary() is None:
        _note(result, "berkeley-abc not installed: no proof")
        return
    pair = score_circuits(a, b) if result.compared == "scores" else (a, b)
    if status is not None:
        what = "the class scores as adder circuits" if result.compared == "scores" else "the output bits"
        status(f"no difference in {result.vectors} vectors; proving with ABC cec ({what}; "
               f"up to {timeout:.0f} s, --no-abc skips)")
    try:
        verdict, cex = abc_cec(*pair, timeout)
    except LgccError as exc:
        _note(result, f"ABC cec could not run ({exc})")
        return
    if verdict is True:
        result.method, result.proved = "abc-cec", True
    elif verdict is False:
        result.equivalent, result.method, result.proved = False, "abc-cec", True
        if cex is not None and _differ(a, b, cex, result.compared):
            result.counterexample = cex  # kept only once the simulator confirms it
        _note(result, "ABC cec found a difference that random simulation missed")
    else:
        _note(result, f"ABC cec undecided within {timeout:.0f} s (--abc-timeout): no proof")


def _differ(a: Graph, b: Graph, bits: np.ndarray, compared: str) -> bool:
    """Whether the reference simulator sees the graphs differ on input vector ``bits``."""
    if compared == "scores":
        return not np.array_equal(scores(a, bits[None]), scores(b, bits[None]))
    return not np.array_equal(simulate(a, bits[None]), simulate(b, bits[None]))


def _note(result: EquivResult, text: str) -> None:
    result.detail = f"{result.detail}; {text}" if result.detail else text
