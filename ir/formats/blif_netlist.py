"""BLIF covers as arrays -> a simplified graph, vectorized (the back half of :mod:`.blif_fast`).

Signal names are interned by one sort of their uint64 words (a 64-bit hash of
longer names, collisions checked); each cover's inputs resolve to a
primary input, another cover or nothing.  Only covers in the fan-in of the
outputs count (as in the general reader): they are found by a breadth-first
walk back from the outputs, then ordered topologically — file order when it
already is one (lgcc's and ABC's files), else Kahn's algorithm a frontier at a
time.  Each cover is one gate of its 4-bit function (a one-input cover reads
the constant 0 as operand b), and the result is simplified by the ``simplify``
and ``prune`` passes, as the general reader's GraphBuilder would.  Errors carry
the same messages as the general reader's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from ..errors import FormatError
from ..graph import FIRST_INPUT, Graph
from ..passes.prune import prune
from ..passes.simplify import simplify
from .annotation import apply_annotation
from .blif_parse import Netlist, default_names_meta


@dataclass
class Covers:
    """The ``.names`` of a file, one row per cover in file order.

    ``names`` holds every cover's signal names (its inputs, then its output),
    NUL-padded ASCII viewed as uint64 words, ``n_in + 1`` rows per cover.
    """

    line: np.ndarray  # int64: line number of the .names
    n_in: np.ndarray  # int8: number of inputs, 0..2
    op: np.ndarray  # uint8: OR of the cubes' on-set masks (gate-table bits)
    vmin: np.ndarray  # int8: smallest cube value (1: on-set cubes)
    vmax: np.ndarray  # int8: largest cube value (differs from vmin: on- and off-set mixed)
    n_cubes: np.ndarray  # int64
    names: np.ndarray  # uint64 (tokens, words)

    @classmethod
    def concat(cls, parts: list["Covers"]) -> "Covers":
        """The covers of consecutive blocks, name words padded to the widest block."""
        words = max((p.names.shape[1] for p in parts), default=1)
        merged = {f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)
                  if f.name != "names"}
        names = np.zeros((sum(p.names.shape[0] for p in parts), words), dtype="<u8")
        row = 0
        for p in parts:
            names[row: row + p.names.shape[0], : p.names.shape[1]] = p.names
            row += p.names.shape[0]
        return cls(**merged, names=names)


def _name_words(names: list[str], words: int) -> np.ndarray:
    """Signal names (ASCII) as NUL-padded uint64 rows of at least ``words`` words."""
    raw = np.array(names, dtype=bytes) if names else np.zeros(0, dtype="S8")
    width = 8 * max(words, (raw.dtype.itemsize + 7) // 8)
    return raw.astype(f"S{width}").view("<u8").reshape(len(names), width // 8)


def _groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Id of each value (equal values, equal ids) and the index of one value of each id.

    ``np.unique(return_inverse=True)`` with fewer full-size temporaries (files
    with tens of millions of names).
    """
    perm = np.argsort(values, kind="stable")  # timsort: faster on the runs of ascending names files have
    new = np.empty(values.size, dtype=bool)
    new[:1] = True
    ordered = values[perm]
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    del ordered
    ids = np.empty(values.size, dtype=np.int64)
    ids[perm] = np.cumsum(new) - 1
    return ids, perm[new]


def _intern(keys: np.ndarray) -> np.ndarray:
    """Id of each row of ``keys`` (uint64 words), equal rows equal ids (vectorized)."""
    if keys.shape[1] == 1:
        return _groups(keys.reshape(-1))[0]
    h = keys[:, 0].copy()
    for j in range(1, keys.shape[1]):  # a 64-bit hash of the row; collisions are checked below
        h = (h ^ (h >> np.uint64(31))) * np.uint64(0x9E3779B97F4A7C15) + keys[:, j]
    ids, first = _groups(h)
    if np.array_equal(keys, keys[first[ids]]):
        return ids
    return np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1)  # a real collision: exact, slower


