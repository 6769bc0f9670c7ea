"""The CLI frame: version, usage errors as one line with exit 2, help everywhere."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lgcc import __version__
from lgcc.cli import build_parser, main


def run(*args):
    return subprocess.run([sys.executable, "-m", "lgcc", *args], capture_output=True, text=True, timeout=120)


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"lgcc {__version__}"


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: lgcc" in capsys.readouterr().err


def test_unknown_command_is_one_line_exit_2():
    r = run("frobnicate")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lgcc: error:")


def test_unknown_option_points_to_the_subcommand_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["stats", "model.lgir", "--no-such-option"])
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and len(err) == 1
    assert "unrecognized arguments: --no-such-option" in err[0] and "'lgcc stats --help'" in err[0]


def test_every_subcommand_has_help_with_an_example():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sub.choices, "no subcommands registered"
    for name, p in sub.choices.items():
        text = p.format_help()
        assert "examples:" in text and "lgcc " + name in text, name


def _lgcc_args(line):
    """The arguments of the lgcc call in a shell line (comment, '&&', '>', '[...]' cut off), else None."""
    words = line.split("#")[0].split()
    if "lgcc" not in words:
        return None
    words = words[words.index("lgcc") + 1:]  # also 'torchrun ... -m lgcc train ...'
    cut = [i for i, w in enumerate(words) if w in ("&&", ">", "|") or w.startswith("[")]
    return words[:cut[0]] if cut else words


def test_every_example_parses():
    """Each EXAMPLES line names only options that exist, with valid values."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        for line in p.epilog.split("examples:\n")[1].splitlines():
            assert parser.parse_args(_lgcc_args(line)).command == name, line


def test_every_readme_command_parses():
    """The lgcc command lines of README.md's shell blocks name only options that exist."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    lines = [line for block in re.findall(r"```bash\n(.*?)```", readme, re.S) for line in block.splitlines()]
    calls = [args for args in map(_lgcc_args, lines) if args is not None]
    assert len(calls) > 20
    for args in calls:
        parser = build_parser()
        parser.parse_args(args)


@pytest.mark.parametrize("exc_name,code", [("LgccError", 2), ("WorkFailed", 1)])
def test_errors_map_to_exit_codes(monkeypatch, capsys, exc_name, code):
    import lgcc.ir.errors as errors

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    name = sorted(sub.choices)[0]

    def boom(args):
        raise getattr(errors, exc_name)("something is wrong\nsecond line")

    monkeypatch.setattr("lgcc.cli.build_parser", lambda: _with_run(parser, name, boom))
    assert main(_minimal_args(parser, name)) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "something is wrong" in err[0]


def test_out_of_memory_is_one_line_that_says_what_it_means(monkeypatch, capsys):
    parser = build_parser()

    def boom(args):
        raise MemoryError("Unable to allocate 14.9 GiB for an array with shape (2000000000,) and data type int64")

    monkeypatch.setattr("lgcc.cli.build_parser", lambda: _with_run(parser, "stats", boom))
    assert main(["stats", "x.aig"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lgcc: error: out of memory (Unable to allocate 14.9 GiB")
    assert "larger than this machine can hold" in err[0]


@pytest.mark.parametrize("fmt, first", [("text", b"# lgcc graph"), ("dot", b"digraph"), ("graphml", b"<graphml")])
def test_closed_pipe_is_quiet(tmp_path, fmt, first):
    """'lgcc dump ... | head' is normal use: no 'Broken pipe' error line, the shell's SIGPIPE status
    (also for DOT and GraphML, rendered whole and written in pieces)."""
    from lgcc.ir.random import random_layered_graph
    from lgcc.loading import save_graph

    save_graph(random_layered_graph(8, [4000, 4000], k=2, seed=1), tmp_path / "m.lgir")  # > a pipe buffer of text
    proc = subprocess.Popen([sys.executable, "-m", "lgcc", "dump", str(tmp_path / "m.lgir"), "--max-nodes", "0",
                             "--format", fmt], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(first)
    proc.stdout.close()  # the reader stops after one line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and err == ""


def test_closed_stdout_is_refused_before_any_work(tmp_path):
    """'lgcc ... >&-' left sys.stdout None: an AttributeError traceback, after the work (train had saved)."""
    from lgcc.ir.random import random_layered_graph
    from lgcc.loading import save_graph

    save_graph(random_layered_graph(8, [16], k=2, seed=1), tmp_path / "m.lgir")
    proc = subprocess.run([sys.executable, "-m", "lgcc", "convert", str(tmp_path / "m.lgir"), "-o",
                           str(tmp_path / "m.blif")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                          preexec_fn=lambda: os.close(1))
    assert proc.returncode == 2
    assert proc.stderr.decode() == "lgcc: error: standard output is closed; redirect it to a file or /dev/null\n"
    assert not (tmp_path / "m.blif").exists()


def test_sigterm_leaves_no_temporary_file(monkeypatch, tmp_path):
    """kill (SIGTERM) in the middle of an atomic write: the temporary file is removed, exit 143."""
    import os
    import signal

    from lgcc.ir.fileio import atomic_path

    parser = build_parser()

    def killed_while_writing(args):
        with atomic_path(tmp_path / "out.blif") as tmp:
            tmp.write_text("half a netlist")
            os.kill(os.getpid(), signal.SIGTERM)
        return 0

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr("lgcc.cli.build_parser", lambda: _with_run(parser, "stats", killed_while_writing))
    with pytest.raises(SystemExit) as info:
        main(["stats", "x.lgir"])
    assert info.value.code == 128 + signal.SIGTERM and list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is only set while a command runs


def _with_run(parser, name, fn):
    sub = next(a for a in parser._actions if a.dest == "command")
    sub.choices[name].set_defaults(_run=fn)
    return parser


def _minimal_args(parser, name):
    """Fill the subcommand's required positionals with dummy values."""
    sub = next(a for a in parser._actions if a.dest == "command")
    p = sub.choices[name]
    args = [name]
    for act in p._actions:
        if act.required or (not act.option_strings and act.nargs is None):
            args += ([act.option_strings[0]] if act.option_strings else []) + ["x"]
    return args
