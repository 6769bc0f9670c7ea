"""Training a logic gate network: model construction, the training loop (single process or DDP), evaluation.

The loop is deterministic for a seed: the model's wiring and weights come from
a generator seeded with ``seed`` and the batch order from one seeded with
``seed + 1``.  Under ``torch.distributed`` every rank draws the same global
batch order and takes its slice ``batch[rank::world]``; DistributedDataParallel
averages the gradients, so N processes train the same model a single process
would on the whole batch.
"""

from __future__ import annotations

import ctypes
import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from lgcc.ir.errors import LgccError

from .data import Dataset
from .device import checked_device
from .encoding import Thermometer
from .layers import GroupSum, LogicLayer
from .progress import Progress

#: Samples per batch of :func:`evaluate`.
EVAL_BATCH = 1000


@dataclass
class TrainConfig:
    """Model and optimisation settings of one training run (all plain values, stored in checkpoints)."""

    layers: int = 4
    width: int = 2000
    tau: float = 10.0
    bits: int = 3  # thermometer thresholds per raw feature
    encoding: str = "uniform"  # 'uniform' over the value range, or 'quantile' of the training data
    steps: int | None = None
    epochs: float | None = 20.0
    batch_size: int = 100
    lr: float = 0.01
    seed: int = 0
    connections: str = "random"
    init: str = "random"
    grad_factor: float = 1.0
    implementation: str = "auto"

    def total_steps(self, n_train: int) -> int:
        """Optimizer steps of the run: ``steps``, or ``epochs`` over the training set."""
        if self.steps is not None:
            return int(self.steps)
        per_epoch = math.ceil(n_train / self.batch_size)
        return max(1, int(round(float(self.epochs or 1) * per_epoch)))


#: Bytes each gate holds during training whatever the batch: 16 float32 weights, their gradient,
#: Adam's two moments, and the two int64 operand indices.
BYTES_PER_GATE = 4 * 16 * 4 + 2 * 8


def min_training_bytes(cfg: TrainConfig, n_inputs: int, batch_size: int | None = None,
                       eval_rows: int = EVAL_BATCH) -> int:
    """A lower bound of the memory one process needs to train and evaluate ``cfg`` over ``n_inputs`` bits.

    Counts the per-gate state (:data:`BYTES_PER_GATE`), the float32 layer
    outputs the backward pass keeps for a batch of ``batch_size`` (default
    ``cfg.batch_size``), and one layer's input and output during evaluation (batches of at
    most ``eval_rows``: the test set's size where it is smaller than :data:`EVAL_BATCH`);
    torch's own overhead and temporaries come on top.
    """
    gates = cfg.layers * cfg.width
    batch = cfg.batch_size if batch_size is None else batch_size
    training = gates * BYTES_PER_GATE + 4 * batch * (n_inputs + gates)
    evaluation = 4 * min(EVAL_BATCH, eval_rows) * (n_inputs + cfg.width)
    return max(training, evaluation)


def make_encoder(data: Dataset, bits: int, method: str) -> Thermometer:
    """Thermometer thresholds for ``data``: uniform over its value range, or at training quantiles."""
    if method == "uniform":
        if data.value_range is not None:
            return Thermometer.uniform(data.n_features, bits, *data.value_range)
        return Thermometer.from_data(data.x_train, bits, method="uniform")
    if method == "quantile":
        return Thermometer.from_data(data.x_train, bits, method="quantile")
    raise LgccError(f"unknown encoding '{method}' (choose uniform or quantile)")


def make_model(encoder: nn.Module | None, in_dim: int, n_classes: int, cfg: TrainConfig,
               device: torch.device | str = "cpu") -> nn.Sequential:
    """``[encoder] -> LogicLayer x cfg.layers (cfg.width wide) -> GroupSum(n_classes, cfg.tau)``."""
    checked_device(device)  # before building: the wiring of a large model takes a while to draw
    if cfg.layers < 1 or cfg.width < 1:
        raise LgccError(f"need --layers >= 1 and --width >= 1, got {cfg.layers}, {cfg.width}")
    if cfg.width % n_classes:
        raise LgccError(f"--width {cfg.width} must be a multiple of the {n_classes} classes (GroupSum groups)")
    gen = torch.Generator().manual_seed(cfg.seed)
    mods: list[nn.Module] = [] if encoder is None else [encoder]
    dims = [in_dim] + [cfg.width] * cfg.layers
    for i, o in zip(dims[:-1], dims[1:]):
        mods.append(LogicLayer(i, o, connections=cfg.connections, grad_factor=cfg.grad_factor,
                               implementation=cfg.implementation, init=cfg.init, generator=gen))
    mods.append(GroupSum(n_classes, cfg.tau))
    return nn.Sequential(*mods).to(device)