def _text(words: np.ndarray) -> str:
    """The signal name of one row of name words."""
    return words.tobytes().rstrip(b"\0").decode("ascii")


def build(net: Netlist, cov: Covers, where: str) -> Graph:
    """The simplified graph of the covers and the directives' interface (see the module docstring)."""
    graph = _gates(net, cov, where)  # a function of its own: its name tables are freed before simplifying
    graph = prune(simplify(graph)[0])[0]
    meta = default_names_meta(net.inputs, net.outputs)
    return apply_annotation(graph.copy(layers=None, meta=meta), net.annotation, where).verify()


def _gates(net: Netlist, cov: Covers, where: str) -> Graph:
    """One gate per live cover, in topological order; FormatError for the netlist errors."""
    n_cov, n_in, n_tok = cov.line.size, len(net.inputs), cov.names.shape[0]
    n_ops = cov.n_in.astype(np.int64)
    out_tok = np.cumsum(n_ops + 1) - 1  # row of each cover's output name; its inputs are the rows before
    io_names = _name_words(net.inputs + net.outputs, cov.names.shape[1])
    if io_names.shape[1] > cov.names.shape[1]:  # (np.pad copies even when there is nothing to pad)
        cov.names = np.pad(cov.names, ((0, 0), (0, io_names.shape[1] - cov.names.shape[1])))
    ids = _intern(np.concatenate([cov.names, io_names]))
    in_id, out_id, drv = ids[n_tok: n_tok + n_in], ids[n_tok + n_in:], ids[out_tok]
    slot_id = np.full((n_cov, 2), -1, dtype=np.int64)  # name id of each operand (-1: the cover has fewer)
    for s in range(2):
        has = np.flatnonzero(n_ops > s)
        slot_id[has, s] = ids[out_tok[has] - n_ops[has] + s]
    n_ids = int(ids.max(initial=-1)) + 1  # ids are 0 .. distinct names - 1
    del ids  # the largest table (an id per name): not needed past here
    name = lambda tok: _text(cov.names[tok])  # noqa: E731 - only for error messages
    _check_driven_once(cov, drv, out_tok, name, where)
    if np.unique(in_id).size != n_in:
        raise FormatError(f"{where}: an input is listed twice in .inputs")
    driver = np.full(n_ids + 1, -1, dtype=np.int64)  # cover driving each name id (entry -1: no name)
    driver[drv] = np.arange(n_cov)
    input_of = np.full(n_ids + 1, -1, dtype=np.int64)  # primary input of each name id
    input_of[in_id] = np.arange(n_in)
    bad = np.flatnonzero(input_of[drv] >= 0)
    if bad.size:
        raise FormatError(f"{where}:{cov.line[bad[0]]}: primary input '{name(out_tok[bad[0]])}' "
                          "is also driven by a .names")
    undriven = np.flatnonzero((driver[out_id] < 0) & (input_of[out_id] < 0))
    if undriven.size:
        raise FormatError(f"{where}: output '{net.outputs[undriven[0]]}' is never driven")
    dep = driver[slot_id]  # the cover driving each operand, or -1
    live = _live(dep, driver[out_id])
    missing = np.argwhere(live[:, None] & (slot_id >= 0) & (dep < 0) & (input_of[slot_id] < 0))
    if missing.size:
        c, s = missing[0]
        raise FormatError(f"{where}:{cov.line[c]}: signal '{name(out_tok[c] - n_ops[c] + s)}' "
                          "is used but never driven")
    mixed = np.flatnonzero(live & (cov.vmin != cov.vmax))
    if mixed.size:
        raise FormatError(f"{where}:{cov.line[mixed[0]]}: .names mixes on-set and off-set cubes")
    order = _topological(dep, live, cov, out_tok, name, where)
    fg = FIRST_INPUT + n_in
    node = np.zeros(n_cov, dtype=np.int64)
    node[order] = fg + np.arange(order.size)
    dep, slot_id = dep[order], slot_id[order]
    # operands: the driving cover's gate, else the primary input, else constant 0 (missing operand)
    src = input_of[slot_id]
    src = np.where(src >= 0, src + FIRST_INPUT, 0)
    src[dep >= 0] = node[dep[dep >= 0]]
    op = np.where((cov.n_cubes > 0) & (cov.vmin == 0), cov.op ^ 15, cov.op)[order]  # off-set: complement
    outputs = np.where(input_of[out_id] >= 0, FIRST_INPUT + input_of[out_id], node[driver[out_id]])
    return Graph.from_arrays(n_in, op, src[:, 0], src[:, 1], outputs)


