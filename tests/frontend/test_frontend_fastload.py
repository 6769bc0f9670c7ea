"""The torch-free checkpoint reader: same data and same graph as torch.load(weights_only=True),
nothing in a hostile pickle is ever called, and every file it does not handle goes to the torch path."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
from torch import nn

import lgcc
from lgcc.frontend import GroupSum, LogicLayer, Thermometer, fastload
from lgcc.frontend.checkpoint import FORMAT, VERSION, read_checkpoint
from lgcc.frontend.lowering import lower_checkpoint as lower_with_torch
from lgcc.ir.errors import FormatError


def _model(with_encoding: bool = True, flatten: bool = False):
    gen = torch.Generator().manual_seed(1)
    layers = [nn.Flatten()] if flatten else []
    layers += [Thermometer.uniform(5, 3)] if with_encoding else []
    width = 15 if with_encoding else 12
    layers += [LogicLayer(width, 40, generator=gen), LogicLayer(40, 30, connections="unique", generator=gen),
               GroupSum(3, 2.5)]
    return nn.Sequential(*layers)


def _same(a, b) -> bool:
    """Structural equality of torch.load output and fastload output (tensors vs numpy arrays)."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, np.ndarray) and a.dtype.itemsize == b.itemsize and \
            np.array_equal(a.numpy(), b) and tuple(a.shape) == b.shape
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _assert_same_graph(g, h):
    for field in ("op", "a", "b", "outputs", "out_neg", "layers"):
        np.testing.assert_array_equal(getattr(g, field), getattr(h, field), err_msg=field)
    assert g.n_inputs == h.n_inputs and g.meta == h.meta
    assert (g.head is None) == (h.head is None) and (g.head is None or g.head.to_json() == h.head.to_json())
    assert (g.encoding is None) == (h.encoding is None)
    if g.encoding is not None:
        assert g.encoding.n_features == h.encoding.n_features
        np.testing.assert_array_equal(g.encoding.feature, h.encoding.feature)
        np.testing.assert_array_equal(g.encoding.threshold, h.encoding.threshold)


def test_format_constants_match_the_writer():
    assert (fastload._FORMAT, fastload._VERSION) == (FORMAT, VERSION)


@pytest.mark.parametrize("with_encoding,flatten", [(True, False), (False, False), (True, True)])
def test_same_data_and_graph_as_torch(tmp_path, with_encoding, flatten):
    path = lgcc.save(_model(with_encoding, flatten), tmp_path / "m.pt", meta={"dataset": "toy", "acc": [0.5, None]})
    assert _same(torch.load(path, weights_only=True), fastload.read_torch_zip(path))
    _assert_same_graph(fastload.lower_blob(fastload.read_torch_zip(path)), lower_with_torch(path))
    _assert_same_graph(fastload.lower_checkpoint(path), lower_with_torch(path))


def test_views_and_shared_storages(tmp_path):
    """Offsets, strides and one storage behind several tensors, as torch.save writes views."""
    base = torch.arange(60, dtype=torch.float32).reshape(6, 10)
    blob = {"t": base.t(), "row": base[2], "col": base[:, 3], "empty": base[:0], "ints": torch.tensor([1, -2]),
            "flags": torch.tensor([True, False]), "od": {"x": 1.5, "y": (1, "z")}}
    torch.save(blob, tmp_path / "v.pt")
    assert _same(torch.load(tmp_path / "v.pt", weights_only=True), fastload.read_torch_zip(tmp_path / "v.pt"))


