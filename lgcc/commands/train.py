"""``lgcc train``: train a logic gate network on a bundled dataset or an .npz file and save a checkpoint."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lgcc.ir.errors import LgccError
from lgcc.loading import check_checkpoint_output

if TYPE_CHECKING:  # torch is imported when a run starts
    import torch

    from lgcc.frontend.data import Dataset
    from lgcc.frontend.training import TrainConfig

NAME = "train"
HELP = "train a logic gate network (CPU, CUDA, or several processes under torchrun) and save a checkpoint"
EXAMPLES = [
    "lgcc train --dataset digits -o digits.pt",
    "lgcc train --dataset mnist5k --threads 2 -o mnist.pt",
    "lgcc train --dataset iris --layers 2 --width 300 --steps 500 --seed 1 -o iris.pt",
    "lgcc train --dataset mydata.npz --epochs 50 -o model.pt      # X (N, F) and y (N,)",
    "torchrun --nproc_per_node 2 -m lgcc train --dataset digits -o digits.pt",
]

#: difflogic's experiments/main.py options, and what lgcc train calls them (named when one is given).
FOREIGN_OPTIONS = {
    "-bs": "-bs is --batch-size here", "-t": "-t is --tau here", "-k": "-k is --width here",
    "--num_neurons": "--num_neurons is --width here", "-l": "-l is --layers here",
    "--num_layers": "--num_layers is --layers here", "-ni": "-ni is --steps here",
    "--num-iterations": "--num-iterations is --steps here", "-lr": "-lr is --lr here",
    "--learning-rate": "--learning-rate is --lr here",
    "-ef": "-ef has no counterpart: lgcc train evaluates once, at the end",
    "--eval-freq": "--eval-freq has no counterpart: lgcc train evaluates once, at the end",
    "-eid": "-eid has no counterpart: name the checkpoint with -o",
    "--compile_model": "--compile_model is a separate step here: lgcc compile CHECKPOINT --target c -o OUTDIR",
}
#: Fewest threads ``--threads`` may always ask for (more only on machines with more than 64 CPUs).
MAX_THREADS = 256
#: Per-dataset defaults (any option given on the command line wins).
DEFAULTS: dict[str, dict] = {
    "digits": dict(layers=4, width=2000, tau=20.0, bits=3, encoding="uniform", epochs=40, batch_size=100, lr=0.02),
    "mnist5k": dict(layers=6, width=4000, tau=10.0, bits=1, encoding="uniform", epochs=30, batch_size=100, lr=0.03,
                    connections="unique"),
    "iris": dict(layers=2, width=300, tau=10.0, bits=8, encoding="quantile", epochs=100, batch_size=32, lr=0.02),
    "wine": dict(layers=2, width=600, tau=10.0, bits=8, encoding="quantile", epochs=100, batch_size=32, lr=0.02),
    "breast-cancer": dict(layers=3, width=1000, tau=10.0, bits=8, encoding="quantile", epochs=40,
                          batch_size=32, lr=0.02),
    "file": dict(layers=4, width=2000, tau=10.0, bits=4, encoding="quantile", epochs=20, batch_size=100, lr=0.01),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``lgcc train`` (unset model/optimizer options take the dataset's defaults)."""
    parser.add_argument("--dataset", required=True,
                        help="digits, breast-cancer, iris, wine, mnist5k, or FILE.npz with arrays X (N, F) and "
                        "y (N,); labels are renumbered 0..k-1 in sorted order (e.g. cat=0, dog=1) and the "
                        "original ones kept in the checkpoint's meta['classes']")
    parser.add_argument("-o", "--output", help="checkpoint to write (e.g. model.pt); omitted: nothing is saved")
    shown = ("layers", "width", "tau", "bits", "encoding", "epochs", "batch_size", "lr")
    defaults = "\n".join(f"  {name}: " + " ".join(f"{k.replace('_', '-')}={v}" for k, v in d.items() if k in shown)
                         for name, d in DEFAULTS.items())
    model = parser.add_argument_group("model", "unset options take the dataset's defaults:\n" + defaults)
    model.add_argument("--layers", type=int, help="number of LogicLayers")
    model.add_argument("--width", type=int, help="gates per layer (a multiple of the number of classes; "
                       "the default width is rounded down to one, or up to the class count where it is smaller)")
    model.add_argument("--tau", type=float, help="GroupSum temperature")
    model.add_argument("--bits", type=int, help="thermometer thresholds per raw feature")
    model.add_argument("--encoding", choices=("uniform", "quantile"), help="where the thresholds go")
    model.add_argument("--connections", choices=("random", "unique"),
                       help="wiring of each layer (default random; unique for mnist5k)")
    model.add_argument("--init", choices=("random", "residual"), default="random",
                       help="random: normal gate weights; residual: start near pass-through (deep models)")
    model.add_argument("--grad-factor", type=float, default=1.0, help="scale of gradients passed between layers")
    opt = parser.add_argument_group("optimisation")
    length = opt.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="number of optimizer steps")
    length.add_argument("--epochs", type=float, help="passes over the training set")
    opt.add_argument("--batch-size", type=int, help="samples per step (split across torchrun processes)")
    opt.add_argument("--lr", type=float, help="Adam learning rate")
    opt.add_argument("--seed", type=int, default=0, help="seed of wiring, weights and batch order (default 0)")
    run = parser.add_argument_group("execution")
    run.add_argument("--device", default=None,
                     help="cpu, cuda, or cuda:N for the N-th GPU (default: cuda if available, else cpu)")
    run.add_argument("--implementation", choices=("auto", "python", "cpu", "cuda"), default="auto",
                     help="LogicLayer implementation (default auto: cuda on GPUs, else the fast cpu path; "
                     "cuda needs --device cuda)")
    run.add_argument("--threads", type=int, help="CPU threads per process (torch.set_num_threads)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")


