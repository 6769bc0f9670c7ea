"""``lgcc opt`` and ``lgcc verify`` from the command line."""

import json

import numpy as np
import pytest

from lgcc.cli import main
from lgcc.ir.errors import LgccError
from lgcc.ir.random import trained_like_graph
from lgcc.loading import load_graph, save_graph


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "m.lgir"
    save_graph(trained_like_graph(12, [60, 60, 30], k=3, seed=11), path)
    return path


def test_opt_writes_an_equivalent_smaller_graph(model, tmp_path, capsys):
    out = tmp_path / "m.opt.lgir"
    assert main(["opt", str(model), "-o", str(out), "-O2", "--report"]) == 0
    text = capsys.readouterr().out
    assert "simplify" in text and "aig" in text
    before, after = load_graph(model), load_graph(out)
    assert after.n_gates < before.n_gates
    assert main(["verify", str(model), str(out)]) == 0
    assert "equivalent (class scores; exhaustive" in capsys.readouterr().out


def test_opt_passes_and_json_report(model, tmp_path, capsys):
    out = tmp_path / "m.blif"
    assert main(["opt", str(model), "-o", str(out), "--passes", "absorb,prune", "--report", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in rep["passes"]] == ["absorb", "prune"]
    assert rep["after"]["gates"] == rep["passes"][-1]["metrics"]["gates"] < rep["before"]["gates"]
    assert main(["verify", str(model), str(out)]) == 0


def test_verify_prints_a_counterexample_and_exits_1(model, tmp_path, capsys):
    g = load_graph(model)
    bad = g.copy(out_neg=~g.out_neg)
    save_graph(bad, tmp_path / "bad.lgir")
    assert main(["verify", str(model), str(tmp_path / "bad.lgir")]) == 1
    captured = capsys.readouterr()
    assert "counterexample (input 0 first): " in captured.out and "NOT equivalent" in captured.err
    bits = captured.out.split(": ")[1].strip()
    assert len(bits) == 12 and set(bits) <= {"0", "1"}


def test_verify_shows_a_progress_bar_on_long_simulations(tmp_path, capsys, monkeypatch):
    """Above the work threshold the simulation reports its progress on stderr; below it, nothing."""
    import lgcc.commands.verify as verify_cmd

    path = tmp_path / "wide.lgir"
    save_graph(trained_like_graph(30, [60, 30], k=3, seed=2), path)  # 30 inputs: random simulation
    assert main(["verify", str(path), str(path), "--vectors", "5000", "--no-abc"]) == 0
    assert "verify: simulating" not in capsys.readouterr().err
    monkeypatch.setattr(verify_cmd, "PROGRESS_MIN_GATE_EVALS", 1)
    assert main(["verify", str(path), str(path), "--vectors", "5000", "--no-abc"]) == 0
    captured = capsys.readouterr()
    assert "verify: simulating 1/1" in captured.err and "equivalent" in captured.out


def test_verify_through_the_compiled_c_engine(tmp_path, capsys, monkeypatch):
    """--engine c: the same verdicts and counterexamples as numpy; without a C compiler a one-line
    error, and --engine auto falls back to numpy, saying why."""
    g = trained_like_graph(30, [60, 30], k=3, seed=2)  # 30 inputs: random simulation
    path, bad = tmp_path / "g.lgir", tmp_path / "bad.lgir"
    save_graph(g, path)
    save_graph(g.copy(out_neg=~g.out_neg), bad)
    assert main(["verify", str(path), str(path), "--vectors", "5000", "--no-abc", "--engine", "c"]) == 0
    assert "equivalent" in capsys.readouterr().out
    assert main(["verify", str(path), str(bad), "--vectors", "5000", "--no-abc", "--engine", "c"]) == 1
    with_c = capsys.readouterr().out
    assert main(["verify", str(path), str(bad), "--vectors", "5000", "--no-abc", "--engine", "numpy"]) == 1
    assert "counterexample" in with_c and with_c == capsys.readouterr().out
    monkeypatch.setenv("CC", "no-such-cc")
    assert main(["verify", str(path), str(path), "--vectors", "5000", "--no-abc", "--engine", "c"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lgcc: error: --engine c: the C library could not be built") and err.count("\n") == 1
    import lgcc.commands.verify as verify_cmd

    monkeypatch.setattr(verify_cmd, "PROGRESS_MIN_GATE_EVALS", 1)  # a long run: auto picks C
    assert main(["verify", str(path), str(path), "--vectors", "5000", "--no-abc"]) == 0
    assert "simulating with numpy: the C library could not be built" in capsys.readouterr().err


def test_compiled_simulators_refuse_a_library_that_disagrees(monkeypatch):
    """The check after the build: a simulator that disagrees with the reference is not used."""
    from lgcc.compiled_sim import CompiledSimulator, compiled_simulators

    g = trained_like_graph(30, [60, 30], k=3, seed=2)
    with compiled_simulators((g, g)) as (sims, why):
        assert sims is not None and why == ""
    monkeypatch.setattr(CompiledSimulator, "__call__", lambda self, words: ~self.model.outputs_words(words))
    with compiled_simulators((g,)) as (sims, why):
        assert sims is None and "disagrees with the reference simulator" in why


def test_compiled_simulators_need_no_ar(monkeypatch, tmp_path):
    """They load the shared library only: no libmodel.a, so a machine without binutils' ar still gets them
    (lgcc compile --target c, whose output includes libmodel.a, still asks for ar)."""
    import shutil

    import lgcc.backends.c.toolchain as toolchain
    from lgcc.compiled_sim import compiled_simulators

    which = shutil.which
    monkeypatch.setattr(toolchain.shutil, "which", lambda name: None if name in ("ar", "gcc-ar") else which(name))
    g = trained_like_graph(30, [60, 30], k=3, seed=2)
    with compiled_simulators((g,)) as (sims, why):
        assert sims is not None and why == ""
    with pytest.raises(LgccError, match="'ar' not found"):
        toolchain.build(tmp_path, static=True)


def test_list_passes_and_errors(capsys):
    assert main(["opt", "--list-passes"]) == 0
    text = capsys.readouterr().out
    for name in ("const_fold", "absorb", "strash", "simplify", "prune", "head", "abc", "-O2"):
        assert name in text
    assert main(["opt", "nope.lgir", "-o", "x.lgir"]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("extra", [[], ["-o", "x.lgir"]])
def test_json_without_report_names_report(model, capsys, extra):
    """--json alone is answered by what it needs (--report), with or without -o."""
    assert main(["opt", str(model), *extra, "--json"]) == 2
    assert "--json goes with --report" in capsys.readouterr().err


def test_unknown_pass_is_a_one_line_error(model, tmp_path, capsys):
    assert main(["opt", str(model), "-o", str(tmp_path / "x.lgir"), "--passes", "simplify,frob"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown pass 'frob'" in err[0]
    assert not (tmp_path / "x.lgir").exists()


@pytest.mark.parametrize("command", ["opt", "compile"])
def test_o_level_with_passes_is_refused(model, tmp_path, capsys, command):
    """--passes replaces the -O pipeline: both at once would silently drop one of them."""
    out = tmp_path / ("x.lgir" if command == "opt" else "outdir")
    assert main([command, str(model), "-o", str(out), "-O2", "--passes", "prune"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "-O2 and --passes both given" in err[0]
    assert not out.exists()


def test_verify_says_when_the_abc_proof_starts(tmp_path, capsys, monkeypatch):
    """A long run names the (possibly minutes-long) ABC step on stderr before it starts."""
    import lgcc.commands.verify as verify_cmd
    from lgcc.ir.passes import optimize
    from lgcc.ir.passes.abc_tool import abc_binary

    if abc_binary() is None:
        pytest.skip("berkeley-abc is not installed")
    g = trained_like_graph(30, [60, 30], k=3, seed=2)
    a, b = tmp_path / "a.lgir", tmp_path / "b.lgir"
    save_graph(g, a)
    save_graph(optimize(g, 2).graph, b)
    monkeypatch.setattr(verify_cmd, "PROGRESS_MIN_GATE_EVALS", 1)
    assert main(["verify", str(a), str(b), "--vectors", "5000"]) == 0
    captured = capsys.readouterr()
    assert "proving with ABC cec (the class scores as adder circuits" in captured.err
    assert "equivalent (class scores; abc-cec, 5000 vectors; proved)" in captured.out


def test_o0_changes_nothing(model, tmp_path):
    out = tmp_path / "same.lgir"
    assert main(["opt", str(model), "-o", str(out), "-O0"]) == 0
    a, b = load_graph(model), load_graph(out)
    assert np.array_equal(a.op, b.op) and np.array_equal(a.outputs, b.outputs)


def test_bad_output_extension_fails_before_the_work(model, tmp_path, capsys):
    assert main(["opt", str(model), "-o", str(tmp_path / "x.txt")]) == 2
    assert "cannot write '.txt'" in capsys.readouterr().err and not (tmp_path / "x.txt").exists()


def test_verify_of_different_interfaces_exits_1(model, tmp_path, capsys):
    save_graph(trained_like_graph(13, [20, 9], k=3, seed=1), tmp_path / "other.lgir")
    assert main(["verify", str(model), str(tmp_path / "other.lgir")]) == 1
    assert "input counts differ" in capsys.readouterr().err


@pytest.mark.parametrize("option, message", [
    (["--seed", "-1"], "--seed must be >= 0"),
    (["--abc-timeout", "0"], "--abc-timeout must be a finite number of seconds > 0"),
    (["--abc-timeout", "inf"], "--abc-timeout must be a finite number of seconds > 0"),  # was an OverflowError
    (["--vectors", "0"], "--vectors must be at least 1"),
])
def test_verify_bad_options_are_one_line_exit_2(model, capsys, option, message):
    assert main(["verify", str(model), str(model), *option]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_verify_bits_compares_against_a_headless_netlist(model, tmp_path, capsys):
    """A netlist without the GroupSum head (as another tool writes it) is compared bit by bit with --bits."""
    g = load_graph(model)
    save_graph(g.copy(head=None), tmp_path / "plain.lgir")
    assert main(["verify", str(model), str(tmp_path / "plain.lgir")]) == 1
    assert "only one of the graphs has a GroupSum head" in capsys.readouterr().err
    assert main(["verify", str(model), str(tmp_path / "plain.lgir"), "--bits"]) == 0
    assert "equivalent (output bits" in capsys.readouterr().out
    save_graph(g.copy(head=None, out_neg=~g.out_neg), tmp_path / "flipped.lgir")
    assert main(["verify", str(model), str(tmp_path / "flipped.lgir"), "--bits"]) == 1
