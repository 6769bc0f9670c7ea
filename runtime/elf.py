"""A sanity check of a shared library's ELF layout before ``dlopen`` maps it.

``dlopen`` maps the segments an ELF header describes; a truncated library (a
copy cut short, a full disk) has segments that reach past the end of the file,
and touching those pages kills the process with SIGBUS instead of raising an
error.  Checking that every table and segment lies inside the file turns that
crash into a one-line message.  A library built for another processor is refused
here too: dlopen's own message for one is a misleading "No such file or directory".
Only the headers are read, never the whole file.
"""

from __future__ import annotations

import os
import struct
import sys
from functools import lru_cache
from typing import TypedDict


class _Layout(TypedDict):
    """Where one ELF class keeps the fields read here (see :data:`_LAYOUT`)."""

    word: str
    phoff: int
    shoff: int
    sizes: int
    p_offset: int
    p_filesz: int


#: Per ELF class (1: 32-bit, 2: 64-bit): the word format, the offsets of e_phoff, e_shoff and
#: e_phentsize (followed by e_phnum, e_shentsize, e_shnum) in the file header, and of p_offset
#: and p_filesz in a program header.
_LAYOUT: dict[int, _Layout] = {
    1: {"word": "I", "phoff": 0x1C, "shoff": 0x20, "sizes": 0x2A, "p_offset": 4, "p_filesz": 16},
    2: {"word": "Q", "phoff": 0x20, "shoff": 0x28, "sizes": 0x36, "p_offset": 8, "p_filesz": 32},
}


#: ``e_machine`` of the usual hosts, to name them in messages.
_MACHINES = {3: "x86", 62: "x86-64", 40: "ARM", 183: "AArch64", 243: "RISC-V", 21: "PowerPC64"}


def _machine(head: bytes) -> int:
    return struct.unpack_from("<H" if head[5] == 1 else ">H", head, 0x12)[0]


@lru_cache(maxsize=1)
def _host_machine() -> int | None:
    """The running interpreter's ``e_machine`` (the only kind dlopen takes), or None if unknown."""
    try:
        with open(sys.executable, "rb") as f:
            head = f.read(0x40)
    except OSError:
        return None
    return _machine(head) if head[:4] == b"\x7fELF" and len(head) == 0x40 and head[5] in (1, 2) else None


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
        host = _host_machine()
        if host is not None and _machine(head) != host:  # dlopen would say "No such file or directory"
            theirs, ours = (_MACHINES.get(m, f"machine {m}") for m in (_machine(head), host))
            return f"built for {theirs}, not for this {ours} machine"
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
