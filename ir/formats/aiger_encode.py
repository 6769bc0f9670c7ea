"""The variable-length delta encoding of binary AIGER's AND section, vectorized.

Each AND ``lhs rhs0 rhs1`` (with ``lhs > rhs0 >= rhs1``) is stored as the two
unsigned deltas ``lhs - rhs0`` and ``rhs0 - rhs1``, each in little-endian
groups of 7 bits with the high bit set on every byte but the last.
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
        k = np.arange(_MAX_GROUPS)
        groups |= np.where(k[None, :] < (n_groups[:, None] - 1), 0x80, 0).astype(np.uint8)
        out.append(groups[k[None, :] < n_groups[:, None]].tobytes())
    return b"".join(out)


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
    seg = buf[:end]
    shift = (np.arange(end) - np.repeat(starts, lengths)) * 7
    vals = (seg & np.uint8(0x7F)).astype(np.int64) << shift
    deltas = np.add.reduceat(vals, starts)
    return deltas.reshape(n_ands, 2), pos + end
