"""A small trained model for the test suites of every part of lgcc (backends, runtime, passes).

``tiny_trained_graph(seed)`` trains a 128 -> 2x200 -> GroupSum(10) network on
scikit-learn's digits (2 thermometer bits per pixel) for a couple of seconds and
returns the model, its checkpoint, the lowered graph and test data; results are
cached per process and seed.  Unlike random graphs, a trained graph has the
skewed gate mix (many wires, constants and dead cones) that real models have.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from lgcc.ir.graph import Graph

if TYPE_CHECKING:
    from .data import Dataset
    from .training import TrainConfig


@dataclass(frozen=True)
class TrainedModel:
    """A trained model and what tests need from it."""

    model: nn.Sequential  # eval mode, takes raw features (float32, 64 columns)
    checkpoint: Path  # written by lgcc.save
    graph: Graph  # lowered (with Encoding and GroupSum head)
    features: np.ndarray  # raw test features, float32 (N, 64)
    bits: np.ndarray  # the same rows encoded to input bits, bool (N, n_inputs)
    labels: np.ndarray  # int64 (N,)
    accuracy: float  # discrete test accuracy of the model


_CACHE: dict[tuple[int, str], TrainedModel] = {}


def tiny_trained_graph(seed: int = 0, directory: str | Path | None = None) -> TrainedModel:
    """Train (or return the cached) tiny digits model for ``seed``; see the module docstring.

    The checkpoint goes to ``directory`` (a fresh temporary folder by default).
    Deterministic: the same seed gives the same graph.
    """
    key = (seed, str(directory))
    if key in _CACHE:
        return _CACHE[key]
    from .checkpoint import save
    from .data import load_dataset
    from .lowering import lower
    from .training import TrainConfig, evaluate, make_encoder, make_model, train_loop

    data = load_dataset("digits")
    cfg = TrainConfig(layers=2, width=200, tau=8.0, bits=2, steps=250, batch_size=64, lr=0.05, seed=seed,
                      implementation="cpu")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: threads only add overhead and contention
    try:
        encoder = make_encoder(data, cfg.bits, cfg.encoding)
        model = make_model(encoder, encoder.out_dim, data.n_classes, cfg)
        train_loop(model, data.x_train, data.y_train, cfg)
        accuracy = evaluate(model, data.x_test, data.y_test)
    finally:
        torch.set_num_threads(threads)
    model.eval()
    folder = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="lgcc-tiny-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = save(model, folder / f"tiny_digits_{seed}.pt", meta={"dataset": "digits", "accuracy": accuracy})
    graph = lower(model)
    assert graph.encoding is not None  # make_model puts the encoder first, and lowering keeps it
    bits = graph.encoding.encode(data.x_test)
    result = TrainedModel(model, path, graph, data.x_test, bits, data.y_test, accuracy)
    _CACHE[key] = result
    return result


def _tiny_run(seed: int) -> tuple[nn.Sequential, Dataset, TrainConfig]:
    """Model, data and config of the small distributed-training check (iris, 2 layers of 60)."""
    from .data import load_dataset
    from .training import TrainConfig, make_encoder, make_model

    data = load_dataset("iris")
    cfg = TrainConfig(layers=2, width=60, tau=4.0, bits=4, encoding="quantile", steps=15, batch_size=20,
                      lr=0.05, seed=seed, implementation="cpu")
    encoder = make_encoder(data, cfg.bits, cfg.encoding)
    return make_model(encoder, encoder.out_dim, data.n_classes, cfg), data, cfg


def train_tiny(seed: int = 0, shard: tuple[int, int] | None = None) -> dict[str, torch.Tensor]:
    """Train the tiny iris model in this process (``shard=(rank, world)``: only that rank's batch slices)."""
    from .training import train_loop

    model, data, cfg = _tiny_run(seed)
    train_loop(model, data.x_train, data.y_train, cfg, shard=shard)
    return {k: v.clone() for k, v in model.state_dict().items()}


def _ddp_worker(rank: int, world: int, init_file: str, out_dir: str, seed: int) -> None:
    """One process of :func:`train_tiny_distributed` (module level so ``spawn`` can import it)."""
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        state = train_tiny(seed)
        torch.save(state, Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def train_tiny_distributed(directory: str | Path, world: int = 2, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    """Train the tiny iris model with DDP over ``world`` CPU processes (gloo); the final state of each rank."""
    import torch.multiprocessing as mp

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    init_file = directory / "rendezvous"
    mp.spawn(_ddp_worker, args=(world, str(init_file), str(directory), seed), nprocs=world, join=True)
    return [torch.load(directory / f"rank{r}.pt", weights_only=True) for r in range(world)]
