"""lgcc.ir.fileio: atomic outputs, and one-line errors that name the user's path."""

from __future__ import annotations

import os

import pytest

from lgcc.ir.errors import LgccError
from lgcc.ir.fileio import atomic_dir, atomic_path, atomic_write, check_output_file


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
