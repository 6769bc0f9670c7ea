"""A sanity check of a shared library's ELF layout before ``dlopen`` maps it.

``dlopen`` maps the segments an ELF header describes; a truncated library (a
copy cut short, a full disk) has segments that reach past the end of the file,
and touching those pages kills the process with SIGBUS instead of raising an
error.  Checking that every table and segment lies inside the file turns that
crash into a one-line message.  Only the headers are read, never the whole file.
"""

from __future__ import annotations

import os
import struct

#: Per ELF class (1: 32-bit, 2: 64-bit): the word format, the offsets of e_phoff, e_shoff and
#: e_phentsize (followed by e_phnum, e_shentsize, e_shnum) in the file header, and of p_offset
#: and p_filesz in a program header.
_LAYOUT = {
    1: {"word": "I", "phoff": 0x1C, "shoff": 0x20, "sizes": 0x2A, "p_offset": 4, "p_filesz": 16},
    2: {"word": "Q", "phoff": 0x20, "shoff": 0x28, "sizes": 0x36, "p_offset": 8, "p_filesz": 32},
}


def elf_problem(path: str | os.PathLike, rebuild: str) -> str | None:
    """Why ``path`` cannot be a whole ELF shared library, and what to do; None if its layout fits.

    ``rebuild`` is the command that makes the library again (the advice for a damaged one).
    """
    try:
        problem = _layout_problem(path)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc}); check its permissions"
    return f"{problem}; rebuild it ({rebuild})" if problem else None


def _layout_problem(path: str | os.PathLike) -> str | None:
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(0x40)
        if head[:4] != b"\x7fELF" or len(head) < 0x40 or head[4] not in _LAYOUT or head[5] not in (1, 2):
            return "not an ELF shared library"
        lay, end = _LAYOUT[head[4]], "<" if head[5] == 1 else ">"
        (phoff,) = struct.unpack_from(end + lay["word"], head, lay["phoff"])
        (shoff,) = struct.unpack_from(end + lay["word"], head, lay["shoff"])
        phentsize, phnum, shentsize, shnum = struct.unpack_from(end + "4H", head, lay["sizes"])
        if phoff + phnum * phentsize > size or (shoff and shoff + shnum * shentsize > size):
            return f"truncated ({size} bytes: its header tables reach past the end)"
        f.seek(phoff)
        table = f.read(phnum * phentsize)
    for i in range(phnum):
        (offset,) = struct.unpack_from(end + lay["word"], table, i * phentsize + lay["p_offset"])
        (filesz,) = struct.unpack_from(end + lay["word"], table, i * phentsize + lay["p_filesz"])
        if offset + filesz > size:
            return f"truncated ({size} bytes: a segment reaches to byte {offset + filesz})"
    return None
