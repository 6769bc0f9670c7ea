"""Writing files so that a failure never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Iterator
from glob import escape as glob_escape
from pathlib import Path

from .errors import LgccError

#: Leftovers of a killed process (SIGKILL, out of memory, power loss) untouched this long are removed.
LEFTOVER_AGE_S = 3600.0
_STAGE = ".lgcc-stage-"


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())[:40] or "host"


def _owner_tag() -> str:
    """``host-pid-`` of this process, put in the names of its temporary files and folders.

    A later lgcc run on the same host removes a leftover whose process is gone (see
    :func:`_remove_leftovers`); the host keeps it from judging another machine's
    processes on a shared file system.
    """
    return f"{_host()}-{os.getpid()}-"


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):  # alive but another user's, or not a pid
        return False
    return False


def _newest_mtime(place: Path) -> float:
    """Latest modification time of ``place`` and, for a folder, of anything inside it."""
    times = [place.lstat().st_mtime]
    if place.is_dir() and not place.is_symlink():
        times += [item.lstat().st_mtime for item in place.rglob("*")]
    return max(times)


def _remove_leftovers(folder: Path, prefix: str, suffix: str = "") -> None:
    """Remove what a killed lgcc process left in ``folder``: ``prefix + owner tag + ... + suffix``.

    Only entries tagged with this host (:func:`_owner_tag`) whose process no longer
    exists and that nobody touched for :data:`LEFTOVER_AGE_S` go: a process with the same
    pid in another container sharing the folder would still be writing to them.  Best effort.
    """
    owner = re.compile(re.escape(prefix + _host()) + r"-(\d+)-.*" + re.escape(suffix), re.DOTALL)
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in folder.glob(glob_escape(prefix) + "*" + glob_escape(suffix)):
            match = owner.fullmatch(entry.name)
            if match is None or not _process_gone(int(match.group(1))):
                continue
            with contextlib.suppress(OSError):
                if now - _newest_mtime(entry) < LEFTOVER_AGE_S:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink()


def check_output_file(path: str | os.PathLike) -> Path:
    """``path`` as a Path; :class:`LgccError` unless a file can be written there (its folder exists).

    Called before long work (training) and by :func:`atomic_path`, so the message
    names the user's path, not the temporary file beside it.
    """
    if not str(path):  # Path("") would be the current folder
        raise LgccError("the output file name is empty")
    path = Path(path)
    if _is_stream(path):
        if not os.access(path, os.W_OK):
            raise LgccError(f"{path}: cannot write here (permission denied)")
        return path
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise LgccError(f"{path}: is a folder; give the name of the file to write")
    if parent.exists() and not parent.is_dir():
        raise LgccError(f"{path}: {parent} is a file, not a folder")
    if not parent.is_dir():
        raise LgccError(f"{path}: the folder {parent} does not exist (create it first)")
    if not os.access(parent, os.W_OK | os.X_OK):  # also a read-only file system; found before long work
        raise LgccError(f"{path}: cannot write here (the folder {parent} is not writable)")
    return path


def _umask() -> int:
    """The process's umask, read from /proc where possible (os.umask can only read it by setting it)."""
    with contextlib.suppress(OSError, ValueError, StopIteration), open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("Umask:")).split()[1], 8)
    mask = os.umask(0o022)  # briefly changed for the whole process: set straight back
    os.umask(mask)
    return mask


