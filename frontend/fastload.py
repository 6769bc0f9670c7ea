"""Lowering an lgcc checkpoint without importing torch: the fast path of ``lgcc compile model.pt``.

``import torch`` alone takes longer than the whole rest of ``lgcc compile`` (about
1.7 s of 2.6 s measured on the 784 -> 6x4000 model).  A checkpoint written by
``lgcc.save`` is a ``torch.save`` zip archive: ``<name>/data.pkl`` (a pickle of
dicts, lists, numbers, strings and tensors) and one ``<name>/data/<key>`` file of
raw little-endian bytes per tensor storage.  This module reads that format with
a restricted unpickler that resolves only three globals, to its *own* functions
(``torch._utils._rebuild_tensor_v2``, ``torch.<Type>Storage``,
``collections.OrderedDict``), imports nothing from the file and never calls
anything else, and produces numpy arrays; then it lowers the layers the same way
:func:`lgcc.frontend.lowering.lower_spec` does.

Anything outside that well-trodden case -- another global (a pickled model, a
malicious file), an unknown storage type, big-endian data, a foreign or newer
format, a layer this reader does not check -- is not judged here: it goes to
:func:`lgcc.frontend.lowering.lower_checkpoint` (``torch.load(weights_only=True)``),
whose result or error message is the reference.  So the fast path changes speed
only, never which files load or what a user is told.  (Without torch installed,
such a file gets one line saying so instead: a legacy-format checkpoint, for
instance, can be re-saved as a zip by a current torch.)
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from lgcc.ir.errors import GraphError, LgccError
from lgcc.ir.graph import FIRST_INPUT, Encoding, Graph, Head

from .torchfile import require_torch_file

_FORMAT, _VERSION = "lgcc-checkpoint", 1  # what lgcc.frontend.checkpoint writes (checked against it in tests)
#: torch storage class names -> numpy dtypes (little-endian).
_STORAGES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2", "LongStorage": "<i8",
             "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1", "ByteStorage": "u1",
             "BoolStorage": "?"}


#: How a pickle of the protocols ``torch.load(weights_only=True)`` reads starts (torch.save's default is 2):
#: torch refuses 0, 1, 4 and 5, so this reader must too, or it would accept files ``lgcc.load`` rejects.
_WEIGHTS_ONLY_PROTOCOLS = (b"\x80\x02", b"\x80\x03")


class Unsupported(Exception):
    """The file is not the plain case this reader handles; the torch path decides."""


class _StorageType:
    """Stand-in for ``torch.<Type>Storage`` in the pickle: just its dtype."""

    def __init__(self, dtype: str):
        self.dtype = np.dtype(dtype)


def _int(v: Any) -> int:
    if type(v) is not int:
        raise Unsupported(f"expected an int, got {type(v).__name__}")
    return v


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any = False,
                    hooks: Any = None, metadata: Any = None) -> np.ndarray:
    """``torch._utils._rebuild_tensor_v2`` on numpy: a bounds-checked strided copy of ``storage``."""
    if not isinstance(storage, np.ndarray) or not isinstance(size, tuple) or not isinstance(stride, tuple) \
            or len(size) != len(stride) or hooks not in (None, {}) or metadata not in (None, {}):
        raise Unsupported("unusual tensor record")
    offset, size, stride = _int(offset), tuple(map(_int, size)), tuple(map(_int, stride))
    if offset < 0 or any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise Unsupported("negative tensor geometry")
    if 0 in size:
        return np.zeros(size, dtype=storage.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size:
        raise Unsupported("tensor reaches past its storage")
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=[s * item for s in stride])
    return np.array(view)


class _Unpickler(pickle.Unpickler):
    """Resolves only the tensor-rebuilding globals, to local functions; storages come from the zip."""

    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str):
        super().__init__(io.BytesIO(data))
        self._archive, self._prefix = archive, prefix
        self._storages: dict[str, np.ndarray] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch" and name in _STORAGES:
            return _StorageType(_STORAGES[name])
        raise Unsupported(f"global {module}.{name}")

    def persistent_load(self, pid: Any) -> np.ndarray:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)):
            raise Unsupported("unusual storage record")
        key, dtype, numel = pid[2], pid[1].dtype, _int(pid[4])
        if key not in self._storages:
            try:
                raw = self._archive.read(f"{self._prefix}/data/{key}")
            except KeyError:
                raise Unsupported(f"missing storage {key}") from None
            if len(raw) < numel * dtype.itemsize:
                raise Unsupported(f"storage {key} is truncated")
            self._storages[key] = np.frombuffer(raw, dtype=dtype, count=numel)
        return self._storages[key]


def read_torch_zip(path: str | os.PathLike) -> Any:
    """The object ``torch.load(path, weights_only=True)`` returns, with numpy arrays for tensors.

    Raises :class:`Unsupported` for anything but plain containers, numbers,
    strings and CPU tensors of the usual dtypes in a little-endian zip checkpoint.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            pkls = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
            if len(pkls) != 1:
                raise Unsupported("not a single-record torch archive")
            prefix = pkls[0][:-len("/data.pkl")]
            order = archive.read(f"{prefix}/byteorder") if f"{prefix}/byteorder" in archive.namelist() else b"little"
            if order.strip() != b"little":
                raise Unsupported("big-endian archive")
            data = archive.read(pkls[0])
            if data[:2] not in _WEIGHTS_ONLY_PROTOCOLS:
                raise Unsupported("a pickle protocol torch.load(weights_only=True) refuses")
            return _Unpickler(data, archive, prefix).load()
    except Unsupported:
        raise
    except Exception as exc:  # noqa: BLE001 - any malformed input: the torch path gives the message
        raise Unsupported(f"{type(exc).__name__}: {exc}") from None


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise Unsupported(what)


