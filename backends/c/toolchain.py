"""Building what :func:`render` wrote: the C compiler step of the C backend.

``model.c`` picks its vector width from the compiler's predefined macros, so the
ISA is only a set of flags here.  One position-independent object serves both
``libmodel.so`` and ``libmodel.a``.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

from lgcc.ir.errors import LgccError

#: ISA name -> compiler flags (``auto`` resolves to one of these).
ISA_FLAGS: dict[str, tuple[str, ...]] = {
    "portable": ("-DLGCC_PORTABLE",),
    "sse2": ("-msse2",),
    "avx2": ("-mavx2",),
    "avx512": ("-mavx512f", "-mavx512bw"),
    "neon": (),  # an aarch64 compiler: NEON is part of the base ISA
}
ISAS = ("auto",) + tuple(ISA_FLAGS)
#: What each ISA needs from /proc/cpuinfo to run on this machine.
_CPU_FLAG = {"sse2": "sse2", "avx2": "avx2", "avx512": "avx512bw"}  # every avx512bw CPU has avx512f
#: Default C compiler flags.  The engine's loops are few and small, so -O3 costs no
#: noticeable compile time (the tables dominate) and gains ~12% speed over -O2 (measured).
#: The engine is written with explicit vector types, so GCC's loop vectorizer finds nothing
#: worth doing in it but took half of the compile time (0.72 -> 0.40 s CPU for the 7k-gate
#: mnist model, speed unchanged: measured); it is switched off where the compiler is GCC.
OPT_FLAGS = ("-O3", "-std=c99", "-fPIC", "-fno-strict-aliasing")
GCC_FLAGS = ("-fno-tree-loop-vectorize",)


def find_compiler(cc: str | None) -> list[str]:
    """The compiler command (``--cc``, else ``$CC``, else the first of ``cc``, ``gcc``, ``clang``), or a clear error."""
    spec = cc or os.environ.get("CC") or ""
    try:
        words = shlex.split(spec) if spec else []
    except ValueError as exc:  # e.g. an unbalanced quote
        origin = "--cc" if cc else "$CC"
        raise LgccError(f"{origin} {spec!r}: cannot split it into a command ({exc}); check the quotes") from None
    candidates = [words] if words else [["cc"], ["gcc"], ["clang"]]
    for cmd in candidates:
        if shutil.which(cmd[0]):
            return cmd
    wanted = words[0] if words else "cc"
    origin = " (named by $CC)" if words and not cc else ""
    raise LgccError(f"C compiler '{wanted}'{origin} not found: install one (Debian/Ubuntu: apt-get install gcc) "
                    "or name it with $CC (lgcc compile: or --cc)")


@functools.lru_cache(maxsize=None)
def compiler_macros(cc: tuple[str, ...], flags: tuple[str, ...] = ()) -> frozenset[str]:
    """Names of the macros the compiler predefines with ``flags`` (e.g. ``__AVX2__``)."""
    try:
        res = subprocess.run([*cc, *flags, "-dM", "-E", "-x", "c", os.devnull], capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(line.split()[1] for line in res.stdout.splitlines() if line.startswith("#define "))


def cpu_flags() -> frozenset[str]:
    """CPU feature flags of this machine (empty where /proc/cpuinfo is unavailable)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def machine_runs(isa: str) -> bool:
    """Whether code built for ``isa`` runs on this machine."""
    if isa == "portable":
        return True
    if isa == "neon":
        return os.uname().machine in ("aarch64", "arm64")
    return _CPU_FLAG[isa] in cpu_flags()


def runnable_isas() -> list[str]:
    """The ISAs a native build on this machine can produce and run: portable and the x86 ones it has."""
    return [isa for isa in ("portable", "sse2", "avx2", "avx512") if machine_runs(isa)]


