"""Load a model built by ``lgcc compile --target cuda --build`` and run it on torch CUDA tensors.

``load_cuda(outdir)`` returns a :class:`CudaModel`.  Inputs are CUDA tensors: rows of bits
(bool/uint8, ``[N, n_inputs]``), packed words (int64 ``[n_inputs, ceil(N/64)]``, bit j of word
w = sample 64 w + j, as :func:`lgcc.ir.simulate.pack_rows` makes them) or, for models with an
input encoding, raw features (floats ``[N, n_features]``, read as float32; uint8 rows of such
a model must be 0/1).  Results are CUDA tensors made on the caller's current stream: scores
int32 ``[N, k]`` (popcount + offset; divide by ``tau`` for GroupSum's value), classes int64
``[N]``.  The library is called through ctypes; its gate tables are uploaded once per device.
"""

from __future__ import annotations

import ctypes
import json
import re
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lgcc.ir.errors import LgccError
from lgcc.ir.graph import class_labels_problem

from .dlname import fresh_name
from .elf import elf_problem

if TYPE_CHECKING:
    import torch

LIBRARY = "libmodel_cuda.so"
_MODES = {"auto": 0, "straight": 1, "fused": 2, "levels": 3}
_P, _I64, _SZ = ctypes.c_void_p, ctypes.c_int64, ctypes.c_size_t
_C_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _torch() -> ModuleType:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        raise LgccError("load_cuda needs PyTorch with CUDA") from None
    return torch


def rows_for_packing(x: torch.Tensor, n_inputs: int, n_features: int) -> tuple[str, torch.Tensor]:
    """Classify 2-D rows as ``'bits'`` (bool/uint8) or ``'features'`` (floats) and return them contiguous.

    Floats of any width are features, converted to the float32 the encoder reads (as the C
    runtime does).  Where the model has an encoding, uint8 rows must be 0/1: pixels 0..255
    passed as bits would otherwise read as ``x != 0`` instead of the thresholds, silently.
    """
    torch = _torch()
    if x.dtype in (torch.bool, torch.uint8):
        hint = "; raw features must be floats (x.float())" if n_features and x.shape[1] == n_features else ""
        if x.shape[1] != n_inputs:
            raise LgccError(f"expected rows of {n_inputs} input bits, got shape {tuple(x.shape)}{hint}")
        if x.dtype == torch.uint8 and n_features and x.numel() and int(x.max()) > 1:
            raise LgccError(f"input bits must be 0 or 1{hint}")
        return "bits", x.contiguous()
    if x.dtype.is_floating_point:
        if not n_features:
            raise LgccError("this model has no input encoding: pass bits (bool/uint8) or packed int64 words")
        if x.shape[1] != n_features:
            raise LgccError(f"expected {n_features} features per row, got shape {tuple(x.shape)}")
        return "features", x.to(torch.float32).contiguous()
    raise LgccError(f"unsupported input dtype {x.dtype}: use bool/uint8 rows, float features or int64 words")


