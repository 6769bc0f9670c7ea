"""Vectorized BLIF reading for the common shape of large netlists.

The shape lgcc's writer, ABC's ``write_blif`` (after ``strash``) and Yosys'
``write_blif`` of gate-level netlists produce: every ``.names`` has at most two
inputs, its line is ``.names`` and names separated by single spaces, and its
cubes follow at once, one canonical line each (``01 1``).  Such files are read
without a Python step per gate:

* the bytes are cut into blocks at directive lines; in each block, lines come
  from ``np.flatnonzero`` on newlines and are classified by their first bytes
  (``.names`` line, cube line, anything else);
* the names of ``.names`` lines are copied into a fixed-width byte matrix,
  viewed as uint64 words, and interned with ``np.unique``;
* each cube line becomes a 4-bit on-set mask by a 3x3 table derived from the
  general reader's :func:`~.blif_parse.small_cover_op`, OR-ed per cover with
  ``reduceat``.

The few other lines (``.model``, ``.inputs``, ``.outputs``, ``.end``,
comments, ``\\`` continuations) go through :func:`.blif_parse.parse_lines`,
so every directive rule and message is shared with the general reader.
Whatever else appears (wider covers, ``.conn``, off-shape cube lines, comments
or tabs inside covers, non-ASCII bytes) makes :func:`from_bytes` return None:
the caller then runs the general parser, which reads the file or reports its
error with the line number.  Turning the arrays into a graph is
:mod:`.blif_netlist`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..graph import Graph
from .blif_netlist import Covers, build
from .blif_parse import Unhandled, parse_lines, small_cover_op

#: Bytes per block (a block ends before a directive line): bounds the temporaries, not the file size.
_BLOCK = 1 << 22
_BOM = b"\xef\xbb\xbf"
_NAMES = np.frombuffer(b".names ", dtype=np.uint8)
#: Mask of the first k bytes of a little-endian uint64, k = 0..8.
_BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype="<u8")
#: Cube plane character -> code (0, 1, '-' = 2; anything else 3 = not a plane character).
_CODE = np.full(256, 3, dtype=np.int64)
_CODE[[ord("0"), ord("1"), ord("-")]] = [0, 1, 2]
#: On-set mask (gate-table bits) of one two-column plane, by the codes of its characters.
_PLANE_MASK = np.zeros((4, 4), dtype=np.uint8)
for _i, _p in enumerate("01-"):
    for _j, _q in enumerate("01-"):
        _PLANE_MASK[_i, _j] = small_cover_op((_p + _q,), 2)


@dataclass
class _Block:
    """One block's covers and its other lines (number, text)."""

    covers: Covers
    others: list[tuple[int, str]]
    n_lines: int


def from_bytes(data: bytes, where: str = "<blif>") -> Graph | None:
    """The graph of BLIF file contents, or None when the file needs the general parser.

    Raises :class:`~lgcc.ir.errors.FormatError` itself for errors of a file in
    the fast shape (directive errors, signals driven twice or never, cycles).
    """
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    if not data or not data.isascii():
        return None
    blocks = []
    start, line0 = 0, 0
    while start < len(data):
        end = data.find(b"\n.", start + _BLOCK) + 1 if len(data) - start > _BLOCK else 0
        end = end or len(data)
        block = _scan_block(data, start, end, line0)
        if block is None:
            return None
        blocks.append(block)
        start, line0 = end, line0 + block.n_lines
    others = [line for block in blocks for line in block.others]
    covers = Covers.concat([block.covers for block in blocks])
    del blocks  # the per-block arrays, now copied into ``covers``
    if not covers.line.size or not _continuations_stay_in(others):
        return None
    try:
        net = parse_lines(others, where, directives_only=True)
    except Unhandled:
        return None
    if net.end_line is not None and covers.line.max() > net.end_line:
        return None  # '.names' after .end: the general parser says so with the line
    return build(net, covers, where)


def _continuations_stay_in(others: list[tuple[int, str]]) -> bool:
    """Whether every ``\\`` continuation among the other lines is continued by another such line."""
    numbers = {number for number, _ in others}
    return all(number + 1 in numbers for number, text in others
               if "\\" in text and text.split("#", 1)[0].rstrip().endswith("\\"))


