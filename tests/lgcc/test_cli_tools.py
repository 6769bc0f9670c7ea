"""``lgcc dump``, ``lgcc stats``, ``lgcc convert``: outputs, and exit 2 + one line for bad input."""

import json
import zipfile

import numpy as np
import pytest

from lgcc.cli import main
from lgcc.ir.formats import lgir
from lgcc.ir.random import random_layered_graph
from lgcc.ir.simulate import truth_table
from lgcc.loading import load_graph


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.lgir"
    lgir.write(random_layered_graph(8, [16, 12, 6], k=3, seed=4), path)
    return path


def run_ok(capsys, *argv):
    assert main([str(a) for a in argv]) == 0
    return capsys.readouterr().out


def test_convert_through_every_format(model, tmp_path, capsys):
    want = truth_table(lgir.read(model))
    src = model
    for ext in (".blif", ".aig", ".aag", ".lgir"):
        dst = tmp_path / f"step{ext}"
        run_ok(capsys, "convert", src, "-o", dst)
        got = load_graph(dst)
        assert np.array_equal(truth_table(got), want), ext
        assert got.head is not None and got.head.k == 3
        src = dst


def test_dump_formats(model, tmp_path, capsys):
    text = run_ok(capsys, "dump", model)
    assert text.startswith("# lgcc graph: 8 inputs, 34 gates") and "g33 = " in text
    doc = json.loads(run_ok(capsys, "dump", model, "--format", "json", "--class", "1"))
    assert doc["selection"] == "cone of class 1"
    run_ok(capsys, "dump", model, "--format", "dot", "--cone", "2", "--layers", "1:3", "-o", tmp_path / "c.dot")
    assert (tmp_path / "c.dot").read_text().startswith("digraph lgcc {")
    run_ok(capsys, "dump", model, "-f", "graphml", "-o", tmp_path / "g.graphml")
    assert "<graphml" in (tmp_path / "g.graphml").read_text()


def test_stats_table_and_json(model, capsys):
    table = run_ok(capsys, "stats", model)
    assert "gates per op:" in table and "depth          3" in table
    stats = json.loads(run_ok(capsys, "stats", model, "--json"))
    assert stats["gates"] == 34 and stats["gates_per_layer"] == [16, 12, 6]
    assert stats["head"]["outputs_per_class"] == [2, 2, 2]
    assert sum(stats["gates_per_op"].values()) == 34 and len(stats["gates_per_level"]) == stats["depth"]


def put(tmp_path, name, data):
    """Write ``data`` (text or bytes) to ``tmp_path / name`` and return the path."""
    p = tmp_path / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


