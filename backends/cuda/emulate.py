"""Run a rendered CUDA model on the CPU: the same ``model.cu`` against a stand-in CUDA runtime.

Tests on machines without a GPU compile ``model.cu`` as C++ with ``-DLGCC_FAKE_CUDA``
(``lgcc_fake_cuda.h``: blocks run in turn, threads of barrier kernels are real threads,
shared memory is a per-block buffer) and call its real ``extern "C"`` API through ctypes
with host arrays in place of device pointers.  Every kernel, execution mode, the head,
the packing and the workspace chunking run exactly as written; only GPU timing and memory
semantics beyond that model are not exercised.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lgcc.ir.errors import LgccError, WorkFailed

MODES = {"auto": 0, "straight": 1, "fused": 2, "levels": 3}
_P, _I64, _SZ = ctypes.c_void_p, ctypes.c_int64, ctypes.c_size_t
_HEADER_DIR = Path(__file__).resolve().parent


def _ptr(a: np.ndarray | None) -> int | None:
    return None if a is None else a.ctypes.data


class Emulator:
    """A rendered model compiled for the CPU; methods mirror :class:`lgcc.runtime.cuda.CudaModel`."""

    def __init__(self, lib_path: Path, prefix: str, n_inputs: int, n_outputs: int, k: int, device: int = 0) -> None:
        self._lib = ctypes.CDLL(str(lib_path))
        sig = {
            "create": ([ctypes.c_int, ctypes.POINTER(_P)], ctypes.c_int),
            "destroy": ([_P], None),
            "set_mode": ([_P, ctypes.c_int], ctypes.c_int),
            "mode": ([_P], ctypes.c_int),
            "workspace_size": ([_P, _I64], _SZ),
            "pack_rows": ([_P, _P, _I64, _I64, _P, _I64, _P], ctypes.c_int),
            "pack_features": ([_P, _P, _I64, _I64, _P, _I64, _P], ctypes.c_int),
            "outputs": ([_P, _P, _I64, _I64, _P, _I64, _P, _SZ, _P], ctypes.c_int),
            "scores": ([_P, _P, _I64, _I64, _P, _P, _P, _SZ, _P], ctypes.c_int),
        }
        self._fn = {}
        for name, (args, res) in sig.items():
            fn = getattr(self._lib, f"{prefix}_{name}")
            fn.argtypes, fn.restype = args, res
            self._fn[name] = fn
        self.n_inputs, self.n_outputs, self.k = n_inputs, n_outputs, k
        self._h = _P()
        self._call("create", device, ctypes.byref(self._h))

    def _call(self, name: str, *args: object) -> None:
        rc = self._fn[name](*args)
        if rc:
            raise WorkFailed(f"{name} returned error code {rc}")

    def current_device(self) -> int:
        """The calling thread's current device in the stand-in runtime (API calls must leave it alone)."""
        return int(self._lib.lgcc_fake_get_device())

    def set_mode(self, mode: str) -> None:
        """Force an execution shape ('auto', 'straight', 'fused', 'levels')."""
        self._call("set_mode", self._h, MODES[mode])

    def mode(self) -> str:
        """The execution shape in use."""
        return {v: k for k, v in MODES.items()}[self._fn["mode"](self._h)]

    def workspace_size(self, n_words: int) -> int:
        """Bytes of workspace the model asks for ``n_words`` words."""
        return int(self._fn["workspace_size"](self._h, n_words))

    def _pack(self, name: str, rows: np.ndarray, dtype: npt.DTypeLike) -> np.ndarray:
        rows = np.ascontiguousarray(rows, dtype=dtype)
        n = rows.shape[0]
        words = np.zeros((self.n_inputs, (n + 63) // 64), dtype=np.uint64)
        self._call(name, self._h, _ptr(rows), n, rows.shape[1], _ptr(words), words.shape[1], None)
        return words

    def pack_rows(self, rows: np.ndarray) -> np.ndarray:
        """Rows of 0/1 values ``(N, n_inputs)`` -> words ``(n_inputs, W)``, by the packing kernel."""
        return self._pack("pack_rows", rows, np.uint8)

    def pack_features(self, x: np.ndarray) -> np.ndarray:
        """Raw features ``float32 (N, n_features)`` -> words, by the encoding kernel."""
        return self._pack("pack_features", x, np.float32)

    def _workspace(self, n_words: int, workspace_words: int | None) -> tuple[np.ndarray | None, int]:
        size = self.workspace_size(n_words)
        if workspace_words is not None and size:
            size = min(size, size // max(1, n_words) * workspace_words)  # force chunking
        return (np.empty(size, dtype=np.uint8) if size else None), size

    def outputs(self, words: np.ndarray, workspace_words: int | None = None) -> np.ndarray:
        """Output words ``(n_outputs, W)``; ``workspace_words`` shrinks the workspace to that many words."""
        words = np.ascontiguousarray(words, dtype=np.uint64)
        n_words = words.shape[1]
        out = np.zeros((self.n_outputs, n_words), dtype=np.uint64)
        ws, size = self._workspace(n_words, workspace_words)
        self._call("outputs", self._h, _ptr(words), n_words, n_words, _ptr(out), n_words, _ptr(ws), size, None)
        return out

    def scores(self, words: np.ndarray, n_samples: int,
               workspace_words: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores ``int32 (N, k)`` and classes ``int64 (N,)``."""
        words = np.ascontiguousarray(words, dtype=np.uint64)
        scores = np.zeros((n_samples, self.k), dtype=np.int32)
        classes = np.zeros(n_samples, dtype=np.int64)
        ws, size = self._workspace(words.shape[1], workspace_words)
        self._call("scores", self._h, _ptr(words), words.shape[1], n_samples, _ptr(scores), _ptr(classes),
                   _ptr(ws), size, None)
        return scores, classes

    def __del__(self) -> None:
        if getattr(self, "_h", None):
            self._fn["destroy"](self._h)


def build_emulator(files: dict[str, str], workdir: Path, prefix: str, n_inputs: int, n_outputs: int,
                   k: int, device: int = 0) -> Emulator:
    """Write ``files`` (from :func:`render`) into ``workdir`` and compile them for the CPU.

    ``device`` (0 or 1: the stand-in has two) is the one the model is created on.
    """
    cxx, cc = shutil.which("g++"), shutil.which("gcc")
    if not cxx or not cc:
        raise LgccError("the CUDA emulation needs gcc and g++ on PATH")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (workdir / name).write_text(text)
    steps = [
        [cc, "-O1", "-fPIC", "-c", "model_tables.c", "-o", "model_tables.o"],
        [cxx, "-O1", "-fPIC", "-std=c++17", "-pthread", "-DLGCC_FAKE_CUDA", f"-I{_HEADER_DIR}",
         "-x", "c++", "-c", "model.cu", "-o", "model_fake.o"],
        [cxx, "-shared", "-pthread", "model_fake.o", "model_tables.o", "-o", "libemulate.so"],
    ]
    for cmd in steps:
        res = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=300)
        if res.returncode:
            raise WorkFailed(f"emulation build failed: {' '.join(cmd)}\n{res.stderr[-2000:]}")
    return Emulator(workdir / "libemulate.so", prefix, n_inputs, n_outputs, k, device)
