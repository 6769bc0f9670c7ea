"""The built wheel installs only ``lgcc/...``; the entry points answer --version and --help; the
dotted names README uses resolve after a plain ``import lgcc``."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lgcc.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "lgcc", "ir", "frontend", "backends", "runtime")


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    pytest.importorskip("setuptools", reason="building the wheel needs setuptools in this environment")
    # Build from a copy so the checkout gets no build/ or egg-info folders from the test.
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        item = ROOT / name
        if item.is_dir():
            shutil.copytree(item, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
        else:
            shutil.copy2(item, src / name)
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    wheels = list(out.glob("lgcc-*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as zf:
        return zf.namelist()


def test_wheel_installs_only_the_lgcc_namespace(wheel_names):
    tops = {name.split("/")[0] for name in wheel_names}
    assert "lgcc" in tops
    assert tops <= {"lgcc"} | {t for t in tops if t.startswith("lgcc-") and t.endswith(".dist-info")}, tops
    for forbidden in ("ir", "runtime", "frontend", "backends", "tests", "benchmarks"):
        assert forbidden not in tops


def test_wheel_holds_the_subpackages(wheel_names):
    names = set(wheel_names)
    for module in ("lgcc/cli.py", "lgcc/ir/graph.py", "lgcc/ir/formats/lgir.py", "lgcc/ir/dump/dot.py",
                   "lgcc/commands/dump.py", "lgcc/frontend/__init__.py", "lgcc/backends/__init__.py",
                   "lgcc/runtime/__init__.py"):
        assert module in names, module


def test_wheel_holds_the_templates_and_sources_the_backends_render(wheel_names):
    names = set(wheel_names)
    for folder in ("backends/c/templates", "backends/cuda/templates", "backends/verilog/templates", "frontend/csrc"):
        files = sorted(p.name for p in (ROOT / folder).iterdir() if p.is_file() and p.suffix != ".pyc")
        assert files, folder
        for name in files:
            assert f"lgcc/{folder}/{name}" in names, f"{folder}/{name}"


def run(*args):
    return subprocess.run([sys.executable, "-m", "lgcc", *args], capture_output=True, text=True, timeout=120)


def test_version_and_help():
    from lgcc import __version__

    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"lgcc {__version__}"
    r = run("--help")
    assert r.returncode == 0 and "usage: lgcc" in r.stdout
    for name in ("dump", "stats", "convert"):
        assert name in r.stdout


def test_console_script_exists():
    # this interpreter's own script first: PATH may hold another environment's (a pyenv shim)
    exe = shutil.which("lgcc", path=str(Path(sys.executable).parent)) or shutil.which("lgcc")
    if exe is None:
        pytest.skip("the lgcc console script is not on PATH (package not installed with pip)")
    r = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("lgcc ")


def test_every_subcommand_help_shows_an_example():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        text = parser.format_help()
        examples = text.split("examples:", 1)[-1]
        assert "examples:" in text and f"lgcc {name}" in examples, name


def test_dotted_names_in_readme_resolve_after_import_lgcc():
    """README names ``lgcc.frontend.lower``, ``lgcc.loading.load_graph``, ``lgcc.ir.passes.optimize``,
    ``lgcc.ir.equiv.check_equivalence`` and ``lgcc.ir.score_circuit``: each works after ``import lgcc``
    alone (subpackages load on first use, so ``import lgcc`` stays light and the IR never loads torch)."""
    code = ("import sys, lgcc; assert 'lgcc.ir' not in sys.modules; "
            "assert callable(lgcc.ir.passes.optimize) and callable(lgcc.ir.equiv.check_equivalence); "
            "assert lgcc.ir.score_circuit.__name__ == 'lgcc.ir.score_circuit' and callable(lgcc.loading.load_graph); "
            "assert 'torch' not in sys.modules; assert callable(lgcc.frontend.lower); "
            "assert not hasattr(lgcc, 'no_such_module') and not hasattr(lgcc.ir, 'no_such_module'); "
            # a dotted string is no attribute name (it raised ModuleNotFoundError)
            "assert getattr(lgcc, 'a.b', None) is None and getattr(lgcc.ir, 'a.b', None) is None; "
            "assert getattr(lgcc.frontend, 'a.b', None) is None; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr
