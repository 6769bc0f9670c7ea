"""``CompiledLogicNet``: difflogic's compiled-model API on lgcc's C backend.

A difflogic script keeps working with ``from lgcc import CompiledLogicNet``::

    compiled = CompiledLogicNet(model=model, num_bits=64, cpu_compiler="gcc")
    compiled.compile(save_lib_path="my_model_binary.so")
    counts = compiled(bits)     # (N, k) int32 class counts, like difflogic's

Behind it is what ``lgcc compile --target c`` builds: the model lowered to the IR,
optimized (``opt_level``: lgcc's ``-O`` level), and compiled into the bit-sliced SIMD
library in well under a second where difflogic's one-statement-per-gate C takes minutes.
The counts are the library's class scores, which equal GroupSum's sums (before the
division by tau) of the model in ``eval()`` mode, on rows of bits or, for a model with an
input encoding, on rows of raw features.

A ``CompiledLogicNet`` pickles (``copy.deepcopy``, ``torch.save``, multiprocessing): it keeps
the bytes of its library and its ``model.json`` (a few bytes per gate) and loads them again
where it is unpickled, without a C compiler.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from lgcc.ir.errors import LgccError
from lgcc.ir.graph import Graph

from .args import checked_int
from .packbits import PackBitsTensor

#: difflogic's word widths; lgcc's engine uses the instruction set's vectors whatever is given.
NUM_BITS = (8, 16, 32, 64)
#: Files :meth:`CompiledLogicNet.get_c_code` can return.
C_FILES = ("model.c", "model.h", "model.json")
#: The entry point of the libraries difflogic's own ``CompiledLogicNet`` builds.
DIFFLOGIC_SYMBOL = b"apply_logic_gate_net"


def metadata_path(lib_path: str | os.PathLike) -> Path:
    """Where :meth:`CompiledLogicNet.compile` puts the ``model.json`` of a library saved as ``lib_path``."""
    return Path(lib_path).with_suffix(".json")


def _load_library(library: bytes, meta: str) -> Any:
    """The C library ``library`` with its ``model.json`` text ``meta``, loaded (lgcc.runtime.CompiledModel)."""
    from lgcc.runtime import load

    with tempfile.TemporaryDirectory(prefix="lgcc-compiled-") as tmp:  # the loaded library keeps its mapping
        (Path(tmp) / "libmodel.so").write_bytes(library)
        (Path(tmp) / "model.json").write_text(meta)
        return load(tmp)


def _words(x: PackBitsTensor, n_inputs: int) -> np.ndarray:
    """The bits of ``x`` as the library's bit-sliced uint64 words ``(inputs, W)``: the same bytes,
    samples in the same order, regrouped 8 bytes per word (on the CPU, where the library runs)."""
    if x.n_inputs != n_inputs:
        raise LgccError(f"the PackBitsTensor holds {x.n_inputs} input bits per sample, the model reads {n_inputs}")
    data = x.t.to("cpu").contiguous().view(torch.uint8)
    data = torch.nn.functional.pad(data, (0, -data.shape[1] % 8))  # whole words; padding samples are 0
    return data.numpy().view(np.uint64)


def _check_not_difflogic(lib_path: str | os.PathLike) -> None:
    """LgccError if ``lib_path``, saved without lgcc's metadata, is a library built by difflogic itself.

    Its entry point knows neither its input count nor its word width, so a wrong guess would read
    past the caller's buffer: such a library is refused, not called.
    """
    path = Path(lib_path)
    if not path.is_file() or metadata_path(path).is_file() or (path.parent / "model.json").is_file():
        return
    try:
        built_by_difflogic = DIFFLOGIC_SYMBOL in path.read_bytes()
    except OSError:
        return  # the runtime reports why the file cannot be read
    if built_by_difflogic:
        raise LgccError(f"{lib_path}: a library built by difflogic's CompiledLogicNet, which lgcc cannot call "
                        "safely (it records neither its input count nor its word width); compile the trained "
                        "model with lgcc: CompiledLogicNet(model).compile(save_lib_path=...)")


class CompiledLogicNet(nn.Module):
    """A trained model (``nn.Sequential`` of LogicLayers and a GroupSum, or a checkpoint path) as a C library.

    ``device`` must be ``"cpu"`` (for GPUs: ``lgcc compile --target cuda``).  ``num_bits`` is
    difflogic's word width, accepted and checked for compatibility; lgcc always evaluates with
    the widest vectors of ``isa`` (``auto``: the best this machine runs).  ``cpu_compiler``:
    the C compiler command (default: ``$CC``, else the first of ``cc``, ``gcc``, ``clang``).
    ``threads``: threads per call.
    """

    def __init__(self, model: nn.Module | str | os.PathLike | None, device: str = "cpu", num_bits: int = 64,
                 cpu_compiler: str | None = None, verbose: bool = False, *, isa: str = "auto",
                 threads: int = 1) -> None:
        super().__init__()
        from lgcc.backends.c import ISAS
        from lgcc.backends.c.render import MAX_THREADS

        if str(device) != "cpu":
            raise LgccError(f"CompiledLogicNet compiles for the CPU (device='cpu'), got device={device!r}; "
                            "for GPUs use 'lgcc compile --target cuda' and lgcc.runtime.load_cuda")
        if num_bits not in NUM_BITS:
            raise LgccError(f"num_bits must be one of 8, 16, 32, 64, got {num_bits!r}")
        if isa not in ISAS:
            raise LgccError(f"unknown isa {isa!r} (choose from {', '.join(ISAS)})")
        threads = checked_int(threads, "threads", high=MAX_THREADS)  # also at compile(); a bool is not a count
        if cpu_compiler == "":
            raise LgccError("cpu_compiler must name a C compiler (leave it out for $CC, else cc, gcc or clang)")
        self.model = model
        self.device, self.num_bits, self.cpu_compiler = "cpu", num_bits, cpu_compiler
        self.isa, self.threads = isa, threads
        self.lib: Any = None  # the loaded library (lgcc.runtime.CompiledModel) once compiled or loaded
        self._library: tuple[bytes, str] | None = None  # its file and model.json text, what pickling carries
        self.graph: Graph | None = None
        self._optimized: dict[int, Graph] = {}
        self.opt_level = 1
        self.num_inputs = self.num_classes = None
        if model is not None:
            from .lowering import lower

            self.graph = lower(model)
            if self.graph.head is None:
                raise LgccError("CompiledLogicNet needs a model that ends in a GroupSum (its class counts are "
                                "the output); for raw output bits use 'lgcc compile --target c'")
            self.num_inputs = self.graph.encoding.n_features if self.graph.encoding else self.graph.n_inputs
            self.num_classes = self.graph.head.k
            if verbose:
                print(f"CompiledLogicNet: {self.graph.n_gates} gates in {self.graph.depth()} levels, "
                      f"{self.num_inputs} inputs, {self.num_classes} classes")

    def _graph(self, opt_level: int) -> Graph:
        """The graph after lgcc's ``-O<opt_level>`` pipeline (kept: optimizing a big model takes a while)."""
        if opt_level not in (0, 1, 2):
            raise LgccError(f"opt_level is lgcc's optimizer level: 0, 1 or 2, got {opt_level!r} (the C compiler's "
                            "flags are lgcc's own)")
        if self.graph is None:
            raise LgccError("this CompiledLogicNet was loaded from a library: there is no model to compile")
        if opt_level not in self._optimized:
            from lgcc.ir.passes.manager import optimize

            self._optimized[opt_level] = optimize(self.graph, level=opt_level).graph if opt_level else self.graph
        return self._optimized[opt_level]

    def get_c_code(self, name: str = "model.c") -> str:
        """The generated C: ``model.c`` (it includes ``model.h``, also available here) or ``model.json``."""
        from lgcc.backends.c import COptions, render

        if name not in C_FILES:
            raise LgccError(f"get_c_code: no file {name!r} (choose from {', '.join(C_FILES)})")
        return render(self._graph(self.opt_level), COptions(default_threads=self.threads))[name]

    # difflogic's CompiledLogicNet.compile signature (the API this class keeps), which shadows nn.Module.compile
    def compile(self, opt_level: int = 1, save_lib_path: str | os.PathLike | None = None,  # type: ignore[override]
                verbose: bool = False) -> CompiledLogicNet:
        """Build and load the library; with ``save_lib_path``, also keep it there (plus its ``.json`` metadata).

        ``opt_level``: lgcc's IR optimizer level (0, 1 or 2).  :meth:`load` reads the saved pair.
        """
        from lgcc.backends.c import COptions, write_library
        from lgcc.ir.fileio import atomic_write, check_output_file
        from lgcc.runtime import load

        graph = self._graph(opt_level)
        if save_lib_path is not None:  # before the build, so a bad path fails fast
            check_output_file(save_lib_path)
            if metadata_path(save_lib_path) == Path(save_lib_path):
                raise LgccError(f"{save_lib_path}: name the library file (e.g. model.so); its metadata goes "
                                "beside it as a .json file")
            check_output_file(metadata_path(save_lib_path))
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="lgcc-compiled-") as tmp:
            outdir = Path(tmp) / "lib"
            meta = write_library(graph, outdir, COptions(default_threads=self.threads), isa=self.isa,
                                 cc=self.cpu_compiler, static=False)
            self.lib = load(outdir)
            self._library = ((outdir / "libmodel.so").read_bytes(), (outdir / "model.json").read_text())
            if save_lib_path is not None:
                atomic_write(save_lib_path, self._library[0])
                atomic_write(metadata_path(save_lib_path), self._library[1])
        self.opt_level = opt_level
        if verbose:
            assert self.graph is not None  # self._graph() above refused a CompiledLogicNet without one
            print(f"Compiling finished in {time.perf_counter() - t0:.3f} seconds ({meta['gates_evaluated']} gates "
                  f"of {self.graph.n_gates}, isa {meta['isa']}, C compiler {meta['cc_seconds']:.2f} s)")
        return self

    @staticmethod
    def load(save_lib_path: str | os.PathLike, num_classes: int | None = None, num_bits: int = 64,
             threads: int = 1) -> CompiledLogicNet:
        """A library saved by :meth:`compile` (``save_lib_path`` and the ``.json`` beside it), ready to call."""
        from lgcc.runtime import load

        self = CompiledLogicNet(None, num_bits=num_bits, threads=threads)
        _check_not_difflogic(save_lib_path)
        self.lib = load(save_lib_path)
        self._library = (self.lib.path.read_bytes(), json.dumps(self.lib.meta))
        if self.lib.n_classes == 0:
            raise LgccError(f"{save_lib_path}: the model has no GroupSum head, so no class counts to return")
        if num_classes is not None and num_classes != self.lib.n_classes:
            raise LgccError(f"{save_lib_path}: the model has {self.lib.n_classes} classes, not {num_classes}")
        self.num_classes = self.lib.n_classes
        self.num_inputs = self.lib.n_features or self.lib.n_inputs
        return self

    def __getstate__(self) -> dict[str, Any]:
        """The attributes without the loaded library (a cffi handle), which :meth:`__setstate__` loads again."""
        return {**super().__getstate__(), "lib": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """The attributes, and the library loaded again from the bytes it kept."""
        super().__setstate__(state)
        if self._library is not None:
            self.lib = _load_library(*self._library)

    def _loaded(self) -> Any:
        if self.lib is None:
            raise LgccError("call .compile() first (or CompiledLogicNet.load(path) for a saved library)")
        return self.lib

    def forward(self, x: Any, verbose: bool = False) -> torch.Tensor:
        """Class counts ``(N, k)`` int32 of rows of bits (bool/0-1, or a PackBitsTensor) or, with an
        encoding, raw features."""
        lib = self._loaded()
        if isinstance(x, PackBitsTensor):  # already bit-sliced: no rows to unpack and pack again
            out = torch.from_numpy(lib.scores_sliced(_words(x, lib.n_inputs), threads=self.threads)[:x.n_samples])
        else:
            out = torch.from_numpy(lib.scores(x, threads=self.threads))
        if verbose:
            print(f"out.shape {tuple(out.shape)}")
        return out

    def predict(self, x: Any) -> torch.Tensor:
        """The class of each row (int64; ties go to the lowest class index, as in the IR's simulator)."""
        lib = self._loaded()
        if isinstance(x, PackBitsTensor):
            return torch.from_numpy(lib.predict_sliced(_words(x, lib.n_inputs), threads=self.threads)[:x.n_samples].astype("int64"))
        return torch.from_numpy(lib.predict(x, threads=self.threads).astype("int64"))

    def extra_repr(self) -> str:
        state = f"isa={self.lib.isa}" if self.lib is not None else "not compiled"
        return f"inputs={self.num_inputs}, classes={self.num_classes}, {state}"
