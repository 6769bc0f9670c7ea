"""Interop with EDA tools: ABC reads our BLIF and AIGER and proves them equivalent; Yosys reads our BLIF.

Skipped (with the reason) where a tool is not installed.
"""

import shutil
import subprocess

import numpy as np
import pytest

from lgcc.ir.formats import aiger, blif
from lgcc.ir.graph import Graph
from lgcc.ir.random import random_layered_graph
from lgcc.ir.simulate import truth_table

ABC = shutil.which("berkeley-abc") or shutil.which("yosys-abc") or shutil.which("abc")
YOSYS = shutil.which("yosys")
need_abc = pytest.mark.skipif(ABC is None, reason="berkeley-abc is not installed")
need_yosys = pytest.mark.skipif(YOSYS is None, reason="yosys is not installed")


def abc(script, cwd):
    r = subprocess.run([ABC, "-c", script], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def all_gates_graph():
    """Every one of the 16 gates, on inputs and on other gates, plus constant operands and negated outputs."""
    ops = np.concatenate([np.arange(16), np.arange(16)]).astype(np.uint8)
    a = np.concatenate([np.full(16, 2), 6 + np.arange(16)])
    b = np.concatenate([np.full(16, 3), np.roll(6 + np.arange(16), 3)])
    b[20] = 1  # a constant operand
    b[5] = 4
    outs = np.arange(6, 6 + 32)
    return Graph.from_arrays(4, ops, a, b, outs, np.arange(32) % 3 == 0).verify()


CASES = {
    "all_gates": all_gates_graph,
    "layered": lambda: random_layered_graph(16, [64, 64, 32, 16], k=4, seed=7),
}


@need_abc
@pytest.mark.parametrize("name", sorted(CASES))
def test_abc_proves_blif_and_aiger_equivalent(tmp_path, name):
    g = CASES[name]()
    blif.write(g, tmp_path / "g.blif")
    aiger.write(g, tmp_path / "g.aig")
    out = abc("cec g.blif g.aig", tmp_path)
    assert "Networks are equivalent" in out, out


@need_abc
def test_abc_notices_a_changed_gate(tmp_path):
    g = CASES["layered"]()
    op = g.op.copy()
    last = g.n_gates - 1
    op[last] = 6 if op[last] != 6 else 9  # outputs read the last layer, so this changes the function
    blif.write(g, tmp_path / "g.blif")
    aiger.write(g.copy(op=op), tmp_path / "h.aig")
    out = abc("cec g.blif h.aig", tmp_path)
    assert "NOT EQUIVALENT" in out, out


@need_abc
def test_we_read_what_abc_writes(tmp_path):
    g = CASES["layered"]()
    blif.write(g, tmp_path / "g.blif")
    abc("read g.blif; strash; rewrite; write_blif abc.blif; write_aiger abc.aig", tmp_path)
    for path in ("abc.blif", "abc.aig"):
        h = (blif if path.endswith("blif") else aiger).read(tmp_path / path)
        assert np.array_equal(truth_table(h), truth_table(g)), path


@need_yosys
def test_yosys_reads_our_blif_and_we_read_its_output(tmp_path):
    g = CASES["all_gates"]()
    blif.write(g, tmp_path / "g.blif")
    r = subprocess.run([YOSYS, "-q", "-p", "read_blif g.blif; hierarchy -top g; write_blif y.blif"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    h = blif.read(tmp_path / "y.blif")
    assert np.array_equal(truth_table(h), truth_table(g))
