"""Fixtures of the backend tests."""

from __future__ import annotations

import os
import shutil

import pytest

from lgcc.backends.c.toolchain import find_compiler
from lgcc.ir.errors import LgccError


def _resolved(cmd: list[str]) -> str | None:
    path = shutil.which(cmd[0])
    return os.path.realpath(path) if path else None


def _compilers() -> list[list[str]]:
    """The default C compiler ($CC, else cc) and clang, once each (cc is often gcc, and $CC may be clang)."""
    try:
        default = find_compiler(None)
    except LgccError:
        return [["clang"]]
    clang = ["clang"]
    same = len(default) == 1 and _resolved(default) == _resolved(clang)  # find_compiler found default: not None
    return [default] if same else [default, clang]


@pytest.fixture(params=_compilers(), ids=lambda cmd: " ".join(cmd))
def c_compiler(request) -> list[str]:
    """Each C compiler the generated C must build with: the default one, and clang (skipped where
    it is not installed: apt-get install clang)."""
    cmd = request.param
    if shutil.which(cmd[0]) is None:
        pytest.skip(f"C compiler '{cmd[0]}' not installed (Debian/Ubuntu: apt-get install {cmd[0]})")
    return cmd
