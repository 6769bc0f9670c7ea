"""Running Berkeley ABC on graphs (through binary AIGER files).

Used by the ``abc`` pass, by :mod:`lgcc.ir.equiv` (``cec``) and by the
benchmarks.  ABC is optional: :func:`abc_binary` is ``None`` when it is not
installed, and callers skip with a message.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..errors import LgccError
from ..formats import aiger
from ..graph import Graph

#: Executable names tried in order (Debian's package installs ``berkeley-abc``).
ABC_NAMES = ("berkeley-abc", "abc", "yosys-abc")
#: ABC's strongest standard combinational script (as in the issue's comparison).
BEST_SCRIPT = "strash; dc2; resyn2; fraig"
#: ABC's standard aliases (normally from ``abc.rc``, which a plain install does not load).
ALIASES = {
    "b": "balance", "rw": "rewrite", "rf": "refactor", "rwz": "rewrite -z", "rfz": "refactor -z",
    "resyn": "balance; rewrite; rewrite -z; balance; rewrite -z; balance",
    "resyn2": "balance; rewrite; refactor; balance; rewrite; rewrite -z; balance; refactor -z; rewrite -z; balance",
}
#: How ABC reports a command that did not work (it exits 0 anyway).
_ERROR = re.compile(r"^(\*\* cmd error|Error|.*(has failed|[Cc]annot open))", re.M)


class AbcTimeout(LgccError):
    """ABC ran past its time limit (it was stopped)."""


def abc_binary() -> str | None:
    """Path of the ABC executable, or None when it is not installed."""
    for name in ABC_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def run_abc(commands: str, timeout: float = 600.0) -> str:
    """Run ABC on ``commands`` (``;``-separated) and return its output; LgccError if it fails."""
    exe = abc_binary()
    commands = "; ".join(ALIASES.get(c.strip(), c.strip()) for c in commands.split(";"))
    if exe is None:
        raise LgccError("berkeley-abc is not installed (apt-get install berkeley-abc)")
    try:
        proc = subprocess.run([exe, "-c", commands], capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise AbcTimeout(f"ABC did not finish within {timeout:.0f} s") from None
    text = proc.stdout + proc.stderr
    if proc.returncode != 0 or _ERROR.search(text):
        raise LgccError(f"ABC failed: {_last_line(text)}")
    return text


def optimize_with_abc(graph: Graph, script: str = BEST_SCRIPT, timeout: float = 600.0) -> tuple[Graph, int]:
    """Run ``script`` on the graph's logic; return the result (head etc. kept) and ABC's AND count."""
    if graph.n_gates == 0:  # nothing for ABC to do (and with no outputs, ABC fails an internal assertion)
        return graph, 0
    with tempfile.TemporaryDirectory(prefix="lgcc-abc-") as tmp:
        src, dst = Path(tmp) / "in.aig", Path(tmp) / "out.aig"
        aiger.write(graph.copy(meta={}, head=None, encoding=None), src)
        run_abc(f"read_aiger {src}; {script}; write_aiger {dst}", timeout)
        result = aiger.read(dst)
    if result.n_inputs != graph.n_inputs or result.n_outputs != graph.n_outputs:
        raise LgccError("ABC changed the interface (inputs/outputs); result discarded")
    return graph.copy(op=result.op, a=result.a, b=result.b, outputs=result.outputs, out_neg=result.out_neg,
                      layers=None), result.n_gates


def abc_stats(graph: Graph, script: str, timeout: float = 600.0) -> dict[str, int]:
    """ABC's ``print_stats`` figures (``and``, ``lev``, or ``nd`` after mapping) after ``script``."""
    with tempfile.TemporaryDirectory(prefix="lgcc-abc-") as tmp:
        src = Path(tmp) / "in.aig"
        aiger.write(graph.copy(meta={}, head=None, encoding=None), src)
        text = run_abc(f"read_aiger {src}; {script}; print_stats", timeout)
    stats = {}
    for key in ("and", "nd", "lev", "edge"):
        m = re.findall(rf"\b{key}\s*=\s*(\d+)", text)
        if m:
            stats[key] = int(m[-1])
    return stats


def abc_cec(a: Graph, b: Graph, timeout: float = 600.0) -> tuple[bool | None, np.ndarray | None]:
    """ABC ``cec`` of two graphs output by output.

    Returns (True: proved equivalent, False: refuted, None: undecided) and, when
    refuted, ABC's counterexample input vector (bool[n_inputs], inputs it left free
    set to 0) if it printed one.
    """
    with tempfile.TemporaryDirectory(prefix="lgcc-cec-") as tmp:
        pa, pb = Path(tmp) / "a.aig", Path(tmp) / "b.aig"
        for g, p in ((a, pa), (b, pb)):
            aiger.write(g.copy(meta={}, head=None, encoding=None), p)
        try:  # ABC overruns its own -T on hard miters: then it is stopped, undecided
            text = run_abc(f"cec -n -T {int(timeout)} {pa} {pb}", timeout + 30)
        except AbcTimeout:
            return None, None
    if "are equivalent" in text:
        return True, None
    if "NOT EQUIVALENT" not in text.upper():
        return None, None
    # ABC lists the inputs of the differing cone only ("pi02=0 pi22=1"); the others may be anything
    pattern = [(int(i), v == "1") for i, v in re.findall(r"\bpi(\d+)=([01])", text)]
    cex = None
    if pattern and all(i < a.n_inputs for i, _ in pattern):
        cex = np.zeros(a.n_inputs, dtype=bool)
        for idx, val in pattern:
            cex[idx] = val
    return False, cex


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
