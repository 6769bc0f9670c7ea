"""The CLI frame: version, usage errors as one line with exit 2, help everywhere."""

import subprocess
import sys

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
