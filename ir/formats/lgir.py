"""``.lgir``: lgcc's own lossless graph format.

A ``.lgir`` file is a zip archive (stored, not compressed: saving and loading
10 million gates is bound by memory bandwidth, not by a compressor) holding

* ``header.json`` first: ``magic``, ``format_version``, the writing lgcc's
  version, the counts, the head (small, exact in JSON) and ``meta``;
* one ``.npy`` member per array: ``op``, ``a``, ``b``, ``outputs``, ``out_neg``,
  and where present ``layers``, ``enc_feature``, ``enc_threshold``.

Arrays are read with ``allow_pickle=False``, so loading never runs code from
the file; zip CRCs catch flipped bytes, and the graph is ``verify()``-ed.
"""

from __future__ import annotations

import json
import os
import tokenize
import warnings
import zipfile
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..errors import FormatError, GraphError
from ..fileio import atomic_path
from ..graph import Encoding, Graph, Head
from . import ZIP_ERRORS, require_file

MAGIC = "lgcc-ir"
#: Bump when a reader of the previous version could misread a new file.
FORMAT_VERSION = 1
HEADER = "header.json"
_ARRAYS = ("op", "a", "b", "outputs", "out_neg")
#: The dtype of every array member, byte order included (what :func:`write` stores).  The graph's
#: own arrays must have exactly these; the optional ones are converted when that loses nothing.
_DTYPES = {"op": "|u1", "a": "<i4", "b": "<i4", "outputs": "<i4", "out_neg": "|b1", "layers": "<i8",
           "enc_feature": "<i4", "enc_threshold": "<f4"}
_CONVERTED = ("layers", "enc_feature", "enc_threshold")
#: Largest header we accept (the header holds meta, not arrays).
_MAX_HEADER = 64 << 20
#: Timestamp of every member: a fixed one, so the same graph gives the same bytes at any time.
_DATE_TIME = (1980, 1, 1, 0, 0, 0)
#: What numpy's ``.npy`` header parsing raises for a malformed header (the header is at most
#: 10,000 characters, so none of these stands for a machine out of memory): ValueError for a bad
#: magic, length, dictionary or dtype; TypeError for an unhashable key; SyntaxError and
#: tokenize.TokenError from its fallback tokenizer (an unclosed bracket or string, bad indentation);
#: MemoryError and RecursionError from Python's parser on operators nested thousands deep.
_NPY_HEADER_ERRORS = (ValueError, TypeError, SyntaxError, tokenize.TokenError, MemoryError, RecursionError)
#: Longest reason from numpy quoted in a message (numpy's own quote the whole header).
_MAX_REASON = 80


def _lgcc_version() -> str:
    from lgcc import __version__

    return __version__


