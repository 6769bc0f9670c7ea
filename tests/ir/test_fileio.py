"""lgcc.ir.fileio: atomic outputs, and one-line errors that name the user's path."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from lgcc.ir.errors import LgccError
from lgcc.ir.fileio import LEFTOVER_AGE_S, atomic_dir, atomic_path, atomic_write, check_output_file


def test_atomic_write_and_failed_block_leaves_nothing(tmp_path):
    atomic_write(tmp_path / "a.txt", "one")
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"] and (tmp_path / "a.txt").read_text() == "one"


def test_output_file_errors_name_the_path(tmp_path):
    with pytest.raises(LgccError, match=r"x.lgir: the folder .*missing does not exist"):
        atomic_write(tmp_path / "missing" / "x.lgir", "data")
    with pytest.raises(LgccError, match="is a folder"):
        atomic_write(tmp_path, "data")
    with pytest.raises(LgccError, match="empty"):
        check_output_file("")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(LgccError, match=r"x.pt: .*afile is a file, not a folder"):
        check_output_file(tmp_path / "afile" / "x.pt")
    (tmp_path / "afile").unlink()
    assert check_output_file(tmp_path / "new.pt") == tmp_path / "new.pt"
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_success_failure_and_file_in_the_way(tmp_path):
    with atomic_dir(tmp_path / "out") as stage:
        (stage / "f.txt").write_text("ok")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["f.txt"]
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "new" / "deeper") as stage:
        (stage / "f.txt").write_text("half")
        raise RuntimeError("boom")
    assert not (tmp_path / "new").exists()  # the folders it created are removed again
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "out") as stage:
        raise RuntimeError("boom")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["f.txt"]  # an existing folder stays as it was
    (tmp_path / "file").write_text("x")
    with pytest.raises(LgccError, match="not a folder"):
        with atomic_dir(tmp_path / "file"):
            pass


def test_unwritable_folder_is_found_before_the_work(tmp_path, monkeypatch):
    """check_output_file (called before training) refuses a folder it cannot write to."""
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(LgccError, match=r"m.pt: cannot write here \(the folder .* is not writable\)"):
        check_output_file(tmp_path / "m.pt")


def test_unwritable_place_names_the_users_path(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(LgccError, match=r"m.lgir: cannot write here \(Read-only file system\)"):
        atomic_write(tmp_path / "m.lgir", "data")


def test_atomic_write_gives_the_mode_open_would(tmp_path):
    """A new file gets 0666 minus the umask (not mkstemp's 0600); a replaced file keeps its mode."""
    mask = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.lgir", "data")
        assert (tmp_path / "new.lgir").stat().st_mode & 0o777 == 0o640
        (tmp_path / "new.lgir").chmod(0o444)
        atomic_write(tmp_path / "new.lgir", "again")
        assert (tmp_path / "new.lgir").stat().st_mode & 0o777 == 0o444
        with atomic_path(tmp_path / "other.bin") as tmp:  # a writer that puts its own file in place
            (tmp_path / "made").write_bytes(b"x")
            (tmp_path / "made").chmod(0o600)
            os.replace(tmp_path / "made", tmp)
        assert (tmp_path / "other.bin").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(mask)


def test_atomic_dir_moves_nothing_when_a_folder_is_in_the_way(tmp_path):
    """A folder where a file goes is found before the first rename: no partial output."""
    out = tmp_path / "out"
    (out / "b.txt").mkdir(parents=True)
    with pytest.raises(LgccError, match=r"b.txt: is a folder where the output writes a file"):
        with atomic_dir(out) as stage:
            (stage / "a.txt").write_text("new")  # sorted before b.txt: would have moved first
            (stage / "b.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]


def test_atomic_dir_errors_name_the_users_folder(tmp_path, monkeypatch):
    import tempfile

    (tmp_path / "afile").write_text("x")
    with pytest.raises(LgccError, match=r"sub: is inside .*afile, which is not a folder"):
        with atomic_dir(tmp_path / "afile" / "sub"):
            pass

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with pytest.raises(LgccError, match=r"new: cannot write here \(Permission denied\)"):
        with atomic_dir(tmp_path / "new"):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # the folder it made is gone again


def test_links_and_pipes_are_written_through(tmp_path):
    """-o LINK replaces the file it points to (the link stays); -o FIFO or /dev/null is written to,
    never replaced by a regular file (as root, renaming over /dev/null would have replaced the device)."""
    import threading

    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "link").symlink_to("real.txt")
    atomic_write(tmp_path / "link", "new")
    assert (tmp_path / "link").is_symlink() and (tmp_path / "real.txt").read_text() == "new"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    atomic_write(fifo, "streamed")
    reader.join(timeout=30)
    assert got == ["streamed"] and fifo.is_fifo()  # (a fifo, not /dev/null: a regression must not break /dev)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "link", "real.txt"]


_KILLED_WRITER = """
import sys, time
from pathlib import Path
from lgcc.ir.fileio import atomic_dir, atomic_path
out = Path(sys.argv[1])
with atomic_dir(out / "lib") as stage, atomic_path(out / "model.lgir") as tmp:
    (stage / "model.c").write_text("half")
    tmp.write_text("half")
    print("ready", flush=True)
    time.sleep(60)
"""


def _age(place, seconds):
    """Set the modification time of ``place`` and everything in it ``seconds`` into the past."""
    then = time.time() - seconds
    for item in [place, *place.rglob("*")] if place.is_dir() else [place]:
        os.utime(item, (then, then))


def test_leftovers_of_a_killed_writer_are_removed_by_the_next_write(tmp_path):
    """SIGKILL skips every cleanup; the next write to the same place removes what was left, once stale."""
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    stage = [p for p in (tmp_path / "lib").iterdir() if p.name.startswith(".lgcc-stage-")]
    tmp = [p for p in tmp_path.iterdir() if p.name.startswith(".model.lgir.")]
    assert len(stage) == 1 and len(tmp) == 1
    # fresh leftovers stay (the owner may be a process of another container on a shared disk)
    atomic_write(tmp_path / "model.lgir", "one")
    with atomic_dir(tmp_path / "lib") as s:
        (s / "model.c").write_text("one")
    assert stage[0].exists() and tmp[0].exists()
    # ... and go once nobody touched them for an hour; other entries are left alone
    others = [tmp_path / "lib" / ".lgcc-stage-otherhost-1-x", tmp_path / ".model.lgir.otherhost-1-x.tmp",
              tmp_path / ".model.lgir.keep.tmp"]
    others[0].mkdir()
    for p in others[1:]:
        p.write_text("")
    for p in (*stage, *tmp, *others):
        _age(p, 2 * LEFTOVER_AGE_S)
    atomic_write(tmp_path / "model.lgir", "two")
    with atomic_dir(tmp_path / "lib") as s:
        (s / "model.c").write_text("two")
    assert not stage[0].exists() and not tmp[0].exists()
    assert all(p.exists() for p in others)
    assert (tmp_path / "model.lgir").read_text() == "two" and (tmp_path / "lib" / "model.c").read_text() == "two"


def test_leftovers_of_a_live_process_are_kept(tmp_path):
    """Even when old: the process (this one) may still be writing."""
    with atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("x")
        _age(tmp, 2 * LEFTOVER_AGE_S)
        atomic_write(tmp_path / "a.txt", "other")
        assert tmp.exists()
    assert (tmp_path / "a.txt").read_text() == "x"


def _output(stage, names, listed=None):
    """Stage files ``names`` and a model.json listing ``listed`` (default: what was staged)."""
    import json

    for name in names:
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        (stage / name).write_text(name)
    (stage / "model.json").write_text(json.dumps({"files": sorted(listed if listed is not None
                                                                  else [*names, "model.json"])}))


def test_a_new_output_replaces_the_files_the_old_one_listed(tmp_path):
    """With replace_listed, what the earlier output's model.json listed and this one does not write goes;
    files nobody listed (the user's) stay, and so do names that point outside the folder."""
    out = tmp_path / "out"
    (tmp_path / "outside.txt").write_text("keep")
    with atomic_dir(out, replace_listed=True) as stage:
        _output(stage, ["model.v", "sub/tb.v", "both.txt"])
    (out / "notes.txt").write_text("mine")
    with atomic_dir(out, replace_listed=True) as stage:
        _output(stage, ["model.c", "both.txt"])
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["both.txt", "model.c", "model.json",
                                                                              "notes.txt"]
    with atomic_dir(out, replace_listed=True) as stage:  # a hostile or damaged list removes nothing outside
        _output(stage, ["x.txt"], listed=["../outside.txt", str(tmp_path / "outside.txt"), "notes.txt"])
    with atomic_dir(out, replace_listed=True) as stage:
        _output(stage, ["y.txt"])
    assert (tmp_path / "outside.txt").read_text() == "keep" and not (out / "notes.txt").exists()  # it was listed
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "x.txt", "y.txt"]  # x.txt was not


def test_without_replace_listed_and_after_a_failure_old_files_stay(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out, replace_listed=True) as stage:
        _output(stage, ["a.txt"])
    with atomic_dir(out) as stage:
        _output(stage, ["b.txt"])
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt", "model.json"]
    with pytest.raises(RuntimeError), atomic_dir(out, replace_listed=True) as stage:
        _output(stage, ["c.txt"])
        raise RuntimeError("build failed")
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt", "model.json"]


def test_record_files_adds_to_the_list(tmp_path):
    from lgcc.ir.fileio import manifest_files, record_files

    with atomic_dir(tmp_path, replace_listed=True) as stage:
        _output(stage, ["a.txt"])
    (tmp_path / "synth.log").write_text("log")
    record_files(tmp_path, ["synth.log"])
    assert manifest_files(tmp_path) == ["a.txt", "model.json", "synth.log"]
    with atomic_dir(tmp_path, replace_listed=True) as stage:
        _output(stage, ["a.txt"])
    assert not (tmp_path / "synth.log").exists()
