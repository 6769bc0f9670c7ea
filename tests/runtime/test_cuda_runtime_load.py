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


def test_a_file_of_the_folder_names_the_folder(tmp_path):
    """load_cuda('out/libmodel_cuda.so') looked for 'out/libmodel_cuda.so/model.json' ('Not a directory')."""
    (tmp_path / "model.json").write_text(json.dumps({"format": "lgcc-cuda", "version": 99}))
    (tmp_path / "libmodel_cuda.so").touch()
    for name in ("model.json", "libmodel_cuda.so"):
        with pytest.raises(LgccError, match="version 99"):  # the folder's model.json was read
            load_cuda(tmp_path / name)


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


@pytest.mark.parametrize("prefix", [None, 5, "a-b", ""])
def test_missing_or_bad_prefix_is_damage_not_a_traceback(tmp_path, monkeypatch, prefix):
    """A model.json without a usable ``prefix`` was a KeyError (or a lookup of '5_create') on a GPU machine."""
    torch = pytest.importorskip("torch")
    meta = {"format": "lgcc-cuda", "version": 1, "n_inputs": 2, "n_outputs": 2}
    if prefix is not None:
        meta["prefix"] = prefix
    (tmp_path / "model.json").write_text(json.dumps(meta))
    (tmp_path / "libmodel_cuda.so").write_bytes(b"")  # never opened: the metadata is refused first
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    with pytest.raises(LgccError, match="model.json is damaged .*prefix"):
        load_cuda(tmp_path)


@pytest.mark.parametrize("labels", [[0], "abc"])
def test_class_labels_that_do_not_fit_the_head_are_refused(tmp_path, monkeypatch, labels):
    """class_labels of the wrong length or type were accepted, handing out wrong labels."""
    torch = pytest.importorskip("torch")
    meta = {"format": "lgcc-cuda", "version": 1, "prefix": "m", "n_inputs": 2, "n_outputs": 6,
            "head": {"k": 3, "tau": 1.0}, "class_labels": labels}
    (tmp_path / "model.json").write_text(json.dumps(meta))
    (tmp_path / "libmodel_cuda.so").write_bytes(b"")  # never opened: the metadata is refused first
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    with pytest.raises(LgccError, match=r"class_labels .* \(model.json was modified\); rebuild with lgcc compile "
                                        r"--target cuda --build$"):
        load_cuda(tmp_path)


def test_rows_for_packing_takes_any_float_and_refuses_pixels_as_bits():
    """float64 features were refused ('unsupported input dtype'), and uint8 pixels 0..255 of a model with
    one threshold per feature were packed as bits (x != 0) without a word; checked on CPU tensors."""
    torch = pytest.importorskip("torch")
    from lgcc.runtime.cuda import rows_for_packing

    kind, x = rows_for_packing(torch.tensor([[0.5, -1.0, 2.0]], dtype=torch.float64), 3, 3)
    assert kind == "features" and x.dtype == torch.float32 and x.tolist() == [[0.5, -1.0, 2.0]]
    assert rows_for_packing(torch.ones((2, 3), dtype=torch.bfloat16), 6, 3)[0] == "features"
    with pytest.raises(LgccError, match="input bits must be 0 or 1; raw features must be floats"):
        rows_for_packing(torch.tensor([[0, 255, 3]], dtype=torch.uint8), 3, 3)
    kind, x = rows_for_packing(torch.tensor([[0, 1, 1]], dtype=torch.uint8), 3, 3)
    assert kind == "bits" and x.dtype == torch.uint8
    assert rows_for_packing(torch.tensor([[0, 7]], dtype=torch.uint8), 2, 0)[0] == "bits"  # no encoding: x != 0
    with pytest.raises(LgccError, match="no input encoding"):
        rows_for_packing(torch.zeros((1, 2)), 2, 0)
    with pytest.raises(LgccError, match="unsupported input dtype torch.int32"):
        rows_for_packing(torch.zeros((1, 2), dtype=torch.int32), 2, 0)


def test_each_loader_names_the_other_for_the_other_targets_folder(tmp_path):
    """load_cuda on a C folder said 'recompile it with this lgcc'; load on a CUDA folder 'no such library'."""
    from lgcc.runtime import load

    c_dir, cuda_dir = tmp_path / "c", tmp_path / "cuda"
    c_dir.mkdir()
    cuda_dir.mkdir()
    (c_dir / "model.json").write_text(json.dumps({"abi_version": 3, "prefix": "lgcc"}))
    (cuda_dir / "model.json").write_text(json.dumps({"format": "lgcc-cuda", "version": 1}))
    (cuda_dir / "libmodel_cuda.so").write_bytes(b"")
    with pytest.raises(LgccError, match="holds a C model .*lgcc.runtime.load$"):
        load_cuda(c_dir)
    with pytest.raises(LgccError, match="holds a CUDA model: load it with lgcc.runtime.load_cuda"):
        load(cuda_dir)


def test_c_loader_on_cuda_sources_without_a_library_says_to_build_them(tmp_path):
    """lgcc.runtime.load on the output of 'lgcc compile --target cuda' without --build said 'no such library'."""
    from lgcc.runtime import load

    (tmp_path / "model.json").write_text(json.dumps({"format": "lgcc-cuda", "version": 1}))
    (tmp_path / "model.cu").write_text("// kernels")
    for path in (tmp_path, tmp_path / "libmodel.so", tmp_path / "model.json"):
        with pytest.raises(LgccError, match=f"^{tmp_path} holds CUDA sources but no library: build it with "
                                            f"'lgcc compile MODEL --target cuda --build -o {tmp_path}' .*load_cuda$"):
            load(path)


def test_library_for_another_processor_is_named_so(tmp_path, monkeypatch):
    """dlopen of an AArch64 libmodel_cuda.so on x86-64 said 'cannot open shared object file: No such file'."""
    import sys

    torch = pytest.importorskip("torch")
    meta = {"format": "lgcc-cuda", "version": 1, "prefix": "m", "n_inputs": 2, "n_outputs": 2}
    (tmp_path / "model.json").write_text(json.dumps(meta))
    with open(sys.executable, "rb") as f:  # this machine's ELF header, its e_machine changed
        head = bytearray(f.read(4096))
    head[0x12:0x14] = (183 if head[0x12:0x14] != b"\xb7\x00" else 62).to_bytes(2, "little")
    (tmp_path / "libmodel_cuda.so").write_bytes(bytes(head))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    with pytest.raises(LgccError, match=r"libmodel_cuda.so: built for (AArch64|x86-64), not for this .* machine"):
        load_cuda(tmp_path)
