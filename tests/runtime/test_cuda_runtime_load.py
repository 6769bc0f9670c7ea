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
