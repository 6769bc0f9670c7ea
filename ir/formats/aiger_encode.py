"""AIGER's number encodings, vectorized: binary deltas and ASCII lines of literals.

Binary: each AND ``lhs rhs0 rhs1`` (with ``lhs > rhs0 >= rhs1``) is stored as the
two unsigned deltas ``lhs - rhs0`` and ``rhs0 - rhs1``, each in little-endian
groups of 7 bits with the high bit set on every byte but the last.  ASCII: lines
of space-separated decimal literals (:func:`int_lines`), formatted with numpy
rather than one Python string per number (millions of ANDs).
"""

from __future__ import annotations

import numpy as np

from ..errors import FormatError

#: Largest number of 7-bit groups we write or accept (35 bits, beyond any 32-bit literal).
_MAX_GROUPS = 5
#: Values encoded per step (bounds the temporaries for 10-million-gate graphs).
_CHUNK = 1 << 20


def encode_deltas(ands: np.ndarray) -> bytes:
    """Bytes of the AND section for rows ``(lhs, rhs0, rhs1)`` of literals."""
    if ands.shape[0] == 0:
        return b""
    deltas = np.stack([ands[:, 0] - ands[:, 1], ands[:, 1] - ands[:, 2]], axis=1).reshape(-1)
    if deltas.min() < 0 or (ands[:, 0] == ands[:, 1]).any() or deltas.max() >= 1 << (7 * _MAX_GROUPS):
        raise ValueError("AND rows must satisfy lhs > rhs0 >= rhs1 and fit in 35 bits")
    out = []
    shifts = 7 * np.arange(_MAX_GROUPS, dtype=np.uint64)
    for s in range(0, deltas.size, _CHUNK):
        v = deltas[s:s + _CHUNK].astype(np.uint64)
        groups = ((v[:, None] >> shifts) & np.uint64(0x7F)).astype(np.uint8)
        n_groups = np.ones(v.size, dtype=np.int64)
        for k in range(1, _MAX_GROUPS):
            n_groups += v >= np.uint64(1 << (7 * k))
        group = np.arange(_MAX_GROUPS)
        groups |= np.where(group[None, :] < (n_groups[:, None] - 1), 0x80, 0).astype(np.uint8)
        out.append(groups[group[None, :] < n_groups[:, None]].tobytes())
    return b"".join(out)