@torch.no_grad()
def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, device: torch.device | str = "cpu",
             batch_size: int = EVAL_BATCH) -> float:
    """Discrete (eval-mode) accuracy of ``model`` on raw features ``x``; restores the previous mode."""
    checked_device(device)
    was_training = model.training
    model.eval()
    correct = 0
    for s in range(0, len(x), batch_size):
        out = model(torch.as_tensor(x[s:s + batch_size], device=device))
        correct += int((out.argmax(1).cpu() == torch.as_tensor(y[s:s + batch_size])).sum())
    model.train(was_training)
    return correct / max(1, len(x))


def keep_freed_memory() -> None:
    """Ask glibc to keep freed memory in the heap instead of returning it to the OS.

    Training allocates the same few-MB tensors on every step; with glibc's
    defaults each of them comes back as fresh pages from the OS (a page fault
    per 4 KiB), which costs up to a third of a CPU step.  Called by ``lgcc
    train`` for its own process; a no-op where glibc is not the allocator.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: serve blocks up to 32 MiB from the heap
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: keep up to 1 GiB of freed heap
    except (OSError, AttributeError):
        pass


def _distributed() -> tuple[int, int]:
    """``(rank, world_size)`` of the initialised process group, or ``(0, 1)``."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _checked_step(opt: torch.optim.Optimizer, step: int, cfg: TrainConfig) -> None:
    """``opt.step()``, then LgccError if it left a weight NaN or infinite (training diverged).

    Without the check a diverged run trained on to the end, reported the
    accuracy of a NaN model and failed only when saving it.  The weights are
    checked rather than the loss because they are the same on every rank of a
    DDP job (the loss is each rank's own), so all ranks stop at the same step.
    A sum per tensor is NaN or infinite when a weight is, at a twentieth of the
    cost of ``isfinite`` (it also overflows for weights of ~1e33, far past any
    that training reaches without diverging).
    """
    try:
        opt.step()
        with torch.no_grad():
            finite = all(math.isfinite(float(p.sum())) for g in opt.param_groups for p in g["params"])
    except RuntimeError as exc:  # Adam's first step lr / (1 - beta1) beyond the float range
        if "overflow" not in str(exc):
            raise
        finite = False
    if not finite:
        raise LgccError(f"training diverged at step {step}: gate weights became NaN or infinite; use a smaller "
                        f"learning rate (--lr, now {cfg.lr:g}) or a larger GroupSum temperature (--tau, now "
                        f"{cfg.tau:g})")


def train_loop(model: nn.Module, x_train: np.ndarray, y_train: np.ndarray, cfg: TrainConfig,
               device: torch.device | str = "cpu", shard: tuple[int, int] | None = None,
               progress: Progress | None = None) -> dict:
    """Train ``model`` in place with Adam and cross-entropy; return a small history dict.

    ``shard=(rank, world)`` overrides the process group's slice of each global
    batch (used to reproduce one rank's view in a single process).  With an
    initialised process group of more than one rank the model is wrapped in
    DistributedDataParallel for the loop.
    """
    checked_device(device)
    rank, world = shard if shard is not None else _distributed()
    net = model
    if shard is None and world > 1:
        ids = [torch.device(device).index] if torch.device(device).type == "cuda" else None
        net = nn.parallel.DistributedDataParallel(model, device_ids=ids)
    steps = cfg.total_steps(len(x_train))
    if cfg.batch_size < world:
        raise LgccError(f"--batch-size {cfg.batch_size} is smaller than the {world} processes")
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    order_gen = torch.Generator().manual_seed(cfg.seed + 1)
    x_all = torch.as_tensor(x_train, dtype=torch.float32)
    y_all = torch.as_tensor(y_train, dtype=torch.int64)
    n = len(x_all)
    perm, pos = torch.randperm(n, generator=order_gen), 0
    loss_avg = acc_avg = None
    start = time.perf_counter()
    net.train()
    try:
        for step in range(1, steps + 1):
            if pos + cfg.batch_size > n and pos > 0:  # next epoch: a fresh order, no partial batch
                perm, pos = torch.randperm(n, generator=order_gen), 0
            batch = perm[pos:pos + cfg.batch_size]
            pos += cfg.batch_size
            mine = batch[rank::world]
            xb, yb = x_all[mine].to(device), y_all[mine].to(device)
            out = net(xb)
            loss = nn.functional.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            _checked_step(opt, step, cfg)
            lv, av = float(loss.detach()), float((out.detach().argmax(1) == yb).float().mean())
            loss_avg = lv if loss_avg is None else 0.95 * loss_avg + 0.05 * lv
            acc_avg = av if acc_avg is None else 0.95 * acc_avg + 0.05 * av
            if progress is not None:
                progress.update(step, loss=loss_avg, acc=acc_avg)
    finally:  # also on Ctrl-C or SIGTERM: end the bar's line, so the message after it starts a line
        if progress is not None:
            progress.close()
    return {"steps": steps, "seconds": time.perf_counter() - start, "final_loss": loss_avg,
            "final_train_acc": acc_avg, "world_size": world}


def config_meta(cfg: TrainConfig) -> dict:
    """The config as plain JSON values for checkpoint metadata."""
    return asdict(cfg)
