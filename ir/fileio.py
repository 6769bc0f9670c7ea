"""Writing files so that a failure never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import LgccError


def check_output_file(path: str | os.PathLike) -> Path:
    """``path`` as a Path; :class:`LgccError` unless a file can be written there (its folder exists).

    Called before long work (training) and by :func:`atomic_path`, so the message
    names the user's path, not the temporary file beside it.
    """
    if not str(path):  # Path("") would be the current folder
        raise LgccError("the output file name is empty")
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise LgccError(f"{path}: is a folder; give the name of the file to write")
    if not parent.is_dir():
        raise LgccError(f"{path}: the folder {parent} does not exist (create it first)")
    return path


def _umask() -> int:
    """The process's umask, read from /proc where possible (os.umask can only read it by setting it)."""
    with contextlib.suppress(OSError, ValueError, StopIteration), open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("Umask:")).split()[1], 8)
    mask = os.umask(0o022)  # briefly changed for the whole process: set straight back
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = check_output_file(path)
    parent = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:  # e.g. a read-only file system: name the user's path, not the temporary one
        raise LgccError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates the file 0600; give it the mode open() would (the existing file's, else
        # 0666 - umask), once written (a read-only mode set before would stop the writer); best
        # effort: a file system without modes keeps what it has
        with contextlib.suppress(OSError):
            os.chmod(tmp_path, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)


@contextlib.contextmanager
def atomic_dir(outdir: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh staging folder; on success move each file it holds into ``outdir``.

    Each file appears in ``outdir`` by an atomic rename, so ``outdir`` never holds
    a partly written file; on failure the staging folder is removed and
    ``outdir`` is left as it was (folders this call created are removed again).
    """
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise LgccError(f"{outdir}: exists and is not a folder; the output needs a folder (-o OUTDIR)")
    created = [p for p in (outdir, *outdir.parents) if not p.exists()]  # deepest first
    outdir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".lgcc-stage-", dir=outdir))
    done = False
    try:
        yield stage
        for item in sorted(stage.rglob("*")):
            if item.is_file():
                dest = outdir / item.relative_to(stage)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, dest)
        done = True
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        for folder in created if not done else ():
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds while empty: nothing of the user's is removed