def int_lines(rows: np.ndarray) -> bytes:
    """ASCII lines of the non-negative integers ``rows`` (n, k): ``"r0 r1 ... rk-1\\n"`` per row."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.ndim != 2:
        raise ValueError("int_lines needs a 2-D array of rows")
    if rows.size and rows.min() < 0:
        raise ValueError("int_lines formats non-negative integers only")
    out = []
    step = max(1, _CHUNK // max(1, rows.shape[1]))
    for s in range(0, rows.shape[0], step):
        v = rows[s:s + step].reshape(-1)
        digits = np.ones(v.size, dtype=np.int64)
        for k in range(1, 19):
            digits += v >= 10 ** k
        end = np.cumsum(digits + 1)  # each number is followed by a space or, last in its row, a newline
        buf = np.empty(int(end[-1]), dtype=np.uint8)
        sep = np.full(rows[s:s + step].shape, ord(" "), dtype=np.uint8)
        sep[:, -1] = ord("\n")
        buf[end - 1] = sep.reshape(-1)
        last = end - 2  # position of each number's last (units) digit
        live = np.arange(v.size)
        for k in range(int(digits.max())):  # k-th digit from the right, for the numbers that have one
            live = live[digits[live] > k]
            buf[last[live] - k] = ord("0") + (v[live] // 10 ** k) % 10
        out.append(buf.tobytes())
    return b"".join(out)


#: Lines parsed per step of :func:`parse_int_lines` (bounds its temporaries).
_LINES_CHUNK = 1 << 18
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[ord(" "), ord("\t"), ord("\r"), ord("\n")]] = True


def parse_int_lines(data: bytes, pos: int, count: int, width: int, where: str) -> tuple[np.ndarray, int]:
    """The ``count`` ASCII lines of ``width`` non-negative integers each from byte ``pos``: (values, end pos).

    Vectorized over bytes (no Python string per number); FormatError for a short file,
    a line with another number of literals, a character that is not a digit or blank,
    or a literal of more than 18 digits.
    """
    buf = np.frombuffer(data, dtype=np.uint8, offset=pos)
    values = np.empty((count, width), dtype=np.int64)
    line_start = 0
    for first in range(0, count, _LINES_CHUNK):
        n = min(_LINES_CHUNK, count - first)
        ends = _line_ends(buf, line_start, n, where)
        seg = buf[line_start: int(ends[-1]) + 1]
        values[first: first + n] = _parse_lines(seg, ends - line_start, width, where)
        line_start = int(ends[-1]) + 1
    return values, pos + line_start


def _line_ends(buf: np.ndarray, start: int, n: int, where: str) -> np.ndarray:
    """Positions of the next ``n`` newlines from ``start`` (searching a growing window)."""
    window = max(64, 16 * n)
    while True:
        ends = start + np.flatnonzero(buf[start: start + window] == ord("\n"))[:n]
        if ends.size == n:
            return ends
        if start + window >= buf.size:
            raise FormatError(f"{where}: file ends early (truncated AIGER file)")
        window *= 4


def _parse_lines(seg: np.ndarray, ends: np.ndarray, width: int, where: str) -> np.ndarray:
    """Integers of the lines in ``seg`` (each ending at an offset of ``ends``), ``width`` per line."""
    digit = (seg >= ord("0")) & (seg <= ord("9"))
    if not np.all(digit | _SPACE[seg]):
        what = "negative literal" if np.any(seg == ord("-")) else "bad literal"
        raise FormatError(f"{where}: {what} in AIGER body (expected non-negative integers)")
    after = np.zeros(seg.size + 1, dtype=bool)
    after[1:] = digit
    starts = np.flatnonzero(digit & ~after[:-1])
    stops = np.flatnonzero(digit & ~np.append(digit[1:], False)) + 1
    per_line = np.diff(np.searchsorted(starts, np.append(0, ends + 1)))
    if starts.size != ends.size * width or np.any(per_line != width):
        raise FormatError(f"{where}: expected {width} literal(s) per line in AIGER body")
    length = stops - starts
    if length.size and length.max() > 18:
        raise FormatError(f"{where}: literal of more than 18 digits in AIGER body")
    value = np.zeros(starts.size, dtype=np.int64)
    live = np.arange(starts.size)
    for k in range(int(length.max(initial=0))):  # k-th digit from the right, where there is one
        live = live[length[live] > k]
        value[live] += (seg[stops[live] - 1 - k].astype(np.int64) - ord("0")) * 10 ** k
    return value.reshape(-1, width)


def decode_deltas(data: bytes, pos: int, n_ands: int, where: str) -> tuple[np.ndarray, int]:
    """Decode ``n_ands`` pairs of deltas starting at byte ``pos``; returns ``(deltas (n, 2), end pos)``."""
    if n_ands == 0:
        return np.zeros((0, 2), dtype=np.int64), pos
    buf = np.frombuffer(data, dtype=np.uint8, offset=pos)
    count = 2 * n_ands
    # Every number ends at a byte below 0x80; the symbol table after it is ASCII, so look only
    # as far as the worst case needs.
    term = np.flatnonzero(buf[: count * _MAX_GROUPS] < 0x80)[:count]
    if term.size < count:
        raise FormatError(f"{where}: file ends inside the AND section (truncated binary AIGER file)")
    starts = np.concatenate(([0], term[:-1] + 1))
    lengths = term - starts + 1
    if lengths.max() > _MAX_GROUPS:
        raise FormatError(f"{where}: corrupt binary AIGER AND section (delta longer than {_MAX_GROUPS} bytes)")
    end = int(term[-1]) + 1
    # one step per 7-bit group over the numbers that have it (most have one or two): no
    # per-byte temporaries, which for 10 million gates were gigabytes
    deltas = (buf[starts] & np.uint8(0x7F)).astype(np.int64)
    live = np.flatnonzero(lengths > 1)
    for k in range(1, int(lengths.max())):
        live = live[lengths[live] > k]
        deltas[live] |= (buf[starts[live] + k] & np.uint8(0x7F)).astype(np.int64) << (7 * k)
    return deltas.reshape(n_ands, 2), pos + end
