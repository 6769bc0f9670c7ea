"""A name no earlier ``dlopen`` of this process used, for loading a compiled model's library.

glibc's ``dlopen`` hands back the library it already holds under the same file name without
looking at the file again, even when the file has since been replaced.  A model compiled again
into the same folder and loaded in the same process (a notebook, a train-and-compile loop) would
then silently run the old library for as long as the old one stays loaded.  Loading through a
symlink whose name is used once makes glibc open the file: it still shares one mapping when the
file is the same (same device and inode) and maps the new library when the folder holds a new one.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Numbers the symlinks, so that no name repeats within the process (its folders are random too).
_COUNTER = itertools.count()


@contextlib.contextmanager
def fresh_name(lib: str | os.PathLike) -> Iterator[str]:
    """Yield a path to ``lib`` for ``dlopen`` under a name not used before in this process.

    The symlink lives in a temporary folder removed on exit (the loaded library keeps its mapping).
    Where no temporary folder can be made, ``lib``'s resolved path is yielded instead: a library
    replaced since an earlier load of that path may then be the old one.
    """
    target = str(Path(lib).resolve())
    folder = None
    try:
        folder = tempfile.mkdtemp(prefix="lgcc-dlopen-")
        link = os.path.join(folder, f"{next(_COUNTER)}-{os.path.basename(target)}")
        os.symlink(target, link)
    except OSError:
        if folder is not None:
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        yield target
        return
    try:
        yield link
    finally:
        with contextlib.suppress(OSError):
            os.unlink(link)
        with contextlib.suppress(OSError):
            os.rmdir(folder)
