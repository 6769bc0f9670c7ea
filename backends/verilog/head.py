"""The GroupSum head in logic: per-class popcount compressor trees and an argmax tree.

This module only plans the head's structure (cells, signals and their logic
levels); :mod:`.emit` turns the plan into Verilog with pipeline registers.

Popcount: the class's output bits are summed column by column with counters of
3..6 bits (a 6:3 counter is three 6-input functions, one LUT-6 each, and removes
three bits of a column); rounds repeat until no column holds more than two bits,
then one carry-propagate adder adds the two remaining rows and the class offset.
That is a balanced compressor tree of ~log_2(n) rounds, much cheaper on LUT
FPGAs than a tree of binary adders.  Two refinements measured on a trained
784 -> 6x4000 model: an output repeated ``m`` times in a class enters as the
bits of ``m`` (two copies are one bit of weight 2), and the first round puts
output gates that nothing else reads into 3:2 counters, whose outputs are
6-input functions that absorb those gates into the counter's LUTs.

Argmax: a balanced tournament of comparators; the left operand always holds
lower class indices and wins ties, so ties go to the lowest index, as in
:func:`lgcc.ir.simulate.predict`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from lgcc.ir.gates import IS_BINARY
from lgcc.ir.graph import CONST1, FIRST_INPUT, Graph, Head


@dataclass(eq=False)
class Sig:
    """A head signal: ``width`` bits computed at logic ``level``."""

    name: str
    width: int
    level: int
    need: int = 0  # most pipeline registers any reader needs (filled in by emission)


@dataclass(frozen=True)
class NodeBit:
    """An output bit of the gate network: node ``node``, inverted when ``neg``."""

    node: int
    neg: bool


@dataclass(frozen=True)
class Const:
    """A constant, as Verilog literal text."""

    text: str


Ref = Sig | NodeBit | Const


@dataclass(eq=False)
class Cell:
    """One head operation at logic ``level``.

    kinds: ``count`` (outputs = binary count of the 1-bit inputs, LSB first),
    ``add`` (output = zero-extended row A + row B + ``constant``; ``inputs`` holds
    row A then row B, ``None`` marking missing bits), ``max`` (inputs: value and
    index of the left then right operand; outputs: select, value, index).
    """

    kind: str
    level: int
    inputs: list
    outputs: list[Sig]
    constant: int = 0
    columns: int = 0
    signed: bool = False  # comparators: scores are two's complement (some offset is negative)


@dataclass
class HeadPlan:
    """The planned head: cells in dependency order and the refs of its results."""

    cells: list[Cell] = field(default_factory=list)
    scores: list[Ref] = field(default_factory=list)  # one per class, score_width bits
    ranges: list[tuple[int, int]] = field(default_factory=list)  # least and greatest value of each score
    label: Ref = Const("1'b0")  # argmax index, class_width bits
    score_width: int = 1
    signed: bool = False
    class_width: int = 1
    popcount_level: int = 0  # level of the last class score
    level: int = 0  # level of the argmax result


def _head(graph: Graph) -> Head:
    """``graph.head``; :class:`ValueError` for a graph without one (it has no scores to plan)."""
    if graph.head is None:
        raise ValueError("the graph has no GroupSum head: there are no class scores to plan")
    return graph.head


def score_format(graph: Graph) -> tuple[int, bool]:
    """Width and signedness of the packed class scores (two's complement if an offset is negative)."""
    head = _head(graph)
    lo = int(head.offsets.min(initial=0))
    hi = int((head.sizes + head.offsets).max(initial=0))
    if lo >= 0:
        return max(1, hi.bit_length()), False
    return max(hi.bit_length(), (-lo - 1).bit_length()) + 1, True


def _count_groups(height: int, absorbing: int) -> list[int]:
    """Sizes of the counters one round applies to a column of ``height`` bits.

    The first ``absorbing`` bits are output gates read by nothing else, each a
    function of two signals: a 3:2 counter over three of them is a function of
    six signals, so each of its two output bits is one LUT-6 that absorbs the
    gates too.  Other bits go through 6:3 counters (three LUT-6s remove three bits).
    """
    groups = [3] * (absorbing // 3)
    height -= 3 * len(groups)
    groups += [6] * (height // 6)
    rest = height % 6
    if rest in (3, 5):
        groups.append(rest)
    elif rest == 4:  # a 3:2 counter and one passed bit beat a 4:3 counter (3 LUTs for one bit)
        groups.append(3)
    return groups


def _popcount(plan: HeadPlan, c: int, cols: dict[int, list[Ref]], absorbing: int, constant: int,
              level: int) -> Ref:
    """Plan class ``c``'s score: the weighted bit count of columns ``cols`` plus ``constant``.

    ``cols[w]`` lists bits of weight ``2**w``; the first ``absorbing`` bits of
    column 0 may be absorbed into first-round counters (see :func:`_count_groups`).
    """
    width = plan.score_width
    if not any(cols.values()):
        return Const(f"{width}'d{constant % (1 << width)}")
    n = 0
    while max(len(v) for v in cols.values()) > 2:
        nxt: dict[int, list[Ref]] = defaultdict(list)
        for w in sorted(cols):
            col = cols[w]
            i = 0
            for size in _count_groups(len(col), absorbing if w == 0 else 0):
                out_bits = size.bit_length()
                outs = [Sig(f"pc{c}_{n + j}", 1, level) for j in range(out_bits)]
                n += out_bits
                plan.cells.append(Cell("count", level, col[i:i + size], outs))
                for j, s in enumerate(outs):
                    nxt[w + j].append(s)
                i += size
            nxt[w].extend(col[i:])
        cols = dict(nxt)
        level += 1
        absorbing = 0
    n_cols = max(cols) + 1
    rows = [[cols.get(w, [])[r] if len(cols.get(w, [])) > r else None for w in range(n_cols)] for r in (0, 1)]
    out = Sig(f"s{c}", width, level)
    plan.cells.append(Cell("add", level, rows[0] + rows[1], [out], constant % (1 << width), n_cols))
    return out


def _argmax(plan: HeadPlan, level: int) -> None:
    """Plan the comparator tournament over ``plan.scores``."""
    cw = plan.class_width
    # (value, index, least and greatest possible value): the range decides some comparisons statically
    entrants: list[tuple[Ref, Ref, int, int]] = [
        (s, Const(f"{cw}'d{c}"), lo, hi) for c, (s, (lo, hi)) in enumerate(zip(plan.scores, plan.ranges))]
    r = 0
    while len(entrants) > 1:
        nxt: list[tuple[Ref, Ref, int, int]] = []
        for i in range(0, len(entrants) - 1, 2):
            (vl, il, lo_l, hi_l), (vr, ir, lo_r, hi_r) = entrants[i], entrants[i + 1]
            if hi_r <= lo_l or lo_r > hi_l:  # no comparator: its result is known (and lint flags it)
                nxt.append(entrants[i + 1] if lo_r > hi_l else entrants[i])
                continue
            sel = Sig(f"ms{r}_{i // 2}", 1, level)
            val = Sig(f"mv{r}_{i // 2}", plan.score_width, level)
            idx = Sig(f"mi{r}_{i // 2}", cw, level)
            plan.cells.append(Cell("max", level, [vl, il, vr, ir], [sel, val, idx], signed=plan.signed))
            nxt.append((val, idx, max(lo_l, lo_r), max(hi_l, hi_r)))
        if len(entrants) % 2:
            nxt.append(entrants[-1])
        entrants = nxt
        r += 1
        level += 1
    plan.label = entrants[0][1]
    plan.level = level - 1 if r else plan.popcount_level


def _class_columns(graph: Graph, lo: int, hi: int, absorbable: np.ndarray) -> tuple[dict[int, list[Ref]], int]:
    """Initial columns of one class's outputs ``lo:hi`` and how many leading bits are absorbable.

    A literal that occurs ``m`` times counts as ``m``: it goes into column ``j``
    for each set bit ``j`` of ``m`` (two copies are one bit of weight 2).
    """
    node = graph.outputs[lo:hi].astype(np.int64)
    keep = node >= FIRST_INPUT
    keys, counts = np.unique(node[keep] * 2 + graph.out_neg[lo:hi][keep], return_counts=True)
    absorb = absorbable[keys // 2] & (counts == 1)
    order = np.argsort(~absorb, kind="stable")  # absorbable bits first in column 0
    cols: dict[int, list[Ref]] = defaultdict(list)
    for key, m in zip(keys[order].tolist(), counts[order].tolist()):
        for j in range(m.bit_length()):
            if (m >> j) & 1:
                cols[j].append(NodeBit(key // 2, bool(key & 1)))
    return dict(cols), int(absorb.sum())


def plan_head(graph: Graph, start_level: int, with_argmax: bool) -> HeadPlan:
    """Plan scores (and the argmax if ``with_argmax``) of ``graph.head``, starting at ``start_level``.

    Output bits wired to a constant node are folded into the class's constant
    instead of entering the compressor tree.  :class:`ValueError` if ``graph`` has no head.
    """
    head = _head(graph)
    width, signed = score_format(graph)
    plan = HeadPlan(score_width=width, signed=signed, class_width=max(1, (head.k - 1).bit_length()))
    node = graph.outputs.astype(np.int64)
    const_one = (node < FIRST_INPUT) & ((node == CONST1) ^ graph.out_neg)
    # output gates of two operands that no gate and no other output reads
    fg = graph.first_gate
    readers = np.bincount(np.concatenate([graph.a, graph.b, graph.outputs]), minlength=graph.n_nodes)
    absorbable = np.zeros(graph.n_nodes, dtype=bool)
    absorbable[fg:] = IS_BINARY[graph.op] & (readers[fg:] == 1)
    plan.popcount_level = start_level - 1
    for c in range(head.k):
        lo, hi = int(head.bounds[c]), int(head.bounds[c + 1])
        cols, absorbing = _class_columns(graph, lo, hi, absorbable)
        constant = int(head.offsets[c]) + int(const_one[lo:hi].sum())
        score = _popcount(plan, c, cols, absorbing, constant, start_level)
        plan.scores.append(score)
        plan.ranges.append((constant, constant + int((node[lo:hi] >= FIRST_INPUT).sum())))
        if isinstance(score, Sig):
            plan.popcount_level = max(plan.popcount_level, score.level)
    plan.level = plan.popcount_level
    if with_argmax:
        _argmax(plan, plan.popcount_level + 1)
    return plan
