"""Checkpoints: round trip, safe loading, and one clear line for every bad file."""

from __future__ import annotations

import os
import pickle
import re
import zipfile

import pytest
import torch
from torch import nn

import lgcc
import lgcc.frontend
from lgcc.frontend import GroupSum, LogicLayer, Thermometer
from lgcc.frontend.checkpoint import FORMAT, VERSION, read_checkpoint
from lgcc.ir.errors import FormatError, LgccError


def _model():
    gen = torch.Generator().manual_seed(0)
    return nn.Sequential(Thermometer.uniform(4, 2), LogicLayer(8, 30, generator=gen, grad_factor=2.0),
                         LogicLayer(30, 20, connections="unique", generator=gen), GroupSum(2, 4.0))


def test_round_trip_restores_everything(tmp_path):
    model = _model()
    path = lgcc.save(model, tmp_path / "m.pt", meta={"dataset": "toy", "steps": 3})
    loaded = lgcc.load(path)
    assert not loaded.training and loaded.lgcc_meta == {"dataset": "toy", "steps": 3}
    for (k1, v1), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k1 == k2 and torch.equal(v1, v2)
    assert loaded[1].grad_factor == 2.0 and loaded[2].connections == "unique" and loaded[3].tau == 4.0
    x = torch.rand(50, 4)
    assert torch.equal(loaded(x), model.eval()(x))
    blob = torch.load(path, weights_only=True)  # plain data only
    assert blob["format"] == FORMAT and blob["version"] == VERSION
    assert [layer["kind"] for layer in blob["layers"]] == ["thresholds", "logic", "logic", "group_sum"]
    lgcc.save(loaded, tmp_path / "again.pt")  # metadata travels with a loaded model
    assert read_checkpoint(tmp_path / "again.pt")["meta"]["steps"] == 3


def test_the_same_model_saves_to_the_same_bytes_under_any_name(tmp_path):
    """torch names a zip archive's folder after the file it writes: saving through the temporary file of
    the atomic write made every save differ (and leaked the temporary name into the archive)."""
    model = _model()
    paths = [lgcc.save(model, tmp_path / name, meta={"n": 1}) for name in ("a.pt", "b.ckpt", "a.pt")]
    assert len({p.read_bytes() for p in paths}) == 1
    assert all(name.startswith("archive/") for name in zipfile.ZipFile(paths[0]).namelist())


def test_pickled_model_is_refused(tmp_path):
    path = tmp_path / "pickled.pt"
    torch.save(_model(), path)  # a whole pickled module, as torch.save(model) writes it
    with pytest.raises(FormatError, match="pickled Python objects.*lgcc.save"):
        lgcc.load(path)


