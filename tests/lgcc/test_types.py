"""mypy finds no type errors in the installed package (STYLE.md: type hints throughout, checked).

pyproject.toml maps the top-level folders into one namespace (``lgcc.ir`` is ``ir/``, ...), which
mypy cannot follow from the checkout, so the test checks a tree of links laid out as installed.
The settings are pyproject.toml's ``[tool.mypy]``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def subpackage_dirs() -> dict[str, str]:
    """Subpackage of lgcc -> its folder in the checkout, as pyproject.toml's package-dir maps them."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomli, which mypy itself needs there
        tomllib = pytest.importorskip("tomli", reason="Python 3.10 reads TOML with tomli (installed with mypy)")
    package_dir = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    return {name.split(".", 1)[1]: folder for name, folder in package_dir.items() if name.startswith("lgcc.")}


def installed_layout(dest: Path) -> Path:
    """Links under ``dest`` that lay the sources out as pip installs them; returns ``dest``."""
    package = dest / "lgcc"
    package.mkdir(parents=True)
    for item in sorted((ROOT / "lgcc").iterdir()):
        if item.name != "__pycache__":
            (package / item.name).symlink_to(item)
    for name, folder in subpackage_dirs().items():
        (package / name).symlink_to(ROOT / folder, target_is_directory=True)
    return dest


@pytest.mark.slow
def test_mypy_finds_no_errors(tmp_path):
    pytest.importorskip("mypy", reason="mypy is one of the test extras (pip install -e '.[test]')")
    tree = installed_layout(tmp_path / "tree")
    res = subprocess.run([sys.executable, "-m", "mypy", "-p", "lgcc", "--config-file", str(ROOT / "pyproject.toml"),
                          "--cache-dir", str(tmp_path / "cache"), "--no-color-output"],
                         cwd=tree, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Success: no issues found" in res.stdout


def test_the_layout_holds_every_subpackage(tmp_path):
    subpackages = subpackage_dirs()
    assert set(subpackages) >= {"ir", "frontend", "backends", "runtime"}
    tree = installed_layout(tmp_path / "tree")
    for name in ("cli.py", *(f"{sub}/__init__.py" for sub in subpackages)):
        assert (tree / "lgcc" / name).is_file(), name
