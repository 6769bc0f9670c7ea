"""Trained models for the benchmarks of every part of lgcc, trained once and cached.

``mnist5k_6x4000()`` returns the path of a 784 -> 6x4000 -> GroupSum(10) network
trained by ``lgcc train --dataset mnist5k`` (the dataset's default settings, which
are this architecture), cached at ``benchmarks/.cache/mnist5k_6x4000.pt``.
Training takes several minutes on 2 cores; later calls reuse the file.

Usage from another benchmark script::

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import models
    graph, source = models.trained_graph()
"""

from __future__ import annotations

import sys
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
MNIST5K = CACHE / "mnist5k_6x4000.pt"


def mnist5k_6x4000(retrain: bool = False, threads: int | None = None) -> Path:
    """Path of the cached mnist5k 784 -> 6x4000 checkpoint, training it first if missing (or ``retrain``)."""
    from lgcc.cli import main

    if MNIST5K.exists() and not retrain:
        return MNIST5K
    CACHE.mkdir(parents=True, exist_ok=True)
    args = ["train", "--dataset", "mnist5k", "--layers", "6", "--width", "4000", "--quiet", "-o", str(MNIST5K)]
    if threads:
        args += ["--threads", str(threads)]
    if main(args) != 0 or not MNIST5K.exists():
        raise RuntimeError("training the mnist5k benchmark model failed (see the message above)")
    return MNIST5K


def trained_graph():
    """The lowered mnist5k 6x4000 graph (training and caching it if needed) and a note on its source."""
    from lgcc.frontend.lowering import lower_checkpoint

    path = mnist5k_6x4000()
    return lower_checkpoint(path), f"lowered from {path.name} (lgcc train --dataset mnist5k)"


def verilog_benchmark_graph():
    """The graph benchmarks/verilog_cost.py measures: the trained mnist5k 6x4000 model."""
    return trained_graph()


if __name__ == "__main__":
    retrain = "--retrain" in sys.argv
    print(mnist5k_6x4000(retrain=retrain))
