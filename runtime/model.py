"""``CompiledModel``: a C library built by ``lgcc compile --target c``, called through cffi.

cffi's ABI mode needs no compiler at load time: the declarations are rendered
from the template of ``model.h``'s API block for the prefix in ``model.json``
(the library's C API version is checked to be this lgcc's).  ``model.json``'s own
copy (``cdef``, for other tools) is not read: the signatures decide how memory is
passed, so text from a file that may have been edited is never trusted.  Every argument
is checked in Python before the call, so wrong shapes, dtypes or libraries raise
:class:`RuntimeModelError` instead of crashing; the C side checks again.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from lgcc.ir.errors import LgccError
from lgcc.ir.graph import class_labels_problem

from .dlname import fresh_name
from .elf import elf_problem

#: The C ABI version this runtime speaks (see ``lgcc.backends.c.render.ABI_VERSION``).
ABI_VERSION = 4
_FFI_LOCK = threading.Lock()
#: The C array type of each numpy dtype the library reads or writes.
_C_ARRAYS = {np.dtype(np.uint8): "uint8_t[]", np.dtype(np.float32): "float[]", np.dtype(np.uint64): "uint64_t[]",
             np.dtype(np.int32): "int32_t[]", np.dtype(np.float64): "double[]", np.dtype(np.bool_): "uint8_t[]"}


class RuntimeModelError(LgccError):
    """A compiled model cannot be loaded, or was called with unusable arguments."""


def _as_numpy(x: Any) -> np.ndarray:
    """numpy view of ``x``; CPU torch tensors are accepted without importing torch here."""
    if type(x).__module__.split(".")[0] == "torch":
        if getattr(x, "device", None) is not None and x.device.type != "cpu":
            raise RuntimeModelError(f"tensor is on {x.device}; move it to the CPU first (x.cpu())")
        x = x.detach()
        if str(x.dtype) == "torch.bfloat16":  # numpy has no bfloat16; float32 holds every value exactly
            x = x.float()
        try:
            x = x.numpy()
        except (TypeError, RuntimeError) as exc:  # sparse, quantized, conjugated-view tensors
            raise RuntimeModelError(f"cannot read this tensor as an array ({str(exc).splitlines()[0][:80]}); "
                                    "pass a dense CPU tensor of bool/uint8 bits or float features") from None
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except ValueError as exc:  # e.g. ragged nested lists
            raise RuntimeModelError(f"cannot read the input as an array ({str(exc).splitlines()[0][:80]}); "
                                    "pass a 2-D numpy array") from None
    return x


def _is_cuda_sources(meta: Path) -> bool:
    """Whether ``meta`` is the model.json of ``lgcc compile --target cuda`` (read only to word an error)."""
    try:
        data = json.loads(meta.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == "lgcc-cuda"


def _find_files(path: str | os.PathLike) -> tuple[Path, Path]:
    path = Path(path)
    if path.is_dir():
        lib, meta = path / "libmodel.so", path / "model.json"
    else:  # a library saved by CompiledLogicNet.compile keeps its model.json as NAME.json beside it
        lib = path
        meta = path.with_suffix(".json") if path.with_suffix(".json").is_file() else path.with_name("model.json")
    if not lib.is_file() or lib.suffix == ".json":
        if (lib.parent / "libmodel_cuda.so").is_file():  # what `lgcc compile --target cuda --build` leaves
            raise RuntimeModelError(f"{lib.parent} holds a CUDA model: load it with lgcc.runtime.load_cuda")
        if _is_cuda_sources(lib.parent / "model.json"):  # `lgcc compile --target cuda` without --build
            raise RuntimeModelError(f"{lib.parent} holds CUDA sources but no library: build it with 'lgcc compile "
                                    f"MODEL --target cuda --build -o {lib.parent}' (needs nvcc), then load it "
                                    "with lgcc.runtime.load_cuda")
    if not lib.is_file():
        raise RuntimeModelError(f"{lib}: no such library (expected the output folder of 'lgcc compile --target c')")
    if not meta.is_file() and lib.suffix != ".so":
        raise RuntimeModelError(f"{lib}: not a compiled model; give the output folder of "
                                "'lgcc compile --target c' (or its libmodel.so)")
    if not meta.is_file():
        raise RuntimeModelError(f"{meta}: missing; it is written beside libmodel.so by 'lgcc compile --target c' "
                                f"(a library saved by CompiledLogicNet.compile keeps it as {lib.stem}.json)")
    return lib, meta


def _declarations(meta_path: Path, prefix: Any) -> str:
    """The cffi declarations of this lgcc's C API for ``prefix`` (model.json's ``cdef`` is not trusted)."""
    from lgcc.backends import check_c_prefix
    from lgcc.backends.c.render import COptions
    from lgcc.backends.c.render import cdef as render_cdef

    try:
        return render_cdef(COptions(prefix=check_c_prefix(prefix)))
    except (LgccError, TypeError):  # TypeError: a prefix that is not text
        raise RuntimeModelError(f"{meta_path}: prefix {prefix!r:.40} cannot name C symbols (model.json was "
                                "modified); rebuild with lgcc compile --target c") from None


class CompiledModel:
    """A loaded C model: ``predict``, ``scores`` and ``outputs`` on numpy arrays or CPU tensors."""

    def __init__(self, path: str | os.PathLike):
        import cffi

        from lgcc.backends.c.toolchain import machine_runs

        lib_path, meta_path = _find_files(path)
        try:
            self.meta: dict[str, Any] = json.loads(meta_path.read_text())
            prefix = self.meta["prefix"]
        except (ValueError, KeyError, TypeError, OSError) as exc:  # TypeError: JSON that is not an object
            raise RuntimeModelError(f"{meta_path}: not a model.json of lgcc's C target ({exc}); "
                                    "recompile the model") from None
        if self.meta.get("abi_version") != ABI_VERSION:
            raise RuntimeModelError(f"{meta_path}: C API version {self.meta.get('abi_version')}, this lgcc "
                                    f"speaks {ABI_VERSION}: recompile the model with this lgcc")
        isa = self.meta.get("isa", "portable")
        if isa in ("portable", "sse2", "avx2", "avx512", "neon") and not machine_runs(isa):
            raise RuntimeModelError(f"{lib_path}: built for {isa}, which this machine cannot run; "
                                    "recompile with --isa auto or --isa portable")
        self.ffi = cffi.FFI()
        self.ffi.cdef(_declarations(meta_path, prefix))
        problem = elf_problem(lib_path, "lgcc compile --target c")  # dlopen of a truncated one: SIGBUS
        if problem:
            raise RuntimeModelError(f"{lib_path}: {problem}")
        with _FFI_LOCK, fresh_name(lib_path) as dl_name:  # a fresh name: a recompiled model is not the old one
            try:
                self.lib = self.ffi.dlopen(dl_name)
            except OSError as exc:  # cffi appends a paragraph about find_library: keep the loader's reason
                reason = str(exc).split(".  Additionally")[0].splitlines()[0].replace(dl_name, str(lib_path))
                raise RuntimeModelError(f"{lib_path}: cannot load the library ({reason}); "
                                        "recompile the model (lgcc compile --target c)") from None
        try:
            self._fn = {name: getattr(self.lib, f"{prefix}_{name}") for name in (
                "abi_version", "strerror", "n_inputs", "n_classes", "n_outputs", "n_features",
                *(f"{out}_{kind}" for out in ("predict", "scores", "outputs")
                  for kind in ("bits", "features", "sliced", "packed", "features_f64")), "outputs_words")}
        except AttributeError as exc:
            raise RuntimeModelError(f"{lib_path}: symbols of prefix '{prefix}' missing ({exc})") from None
        #: The library's code for a byte of rows of bits that is neither 0 nor 1.
        self._err_not_bits = int(getattr(self.lib, f"{prefix}_ERR_NOT_BITS", -1))
        if self._fn["abi_version"]() != ABI_VERSION:
            raise RuntimeModelError(f"{lib_path}: library ABI {self._fn['abi_version']()} does not match "
                                    f"model.json; rebuild the model")
        self.n_inputs = int(self._fn["n_inputs"]())
        self.n_outputs = int(self._fn["n_outputs"]())
        self.n_classes = int(self._fn["n_classes"]())
        told = {"n_inputs": self.n_inputs, "n_outputs": self.n_outputs, "classes": self.n_classes}
        differ = [k for k, v in told.items() if self.meta.get(k) is not None and self.meta[k] != v]
        if differ:  # the .so of another model copied beside this model.json
            raise RuntimeModelError(f"{lib_path}: does not belong to {meta_path.name} ({differ[0]} "
                                    f"{told[differ[0]]} vs {self.meta[differ[0]]}); recompile the model")
        self.n_features = int(self._fn["n_features"]()) if self.meta.get("encoding") else None
        self.tau = self.meta.get("tau")
        #: The user's label of each class index (``lgcc train`` records them), else None.
        self.class_labels: list | None = self.meta.get("class_labels")
        problem = class_labels_problem(self.class_labels, self.n_classes)
        if problem:
            raise RuntimeModelError(f"{meta_path}: {problem} (model.json was modified); "
                                    "rebuild with lgcc compile --target c")
        self.isa = isa
        self.path = lib_path

    def __repr__(self) -> str:
        return (f"CompiledModel({str(self.path)!r}, inputs={self.n_inputs}, classes={self.n_classes or None}, "
                f"isa={self.isa})")

    # ------------------------------------------------------------ arguments
    def _takes(self) -> str:
        """What ``predict``/``scores``/``outputs`` read, for error messages."""
        bits = f"bits (N, {self.n_inputs}) as bool/uint8"
        return bits if self.n_features is None else f"features (N, {self.n_features}) as floats, or {bits}"

    def _input(self, x: Any) -> tuple[str, np.ndarray]:
        """Classify ``x`` as bits or features and return a C-contiguous array of the right dtype."""
        x = _as_numpy(x)
        if x.ndim != 2:
            hint = (" (use x[None] for one sample)" if x.ndim == 1
                    else " (flatten each sample: x.reshape(len(x), -1))" if x.ndim > 2 else "")
            raise RuntimeModelError(f"expected a 2-D batch of {self._takes()}; got shape {x.shape}{hint}")
        if x.dtype.kind == "f":
            if self.n_features is None:
                raise RuntimeModelError(f"this model has no input encoding: pass 0/1 bits (N, {self.n_inputs}) "
                                        "as bool or uint8, not floats")
            if x.shape[1] != self.n_features:
                hint = ("; bits must be bool/uint8 (x.astype('uint8'))" if x.shape[1] == self.n_inputs else "")
                raise RuntimeModelError(f"expected {self._takes()}; got {x.dtype} of shape {x.shape}{hint}")
            if x.dtype == np.float64:  # the library rounds each value to float32 as it reads it: no copy
                return "features_f64", np.ascontiguousarray(x)
            with np.errstate(over="ignore"):  # beyond float32's range: +-inf, above or below every threshold alike
                return "features", np.ascontiguousarray(x, dtype=np.float32)
        if x.dtype == np.bool_ or x.dtype.kind in "iu":
            if x.shape[1] != self.n_inputs:
                raise RuntimeModelError(f"expected {self._takes()}; got {x.dtype} of shape {x.shape}"
                                        f"{self._bits_hint(x)}")
            # uint8 and bool rows go as they are: the library refuses bytes other than 0 and 1 while
            # it reads them (a pass of numpy here took a third of the call); wider integers are
            # checked before the narrowing copy, which would wrap 256 to 0
            if x.dtype.itemsize > 1 and x.size and ((x.dtype.kind == "i" and x.min() < 0) or x.max() > 1):
                raise RuntimeModelError(f"input bits must be 0 or 1{self._bits_hint(x)}")
            if x.dtype == np.bool_:  # passed as bytes too, but _call needs to know it was bool
                return "bits", np.ascontiguousarray(x)
            return "bits", np.ascontiguousarray(x).view(np.uint8) if x.dtype.itemsize == 1 else \
                np.ascontiguousarray(x, dtype=np.uint8)
        raise RuntimeModelError(f"unsupported dtype {x.dtype}: pass {self._takes()}")

    def _bits_hint(self, x: np.ndarray) -> str:
        """The hint for integer rows as wide as the features: they were meant as features."""
        return ("; integer arrays are read as bits: pass raw features as floats (x.astype('float32'))"
                if x.shape[1] == self.n_features and x.dtype != np.bool_ else "")

    @staticmethod
    def _threads(threads: int | None) -> int:
        if threads is None:
            return 0
        if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or not 0 <= threads < 2 ** 31:
            raise RuntimeModelError(f"threads must be an integer from 0 to {2 ** 31 - 1} (0: the library's default; "
                                    f"a call starts at most 256), got {threads!r}")
        return int(threads)

    def _call(self, what: str, kind: str, x: np.ndarray, n: int, out: np.ndarray, threads: int) -> np.ndarray:
        if n == 0:
            return out
        rc = self._fn[f"{what}_{kind}"](self.ffi.from_buffer(_C_ARRAYS[x.dtype], x), n,
                                        self.ffi.from_buffer(_C_ARRAYS[out.dtype], out, require_writable=True), threads)
        if rc == self._err_not_bits and x.dtype == np.bool_:
            # a bool array holding bytes other than 0 and 1 (a .view(bool) of other data): numpy and the
            # simulator read every byte but 0 as True, so the call is made again on 0/1 bytes (a copy)
            return self._call(what, kind, x.view(np.uint8) != 0, n, out, threads)
        if rc == self._err_not_bits:
            raise RuntimeModelError(f"input bits must be 0 or 1{self._bits_hint(x)}")
        if rc != 0:
            msg = self.ffi.string(self._fn["strerror"](rc)).decode()
            raise RuntimeModelError(f"{self.path.name}: {what}_{kind} failed: {msg}")
        return out

    def _sliced(self, words: Any) -> np.ndarray:
        """``words`` as contiguous uint64 ``(n_inputs, W)``, or a clear error.

        int64 words (torch's 64-bit integer type: torch has no usable uint64) are the same
        bits: they are viewed as uint64, not copied."""
        words = _as_numpy(words)
        given = f"{words.dtype} {words.shape}"
        if words.dtype == np.int64:
            words = words.view(np.uint64)
        if words.dtype != np.uint64 or words.ndim != 2 or words.shape[0] != self.n_inputs:
            raise RuntimeModelError(f"expected uint64 or int64 words of shape ({self.n_inputs}, W), got {given}")
        return np.ascontiguousarray(words)

    def _need_head(self) -> None:
        if not self.n_classes:
            raise RuntimeModelError("this model has no GroupSum head: use outputs() for the raw output bits")

    # ----------------------------------------------------------------- calls
    def predict(self, x: Any, threads: int | None = None) -> np.ndarray:
        """Class of each row (argmax of :meth:`scores`, ties to the lowest index), int32 ``(N,)``."""
        self._need_head()
        kind, arr = self._input(x)
        return self._call("predict", kind, arr, arr.shape[0], np.empty(arr.shape[0], np.int32), self._threads(threads))

    def scores(self, x: Any, threads: int | None = None) -> np.ndarray:
        """Integer class scores ``(N, k)``: popcount plus offset; GroupSum's value is ``scores / tau``."""
        self._need_head()
        kind, arr = self._input(x)
        out = np.empty((arr.shape[0], self.n_classes), np.int32)
        return self._call("scores", kind, arr, arr.shape[0], out, self._threads(threads))

    def outputs(self, x: Any, threads: int | None = None) -> np.ndarray:
        """Raw output bits ``(N, n_outputs)`` as bool."""
        kind, arr = self._input(x)
        out = np.empty((arr.shape[0], self.n_outputs), np.uint8)
        return self._call("outputs", kind, arr, arr.shape[0], out, self._threads(threads)).view(np.bool_)

    def predict_sliced(self, words: Any, threads: int | None = None) -> np.ndarray:
        """Classes of already bit-sliced input: uint64 ``(n_inputs, W)`` -> int32 ``(64 * W,)``.

        Bit ``j`` of ``words[i, w]`` is input ``i`` of sample ``64 * w + j``
        (the layout of :func:`lgcc.ir.simulate.pack_rows`).  Every ``_sliced``/``_words``
        entry also takes int64 words (numpy or CPU torch), read as the same 64 bits.
        """
        self._need_head()
        words = self._sliced(words)
        out = np.empty(64 * words.shape[1], np.int32)
        return self._call("predict", "sliced", words, words.shape[1], out, self._threads(threads))

    def scores_sliced(self, words: Any, threads: int | None = None) -> np.ndarray:
        """Integer class scores of already bit-sliced input: uint64 ``(n_inputs, W)`` -> int32 ``(64 * W, k)``."""
        self._need_head()
        words = self._sliced(words)
        out = np.empty((64 * words.shape[1], self.n_classes), np.int32)
        return self._call("scores", "sliced", words, words.shape[1], out, self._threads(threads))

    def outputs_sliced(self, words: Any, threads: int | None = None) -> np.ndarray:
        """Raw output bits of already bit-sliced input: uint64 ``(n_inputs, W)`` -> bool ``(64 * W, n_outputs)``."""
        words = self._sliced(words)
        out = np.empty((64 * words.shape[1], self.n_outputs), np.uint8)
        return self._call("outputs", "sliced", words, words.shape[1], out, self._threads(threads)).view(np.bool_)

    def outputs_words(self, words: Any, threads: int | None = None) -> np.ndarray:
        """Raw output bits, bit-sliced in and out: uint64 ``(n_inputs, W)`` -> uint64 ``(n_outputs, W)``.

        The layout of :func:`lgcc.ir.simulate.simulate_words`, and 8x less to write than
        :meth:`outputs_sliced`.
        """
        words = self._sliced(words)
        out = np.empty((self.n_outputs, words.shape[1]), np.uint64)
        return self._call("outputs", "words", words, words.shape[1], out, self._threads(threads))

    def predict_packed(self, rows: Any, threads: int | None = None) -> np.ndarray:
        """Classes of rows packed 8 inputs per byte: uint8 ``(N, ceil(n_inputs / 8))`` -> int32 ``(N,)``.

        The layout of ``numpy.packbits(bits, axis=1)`` (first input in the most
        significant bit); it reads 8x less memory than :meth:`predict` on bits.
        """
        self._need_head()
        rows = _as_numpy(rows)
        width = (self.n_inputs + 7) // 8
        if rows.dtype != np.uint8 or rows.ndim != 2 or rows.shape[1] != width:
            raise RuntimeModelError(f"expected packed uint8 rows of shape (N, {width}) (numpy.packbits(bits, axis=1)), "
                                    f"got {rows.dtype} {rows.shape}")
        rows = np.ascontiguousarray(rows)
        out = np.empty(rows.shape[0], np.int32)
        return self._call("predict", "packed", rows, rows.shape[0], out, self._threads(threads))


def load(path: str | os.PathLike) -> CompiledModel:
    """Load the C model in ``path`` (an ``lgcc compile --target c`` output folder or its ``libmodel.so``)."""
    return CompiledModel(path)
