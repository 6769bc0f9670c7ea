"""Running the generated Yosys scripts and reading back LUT, flip-flop and depth figures.

This is the "build" step of the Verilog target (rendering never runs tools).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from lgcc.ir.errors import LgccError, WorkFailed
from lgcc.ir.fileio import record_files

#: Flow name -> (script written by render, JSON statistics file it writes).
FLOWS: dict[str, tuple[str, str]] = {
    "generic": ("synth.ys", "stat.json"),
    "xilinx": ("synth_xilinx.ys", "stat_xilinx.json"),
    "ice40": ("synth_ice40.ys", "stat_ice40.json"),
}
_DEPTH = re.compile(r"Longest topological path in \S+ \(length=(\d+)\)")


def yosys_binary() -> str:
    """Path of ``yosys``, or a clear error saying how to get it."""
    path = shutil.which("yosys")
    if path is None:
        raise LgccError("yosys is not installed (not on PATH); install it, e.g. 'apt-get install yosys'")
    return path


def is_lut(cell_type: str) -> bool:
    """Whether a mapped cell type is a LUT (generic ``$lut``, Xilinx ``LUTn``, iCE40 ``SB_LUT4``)."""
    return cell_type == "$lut" or cell_type.startswith("LUT") or cell_type == "SB_LUT4"


def is_flipflop(cell_type: str) -> bool:
    """Whether a mapped cell type is a flip-flop (Yosys ``$_*DFF*_``, Xilinx ``FD*``, iCE40 ``SB_DFF*``)."""
    return "DFF" in cell_type or re.fullmatch(r"FD[A-Z]*", cell_type) is not None


def summarize(cells: dict[str, int], log_text: str) -> dict[str, Any]:
    """LUTs, flip-flops and logic depth from Yosys ``stat -json`` cell counts and the log.

    ``depth`` is the longest register-to-register path that ``ltp -noff`` finds, in
    cells: LUT levels in the generic flow (device flows also count I/O buffers, carries;
    their scripts leave out the mapped flip-flop cells, which ``-noff`` does not know).
    """
    depths = [int(m) for m in _DEPTH.findall(log_text)]
    return {
        "luts": sum(n for t, n in cells.items() if is_lut(t)),
        "flipflops": sum(n for t, n in cells.items() if is_flipflop(t)),
        "shift_registers": sum(n for t, n in cells.items() if t.startswith("SRL")),
        "depth": depths[-1] if depths else None,
        "cells": dict(sorted(cells.items())),
    }


def run_flow(outdir: str | Path, flow: str = "generic", timeout: float | None = None) -> dict[str, Any]:
    """Run the flow's Yosys script in ``outdir``; return :func:`summarize`'s figures plus ``flow``.

    Raises :class:`LgccError` when the folder or Yosys is missing and
    :class:`WorkFailed` when Yosys fails.
    """
    outdir = Path(outdir)
    if flow not in FLOWS:
        raise LgccError(f"unknown flow {flow!r} (known: {', '.join(FLOWS)})")
    script, stat_file = FLOWS[flow]
    for name in (script, "model.v"):
        if not (outdir / name).is_file():
            raise LgccError(f"{outdir / name}: not found; is {outdir} the output of 'lgcc compile --target verilog'?")
    binary = yosys_binary()
    log = outdir / f"{Path(script).stem}.log"
    try:
        proc = subprocess.run([binary, "-q", "-l", log.name, "-s", script], cwd=outdir, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise WorkFailed(f"yosys {script} did not finish within {timeout} s") from None
    finally:  # also when Yosys fails or the run is killed: the next compile into outdir removes what it wrote
        record_files(outdir, [name for name in (log.name, stat_file) if (outdir / name).is_file()])
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise WorkFailed(f"yosys {script} failed: {lines[-1] if lines else 'exit %d' % proc.returncode}")
    stat = json.loads((outdir / stat_file).read_text())
    cells = stat.get("design", {}).get("num_cells_by_type", {})
    return {"flow": flow, **summarize(cells, log.read_text(errors="replace"))}


def format_report(report: dict[str, Any]) -> str:
    """One human-readable line of a :func:`run_flow` result."""
    depth = report["depth"] if report["depth"] is not None else "?"
    srl = f", {report['shift_registers']} shift registers" if report["shift_registers"] else ""
    # ltp counts cells: LUTs only in the generic flow; I/O buffers and carry cells too on devices
    what = "logic depth" if report["flow"] == "generic" else "longest path (cells)"
    return f"{report['flow']}: {report['luts']} LUTs, {report['flipflops']} flip-flops{srl}, {what} {depth}"