def test_foreign_truncated_and_state_dict_files(tmp_path):
    foreign = tmp_path / "notes.pt"
    foreign.write_text("hello")
    with pytest.raises(FormatError, match="not a PyTorch checkpoint"):
        lgcc.load(foreign)
    legacy = tmp_path / "legacy.pt"
    legacy.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(FormatError, match="not a PyTorch checkpoint"):
        lgcc.load(legacy)
    good = lgcc.save(_model(), tmp_path / "good.pt")
    data = good.read_bytes()
    for cut in (len(data) // 2, len(data) - 30):
        truncated = tmp_path / f"cut{cut}.pt"
        truncated.write_bytes(data[:cut])
        with pytest.raises(FormatError, match="truncated or corrupt"):
            lgcc.load(truncated)
    from lgcc.ir.formats import lgir
    from lgcc.ir.random import random_layered_graph

    lgir.write(random_layered_graph(4, [6], seed=1), tmp_path / "graph.pt")  # a graph under the wrong name
    with pytest.raises(FormatError, match="rename it to .lgir"):
        lgcc.load(tmp_path / "graph.pt")
    (tmp_path / "graph.pt").rename(tmp_path / "graph.lgir")
    with pytest.raises(FormatError, match="read it with lgcc.loading.load_graph"):  # not: 'rename it to .lgir'
        lgcc.load(tmp_path / "graph.lgir")
    sd = tmp_path / "sd.pt"
    torch.save(_model().state_dict(), sd)
    with pytest.raises(FormatError, match="state_dict"):
        lgcc.load(sd)
    with pytest.raises(LgccError, match="no such file"):
        lgcc.load(tmp_path / "missing.pt")


@pytest.mark.parametrize("pkl", [b"\x80\x02h\x05.", b"\x80\x02", b"\x80\x02]q\x00(K\x01e"])
def test_damaged_pickle_inside_the_zip(tmp_path, pkl):
    import zipfile

    good = lgcc.save(_model(), tmp_path / "good.pt")
    bad = tmp_path / "bad.pt"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():  # the same archive with a damaged pickle (KeyError / empty EOFError in torch)
            zout.writestr(info, pkl if info.filename.endswith("data.pkl") else zin.read(info.filename))
    with pytest.raises(FormatError, match="truncated or corrupt"):
        lgcc.load(bad)
    from lgcc.loading import load_graph

    with pytest.raises(FormatError, match="truncated or corrupt"):
        load_graph(bad)


def test_newer_version_and_corrupt_content(tmp_path):
    path = lgcc.save(_model(), tmp_path / "m.pt")
    blob = torch.load(path, weights_only=True)
    torch.save(dict(blob, version=VERSION + 1), tmp_path / "new.pt")
    with pytest.raises(FormatError, match="newer than this lgcc supports.*upgrade"):
        lgcc.load(tmp_path / "new.pt")
    bad = dict(blob, layers=[dict(layer) for layer in blob["layers"]])
    bad["layers"][2]["a"] = bad["layers"][2]["a"] + 1000
    torch.save(bad, tmp_path / "bad.pt")
    with pytest.raises(FormatError, match="layer 2 .* reads outside"):
        lgcc.load(tmp_path / "bad.pt")
    bad["layers"][2]["a"] = blob["layers"][2]["a"]
    bad["layers"][1]["weights"] = torch.full_like(blob["layers"][1]["weights"], float("nan"))
    torch.save(bad, tmp_path / "nan.pt")
    with pytest.raises(FormatError, match="layer 1 .* NaN"):
        lgcc.frontend.lower(tmp_path / "nan.pt")


@pytest.mark.parametrize("layer, field, value, message", [
    (1, "in_dim", "x", "in_dim must be an integer, got 'x'"),
    (1, "in_dim", 10**12, "in_dim and out_dim must be in 1.."),  # not: allocate terabytes
    (1, "out_dim", float("inf"), "out_dim must be an integer"),
    (0, "n_features", {"a": 1}, "n_features must be an integer, got dict"),
    (3, "tau", float("nan"), "tau must be a finite number"),
    (3, "k", torch.zeros(2), "k must be an integer, got Tensor"),
    (1, "grad_factor", None, "grad_factor must be a finite number"),
    (2, "kind", torch.zeros(3), "unknown layer kind None"),
    (3, "tau", float("inf"), "tau must be a finite number"),  # the fast reader gave a line without the file
    pytest.param(3, "tau", 10**400, "tau must be a finite number, got an integer of 1329 bits",
                 id="huge-tau"),  # not: OverflowError from float()
    pytest.param(1, "in_dim", 10**600, "in_dim must be an integer below 2**63, got an integer of 1994 bits",
                 id="huge-in_dim"),  # the largest pickle's LONG1 holds (torch refuses LONG4): said by its size
    (0, "n_features", 10**12, "n_features must be in 1.."),
    (0, "threshold", torch.full((8,), float("nan")), "thresholds must be finite"),
    (1, "in_dim", 2**31 - 10, "in_dim 2147483638 does not match the 8 values"),  # not: allocate 8 GB first
    (1, "weights", torch.zeros(30, 16).to_sparse(), "must hold dense tensors"),  # not: a torch traceback
    (1, "weights", torch.zeros(30, 16, dtype=torch.int64), "weights must be float of shape (30, 16), got int64"),
    # lowered to float32: 1e39 would become infinity (and numpy would warn on stderr)
    (0, "threshold", torch.full((8,), 1e39, dtype=torch.float64), "thresholds must be within float32's range"),
])
def test_malformed_layer_fields_are_one_line_errors(tmp_path, layer, field, value, message):
    from lgcc.loading import load_graph

    blob = torch.load(lgcc.save(_model(), tmp_path / "m.pt"), weights_only=True)
    blob["layers"][layer][field] = value
    torch.save(blob, tmp_path / "bad.pt")
    # the torch path and the torch-free reader give the same error (lowering never reads grad_factor)
    for read in (lgcc.load,) if field == "grad_factor" else (lgcc.load, load_graph):
        with pytest.raises(FormatError, match=re.escape(message)):
            read(tmp_path / "bad.pt")


def test_damaged_bytes_and_foreign_metadata_are_refused(tmp_path):
    """torch.load ignores zip checksums: a flipped weight byte must not load as another model."""
    from lgcc.loading import load_graph

    path = lgcc.save(_model(), tmp_path / "m.pt")
    data = bytearray(path.read_bytes())
    blob = torch.load(path, weights_only=True)
    weights = blob["layers"][1]["weights"].numpy().tobytes()
    at = bytes(data).index(weights[:64])
    data[at + 5] ^= 0xFF
    (tmp_path / "flip.pt").write_bytes(bytes(data))
    torch.save(dict(blob, meta={"x": torch.zeros(2)}), tmp_path / "meta.pt")
    import zipfile

    with zipfile.ZipFile(tmp_path / "zip.pt", "w") as zf:
        zf.writestr("notes.txt", "hello")
    for name, message in (("flip.pt", "checksum of .* does not match"), ("meta.pt", "meta.pt: checkpoint metadata "
                          "must hold plain JSON"), ("zip.pt", "not a PyTorch checkpoint \\(a zip archive of other")):
        for read in (lgcc.load, load_graph):
            with pytest.raises(FormatError, match=message):
                read(tmp_path / name)


def test_a_second_thresholds_layer_is_refused(tmp_path):
    """Lowering reads one input encoding: a second Thresholds layer compiled to wrong scores, with no error."""
    from lgcc.loading import load_graph

    blob = torch.load(lgcc.save(_model(), tmp_path / "m.pt"), weights_only=True)
    width = int(blob["layers"][0]["feature"].numel())
    blob["layers"].insert(1, {"kind": "thresholds", "n_features": width, "feature": torch.arange(width),
                              "threshold": torch.full((width,), 0.5)})
    torch.save(blob, tmp_path / "two.pt")
    for read in (lgcc.load, load_graph):
        with pytest.raises(FormatError, match="layer 1 .*second Thresholds layer"):
            read(tmp_path / "two.pt")


def _central_directory_method(data: bytes, method: int) -> bytes:
    """``data`` (a zip) with the compression method of its first central directory entry set to ``method``."""
    out = bytearray(data)
    at = out.index(b"PK\x01\x02")
    out[at + 10:at + 12] = method.to_bytes(2, "little")
    return bytes(out)


def test_damaged_archives_and_torchscript_are_one_line(tmp_path):
    """zlib's and the OS's errors from a damaged archive were a traceback or a line without the file."""
    from lgcc.loading import load_graph

    data = lgcc.save(_model(), tmp_path / "m.pt").read_bytes()
    (tmp_path / "deflate.pt").write_bytes(_central_directory_method(data, 8))  # stored bytes read as deflate
    (tmp_path / "cut.pt").write_bytes(data[:2000] + data[2100:])  # a bad copy: bytes missing in the middle
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), tmp_path / "script.pt")
    for name, message in (("deflate.pt", "deflate.pt: truncated or corrupt checkpoint"),
                          ("cut.pt", "cut.pt: truncated or corrupt checkpoint"),
                          ("script.pt", "script.pt: is a TorchScript archive")):
        for read in (lgcc.load, load_graph):
            with pytest.raises(FormatError, match=message):
                read(tmp_path / name)


