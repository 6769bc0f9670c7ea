"""Running the generated testbench with Icarus Verilog (the check that the Verilog equals the model)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lgcc.ir.errors import LgccError, WorkFailed


@dataclass(frozen=True)
class SimResult:
    """Outcome of one testbench run: ``passed`` and the simulator's output."""

    passed: bool
    output: str


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise LgccError(f"{name} is not installed (not on PATH); install Icarus Verilog, e.g. 'apt-get install iverilog'")
    return path


def run_testbench(outdir: str | Path, top: str = "lgn", timeout: float = 300) -> SimResult:
    """Compile ``tb_model.v`` + ``model.v`` in ``outdir`` with iverilog and run it with vvp.

    ``passed`` is true when the testbench printed ``PASS``; a failure to
    compile raises :class:`WorkFailed` with iverilog's first error.
    """
    outdir = Path(outdir)
    try:
        comp = subprocess.run([_tool("iverilog"), "-o", "tb_model.vvp", "-s", f"tb_{top}", "tb_model.v", "model.v"],
                              cwd=outdir, capture_output=True, text=True, timeout=timeout)
        if comp.returncode != 0:
            lines = comp.stderr.strip().splitlines()
            raise WorkFailed(f"iverilog failed: {lines[0] if lines else 'exit %d' % comp.returncode}")
        run = subprocess.run([_tool("vvp"), "-n", "tb_model.vvp"], cwd=outdir, capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        raise WorkFailed(f"the testbench in {outdir} did not finish within {timeout} s") from None
    out = run.stdout + run.stderr
    passed = run.returncode == 0 and any(line.startswith("PASS") for line in out.splitlines())
    return SimResult(passed, out)
