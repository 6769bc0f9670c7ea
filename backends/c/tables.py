"""Emitting numeric tables as C initializers that compile fast at any size.

Small tables are written as readable decimal lists.  Large ones become one string
literal of their little-endian bytes inside a union with the typed array: C
compilers parse a 100 MB string literal in seconds, while a few million separate
integer initializers take minutes and gigabytes (measured: 15 M integers, gcc -O1,
50 s and 2.4 GB; the same bytes as a string literal, 5 s and 0.8 GB).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Tables with more entries than this are emitted as packed byte strings.
PACK_THRESHOLD = 100_000
#: Input bytes per line of a packed string literal.
_BYTES_PER_LINE = 2048

_C_TYPES = {np.dtype(np.uint16): "uint16_t", np.dtype(np.uint32): "uint32_t",
            np.dtype(np.int32): "int32_t", np.dtype(np.uint8): "uint8_t"}


def _escape_table() -> tuple[np.ndarray, np.ndarray]:
    """Per byte value: its spelling inside a C string literal (padded to 4) and which of the 4 are used.

    Printable characters stand for themselves; everything else (and the characters
    that are special in literals or trigraphs) is a 3-digit octal escape, which never
    swallows a following digit.
    """
    spell = np.zeros((256, 4), dtype=np.uint8)
    used = np.zeros((256, 4), dtype=bool)
    for v in range(256):
        ch = chr(v)
        text = ch if (32 <= v < 127 and ch not in '"\\?') else "\\%03o" % v
        spell[v, :len(text)] = np.frombuffer(text.encode(), dtype=np.uint8)
        used[v, :len(text)] = True
    return spell, used


_SPELL, _USED = _escape_table()
_SEP = np.frombuffer(b'"\n"', dtype=np.uint8)  # ends one literal line and opens the next
_LINES_PER_BATCH = 512  # bounds the temporaries to a few MB however large the table


def _spell_lines(raw: np.ndarray) -> bytes:
    """Spell whole lines of ``raw`` (a multiple of the line length), each followed by a separator."""
    n_lines = raw.size // _BYTES_PER_LINE
    shape = (n_lines, _BYTES_PER_LINE * 4)
    spelled = _SPELL.view(np.uint32)[:, 0][raw].view(np.uint8).reshape(shape)  # 4 bytes per entry at once
    used = _USED.view(np.uint32)[:, 0][raw].view(bool).reshape(shape)
    chars = np.concatenate((spelled, np.broadcast_to(_SEP, (n_lines, _SEP.size))), axis=1)
    keep = np.concatenate((used, np.ones((n_lines, _SEP.size), dtype=bool)), axis=1)
    return chars[keep].tobytes()


def string_literal(data: bytes) -> str:
    """``data`` as a sequence of C string literals, one per line (vectorized, batch by batch)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    whole = raw.size - raw.size % _BYTES_PER_LINE
    batch = _BYTES_PER_LINE * _LINES_PER_BATCH
    parts = [_spell_lines(raw[i:min(whole, i + batch)]) for i in range(0, whole, batch)]
    rest = raw[whole:]
    parts.append(_SPELL[rest][_USED[rest]].tobytes())
    text = b"".join(parts).decode("ascii")
    if not rest.size and text:
        text = text[:-_SEP.size]  # no empty literal after the last full line
    return '"' + text + '"'


def decimal_list(values: np.ndarray, per_line: int = 16) -> str:
    """Comma-separated decimal values, ``per_line`` to a line."""
    items = [str(v) for v in values.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return ",\n    ".join(lines)


def c_array(name: str, values: np.ndarray, dtype: npt.DTypeLike) -> str:
    """A ``static const`` table ``name`` (usable as ``name.w[i]``) holding ``values``.

    The union form lets the packed-string spelling and the decimal spelling share
    one access syntax; the table is aligned for the vector loads of the engine.
    """
    arr = np.ascontiguousarray(np.asarray(values).reshape(-1).astype(dtype))
    ctype = _C_TYPES[arr.dtype]
    n = max(1, arr.size)
    head = (f"static const union {{ unsigned char b[{n * arr.itemsize}]; {ctype} w[{n}]; }} "
            f"{name} __attribute__((aligned(64)))")
    if arr.size > PACK_THRESHOLD:
        return f"{head} = {{ {string_literal(arr.astype(arr.dtype.newbyteorder('<')).tobytes())} }};"
    body = decimal_list(arr) if arr.size else "0"
    return f"{head} = {{ .w = {{\n    {body}\n}} }};"


def index_dtype(n_values: int) -> type[np.uint16] | type[np.uint32]:
    """The narrowest unsigned type that holds the values ``0 .. n_values - 1``."""
    return np.uint16 if n_values <= 1 << 16 else np.uint32