def _array(v: Any, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    _check(isinstance(v, np.ndarray) and v.dtype == np.dtype(dtype) and v.shape == shape, "unexpected tensor")
    return v


def lower_blob(blob: Any) -> Graph:
    """The verified graph of a checkpoint dict read by :func:`read_torch_zip` (numpy lowering).

    Accepts exactly what :func:`lgcc.frontend.spec.check_spec` accepts in the
    common layouts ([Flatten] [Thresholds] Logic... [GroupSum], float32 weights);
    raises :class:`Unsupported` for anything else.
    """
    _check(isinstance(blob, dict) and isinstance(blob.get("format"), str) and blob["format"] == _FORMAT
           and type(blob.get("version")) is int and blob["version"] == _VERSION, "not a current lgcc checkpoint")
    meta, specs = blob.get("meta", {}), blob.get("layers")
    _check(isinstance(meta, dict) and isinstance(specs, list) and bool(specs), "no layers")
    kinds = [s.get("kind") if isinstance(s, dict) and isinstance(s.get("kind"), str) else None for s in specs]
    n_flat = 1 if kinds[0] == "flatten" else 0
    n_thr = 1 if kinds[n_flat:n_flat + 1] == ["thresholds"] else 0
    n_head = 1 if kinds[-1] == "group_sum" else 0
    logic = specs[n_flat + n_thr:len(specs) - n_head]
    _check(bool(logic) and all(k == "logic" for k in kinds[n_flat + n_thr:len(specs) - n_head]), "layer order")
    n_inputs = logic[0].get("in_dim")
    width = _int(n_inputs)
    _check(1 <= width < 2**31 - FIRST_INPUT, "input width")  # node ids are int32
    ops, a, b, bounds = [], [], [], [0]
    base = FIRST_INPUT  # node id of the first value feeding this layer (a layer's ids are one block)
    for s in logic:
        in_dim, out_dim = _int(s.get("in_dim")), _int(s.get("out_dim"))
        _check(in_dim == width and out_dim >= 1, "layer widths")
        w = _array(s.get("weights"), "<f4", (out_dim, 16))
        _check(bool(np.isfinite(w).all()), "non-finite weights")  # refused by the torch path's check_spec
        ia, ib = _array(s.get("a"), "<i8", (out_dim,)), _array(s.get("b"), "<i8", (out_dim,))
        _check(int(min(ia.min(), ib.min())) >= 0 and int(max(ia.max(), ib.max())) < in_dim, "connection range")
        _check(type(s.get("grad_factor", 1.0)) is float and np.isfinite(s.get("grad_factor", 1.0)), "grad_factor")
        ops.append(np.argmax(w, axis=1).astype(np.uint8))  # first index on ties, as torch.argmax
        a.append((base + ia).astype(np.int32))
        b.append((base + ib).astype(np.int32))
        base += in_dim
        bounds.append(bounds[-1] + out_dim)
        width = out_dim
    _check(base + width <= 2**31 - 1, "node ids")  # the torch path's Graph.verify names the limit
    prev = np.arange(base, base + width, dtype=np.int32)  # the last layer's gates: the outputs
    head = None
    if n_head:
        k, tau = specs[-1].get("k"), specs[-1].get("tau")
        _check(type(k) is int and type(tau) is float and k >= 1 and 0 < tau < np.inf and width % k == 0,
               "group sum")
        head = Head.group_sum(width, k, tau)
    encoding = None
    if n_thr:
        s = specs[n_flat]
        n_feat = _int(s.get("n_features"))
        feat = _array(s.get("feature"), "<i8", (_int(n_inputs),))
        thr = _array(s.get("threshold"), "<f4", feat.shape)
        _check(n_feat >= 1 and (feat.size == 0 or (int(feat.min()) >= 0 and int(feat.max()) < n_feat)),
               "feature range")
        encoding = Encoding(n_feat, feat.astype(np.int32), thr)
    graph_meta = {"source": "lgcc.frontend", "layer_dims": [_int(n_inputs)] + [int(s["out_dim"]) for s in logic]}
    if meta:
        graph_meta["training"] = meta
    graph = Graph(_int(n_inputs), np.concatenate(ops), np.concatenate(a), np.concatenate(b), prev,
                  np.zeros(len(prev), dtype=bool), head=head, encoding=encoding,
                  layers=np.asarray(bounds, dtype=np.int64), meta=graph_meta)
    return graph.verify()


def lower_checkpoint(path: str | os.PathLike) -> Graph:
    """Lower the checkpoint at ``path``: the numpy fast path, else the torch path (same result, same errors)."""
    path = Path(path)
    try:
        return lower_blob(read_torch_zip(path))
    except (Unsupported, GraphError) as exc:  # GraphError: a value check_spec also refuses, with the file's name
        reason = exc
    try:
        from .lowering import lower_checkpoint as lower_with_torch
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        raise _torch_missing(path, reason) from None
    return lower_with_torch(path)


def _torch_missing(path: Path, reason: Exception) -> LgccError:
    """The error for a file only the torch path can judge, when torch is not installed.

    A file in neither torch format gets the torch path's own error (raised here).
    """
    if require_torch_file(path) == "legacy":  # a current torch re-saves it as a zip, which this module reads
        return LgccError(f"{path}: a checkpoint in torch's legacy (non-zip) format, which only torch reads: install "
                         "torch, or re-save it with a current torch (torch.save(torch.load(path, weights_only=True), "
                         "path))")
    return LgccError(f"{path}: this checkpoint needs torch to be read ({reason}); install torch")