def _check_driven_once(cov: Covers, drv: np.ndarray, out_tok: np.ndarray, name: Callable[[np.integer], str],
                       where: str) -> None:
    """FormatError at the first line that drives a signal already driven."""
    if drv.size == 0 or np.bincount(drv).max() < 2:
        return
    order = np.argsort(drv, kind="stable")  # covers of one signal stay in file order
    second = order[1:][drv[order][1:] == drv[order][:-1]]
    k = int(np.argmin(cov.line[second]))
    first = np.flatnonzero(drv == drv[second[k]])[0]
    raise FormatError(f"{where}:{cov.line[second[k]]}: signal '{name(out_tok[second[k]])}' is driven twice "
                      f"(also at line {cov.line[first]})")


def _unique_fast(values: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """``values`` without repeats (order not kept), using ``scratch`` (int64, indexable by values)."""
    scratch[values] = np.arange(values.size)
    return values[scratch[values] == np.arange(values.size)]


def _live(dep: np.ndarray, roots: np.ndarray) -> np.ndarray:
    """bool per cover: in the fan-in of the output covers ``roots`` (-1: not a cover)."""
    live = np.zeros(dep.shape[0], dtype=bool)
    scratch = np.zeros(dep.shape[0], dtype=np.int64)
    front = _unique_fast(roots[roots >= 0], scratch)
    live[front] = True
    while front.size:  # one step per logic level
        nxt = dep[front].reshape(-1)
        nxt = nxt[nxt >= 0]
        nxt = _unique_fast(nxt[~live[nxt]], scratch)
        live[nxt] = True
        front = nxt
    return live


def _topological(dep: np.ndarray, live: np.ndarray, cov: Covers, out_tok: np.ndarray,
                 name: Callable[[np.integer], str], where: str) -> np.ndarray:
    """The live covers, each after the covers it reads; FormatError naming a signal on a cycle."""
    covers = np.flatnonzero(live)
    if np.all(dep[covers] < covers[:, None]):
        return covers  # file order already is one (always so for lgcc's and ABC's files)
    src: np.ndarray = dep[covers].reshape(-1)
    dst: np.ndarray = np.repeat(covers, 2)
    dst, src = dst[src >= 0], src[src >= 0]
    pending = np.bincount(dst, minlength=dep.shape[0])  # unresolved operands per cover
    by_src = np.argsort(src, kind="stable")
    readers = dst[by_src]
    ptr = np.concatenate(([0], np.cumsum(np.bincount(src, minlength=dep.shape[0]))))
    scratch = np.zeros(dep.shape[0], dtype=np.int64)
    front = covers[pending[covers] == 0]
    parts = []
    while front.size:  # Kahn's algorithm, one frontier (logic level) at a time
        parts.append(front)
        r = readers[_ragged(ptr[front], ptr[front + 1] - ptr[front])]
        np.subtract.at(pending, r, 1)
        front = _unique_fast(r[pending[r] == 0], scratch)
    order = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if order.size == covers.size:
        return order
    done = np.zeros(dep.shape[0], dtype=bool)
    done[order] = True
    c, seen = int(covers[~done[covers]][0]), set()
    while c not in seen:  # walk back through unresolved operands until the walk closes a cycle
        seen.add(c)
        c = int(next(d for d in dep[c] if d >= 0 and not done[d]))
    raise FormatError(f"{where}:{cov.line[c]}: combinational cycle through signal '{name(out_tok[c])}'")


def _ragged(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + l)`` for each start and length (vectorized)."""
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
