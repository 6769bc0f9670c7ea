"""Graph file formats: ``.lgir`` (own, lossless), BLIF and AIGER (``.aag``/``.aig``).

Each module has ``read(path) -> Graph`` and ``write(graph, path)``; writers are
atomic and readers raise :class:`~lgcc.ir.errors.FormatError` with one line.
``lgcc.loading`` picks the module by file extension.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from ..errors import FormatError

#: What :mod:`zipfile` raises for a damaged or foreign archive: BadZipFile, and for members it
#: cannot read (a newer zip version, a compression method, encryption) NotImplementedError or
#: RuntimeError; EOFError for a cut-off member, ValueError (UnicodeDecodeError) for a damaged name.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError, ValueError)


def require_file(path: str | os.PathLike) -> Path:
    """``path`` as a Path; FormatError (one line) if it is missing or not a regular file."""
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such file")
    if path.is_dir():
        raise FormatError(f"{path}: is a folder; give the path of a graph file or checkpoint")
    if not path.is_file():
        raise FormatError(f"{path}: not a regular file")
    return path


def shown(text: str, limit: int = 40) -> str:
    """``text`` quoted for a one-line error message: cut to ``limit`` characters, line breaks and
    other control characters escaped (a CR or U+2028 would otherwise cut the message short)."""
    return repr(text[:limit]) + ("..." if len(text) > limit else "")