def newer_lgir(tmp_path, model):
    p = tmp_path / "newer.lgir"
    with zipfile.ZipFile(model) as zin, zipfile.ZipFile(p, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == lgir.HEADER:
                data = json.dumps({**json.loads(data), "format_version": 99}).encode()
            zout.writestr(name, data)
    return p


def no_outputs(tmp_path):
    """A graph file with inputs and no outputs."""
    from lgcc.ir.graph import Graph

    lgir.write(Graph.from_arrays(3, [], [], [], []), tmp_path / "none.lgir")
    return tmp_path / "none.lgir"


CYCLIC_BLIF = ".model c\n.inputs a\n.outputs y\n.names a t y\n11 1\n.names y t\n1 1\n.end\n"
CYCLIC_AAG = b"aag 3 1 0 1 2\n2\n6\n6 4 2\n4 6 2\n"

# case -> (argv from (tmp_path, model), text the one-line error must contain)
BAD = {
    "missing file": (lambda t, m: ["stats", t / "nope.lgir"], "no such file"),
    "input is a folder": (lambda t, m: ["stats", t], "is a folder; give the path of a graph file"),
    "unknown input format": (lambda t, m: ["convert", put(t, "m.xyz", "?"), "-o", t / "o.blif"], "unknown file type"),
    "unknown output format": (lambda t, m: ["convert", m, "-o", t / "out.v"], "cannot write '.v'"),
    "foreign file": (lambda t, m: ["dump", put(t, "f.lgir", "just text\n"), "-o", t / "o.txt"], "not an .lgir file"),
    "truncated file": (lambda t, m: ["convert", put(t, "c.lgir", m.read_bytes()[:300]), "-o", t / "o.aig"], "truncat"),
    "newer version": (lambda t, m: ["convert", newer_lgir(t, m), "-o", t / "out.aig"], "newer lgcc"),
    "cone out of range": (lambda t, m: ["dump", m, "--cone", "6", "-o", t / "out.txt"], "out of range"),
    "cone of no outputs": (lambda t, m: ["dump", no_outputs(t), "--cone", "0"], "the graph has no outputs, so no cone"),
    "class out of range": (lambda t, m: ["dump", m, "--class", "3", "-o", t / "out.dot"], "out of range"),
    "layers out of range": (lambda t, m: ["dump", m, "--layers", "2:9", "-o", t / "out.txt"], "out of range"),
    "cycle in BLIF": (lambda t, m: ["convert", put(t, "cycle.blif", CYCLIC_BLIF), "-o", t / "out.lgir"], "cycle"),
    "cycle in AIGER": (lambda t, m: ["convert", put(t, "cycle.aag", CYCLIC_AAG), "-o", t / "out.lgir"], "cycle"),
    "AIGER named .blif": (lambda t, m: ["stats", put(t, "c.blif", CYCLIC_AAG)], "looks like an ASCII AIGER file: "
                          "rename it to c.aag"),
    ".lgir named .aig": (lambda t, m: ["dump", put(t, "g.aig", m.read_bytes())], "rename it to g.lgir"),
    ".lgir named .bin": (lambda t, m: ["stats", put(t, "g.bin", m.read_bytes())], "unknown file type '.bin' (known: "
                         ".aag, .aig, .blif, .lgir, .pt, .pth, .ckpt) (the file looks like an lgcc graph: rename it to g.lgir)"),
    "NUL bytes as BLIF": (lambda t, m: ["stats", put(t, "z.blif", b"\0" * 5000)], "outside a .names"),
    "too many nodes": (lambda t, m: ["dump", m, "--max-nodes", "10", "-o", t / "out.txt"], "--max-nodes 10"),
    "negative max nodes": (lambda t, m: ["dump", m, "--max-nodes", "-1"], "--max-nodes must be >= 0"),
    "output folder missing": (lambda t, m: ["convert", m, "-o", t / "no" / "m.blif"], "does not exist"),
    "output is a folder": (lambda t, m: ["dump", m, "-o", t], "is a folder"),
    "opt output is a folder": (lambda t, m: ["opt", m, "-o", t], "is a folder; give the name of the file"),
    "output without extension": (lambda t, m: ["convert", m, "-o", t / "noext"], "no extension to choose"),
    "empty output name": (lambda t, m: ["convert", m, "-o", ""], "the output file name is empty"),
    "verilog-report timeout": (lambda t, m: ["verilog-report", t, "--timeout", "0"], "--timeout must be > 0"),
    "verilog-report no model.v": (lambda t, m: ["verilog-report", put(t, "synth.ys", "").parent], "model.v: not found"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_exit_2_one_line_no_output(case, model, tmp_path, capsys):
    make, match = BAD[case]
    argv = [str(a) for a in make(tmp_path, model)]
    before = set(tmp_path.iterdir())
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lgcc: error:") and match in lines[0], captured.err
    assert len(lines[0]) < 400, "the message quotes too much of the file"
    assert captured.out == ""
    assert set(tmp_path.iterdir()) == before, "a failed command left a file behind"


@pytest.mark.parametrize("names", [5, ["only one"], {"x0": "a"}])
def test_malformed_name_lists_fall_back_to_default_names(tmp_path, capsys, names):
    """meta input_names/output_names of another type or length (a foreign file): dumps and writers use x{i}/y{o}."""
    g = random_layered_graph(3, [4, 2], k=2, seed=1)
    path = tmp_path / "n.lgir"
    lgir.write(g.copy(meta={"input_names": names, "output_names": names}), path)
    for argv in (["dump", path, "-f", "dot"], ["dump", path, "-f", "graphml"],
                 ["convert", path, "-o", tmp_path / "n.aag"]):
        run_ok(capsys, *argv)  # was a TypeError/IndexError traceback
    assert "i0 x0" in (tmp_path / "n.aag").read_text()


def _patched_central_directory(data: bytes, offset: int, value: bytes) -> bytes:
    """``data`` (a zip archive) with ``value`` written at ``offset`` of every central directory entry."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        out[at + offset:at + offset + len(value)] = value
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)


def test_zip_archives_zipfile_cannot_read_are_one_line(model, tmp_path, capsys):
    """A newer zip version or a damaged UTF-8 member name: zipfile's NotImplementedError and
    UnicodeDecodeError came out of the format sniffing and the checkpoint check as tracebacks."""
    newer = put(tmp_path, "newer.lgir", _patched_central_directory(model.read_bytes(), 6, b"\xff\x00"))
    name = _patched_central_directory(model.read_bytes(), 8, b"\x00\x08")  # names flagged UTF-8 ...
    name = put(tmp_path, "name.pt", _patched_central_directory(name, 46, b"\xbf"))  # ... and not UTF-8
    for path, match in ((newer, "zip file version"), (name, "truncated or corrupt")):
        assert main(["stats", str(path)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("lgcc: error:") and match in err[0], err