def write(graph: Graph, path: str | os.PathLike) -> None:
    """Write ``graph`` to ``path`` atomically (a failure leaves no file behind)."""
    graph.verify()
    header: dict[str, Any] = {
        "magic": MAGIC, "format_version": FORMAT_VERSION, "lgcc_version": _lgcc_version(),
        "n_inputs": int(graph.n_inputs), "n_gates": graph.n_gates, "n_outputs": graph.n_outputs,
        "head": graph.head.to_json() if graph.head is not None else None,
        "encoding": {"n_features": int(graph.encoding.n_features)} if graph.encoding is not None else None,
        "layers": graph.layers is not None,
        "meta": graph.meta,
    }
    arrays = {name: getattr(graph, name) for name in _ARRAYS}
    if graph.layers is not None:
        arrays["layers"] = graph.layers
    if graph.encoding is not None:
        arrays["enc_feature"] = graph.encoding.feature
        arrays["enc_threshold"] = graph.encoding.threshold
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(zipfile.ZipInfo(HEADER, _DATE_TIME), json.dumps(header, sort_keys=True, indent=1))
        for name, arr in arrays.items():
            with zf.open(zipfile.ZipInfo(f"{name}.npy", _DATE_TIME), "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arr, dtype=_DTYPES[name]), allow_pickle=False)


def read(path: str | os.PathLike) -> Graph:
    """Read a ``.lgir`` file; raise :class:`FormatError` (one line) for anything but a valid file."""
    path = require_file(path)
    try:
        with zipfile.ZipFile(path) as zf:
            header = _read_header(zf, path)
            arrays = {name: _read_array(zf, name, path) for name in _member_names(header)}
    except zipfile.BadZipFile:
        raise FormatError(f"{path}: not an .lgir file (not a zip archive, or truncated)") from None
    except PermissionError as exc:  # not a damaged file: say what the system said
        raise FormatError(f"{path}: cannot read it ({exc.strerror})") from None
    except RecursionError:
        raise FormatError(f"{path}: corrupt .lgir header (JSON nested too deeply)") from None
    except (*ZIP_ERRORS, OSError) as exc:  # a member zipfile cannot read: not a file lgcc wrote
        raise FormatError(f"{path}: truncated or unreadable .lgir file ({exc})") from None
    try:
        return _assemble(header, arrays).verify()
    except (GraphError, KeyError, TypeError, ValueError, OverflowError) as exc:
        raise FormatError(f"{path}: corrupt .lgir file: {_reason(exc, 160)}") from None


def _read_header(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    names = zf.namelist()
    if HEADER not in names:
        raise FormatError(f"{path}: not an .lgir file (zip archive without {HEADER}; "
                          "a checkpoint or numpy archive? use the matching extension)")
    info = zf.getinfo(HEADER)
    if info.file_size > _MAX_HEADER:
        raise FormatError(f"{path}: not an .lgir file (header of {info.file_size} bytes)")
    try:
        header = json.loads(zf.read(HEADER).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FormatError(f"{path}: corrupt .lgir header (not JSON)") from None
    except ValueError:  # Python refuses to convert integers of more than 4300 digits
        raise FormatError(f"{path}: corrupt .lgir header (a number of thousands of digits)") from None
    if not isinstance(header, dict) or header.get("magic") != MAGIC:
        raise FormatError(f"{path}: not an .lgir file (bad magic in {HEADER})")
    version = header.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise FormatError(f"{path}: corrupt .lgir header (format_version {version!r})")
    if version > FORMAT_VERSION:
        raise FormatError(f"{path}: written by a newer lgcc ({header.get('lgcc_version', '?')}, .lgir format "
                          f"{version}; this lgcc reads up to {FORMAT_VERSION}); upgrade lgcc")
    return header


def _member_names(header: dict[str, Any]) -> list[str]:
    names = list(_ARRAYS)
    if header.get("layers"):
        names.append("layers")
    if header.get("encoding") is not None:
        names += ["enc_feature", "enc_threshold"]
    return names


def _read_array(zf: zipfile.ZipFile, name: str, path: Path) -> np.ndarray:
    """One 1-D ``.npy`` member, refusing object arrays and sizes the member cannot hold."""
    member = f"{name}.npy"
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise FormatError(f"{path}: corrupt .lgir file (array '{name}' is missing)") from None
    # typeshed types ZipFile.open as IO[bytes]; in read mode it is a ZipExtFile, which has readinto
    with cast(zipfile.ZipExtFile, zf.open(info)) as f:
        try:
            with warnings.catch_warnings():
                # numpy warns when a header needs its Python 2 parser (``(60L,)``): the header is
                # then valid, and a warning would be a second line on stderr
                warnings.simplefilter("ignore", UserWarning)
                version = np.lib.format.read_magic(f)
                reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                          else np.lib.format.read_array_header_2_0)
                shape, _, dtype = reader(f)
        except _NPY_HEADER_ERRORS as exc:  # not a .npy header
            raise FormatError(f"{path}: corrupt .lgir file (array '{name}': bad .npy header: "
                              f"{_reason(exc)})") from None
        if dtype.hasobject:
            raise FormatError(f"{path}: corrupt .lgir file (array '{name}' holds Python objects; refused)")
        want = np.dtype(_DTYPES[name])
        if dtype.str != want.str and (name not in _CONVERTED or dtype.kind != want.kind):
            raise FormatError(f"{path}: corrupt .lgir file (array '{name}' has dtype {dtype.str}, expected "
                              f"{want.str}; write it with lgcc.ir.formats.lgir.write)")
        if len(shape) != 1:
            raise FormatError(f"{path}: corrupt .lgir file (array '{name}' has shape {str(shape)[:40]}, "
                              "expected 1-D)")
        if shape[0] < 0:
            raise FormatError(f"{path}: corrupt .lgir file (array '{name}' has a negative length)")
        nbytes = shape[0] * dtype.itemsize
        if nbytes > info.file_size:  # checked before allocating, so a lying header cannot exhaust memory
            raise FormatError(f"{path}: corrupt .lgir file (array '{name}' is larger than its member)")
        buf = bytearray(nbytes)
        if f.readinto(buf) != nbytes:
            raise FormatError(f"{path}: truncated .lgir file (array '{name}' is short)")
    arr = np.frombuffer(buf, dtype=dtype)
    if dtype == want:
        return arr
    with np.errstate(over="ignore"):  # float64 values past float32 become inf: refused below, with no warning
        converted = arr.astype(want)
    overflow = np.isfinite(arr) & ~np.isfinite(converted) if want.kind == "f" else None
    if overflow is not None and overflow.any():
        value = float(arr[overflow][0])
        raise FormatError(f"{path}: corrupt .lgir file (array '{name}' holds {value:g}, beyond float32 range)")
    if not np.array_equal(converted, arr, equal_nan=True):  # e.g. feature ids past int32, float64 thresholds
        raise FormatError(f"{path}: corrupt .lgir file (array '{name}' does not fit dtype {want.str})")
    return converted


def _reason(exc: BaseException, limit: int = _MAX_REASON) -> str:
    """Why numpy refused a ``.npy`` header, or the graph its arrays: one line of at most ``limit``
    characters (numpy quotes the whole header, a graph error a number of any length)."""
    if isinstance(exc, (MemoryError, RecursionError)):
        return "nested too deeply"
    text = str(exc.args[0] if isinstance(exc, tokenize.TokenError) and exc.args else exc)
    text = " ".join(text.split()) or type(exc).__name__  # split(): every line break, CR and U+2028 too
    return text if len(text) <= limit else text[:limit] + "..."


def _count(where: dict[str, Any], key: str, what: str) -> int:
    """A non-negative integer field of the header, else ValueError naming it."""
    value = where.get(key)
    if type(value) is not int or not 0 <= value < 1 << 63:
        raise ValueError(f"{what} '{key}' must be a non-negative 64-bit integer, got {str(value)[:40]!r}")
    return value


def _assemble(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> Graph:
    n_gates, n_outputs = _count(header, "n_gates", "header field"), _count(header, "n_outputs", "header field")
    if arrays["op"].shape[0] != n_gates or arrays["outputs"].shape[0] != n_outputs:
        raise ValueError(f"header says {n_gates} gates and {n_outputs} outputs, arrays disagree")
    enc = None
    if header.get("encoding") is not None:
        if not isinstance(header["encoding"], dict):
            raise ValueError("header field 'encoding' must be a JSON object")
        enc = Encoding(_count(header["encoding"], "n_features", "encoding field"), arrays["enc_feature"],
                       arrays["enc_threshold"])
    head = Head.from_json(header["head"]) if header.get("head") is not None else None
    meta = header.get("meta", {})
    if not isinstance(meta, dict):
        raise ValueError("meta must be a JSON object")
    n_inputs = _count(header, "n_inputs", "header field")
    return Graph(n_inputs, arrays["op"], arrays["a"], arrays["b"], arrays["outputs"],
                 arrays["out_neg"], head=head, encoding=enc, layers=arrays.get("layers"), meta=meta)