def resolve_isa(isa: str, cc: list[str]) -> str:
    """``auto`` -> the best ISA that both this machine and the compiler support."""
    if isa not in ISAS:
        raise LgccError(f"unknown --isa {isa!r} (choose from {', '.join(ISAS)})")
    if isa != "auto":
        return isa
    native = compiler_macros(tuple(cc))
    if "__aarch64__" in native:
        return "neon"
    for name in ("avx512", "avx2", "sse2"):
        if machine_runs(name) and compiler_macros(tuple(cc), ISA_FLAGS[name]):
            return name
    return "portable"


def _run_all(cmds: list[list[str]], what: str) -> None:
    """Run the commands at the same time; LgccError with the first error line if one fails."""
    procs = []
    try:
        for cmd in cmds:
            procs.append((cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    except OSError as exc:
        for _, proc in procs:
            proc.kill()
            proc.communicate()
        raise LgccError(f"cannot run '{cmds[len(procs)][0]}': {exc.strerror}") from None
    failed = None
    try:
        for cmd, proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0 and failed is None:
                failed = (cmd, err)
    except BaseException:  # interrupted (Ctrl-C, SIGTERM): no compiler left running into a removed folder
        for _, proc in procs:
            proc.kill()
            proc.wait()
        raise
    if failed is not None:
        cmd, err = failed
        first = next((ln for ln in err.splitlines() if "error" in ln), err.strip()[:300])
        rc = next(p.returncode for c, p in procs if c is cmd)
        raise LgccError(f"{what} failed ({' '.join(cmd[:2])} ...): {first or f'exit status {rc}, no message'}")


def build(srcdir: str | os.PathLike, isa: str = "auto", cc: str | None = None,
          extra_flags: tuple[str, ...] = (), static: bool = True) -> dict:
    """Compile ``srcdir/model.c`` into ``libmodel.so`` and (``static``) ``libmodel.a`` beside it.

    Returns ``{"isa": ..., "cc": ..., "seconds": ...}``.  Raises :class:`LgccError`
    when no compiler is installed or it rejects the flags.
    """
    srcdir = Path(srcdir)
    cmd = find_compiler(cc)
    isa = resolve_isa(isa, cmd)
    if isa == "neon" and "__aarch64__" not in compiler_macros(tuple(cmd)):
        raise LgccError(f"--isa neon needs a compiler for aarch64 ('{' '.join(cmd)}' is not one): "
                        "e.g. --cc aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu)")
    ar = (shutil.which("ar") or shutil.which("gcc-ar")) if static else None  # None: no libmodel.a to link
    if ar is None and static:
        raise LgccError("'ar' not found: install binutils (apt-get install binutils) to build libmodel.a")
    t0 = time.perf_counter()
    macros = compiler_macros(tuple(cmd))
    is_gcc = "__GNUC__" in macros and "__clang__" not in macros
    flags = [*OPT_FLAGS, *(GCC_FLAGS if is_gcc else ()), *ISA_FLAGS[isa], *extra_flags]
    # model.c in two parts compiled at once (see LGCC_PART in model.c): engine and head, the rest
    objs = [str(srcdir / f"model{part}.o") for part in (1, 2)]
    _run_all([[*cmd, *flags, f"-DLGCC_PART={part}", "-c", str(srcdir / "model.c"), "-o", obj]
              for part, obj in zip((1, 2), objs)], "compiling model.c")
    missing = [Path(obj).name for obj in objs if not Path(obj).is_file()]
    if missing:  # e.g. --cc true: "success" without output would fail later with a staging path
        raise LgccError(f"the C compiler '{' '.join(cmd)}' reported success but wrote no {missing[0]}; "
                        "is it a C compiler? (name one with --cc)")
    _run_all([[*cmd, "-shared", "-o", str(srcdir / "libmodel.so"), *objs, "-lpthread"],
              *([[ar, "rcs", str(srcdir / "libmodel.a"), *objs]] if ar is not None else [])],
             "linking libmodel.so and libmodel.a" if static else "linking libmodel.so")
    for obj in objs:
        Path(obj).unlink()
    return {"isa": isa, "cc": " ".join(cmd), "cflags": " ".join(flags), "seconds": time.perf_counter() - t0}