class _Boom:
    """Unpickling this would create a marker file (a stand-in for running arbitrary code)."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_hostile_pickle_never_runs_and_gets_the_torch_error(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "version": VERSION, "layers": [_Boom(str(marker))]}, path)
    with pytest.raises(fastload.Unsupported, match="global"):
        fastload.read_torch_zip(path)
    assert not marker.exists()
    with pytest.raises(FormatError, match="pickled Python objects"):
        fastload.lower_checkpoint(path)
    assert not marker.exists()


def test_files_it_does_not_handle_fall_back_with_the_same_errors(tmp_path):
    foreign = tmp_path / "notes.pt"
    foreign.write_text("hello")
    good = lgcc.save(_model(), tmp_path / "good.pt")
    data = good.read_bytes()
    truncated = tmp_path / "cut.pt"
    truncated.write_bytes(data[:len(data) // 2])
    state_dict = tmp_path / "sd.pt"
    torch.save(_model().state_dict(), state_dict)
    newer = tmp_path / "new.pt"
    torch.save(dict(torch.load(good, weights_only=True), version=VERSION + 1), newer)
    for path in (foreign, truncated, state_dict, newer):
        with pytest.raises(fastload.Unsupported):
            fastload.lower_blob(fastload.read_torch_zip(path))
        with pytest.raises(FormatError) as fast:
            fastload.lower_checkpoint(path)
        with pytest.raises(FormatError) as reference:
            lower_with_torch(path)
        assert str(fast.value) == str(reference.value)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch's note on protocols other than 2
@pytest.mark.parametrize("protocol", [0, 1, 3, 4, 5])
def test_pickle_protocols_as_torch_judges_them(tmp_path, protocol):
    """A zip checkpoint pickled with another protocol than torch.save's 2: the fast reader takes
    what torch.load(weights_only=True) takes (3) and leaves the rest to it, same error and all."""
    good = lgcc.save(_model(), tmp_path / "good.pt")
    path = tmp_path / f"p{protocol}.pt"
    torch.save(torch.load(good, weights_only=True), path, pickle_protocol=protocol)
    if protocol == 3:
        _assert_same_graph(fastload.lower_checkpoint(path), lower_with_torch(path))
        return
    with pytest.raises(fastload.Unsupported, match="pickle protocol"):
        fastload.read_torch_zip(path)
    with pytest.raises(FormatError) as fast:
        fastload.lower_checkpoint(path)
    with pytest.raises(FormatError) as reference:
        lower_with_torch(path)
    assert str(fast.value) == str(reference.value)


def test_tensor_past_its_storage_is_refused(tmp_path):
    """A tensor record that reaches past its storage bytes is never read out of bounds."""
    good = lgcc.save(_model(), tmp_path / "good.pt")
    bad = tmp_path / "short.pt"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            raw = src.read(info)
            dst.writestr(info, raw[:8] if info.filename.endswith("/data/2") else raw)
    with pytest.raises(fastload.Unsupported, match="truncated"):
        fastload.read_torch_zip(bad)


def test_load_graph_of_a_checkpoint_does_not_import_torch(tmp_path):
    path = lgcc.save(_model(), tmp_path / "m.pt")
    code = ("import sys; from lgcc.loading import load_graph; g = load_graph(sys.argv[1]); "
            "print(g.n_gates, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert out.stdout.split() == ["70", "False"]


def _legacy_copy(path, legacy_path):
    """The checkpoint at ``path`` re-saved in torch's legacy (non-zip) format."""
    torch.save(torch.load(path, weights_only=True), legacy_path, _use_new_zipfile_serialization=False)
    return legacy_path


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_legacy_header_is_recognized_exactly(tmp_path, protocol):
    from lgcc.frontend.torchfile import LEGACY_MAGIC, torch_format

    assert LEGACY_MAGIC == torch.serialization.MAGIC_NUMBER
    path = tmp_path / "legacy.pt"
    torch.save({"x": 1}, path, _use_new_zipfile_serialization=False, pickle_protocol=protocol)
    assert torch_format(path) == "legacy"
    assert torch_format(lgcc.save(_model(), tmp_path / "zip.pt")) == "zip"
    for other in (LEGACY_MAGIC + 1, [LEGACY_MAGIC], str(LEGACY_MAGIC), {"a": 1}):  # plain pickles, not torch files
        path.write_bytes(pickle.dumps(other, protocol=protocol))
        assert torch_format(path) is None, other


def test_legacy_checkpoint_loads_the_same_model(tmp_path):
    model = _model()
    good = lgcc.save(model, tmp_path / "m.pt", meta={"dataset": "toy", "steps": 3})
    legacy = _legacy_copy(good, tmp_path / "legacy.pt")
    assert not legacy.read_bytes().startswith(b"PK")
    assert _same(read_checkpoint(legacy), fastload.read_torch_zip(good))  # the zip's dict, read without torch
    loaded = lgcc.load(legacy)
    assert loaded.lgcc_meta == {"dataset": "toy", "steps": 3}
    x = torch.rand(50, 5)  # raw features, thresholded into 15 bits
    assert torch.equal(loaded(x), model.eval()(x))


