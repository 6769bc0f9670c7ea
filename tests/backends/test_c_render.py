"""C rendering: golden text of a 5-gate graph, determinism, the schedule, options, tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from lgcc.backends.c import COptions, render
from lgcc.backends.c.fuse import FUSED_BASE, MAX_FUSED_KINDS, kind_expr, kind_gates, kind_ternlog
from lgcc.backends.c.schedule import schedule
from lgcc.backends.c.tables import string_literal
from lgcc.backends.c.toolchain import ISA_FLAGS, build, find_compiler, machine_runs
from lgcc.ir.builder import GraphBuilder
from lgcc.ir.errors import LgccError
from lgcc.ir.gates import EXPRS, TRUTH, eval_words
from lgcc.ir.graph import Encoding
from lgcc.ir.random import random_layered_graph
from lgcc.ir.simulate import simulate_words
from lgcc.ir.testing import graphs

GOLDEN = Path(__file__).parent / "golden"


def five_gates():
    b = GraphBuilder(3)
    x, y, z = (b.input(i) for i in range(3))
    p = b.gate(1, x, y)
    q = b.gate(6, y, z)
    r = b.gate(7, p, q)
    s = b.gate(14, r, x)
    b.output(s)
    b.output(b.gate(8, q, z))
    return b.build(k=2, tau=1.5)


@pytest.mark.parametrize("name", ["model.h", "model.c"])
def test_golden(name):
    text = render(five_gates(), COptions(prefix="five"))[name]
    path = GOLDEN / f"c_5gate_{name}"
    if os.environ.get("LGCC_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; review and regenerate with LGCC_UPDATE_GOLDEN=1 ({path})"


def test_byte_identical_across_processes():
    """Same graph -> same bytes, also in a fresh interpreter (no hash or dict-order effects)."""
    code = ("import hashlib;from lgcc.ir.random import random_layered_graph as r;from lgcc.backends.c import render;"
            "f=render(r(30,[50,40],k=2,seed=4));print(hashlib.sha256(''.join(f[k] for k in sorted(f)).encode()).hexdigest())")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    assert len(runs) == 1
    g = random_layered_graph(30, [50, 40], k=2, seed=4)
    assert render(g) == render(g)


def test_gate_expressions_come_from_the_table():
    """Every C expression evaluates to TRUTH on all four input cases (ZERO/ONES as 0/-1)."""
    for op in range(16):
        expr = kind_expr(op).replace("ZERO", "0").replace("ONES", "-1")
        assert expr.replace("0", "") == EXPRS[op].replace("ONES", "-1").replace("0", "")
        for c, (a, b) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
            assert eval(expr, {}, {"a": -a, "b": -b}) & 1 == TRUTH[op, c]  # noqa: S307 - fixed table


def test_fused_expressions_select_between_two_gates():
    """A fused kind's C expression, and its vpternlogq immediate (bit 4a + 2b + c), are
    c ? g1(a, b) : g0(a, b) on all eight input cases."""
    for kind in range(FUSED_BASE, FUSED_BASE + 256):
        g0, g1 = kind_gates(kind)
        expr = kind_expr(kind).replace("ZERO", "0").replace("ONES", "-1")
        for a, b, c in np.ndindex(2, 2, 2):
            want = TRUTH[g1 if c else g0, 2 * a + b]
            assert eval(expr, {}, {"a": -a, "b": -b, "c": -c}) & 1 == want  # noqa: S307 - fixed table
            assert (kind_ternlog(kind) >> (4 * a + 2 * b + c)) & 1 == want


def test_schedule_reuses_slots():
    """A layered network needs about two layers of slots, not one slot per gate."""
    g = random_layered_graph(50, [300] * 8, k=3, seed=1)
    s = schedule(g)
    assert s.n_slots <= 2 + 50 + 2 * 300 + 8
    assert s.n_instructions < s.n_gates <= g.n_gates  # some gate pairs were fused
    # instructions are grouped by kind in runs that the groups table describes exactly
    assert int(s.groups[:, 1].sum()) == s.n_instructions
    assert np.array_equal(np.repeat(s.groups[:, 0], s.groups[:, 1]), s.kinds)
    assert s.results.min() >= 2 and s.results.max() < s.n_slots
    assert s.table().size == 3 * s.n_instructions + int((s.kinds >= FUSED_BASE).sum())


def test_fusion_absorbs_single_reader_gates():
    """In five_gates, p = x&y is read only by r = p|q, and r only by the output s: one pair is fused
    (never both: no chains of three); q (two readers) and the outputs stay instructions."""
    s = schedule(five_gates())
    assert (s.n_gates, s.n_instructions) == (5, 4)
    assert int((s.kinds >= FUSED_BASE).sum()) == 1
    assert schedule(five_gates(), fuse=False).n_instructions == 5


def test_fused_kinds_are_capped():
    """Random graphs use every gate, so the fused kinds are many; only the commonest are kept."""
    g = random_layered_graph(64, [2000] * 4, k=4, seed=3)
    s = schedule(g)
    fused = s.kinds[s.kinds >= FUSED_BASE]
    assert fused.size > 0 and len(set(fused.tolist())) <= MAX_FUSED_KINDS


def _run_slot_program(graph, words: np.ndarray, fuse: bool = True) -> np.ndarray:
    """Execute the schedule the way the C engine does: one slot array, instructions in table order."""
    s = schedule(graph, fuse=fuse)
    ws = np.zeros((s.n_slots, words.shape[1]), dtype=np.uint64)
    ws[1] = ~np.uint64(0)
    ws[2:2 + graph.n_inputs] = words
    for kind, (a, b, c), dst in zip(s.kinds, s.operands, s.results):  # a test-sized graph: one at a time
        if kind < FUSED_BASE:
            ws[dst] = eval_words(np.array([kind]), ws[a][None], ws[b][None])[0]
        else:
            v0, v1 = (eval_words(np.array([g]), ws[a][None], ws[b][None])[0] for g in kind_gates(kind))
            ws[dst] = (ws[c] & v1) | (~ws[c] & v0)
    out = ws[s.out_slot]
    return np.where(graph.out_neg[:, None], ~out, out)


@settings(max_examples=40, deadline=None)
@given(g=graphs(max_inputs=8, max_gates=50, max_outputs=10))
def test_slot_program_equals_simulator(g):
    """Slot reuse (handed on to the last reader, or recycled after a level) never clobbers a live value,
    with and without fused gate pairs."""
    words = np.random.default_rng(0).integers(0, 2**63, (g.n_inputs, 2), dtype=np.uint64)
    for fuse in (True, False):
        np.testing.assert_array_equal(_run_slot_program(g, words, fuse), simulate_words(g, words))


def test_slot_program_layered():
    g = random_layered_graph(40, [120, 90, 60, 30], k=3, seed=4)
    words = np.random.default_rng(1).integers(0, 2**63, (40, 3), dtype=np.uint64)
    np.testing.assert_array_equal(_run_slot_program(g, words), simulate_words(g, words))
    assert schedule(g).n_slots < 2 + 40 + 120 + 90  # results mostly take over their operands' slots


def test_dead_gates_are_dropped():
    b = GraphBuilder(2)
    x, y = b.input(0), b.input(1)
    b.gate(6, x, y)  # never used
    b.output(b.gate(1, x, y))
    assert schedule(b.build()).n_gates == 1


def test_string_literal_roundtrip():
    data = bytes(range(256)) * 9 + b'??"\\0123'
    text = string_literal(data)
    decoded = eval("b" + text.replace('"\n"', ""))  # noqa: S307 - our own literal; C and Python agree here
    assert decoded == data


@pytest.mark.parametrize("prefix", ["9lives", "a-b", "x y", ""])
def test_bad_prefix(prefix):
    with pytest.raises(LgccError, match="prefix"):
        render(five_gates(), COptions(prefix=prefix or " "))


def test_missing_compiler_names_what_to_install(tmp_path):
    with pytest.raises(LgccError, match="install"):
        find_compiler("no-such-cc-1234")
    (tmp_path / "model.c").write_text("int x;\n")
    with pytest.raises(LgccError, match="not found"):
        build(tmp_path, isa="portable", cc="no-such-cc-1234")


def test_missing_compiler_from_cc_variable_says_so(monkeypatch):
    monkeypatch.setenv("CC", "no-such-cc-5678 -O2")
    with pytest.raises(LgccError, match=r"'no-such-cc-5678' \(named by \$CC\) not found"):
        find_compiler(None)


def test_neon_needs_an_aarch64_compiler(tmp_path):
    if os.uname().machine in ("aarch64", "arm64"):
        pytest.skip("this machine is aarch64: its own compiler builds neon")
    (tmp_path / "model.c").write_text("int x;\n")
    with pytest.raises(LgccError, match="aarch64"):
        build(tmp_path, isa="neon")


def test_compiler_errors_are_one_line(tmp_path):
    (tmp_path / "model.c").write_text("this is not C\n")
    with pytest.raises(LgccError, match="compiling model.c failed"):
        build(tmp_path, isa="portable")


def _assert_compiles_without_warnings(graph, name: str, folder: Path, cc: list[str]) -> None:
    """-Wall -Wextra -Werror on every ISA this machine runs: the whole file at -O2 (its flow analysis
    finds more), and each of the two parts lgcc's build compiles at -O3 (a function shared by them is
    not inlined, and GCC then warned about a loop that it did not flag inlined).  Clang warns about
    things GCC does not: an unused static inline function (the head's, in a model without one)."""
    for file, text in render(graph).items():
        (folder / file).write_text(text)
    for isa in ["portable"] + [isa for isa in ("avx2", "avx512") if machine_runs(isa)]:
        for build_flags in (["-O2"], ["-O3", "-DLGCC_PART=1"], ["-O3", "-DLGCC_PART=2"]):
            r = subprocess.run([*cc, *build_flags, "-std=c99", "-Wall", "-Wextra", "-Werror", *ISA_FLAGS[isa], "-c",
                                str(folder / "model.c"), "-o", os.devnull], capture_output=True, text=True)
            assert r.returncode == 0, f"{cc[0]}: {name} {isa} {build_flags}: {r.stderr[:2000]}"


@pytest.mark.parametrize("n_inputs", [1, 64, 100, 784])
def test_generated_c_compiles_without_warnings(n_inputs, tmp_path, c_compiler):
    """With and without an encoding, for input counts below, at and off a 64-input chunk (dead
    branches must not warn either)."""
    g = random_layered_graph(n_inputs, [30, 20], k=2, seed=n_inputs)
    enc = Encoding(n_inputs, np.arange(n_inputs, dtype=np.int32), np.zeros(n_inputs, np.float32))
    for graph, name in ((g, "bits"), (g.copy(encoding=enc).verify(), "features")):
        _assert_compiles_without_warnings(graph, name, tmp_path, c_compiler)


def test_models_without_head_or_gates_compile_without_warnings(tmp_path, c_compiler):
    """A model without a GroupSum head left the head's extract() unused, and one without gates
    (outputs that are inputs and constants) compared an unsigned index with 0 groups: warnings."""
    _assert_compiles_without_warnings(random_layered_graph(9, [20, 10], seed=4), "no head", tmp_path, c_compiler)
    b = GraphBuilder(n_inputs=3)
    for i in (0, 2, 1):
        b.output(b.input(i))
    _assert_compiles_without_warnings(b.build(k=1), "no gates", tmp_path, c_compiler)


def test_class_lists_are_padded_with_constants_that_add_nothing():
    """The head adds 16 words at a time; a list is padded to a multiple of 16 (constant 0 after
    plain outputs, constant 1 after negated ones) only where padding costs less than the words
    left over would."""
    from lgcc.backends.c.render import _padded_class_lists

    slots = np.arange(100, 100 + 17 + 30 + 5)
    lists, sizes = _padded_class_lists(slots, np.array([17, 30]), np.array([0, 5]), cnt_bits=6)
    assert sizes.tolist() == [[17, 0], [32, 16]]  # 1 word over: left; 14 and 5 over: padded
    assert lists.tolist() == (slots[:47].tolist() + [0, 0] + slots[47:].tolist() + [1] * 11)