def test_reading_a_legacy_file_prints_no_torch_warning(tmp_path):
    """An odd pickle protocol byte made torch warn on stderr (so an error was no longer one line)."""
    import warnings

    path = tmp_path / "legacy.pt"
    blob = torch.load(lgcc.save(_model(), tmp_path / "m.pt"), weights_only=True)
    torch.save(blob, path, _use_new_zipfile_serialization=False)
    data = bytearray(path.read_bytes())
    at = data.index(b"\x80\x02}")  # the system-info pickle: protocol 2, then a dict
    data[at + 1] = 0x12
    path.write_bytes(bytes(data))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lgcc.load(path)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("meta, message", [
    ([1], "must be a dict of JSON values, not list"),  # was written, then refused by every reader
    ({"lr": float("nan")}, "NaN or infinity"),  # was written as bare NaN into model.json and JSON dumps
])
def test_save_refuses_metadata_no_reader_takes(tmp_path, meta, message):
    with pytest.raises(LgccError, match=re.escape(message)):
        lgcc.save(_model(), tmp_path / "m.pt", meta=meta)
    assert os.listdir(tmp_path) == []


def test_a_full_disk_is_one_line_naming_the_file(tmp_path, monkeypatch):
    """torch.save raises RuntimeError around the OSError; the old checkpoint stays, no temporary file is left."""
    import errno

    path = lgcc.save(_model(), tmp_path / "m.pt")
    before = path.read_bytes()

    def full(obj, f):
        f.write(b"PK partial")
        try:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError as exc:
            raise RuntimeError("[enforce fail at inline_container.cc] unexpected pos") from exc

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(LgccError, match=re.escape(f"{path}: could not be written (No space left on device)")):
        lgcc.save(_model(), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.pt"]


def test_save_is_atomic_and_checks_metadata(tmp_path):
    path = tmp_path / "m.pt"
    lgcc.save(_model(), path)
    before = path.read_bytes()
    with pytest.raises(LgccError, match="JSON"):
        lgcc.save(_model(), path, meta={"bad": object()})
    with pytest.raises(LgccError, match="cannot describe"):
        lgcc.save(nn.Sequential(nn.ReLU()), path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.pt"]  # no temporary files left behind


def _forged(tmp_path, in_dim: int):
    """A checkpoint of 2 gates whose first layer claims ``in_dim`` inputs (nothing before it to check that by)."""
    layers = [{"kind": "logic", "in_dim": in_dim, "out_dim": 2, "a": torch.tensor([0, 1]), "b": torch.tensor([1, 0]),
               "weights": torch.zeros(2, 16), "connections": "random", "grad_factor": 1.0, "init": "random"},
              {"kind": "group_sum", "k": 2, "tau": 1.0}]
    path = tmp_path / f"forged{in_dim}.pt"
    torch.save({"format": FORMAT, "version": VERSION, "layers": layers, "meta": {}}, path)
    return path


def test_loading_draws_no_wiring_and_refuses_more_nodes_than_a_graph_holds(tmp_path, monkeypatch):
    """lgcc.load drew random wiring for every layer (a randperm of in_dim) and then overwrote it with the
    checkpoint's: wasted work, and a forged in_dim near 2**31 asked for 16 GB before any error."""
    from lgcc.loading import load_graph

    def no_drawing(*args, **kwargs):
        raise AssertionError("drew random wiring")

    model = _model()
    path = lgcc.save(model, tmp_path / "m.pt")
    monkeypatch.setattr(torch, "randperm", no_drawing)
    loaded = lgcc.load(path)
    assert all(torch.equal(x, y) for x, y in zip(loaded.state_dict().values(), model.state_dict().values()))
    assert lgcc.load(_forged(tmp_path, 2**30))[0].in_dim == 2**30  # fits: built without O(in_dim) work
    forged = _forged(tmp_path, 2**31 - 4)
    for read in (lgcc.load, load_graph):
        with pytest.raises(FormatError, match=re.escape("2147483644 inputs and 2 gates: more nodes than a graph's "
                                                        "int32 ids can number (at most 2147483645")):
            read(forged)


def test_load_onto_cuda_without_cuda_is_one_line(monkeypatch, tmp_path):
    path = lgcc.save(_model(), tmp_path / "m.pt")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # also on a machine with a GPU
    with pytest.raises(LgccError, match="no CUDA device is available to this torch build; use device='cpu'"):
        lgcc.load(path, device="cuda")  # was torch's AssertionError: Torch not compiled with CUDA enabled


@pytest.mark.parametrize("name", ["model.bin", "model", "model.lgir"])
def test_save_refuses_names_no_loader_reads(tmp_path, name):
    """lgcc.save wrote model.bin, which every command then refused ('unknown file type')."""
    with pytest.raises(LgccError, match=re.escape(f"{name}: a checkpoint needs the extension .pt, .pth, .ckpt")):
        lgcc.save(_model(), tmp_path / name)
    assert not os.listdir(tmp_path)


def test_import_lgcc_stays_light():
    import subprocess
    import sys

    code = "import sys, lgcc; assert 'torch' not in sys.modules; assert callable(lgcc.save); print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_submodules_named_in_readme_are_attributes_of_the_package():
    """`lgcc.frontend.fastload` and `lgcc.frontend.cuda_ext` (README names them) work without their own
    import statement, still lazily: the package import alone loads neither."""
    import subprocess
    import sys

    code = ("import sys, lgcc.frontend as f; assert 'lgcc.frontend.fastload' not in sys.modules; "
            "assert callable(f.fastload.lower_checkpoint) and callable(f.cuda_ext.available); "
            "assert not hasattr(f, 'no_such_module'); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_model_on_the_meta_device_is_one_line(tmp_path):
    """lgcc.save and lower of a model built on 'meta' raised torch's NotImplementedError from a copy."""
    model = _model().to("meta")
    for call in (lambda: lgcc.save(model, tmp_path / "m.pt"), lambda: lgcc.frontend.lower(model)):
        with pytest.raises(LgccError, match="Thermometer is on the 'meta' device, which holds no values"):
            call()
    assert os.listdir(tmp_path) == []