def test_legacy_checkpoint_compiles_to_the_same_graph(trained_graph, tmp_path, capsys):
    from lgcc.cli import main
    from lgcc.loading import load_graph

    (tmp_path / "zip").mkdir()
    (tmp_path / "legacy").mkdir()  # the same file name in both forms, so the outputs may be compared byte for byte
    good = tmp_path / "zip" / "m.pt"
    good.write_bytes(trained_graph.checkpoint.read_bytes())
    legacy = _legacy_copy(good, tmp_path / "legacy" / "m.pt")
    _assert_same_graph(fastload.lower_checkpoint(legacy), fastload.lower_checkpoint(good))
    _assert_same_graph(load_graph(legacy, opt_level=2), load_graph(good, opt_level=2))
    for path in (good, legacy):
        assert main(["compile", str(path), "--target", "c", "-o", str(path.parent / "out"), "--isa", "portable"]) == 0
    capsys.readouterr()
    names = sorted(os.listdir(tmp_path / "zip" / "out"))
    assert names == sorted(os.listdir(tmp_path / "legacy" / "out"))
    for name in names:
        assert (tmp_path / "zip/out" / name).read_bytes() == (tmp_path / "legacy/out" / name).read_bytes(), name
    blif = tmp_path / "legacy.blif"  # under another extension, the error says what the file is
    blif.write_bytes(legacy.read_bytes())
    with pytest.raises(FormatError, match="looks like a PyTorch checkpoint: rename it to legacy.pt"):
        load_graph(blif)


def test_damaged_legacy_files_get_one_line(tmp_path):
    """Truncated legacy files, and files that only start like one, get one line from every reader."""
    from lgcc.frontend.torchfile import LEGACY_MAGIC
    from lgcc.loading import load_graph

    data = _legacy_copy(lgcc.save(_model(), tmp_path / "zip.pt"), tmp_path / "legacy.pt").read_bytes()
    magic = pickle.dumps(LEGACY_MAGIC, protocol=2)
    files = {f"cut{n}": data[:n] for n in (len(magic) + 3, len(data) // 2, len(data) - 1)}
    files.update(magic=magic, magic_zeros=magic + bytes(64), magic_junk=magic + b"hello, world")
    for name, content in files.items():
        (tmp_path / f"{name}.pt").write_bytes(content)
        for read in (lgcc.load, load_graph):
            with pytest.raises(FormatError, match="truncated or corrupt checkpoint") as err:
                read(tmp_path / f"{name}.pt")
            assert "\n" not in str(err.value)


def test_legacy_pickled_model_never_runs(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "version": VERSION, "layers": [_Boom(str(marker))]}, path,
               _use_new_zipfile_serialization=False)
    for read in (lgcc.load, fastload.lower_checkpoint):
        with pytest.raises(FormatError, match="pickled Python objects"):
            read(path)
    assert not marker.exists()


def test_without_torch_a_legacy_file_says_what_to_do(tmp_path):
    """With torch missing, zip checkpoints still lower; a legacy one gets one line: install torch or re-save."""
    good = lgcc.save(_model(), tmp_path / "m.pt")
    legacy = _legacy_copy(good, tmp_path / "legacy.pt")
    (tmp_path / "notes.pt").write_text("hello")
    code = ("import sys; sys.modules['torch'] = None  # import torch now fails as if it were not installed\n"
            "from lgcc.ir.errors import LgccError\nfrom lgcc.loading import load_graph\n"
            "for path in sys.argv[1:]:\n"
            "    try: print(load_graph(path).n_gates)\n"
            "    except LgccError as exc: print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code, str(good), str(legacy), str(tmp_path / "notes.pt")],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert out.stderr == "" and len(out.stdout.splitlines()) == 3, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "70"
    assert "legacy (non-zip) format" in lines[1] and "install torch, or re-save it with a current torch" in lines[1]
    assert "not a PyTorch checkpoint" in lines[2]