class CudaModel:
    """A compiled CUDA model; call :meth:`scores`, :meth:`predict`, :meth:`outputs` or :meth:`pack`."""

    def __init__(self, outdir: str | Path) -> None:
        outdir = Path(outdir)
        if outdir.is_file():  # its model.json or libmodel_cuda.so, as lgcc.runtime.load takes libmodel.so
            outdir = outdir.parent
        meta_path = outdir / "model.json"
        try:
            meta = json.loads(meta_path.read_text())
        except FileNotFoundError:
            raise LgccError(f"{meta_path} not found: compile with `lgcc compile MODEL --target cuda --build -o DIR`") from None
        except (OSError, ValueError) as exc:
            raise LgccError(f"{meta_path} is unreadable: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != "lgcc-cuda" or meta.get("version") != 1:
            meta = meta if isinstance(meta, dict) else {}
            if "abi_version" in meta:  # only the C target's model.json has one
                raise LgccError(f"{outdir} holds a C model (lgcc compile --target c): load it with lgcc.runtime.load")
            raise LgccError(f"{meta_path} is not an lgcc CUDA model (format {meta.get('format')!r}, "
                            f"version {meta.get('version')!r}); recompile it with this lgcc")
        lib_path = outdir / LIBRARY
        if not lib_path.exists():
            raise LgccError(f"{lib_path} not found: compile with --build (needs nvcc)")
        torch = _torch()
        if not torch.cuda.is_available():
            raise LgccError("no CUDA GPU is visible to torch: load_cuda needs one (use lgcc.runtime.load for the C target)")
        self.meta: dict[str, Any] = meta
        try:
            self.n_inputs: int = int(meta["n_inputs"])
            self.n_outputs: int = int(meta["n_outputs"])
            self.k: int = int(meta["head"]["k"]) if meta.get("head") else 0
            self.tau: float = float(meta["head"]["tau"]) if meta.get("head") else 1.0
            self.n_features: int = int(meta["encoding"]["n_features"]) if meta.get("encoding") else 0
            #: The user's label of each class index (``lgcc train`` records them), else None.
            self.class_labels: list | None = meta.get("class_labels")
            prefix = meta["prefix"]  # names the library's symbols: a C identifier, or no lookup makes sense
            if not isinstance(prefix, str) or not _C_NAME.fullmatch(prefix):
                raise ValueError(f"prefix {prefix!r} is not a C identifier")
        except (KeyError, TypeError, ValueError) as exc:
            raise LgccError(f"{meta_path} is damaged (field {exc}); recompile the model with this lgcc") from None
        problem = class_labels_problem(self.class_labels, self.k)
        if problem:
            raise LgccError(f"{meta_path}: {problem} (model.json was modified); "
                            "rebuild with lgcc compile --target cuda --build")
        problem = elf_problem(lib_path, "lgcc compile --target cuda --build")  # dlopen of a truncated one: SIGBUS
        if problem:
            raise LgccError(f"{lib_path}: {problem}")
        with fresh_name(lib_path) as dl_name:  # a fresh name: a recompiled model is not the old one
            try:
                self._lib = ctypes.CDLL(dl_name)
            except OSError as exc:
                raise LgccError(f"cannot load {lib_path}: {str(exc).replace(dl_name, str(lib_path))}") from None
        self._fn = self._bind(prefix)
        self._check_dims(meta_path)
        self._handles: dict[int, ctypes.c_void_p] = {}
        self._mode = 0

    def _bind(self, p: str) -> dict[str, Any]:
        sig = {
            "create": ([ctypes.c_int, ctypes.POINTER(_P)], ctypes.c_int),
            "destroy": ([_P], None),
            "set_mode": ([_P, ctypes.c_int], ctypes.c_int),
            "mode": ([_P], ctypes.c_int),
            "error_string": ([ctypes.c_int], ctypes.c_char_p),
            "dims": ([ctypes.POINTER(_I64)], None),
            "workspace_size": ([_P, _I64], _SZ),
            "pack_rows": ([_P, _P, _I64, _I64, _P, _I64, _P], ctypes.c_int),
            "pack_features": ([_P, _P, _I64, _I64, _P, _I64, _P], ctypes.c_int),
            "outputs": ([_P, _P, _I64, _I64, _P, _I64, _P, _SZ, _P], ctypes.c_int),
            "scores": ([_P, _P, _I64, _I64, _P, _P, _P, _SZ, _P], ctypes.c_int),
        }
        fns = {}
        for name, (args, res) in sig.items():
            try:
                fn = getattr(self._lib, f"{p}_{name}")
            except AttributeError:
                raise LgccError(f"{LIBRARY} has no function {p}_{name}: rebuild it with this lgcc") from None
            fn.argtypes, fn.restype = args, res
            fns[name] = fn
        return fns

    def _check_dims(self, meta_path: Path) -> None:
        """Refuse a model.json that describes another model than the library: shapes taken from it
        would make the kernels read and write past the caller's arrays."""
        dims = (_I64 * 4)()
        self._fn["dims"](dims)
        built = dict(zip(("inputs", "outputs", "classes", "features"), dims))
        said = {"inputs": self.n_inputs, "outputs": self.n_outputs, "classes": self.k, "features": self.n_features}
        wrong = [f"{said[key]} {key} (the library has {built[key]})" for key in said if said[key] != built[key]]
        if wrong:
            raise LgccError(f"{meta_path} does not describe {LIBRARY} beside it: it says {', '.join(wrong)}; "
                            "compile the model again into this folder")

    # ------------------------------------------------------------ plumbing
    def _check(self, rc: int, what: str) -> None:
        if rc:
            raise LgccError(f"{what} failed: {self._fn['error_string'](rc).decode()} (code {rc})")

    def _handle(self, device_index: int) -> ctypes.c_void_p:
        h = self._handles.get(device_index)
        if h is None:
            h = _P()
            self._check(self._fn["create"](device_index, ctypes.byref(h)), "uploading the model to the GPU")
            if self._mode:
                self._check(self._fn["set_mode"](h, self._mode), "setting the mode")
            self._handles[device_index] = h
        return h

    def _stream(self, device: torch.device) -> ctypes.c_void_p:
        return ctypes.c_void_p(_torch().cuda.current_stream(device).cuda_stream)

    def set_mode(self, mode: str) -> None:
        """Force an execution shape: 'auto', 'straight', 'fused' or 'levels' (for benchmarks)."""
        if mode not in _MODES:
            raise LgccError(f"mode must be one of {sorted(_MODES)}, got {mode!r}")
        self._handle(_torch().cuda.current_device())  # so the mode is checked against a real model
        for h in self._handles.values():
            self._check(self._fn["set_mode"](h, _MODES[mode]), f"mode {mode!r}")
        self._mode = _MODES[mode]

    def mode(self, device: Any = None) -> str:
        """The execution shape used on ``device`` (default: the current one)."""
        torch = _torch()
        idx = torch.device(device).index if device is not None else None
        code = self._fn["mode"](self._handle(torch.cuda.current_device() if idx is None else idx))
        return {v: k for k, v in _MODES.items()}[code]

    def _need_cuda(self, x: object, what: str) -> torch.Tensor:
        torch = _torch()
        if not isinstance(x, torch.Tensor):
            raise LgccError(f"{what} must be a torch CUDA tensor, got {type(x).__name__}")
        if not x.is_cuda:
            raise LgccError(f"{what} is on {x.device}: move it to the GPU (x.cuda()) or use the C target for CPU data")
        return x

    # ------------------------------------------------------------- packing
    def pack(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Rows of bits or raw features (CUDA) -> (int64 words ``[n_inputs, W]``, n_samples), on the GPU."""
        torch = _torch()
        x = self._need_cuda(x, "input")
        if x.dim() != 2:
            raise LgccError(f"expected a 2-D input, got shape {tuple(x.shape)}")
        kind, x = rows_for_packing(x, self.n_inputs, self.n_features)
        n = int(x.shape[0])
        words = torch.empty((self.n_inputs, (n + 63) // 64), dtype=torch.int64, device=x.device)
        h = self._handle(x.device.index)
        fn = "pack_rows" if kind == "bits" else "pack_features"
        rc = self._fn[fn](h, x.data_ptr(), n, x.shape[1], words.data_ptr(), words.shape[1], self._stream(x.device))
        self._check(rc, "packing rows" if kind == "bits" else "encoding features")
        return words, n

    def _words(self, x: torch.Tensor, n_samples: int | None) -> tuple[torch.Tensor, int]:
        torch = _torch()
        x = self._need_cuda(x, "input")
        if x.dtype != torch.int64:
            return self.pack(x)
        if x.dim() != 2 or x.shape[0] != self.n_inputs:
            raise LgccError(f"packed input must be int64 [{self.n_inputs}, W], got shape {tuple(x.shape)}")
        n = 64 * int(x.shape[1]) if n_samples is None else int(n_samples)
        if not 0 <= n <= 64 * x.shape[1]:
            raise LgccError(f"n_samples={n} does not fit {x.shape[1]} words")
        return x.contiguous(), n

    def _workspace(self, h: ctypes.c_void_p, device: torch.device, n_words: int) -> tuple[torch.Tensor, int]:
        torch = _torch()
        size = int(self._fn["workspace_size"](h, n_words))
        buf = torch.empty(max(size, 1), dtype=torch.uint8, device=device)
        return buf, size

    # ------------------------------------------------------------ inference
    def outputs(self, x: torch.Tensor, n_samples: int | None = None) -> torch.Tensor:
        """Output bits as int64 words ``[n_outputs, W]`` (negations applied)."""
        torch = _torch()
        words, n = self._words(x, n_samples)
        n_words = (n + 63) // 64
        out = torch.zeros((self.n_outputs, n_words), dtype=torch.int64, device=words.device)
        h = self._handle(words.device.index)
        ws, size = self._workspace(h, words.device, n_words)
        rc = self._fn["outputs"](h, words.data_ptr(), words.shape[1], n_words, out.data_ptr(), n_words,
                                 ws.data_ptr() if size else None, size, self._stream(words.device))
        self._check(rc, "evaluating outputs")
        return out

    def run(self, x: torch.Tensor, n_samples: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(scores int32 [N, k], classes int64 [N])`` on the GPU."""
        torch = _torch()
        if not self.k:
            raise LgccError("this model has no GroupSum head: use outputs()")
        words, n = self._words(x, n_samples)
        scores = torch.empty((n, self.k), dtype=torch.int32, device=words.device)
        classes = torch.empty(n, dtype=torch.int64, device=words.device)
        h = self._handle(words.device.index)
        ws, size = self._workspace(h, words.device, (n + 63) // 64)
        rc = self._fn["scores"](h, words.data_ptr(), words.shape[1], n, scores.data_ptr(), classes.data_ptr(),
                                ws.data_ptr() if size else None, size, self._stream(words.device))
        self._check(rc, "evaluating scores")
        return scores, classes

    __call__ = run

    def scores(self, x: torch.Tensor, n_samples: int | None = None) -> torch.Tensor:
        """Integer class scores int32 ``[N, k]``."""
        return self.run(x, n_samples)[0]

    def predict(self, x: torch.Tensor, n_samples: int | None = None) -> torch.Tensor:
        """Predicted classes int64 ``[N]`` (argmax, ties to the lowest index)."""
        return self.run(x, n_samples)[1]

    def tune(self, n_samples: int = 1 << 16, repeat: int = 3, device: Any = None) -> dict[str, float]:
        """Time every execution shape this model has on random inputs and keep the fastest.

        Returns seconds per call for each shape (the GPU, batch size and model decide which
        wins, so this measures instead of guessing).
        """
        torch = _torch()
        dev = torch.device(device) if device is not None else torch.device("cuda", torch.cuda.current_device())
        words = torch.randint(-2**62, 2**62, (self.n_inputs, (n_samples + 63) // 64), dtype=torch.int64, device=dev)
        call = (lambda: self.run(words, n_samples)) if self.k else (lambda: self.outputs(words, n_samples))
        times: dict[str, float] = {}
        for mode in ("straight", "fused", "levels"):
            try:
                self.set_mode(mode)
            except LgccError:
                continue  # not compiled in, or does not fit this GPU's shared memory
            call()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(repeat):
                call()
            end.record()
            end.synchronize()
            times[mode] = start.elapsed_time(end) / 1000 / repeat
        self.set_mode(min(times, key=times.__getitem__))
        return times

    def close(self) -> None:
        """Free the GPU copies of the tables (also done when the model is garbage collected)."""
        for h in self._handles.values():
            self._fn["destroy"](h)
        self._handles.clear()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown may have unloaded the library
            pass


def load_cuda(outdir: str | Path) -> CudaModel:
    """Load ``OUTDIR/libmodel_cuda.so`` (from ``lgcc compile MODEL --target cuda --build -o OUTDIR``).

    ``outdir`` may also name a file in that folder (its ``libmodel_cuda.so`` or ``model.json``).
    """
    return CudaModel(outdir)