def _require(name: str, value: float | None, ok: Callable[[float], bool], requirement: str) -> None:
    """LgccError naming option ``--name`` and its value unless ``ok(value)``; None (unset) passes."""
    if value is not None and not ok(value):
        raise LgccError(f"--{name.replace('_', '-')} must be {requirement}, got {value}")


def _config(args: argparse.Namespace, dataset_key: str, n_classes: int) -> TrainConfig:
    from lgcc.ir.checks import MAX_WIDTH
    from lgcc.frontend.training import TrainConfig

    values = dict(DEFAULTS[dataset_key])
    values.setdefault("connections", "random")
    # GroupSum needs the width to be a multiple of the classes: a default width is
    # rounded down to one (a user's file may have any number of classes)
    values["width"] = max(n_classes, values["width"] - values["width"] % n_classes)
    for name in ("layers", "width", "tau", "bits", "encoding", "batch_size", "lr", "connections"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    if args.steps is not None:
        values["steps"], values["epochs"] = args.steps, None
    elif args.epochs is not None:
        values["epochs"] = args.epochs
    for name in ("layers", "width", "batch_size", "bits", "steps"):
        _require(name, values.get(name), lambda v: v >= 1, ">= 1")
    for name in ("epochs", "tau", "lr"):
        _require(name, values.get(name), lambda v: 0 < v < math.inf, "a finite number > 0")
    # torch generators take 64-bit seeds; the batch order uses seed + 1
    _require("seed", args.seed, lambda v: 0 <= v < 2 ** 63 - 1, ">= 0 and < 2**63 - 1")
    # 0 or below: the layers under the last would not learn, or unlearn
    _require("grad_factor", args.grad_factor, lambda v: 0 < v < math.inf, "a finite number > 0")
    if values["layers"] * values["width"] > MAX_WIDTH:  # gate ids are int32: the model could never be compiled
        raise LgccError(f"--layers x --width = {values['layers'] * values['width']} gates; at most {MAX_WIDTH} fit "
                        "in a graph")
    return TrainConfig(seed=args.seed, init=args.init, grad_factor=args.grad_factor,
                       implementation=args.implementation, **values)


def _check_torchrun_environment(world: int) -> None:
    """One line, not torch's ValueError traceback, when WORLD_SIZE is set without the rest of torchrun's variables."""
    missing = [name for name in ("RANK", "MASTER_ADDR", "MASTER_PORT") if name not in os.environ]
    if world > 1 and missing:
        raise LgccError(f"WORLD_SIZE={world} but {', '.join(missing)} not set: start several processes with "
                        "torchrun (torchrun --nproc_per_node N -m lgcc train ...), or unset WORLD_SIZE")


def _memory_bytes(device: torch.device) -> int | None:
    """Total memory of ``device`` (the GPU's, or this machine's RAM), or None where it cannot be told."""
    import torch

    if device.type == "cuda":
        return int(torch.cuda.get_device_properties(device).total_memory)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system that reports it
        return None


def _check_memory(cfg: TrainConfig, n_inputs: int, batch: int, device: torch.device, eval_rows: int) -> None:
    """Refuse a model that cannot fit before building it: past the memory, the OOM killer ends the run silently.

    ``batch`` is the samples of one process's step, ``eval_rows`` the test set's.  Processes of a
    torchrun job on the CPU share this machine's memory (one GPU each otherwise).
    """
    from lgcc.frontend.training import min_training_bytes

    have = _memory_bytes(device)
    sharing = int(os.environ.get("LOCAL_WORLD_SIZE", "1")) if device.type == "cpu" else 1
    need = sharing * min_training_bytes(cfg, n_inputs, batch_size=batch, eval_rows=eval_rows)
    if have is not None and need > have:
        raise LgccError(f"a model of {cfg.layers} x {cfg.width} gates over {n_inputs} input bits needs at least "
                        f"{need / 2 ** 30:.1f} GiB to train (batch size {cfg.batch_size}) and evaluate, more than the "
                        f"{have / 2 ** 30:.1f} GiB of {'this GPU' if device.type == 'cuda' else 'this machine'}; "
                        "use a smaller --width, --layers, --bits or --batch-size")


def _check_unique_wiring(cfg: TrainConfig, n_inputs: int) -> None:
    """Refuse ``--connections unique`` where a layer has fewer distinct input pairs than gates, in option terms."""
    if cfg.connections != "unique":
        return
    dims = [n_inputs] + [cfg.width] * cfg.layers
    for k, (i, o) in enumerate(zip(dims[:-1], dims[1:]), 1):
        if o > i * (i - 1) // 2:
            raise LgccError(f"--connections unique: layer {k} has {o} gates but its {i} inputs make only "
                            f"{i * (i - 1) // 2} distinct pairs; use --connections random, a smaller --width "
                            "or more --bits")


def _setup_distributed(device_arg: str | None) -> tuple[int, int, torch.device]:
    """Join the torchrun process group if launched by torchrun; returns (rank, world, device)."""
    import torch

    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        raise LgccError(f"WORLD_SIZE={os.environ['WORLD_SIZE']!r} is not a number of processes") from None
    _check_torchrun_environment(world)
    want_cuda = str(device_arg).startswith("cuda") or (device_arg is None and torch.cuda.is_available())
    if device_arg not in (None, "cpu", "cuda") and not re.fullmatch(r"cuda:\d+", str(device_arg)):
        raise LgccError(f"unknown --device '{device_arg}' (choose cpu, cuda or cuda:N)")
    if want_cuda and not torch.cuda.is_available():
        raise LgccError(f"--device {device_arg or 'cuda'}: no CUDA GPU is visible to this torch build; "
                        "use --device cpu")
    if (device_arg is not None and device_arg.startswith("cuda:")
            and int(device_arg[5:]) >= torch.cuda.device_count()):
        raise LgccError(f"--device {device_arg}: this machine has {torch.cuda.device_count()} GPU(s), "
                        f"cuda:0..cuda:{torch.cuda.device_count() - 1}")
    if world > 1:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        device = torch.device(f"cuda:{local}") if want_cuda else torch.device("cpu")
        if want_cuda:
            torch.cuda.set_device(device)
        torch.distributed.init_process_group(backend="nccl" if want_cuda else "gloo")
        return torch.distributed.get_rank(), world, device
    device = torch.device(device_arg if device_arg and device_arg != "cuda" else ("cuda" if want_cuda else "cpu"))
    return 0, 1, device


def _check_implementation(implementation: str, device_arg: str | None, device: torch.device) -> None:
    """Refuse ``--implementation cuda`` off a GPU in command-line terms (LogicLayer's own message speaks Python)."""
    if implementation != "cuda" or device.type == "cuda":
        return
    if device_arg is None:  # the default device fell back to the CPU
        raise LgccError("--implementation cuda needs a CUDA GPU and none is visible to this torch build; "
                        "use --implementation cpu (the fast CPU path) or python")
    raise LgccError(f"--implementation cuda needs --device cuda and a CUDA GPU, not --device {device_arg}; "
                    "on the CPU use --implementation cpu (the fast CPU path) or python")


def run(args: argparse.Namespace) -> int:
    """Train, report discrete test accuracy, save the checkpoint (rank 0 only)."""
    import torch

    from lgcc.frontend.data import bundled_name, load_dataset
    from lgcc.frontend.training import keep_freed_memory

    keep_freed_memory()
    if args.threads is not None:
        most = max(MAX_THREADS, 4 * (os.cpu_count() or 1))  # far more crashed torch's thread pool (SIGSEGV)
        if not 1 <= args.threads <= most:
            raise LgccError(f"--threads must be between 1 and {most} (this machine has {os.cpu_count()} CPUs), "
                            f"got {args.threads}")
        torch.set_num_threads(args.threads)
    if args.output is not None:
        check_checkpoint_output(args.output)  # before training, not after minutes of it
    data = load_dataset(args.dataset)
    cfg = _config(args, bundled_name(args.dataset) or "file", data.n_classes)
    n_inputs = data.n_features * cfg.bits  # the thermometer's bits
    _check_unique_wiring(cfg, n_inputs)
    rank, world, device = _setup_distributed(args.device)
    try:
        _check_implementation(args.implementation, args.device, device)
        batch = math.ceil(min(cfg.batch_size, len(data.x_train)) / world)  # a step takes at most the whole set
        _check_memory(cfg, n_inputs, batch, device, len(data.y_test))
        return _train(args, cfg, data, rank, world, device)
    except RuntimeError as exc:  # torch reports a failed allocation as RuntimeError (OutOfMemoryError on GPUs)
        if "memory" not in str(exc):
            raise
        raise LgccError(f"out of memory for a model of {cfg.layers} x {cfg.width} gates with batch size "
                        f"{cfg.batch_size} on {device}; use a smaller --width, --layers or --batch-size") from None
    finally:
        if world > 1 and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def _save_or_rescue(save: Callable[..., object], model: torch.nn.Module, path: str, meta: dict) -> None:
    """``save(model, path, meta=meta)``; if that fails (a full disk, a folder removed meanwhile), the
    trained model goes to the temporary folder instead and the error says where, so no work is lost."""
    import tempfile

    try:
        save(model, path, meta=meta)
    except (LgccError, OSError) as exc:  # OSError: e.g. EIO or a read-only file system
        rescue = os.path.join(tempfile.gettempdir(), f"lgcc-train-{os.getpid()}-{time.strftime('%Y%m%d-%H%M%S')}.pt")
        try:
            save(model, rescue, meta=meta)
        except LgccError:
            raise exc from None
        why = str(exc).split("; ")[0]  # not its advice to run again: the work is kept
        raise LgccError(f"{why}; the trained model was saved to {rescue} instead") from None


def _train(args: argparse.Namespace, cfg: TrainConfig, data: Dataset, rank: int, world: int,
           device: torch.device) -> int:
    """The training run of :func:`run` (rank 0 saves and prints)."""
    import torch

    from lgcc.frontend.checkpoint import save
    from lgcc.frontend.progress import Progress
    from lgcc.frontend.training import config_meta, evaluate, make_encoder, make_model, train_loop

    for note in (data.relabelling_note(), data.untrained_note()):
        if note and rank == 0:  # stderr: stdout holds only the summary (JSON with --json)
            print(note, file=sys.stderr)
    torch.manual_seed(cfg.seed)
    encoder = make_encoder(data, cfg.bits, cfg.encoding)
    model = make_model(encoder, encoder.out_dim, data.n_classes, cfg, device=device)
    steps = cfg.total_steps(len(data.x_train))
    progress = Progress(steps, enabled=not args.quiet and rank == 0)
    started = time.perf_counter()
    history = train_loop(model, data.x_train, data.y_train, cfg, device=device, progress=progress)
    accuracy = evaluate(model, data.x_test, data.y_test, device=device)
    summary = {"dataset": data.name, "test_accuracy": accuracy, "n_test": len(data.y_test),
               "train_seconds": round(time.perf_counter() - started, 2), "steps": history["steps"],
               "world_size": world, "device": str(device),
               "gates": cfg.layers * cfg.width, "inputs": encoder.out_dim}
    try:
        if rank == 0:
            _report(args, data, summary, accuracy, world, model, save,
                    # no timing in the checkpoint: the same --seed gives the same bytes
                    config_meta(cfg) | {"dataset": data.name, "classes": data.classes, "test_accuracy": accuracy,
                                        "world_size": world})
    finally:  # every rank waits for rank 0's save, even a failed one: gloo aborts a rank whose peer is busy
        if world > 1:
            torch.distributed.barrier()
    return 0


def _report(args: argparse.Namespace, data: Dataset, summary: dict, accuracy: float, world: int,
            model: torch.nn.Module, save: Callable[..., object], meta: dict) -> None:
    """Rank 0's end of a run: save the checkpoint, print the summary (JSON with --json)."""
    if args.output:
        _save_or_rescue(save, model, args.output, meta)
        summary["checkpoint"] = str(args.output)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{data.name}: discrete test accuracy {100 * accuracy:.2f}% on {_count(len(data.y_test), 'sample')} "
              f"({summary['gates']} gates, {_count(summary['steps'], 'step')}, {summary['train_seconds']:.1f}s"
              f"{', %d processes' % world if world > 1 else ''})"
              + (f"; saved {args.output}" if args.output else ""))
    sys.stdout.flush()


def _count(n: int, noun: str) -> str:
    """``1 step``, ``2 steps``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