def _scan_block(data: bytes, b0: int, b1: int, line0: int) -> _Block | None:
    """Classify the lines of ``data[b0:b1]`` and read its covers; None if a cover is off-shape."""
    buf = np.frombuffer(data, dtype=np.uint8, count=b1 - b0, offset=b0)
    n = buf.size
    nl = np.flatnonzero(buf == 10)
    ends = nl if buf[-1] == 10 else np.append(nl, n)
    starts = np.concatenate(([0], nl + 1))[:ends.size]
    cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == 13)
    ends = ends - cr
    tabs = np.flatnonzero(buf == 9)
    # other control bytes, or a carriage return not ending a line, split lines differently in Python
    if np.count_nonzero(buf < 32) != nl.size + tabs.size + np.count_nonzero(cr):
        return None
    length = ends - starts
    first = np.where(length > 0, buf[np.minimum(starts, n - 1)], 0)
    names = np.zeros(ends.size, dtype=bool)
    dot = np.flatnonzero((first == ord(".")) & (length > _NAMES.size))
    names[dot[np.all(buf[starts[dot, None] + np.arange(_NAMES.size)] == _NAMES, axis=1)]] = True
    second = buf[np.minimum(starts + 1, n - 1)]
    cube = (first == ord("0")) | (first == ord("1")) | (first == ord("-"))
    cube |= (first == ord(" ")) & (length == 2) & ((second == ord("0")) | (second == ord("1")))  # ABC: " 0"
    special = np.zeros(ends.size, dtype=bool)  # comments, continuations and tabs: the general parser's
    for pos in (tabs, np.flatnonzero(buf == ord("#")), np.flatnonzero(buf == ord("\\"))):
        special[np.searchsorted(starts, pos, "right") - 1] = True
    if np.any((names | cube) & special):
        return None
    cube_lines = np.flatnonzero(cube)
    if cube_lines.size and (cube_lines[0] == 0 or not np.all((names | cube)[cube_lines - 1])):
        return None  # a cube line not right after its .names (blank or comment line between)
    covers = _covers(data, b0, buf, starts, ends, names, cube_lines, line0)
    if covers is None:
        return None
    other = np.flatnonzero(~names & ~cube & (length > 0))
    others = [(line0 + 1 + i, data[b0 + s: b0 + e].decode("ascii"))
              for i, s, e in zip(other.tolist(), starts[other].tolist(), ends[other].tolist())]
    return _Block(covers, others, int(ends.size))


def _covers(data: bytes, b0: int, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, names: np.ndarray,
            cube_lines: np.ndarray, line0: int) -> Covers | None:
    """The covers of one block: names of their signals and functions; None if one is off-shape."""
    name_lines = np.flatnonzero(names)
    # tokens: what follows each space of a .names line (the first space ends ".names")
    spaces = np.flatnonzero(buf == ord(" "))
    line_of = np.searchsorted(starts, spaces, "right") - 1
    keep = names[line_of]
    spaces, line_of = spaces[keep], line_of[keep]
    tok_start = spaces + 1
    same_line = np.append(line_of[1:] == line_of[:-1], False)
    tok_end = np.where(same_line, np.append(spaces[1:], 0), ends[line_of])
    tok_len = tok_end - tok_start
    n_tokens = np.bincount(line_of, minlength=names.size)[name_lines]
    if np.any(tok_len <= 0) or np.any(n_tokens > 3):
        return None  # double or trailing spaces, or a cover over more than 2 inputs
    words = _words(data, b0 + tok_start, tok_len)
    n_in = n_tokens - 1
    # cube lines: each belongs to the last .names before it, and must be exactly n_in columns + value
    cover = np.cumsum(names)[cube_lines] - 1
    k = n_in[cover]
    s = starts[cube_lines]
    ch = [buf[np.minimum(s + j, buf.size - 1)].astype(np.int64) for j in range(4)]
    lead = (k == 0) & (ch[0] == ord(" "))  # a constant's cube as ABC writes it: empty plane, space, value
    if np.any(ends[cube_lines] - s != np.where(k > 0, k + 2, 1 + lead)):
        return None
    dash = ord("-")
    p0 = np.where(k == 0, dash, ch[0])
    p1 = np.where(k == 2, ch[1], dash)
    sep = np.where(k == 2, ch[2], np.where(k == 1, ch[1], ord(" ")))
    value = np.where(k == 2, ch[3], np.where(k == 1, ch[2], np.where(lead, ch[1], ch[0]))) - ord("0")
    c0, c1 = _CODE[p0], _CODE[p1]
    if np.any(c0 > 2) or np.any(c1 > 2) or np.any(sep != ord(" ")) or np.any((value != 0) & (value != 1)):
        return None
    mask = _PLANE_MASK[c0, c1]
    op = np.zeros(name_lines.size, dtype=np.uint8)
    vmin = np.zeros(name_lines.size, dtype=np.int8)
    vmax = np.zeros(name_lines.size, dtype=np.int8)
    n_cubes = np.bincount(cover, minlength=name_lines.size)
    if cover.size:
        run = np.flatnonzero(np.concatenate(([True], cover[1:] != cover[:-1])))
        op[cover[run]] = np.bitwise_or.reduceat(mask, run)
        vmin[cover[run]] = np.minimum.reduceat(value, run)
        vmax[cover[run]] = np.maximum.reduceat(value, run)
    return Covers(line=line0 + 1 + name_lines, n_in=n_in.astype(np.int8), op=op, vmin=vmin, vmax=vmax,
                  n_cubes=n_cubes, names=words)


def _words(data: bytes, pos: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The strings ``data[pos:pos+length]`` as NUL-padded little-endian uint64 words, one row each.

    Each word is one unaligned 8-byte load from a stride-1 view of ``data``
    (no per-byte index arrays), masked to the string's remaining bytes.
    """
    n_words = (int(length.max(initial=1)) + 7) // 8
    out = np.zeros((pos.size, n_words), dtype="<u8")
    if len(data) >= 8:
        windows: np.ndarray = np.ndarray((len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    for j in range(n_words):
        rest = np.clip(length - 8 * j, 0, 8)
        at = pos + 8 * j
        inside = (rest > 0) & (at <= len(data) - 8)
        if len(data) >= 8:
            out[inside, j] = windows[at[inside]] & _BYTE_MASKS[rest[inside]]
        for row in np.flatnonzero((rest > 0) & ~inside).tolist():  # the last few bytes of the file
            out[row, j] = int.from_bytes(data[at[row]: at[row] + rest[row]], "little")
    return out