def _is_stream(path: Path) -> bool:
    """Whether ``path`` (links followed) is a device, pipe or socket: /dev/null, /dev/stdout, a fifo."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    A symbolic link stays a link: the file it points to is the one replaced.  A
    device or pipe (``-o /dev/null``, ``/dev/stdout``, a fifo) cannot be replaced,
    only written to, so the block gets ``path`` itself (renaming a file over it
    would have put a regular file in place of the device).
    """
    path = check_output_file(path)
    if _is_stream(path):
        yield path
        return
    if path.is_symlink():
        path = check_output_file(os.path.realpath(path))
    parent = path.parent
    _remove_leftovers(parent, f".{path.name}.", ".tmp")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_owner_tag()}", suffix=".tmp", dir=parent)
    except OSError as exc:  # e.g. a read-only file system: name the user's path, not the temporary one
        raise LgccError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
        except (OSError, RuntimeError) as exc:  # RuntimeError: torch.save's, around the OSError
            full = _out_of_space(exc)
            if full is None:
                raise
            advice = "raise the file size limit (ulimit -f)" if full == errno.EFBIG else "free some space"
            raise LgccError(f"{path}: could not be written ({os.strerror(full)}); {advice} and run again") from None
        # mkstemp creates the file 0600; give it the mode open() would (the existing file's, else
        # 0666 - umask), once written (a read-only mode set before would stop the writer); best
        # effort: a file system without modes keeps what it has
        with contextlib.suppress(OSError):
            os.chmod(tmp_path, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


#: errno values that say the disk (or the user's quota, or the file size limit) is full.
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _out_of_space(exc: BaseException) -> int | None:
    """The errno when ``exc`` or an exception it was raised from is a full disk, quota or size limit, else None."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in _FULL:
            return e.errno
        e = e.__cause__ or e.__context__
    return None


def atomic_write(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)


def _check_output_dir(outdir: Path) -> None:
    """:class:`LgccError` when ``outdir`` or a folder above it is a file (so it cannot be a folder)."""
    for place in (outdir, *outdir.parents):
        if place.exists() and not place.is_dir():
            where = "exists and" if place == outdir else f"is inside {place}, which"
            raise LgccError(f"{outdir}: {where} is not a folder; the output needs a folder (-o OUTDIR)")
        if place.exists():
            return


def _check_nothing_in_the_way(stage: Path, outdir: Path) -> list[tuple[Path, Path]]:
    """(staged file, destination) pairs; LgccError, before anything moves, when a folder is in the way."""
    moves = [(item, outdir / item.relative_to(stage)) for item in sorted(stage.rglob("*")) if item.is_file()]
    for _, dest in moves:
        if dest.is_dir():
            raise LgccError(f"{dest}: is a folder where the output writes a file; remove it or choose "
                            "another -o OUTDIR (nothing was written)")
        for place in dest.parents:
            if place == outdir:
                break
            if place.exists() and not place.is_dir():
                raise LgccError(f"{place}: is a file where the output needs a folder; remove it or choose "
                                "another -o OUTDIR (nothing was written)")
    return moves


#: The file of an output folder whose ``"files"`` list names what the lgcc run that wrote the folder wrote there.
MANIFEST = "model.json"


def listed_files(stage: Path) -> list[str]:
    """Sorted names (relative, '/'-separated) of the files under ``stage``, the manifest included: what
    a target puts in its manifest's ``"files"`` when it writes the manifest last."""
    names = {p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file()}
    return sorted(names | {MANIFEST})


def _read_manifest(outdir: Path) -> dict | None:
    """The manifest of an earlier lgcc output in ``outdir`` when it is one with a ``"files"`` list, else None."""
    try:
        doc = json.loads((outdir / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("files"), list) else None


def manifest_files(outdir: Path) -> list[str]:
    """The names an earlier lgcc output in ``outdir`` listed in its manifest (none when there is no
    readable manifest, or it is not lgcc's)."""
    doc = _read_manifest(outdir)
    return [n for n in doc["files"] if isinstance(n, str)] if doc else []


def record_files(outdir: str | os.PathLike, names: list[str]) -> None:
    """Add ``names`` (files a later step wrote into ``outdir``, e.g. synthesis logs) to its manifest,
    so the next write of the folder removes them if it does not write them again."""
    outdir = Path(outdir)
    doc = _read_manifest(outdir)
    if doc is not None:
        doc["files"] = sorted(set(manifest_files(outdir)) | set(names))
        atomic_write(outdir / MANIFEST, json.dumps(doc, indent=1) + "\n")


def _remove_stale(outdir: Path, old: list[str], new: set[str]) -> None:
    """Remove the files an earlier output listed (``old``) that this one did not write: a folder holds
    one output, not a mix of two.  Only plain files strictly inside ``outdir`` go; anything of the
    user's that no manifest lists stays."""
    root = outdir.resolve()
    for name in sorted(set(old) - new):
        path = outdir / name  # an absolute name or one with '..' resolves outside root: skipped below
        if path.is_symlink() or not path.is_file() or root not in path.resolve().parents:
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            _remove_empty([p for p in path.parents if root in p.resolve().parents])


@contextlib.contextmanager
def atomic_dir(outdir: str | os.PathLike, replace_listed: bool = False) -> Iterator[Path]:
    """Yield a fresh staging folder; on success move each file it holds into ``outdir``.

    Each file appears in ``outdir`` by an atomic rename, so ``outdir`` never holds
    a partly written file; a folder in the way of a file is found before the first
    rename, so either every file moves or none does.  On failure the staging
    folder is removed and ``outdir`` is left as it was (folders this call created
    are removed again).  With ``replace_listed``, files that the earlier output's
    manifest (:data:`MANIFEST`) lists and this one does not write are removed after
    the move (see :func:`listed_files`).
    """
    outdir = Path(outdir)
    _check_output_dir(outdir)
    created = [p for p in (outdir, *outdir.parents) if not p.exists()]  # deepest first
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(outdir, _STAGE)
        stage = Path(tempfile.mkdtemp(prefix=_STAGE + _owner_tag(), dir=outdir))
    except OSError as exc:  # name the user's folder, not the staging one
        _remove_empty(created)
        raise LgccError(f"{outdir}: cannot write here ({exc.strerror or exc})") from None
    done = False
    try:
        yield stage
        moves = _check_nothing_in_the_way(stage, outdir)
        old = manifest_files(outdir) if replace_listed else []
        for item, dest in moves:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(item, dest)
        done = True
        _remove_stale(outdir, old, {dest.relative_to(outdir).as_posix() for _, dest in moves})
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not done:
            _remove_empty(created)


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders (deepest first) that are still empty: nothing of the user's is removed."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()
