"""``lgcc.runtime.load_cuda`` fails with one clear line when it cannot work (no GPU needed)."""

from __future__ import annotations

import json

import pytest

from lgcc.ir.errors import LgccError
from lgcc.runtime import load_cuda


def test_missing_folder(tmp_path):
    with pytest.raises(LgccError, match="model.json not found"):
        load_cuda(tmp_path / "nothing")


def test_foreign_model_json(tmp_path):
    (tmp_path / "model.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(LgccError, match="not an lgcc CUDA model"):
        load_cuda(tmp_path)
    (tmp_path / "model.json").write_text("{not json")
    with pytest.raises(LgccError, match="unreadable"):
        load_cuda(tmp_path)


def test_sources_without_library(tmp_path):
    (tmp_path / "model.json").write_text(json.dumps({"format": "lgcc-cuda", "version": 1}))
    with pytest.raises(LgccError, match="--build"):
        load_cuda(tmp_path)


def test_newer_version(tmp_path):
    (tmp_path / "model.json").write_text(json.dumps({"format": "lgcc-cuda", "version": 99}))
    with pytest.raises(LgccError, match="recompile"):
        load_cuda(tmp_path)


def test_model_json_that_is_not_an_object(tmp_path):
    (tmp_path / "model.json").write_text("[1, 2]")  # was an AttributeError
    with pytest.raises(LgccError, match="not an lgcc CUDA model"):
        load_cuda(tmp_path)


def test_truncated_library_is_an_error_not_a_crash(tmp_path):
    """With a GPU, ctypes would map a library cut short and die of SIGBUS; run where a crash is seen."""
    import subprocess
    import sys

    meta = {"format": "lgcc-cuda", "version": 1, "prefix": "m", "n_inputs": 2, "n_outputs": 2}
    (tmp_path / "model.json").write_text(json.dumps(meta))
    with open(sys.executable, "rb") as f:  # any ELF file, cut short
        (tmp_path / "libmodel_cuda.so").write_bytes(f.read(4096))
    code = ("import torch, lgcc.runtime as rt\nfrom lgcc.ir.errors import LgccError\n"
            "torch.cuda.is_available = lambda: True\n"
            "try:\n    rt.load_cuda(%r)\nexcept LgccError as e:\n    print(e)" % str(tmp_path))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-300:]
    assert "libmodel_cuda.so: truncated" in res.stdout and "rebuild" in res.stdout
