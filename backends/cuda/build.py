"""Compile rendered CUDA sources with nvcc (a separate step from rendering)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from lgcc.ir.errors import LgccError, WorkFailed

#: Architectures built by default: Ampere (A100) and Hopper (H100/H200).
DEFAULT_ARCH = "sm_80,sm_90"
LIBRARY = "libmodel_cuda.so"


def nvcc_path() -> str | None:
    """nvcc from PATH or CUDA_HOME, or None."""
    found = shutil.which("nvcc")
    if found:
        return found
    home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")
    cand = Path(home, "bin", "nvcc") if home else None
    return str(cand) if cand and cand.exists() else None


def parse_arch(spec: str) -> list[str]:
    """``'sm_80,sm_90'`` -> ``['80', '90']`` (also accepts ``80``, ``sm_90a``, ``sm_100f``, ``compute_80``)."""
    out = []
    for part in str(spec).split(","):
        m = re.fullmatch(r"\s*(?:sm_|compute_)?(\d{2,3}[af]?)\s*", part)
        if not m:
            raise LgccError(f"--arch: {part.strip()!r} is not a CUDA architecture like sm_80 or sm_90")
        out.append(m.group(1))
    if not out:
        raise LgccError("--arch needs at least one architecture, e.g. sm_80,sm_90")
    return out


def gencode_flags(arch: list[str]) -> list[str]:
    """One cubin per architecture, plus PTX of the newest so later GPUs can JIT it.

    The PTX is the newest plain ``compute_NN`` whatever the order given: the arch-specific
    (``90a``) and family (``100f``) variants do not run on later GPUs, so PTX of one of them
    would leave those GPUs without any kernel.
    """
    flags = [f"-gencode=arch=compute_{a},code=sm_{a}" for a in arch]
    newest = max((a.rstrip("af") for a in arch), key=int)
    flags.append(f"-gencode=arch=compute_{newest},code=compute_{newest}")
    return flags


def run_nvcc(args: list[str], cwd: Path, timeout: float = 600) -> float:
    """Run nvcc with ``args`` in ``cwd``; return the seconds it took; one-line error on failure."""
    nvcc = nvcc_path()
    if nvcc is None:
        raise LgccError("nvcc was not found: install the CUDA toolkit or set CUDA_HOME (or drop --build)")
    start = time.perf_counter()
    try:
        res = subprocess.run([nvcc, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise WorkFailed(f"nvcc took longer than {timeout:.0f} s") from None
    if res.returncode:
        if "Unsupported gpu architecture" in res.stderr + res.stdout:  # the user's --arch, not the code
            arch = (res.stderr + res.stdout).split("Unsupported gpu architecture", 1)[1].split()[0]
            raise LgccError(f"--arch: this nvcc does not support {arch}; 'nvcc --list-gpu-arch' lists the ones "
                            "it does")
        lines = [ln for ln in (res.stderr or res.stdout).splitlines() if "error" in ln.lower()]
        raise WorkFailed(f"nvcc failed: {(lines or (res.stderr or res.stdout).splitlines() or ['?'])[0]}")
    return time.perf_counter() - start


def build_library(srcdir: Path, arch: list[str], output: str = LIBRARY) -> float:
    """nvcc ``model.cu`` + ``model_tables.c`` in ``srcdir`` into a shared library; returns seconds.

    The CUDA runtime is linked statically (nvcc's default), so the library needs only the
    driver at run time.
    """
    return run_nvcc(["-O3", "-shared", "-Xcompiler", "-fPIC", *gencode_flags(arch),
                     "model.cu", "model_tables.c", "-o", output], Path(srcdir))


def compile_object(srcdir: Path, arch: list[str], source: str = "model.cu", output: str = "model.o") -> float:
    """``nvcc -c`` one source (a compile check); returns seconds."""
    return run_nvcc(["-O3", "-c", "-Xcompiler", "-fPIC", *gencode_flags(arch), source, "-o", output], Path(srcdir))
