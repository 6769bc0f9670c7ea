"""``lgcc train`` and the training loop: determinism, datasets, errors, DistributedDataParallel on CPU."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest
import torch

import lgcc
from lgcc.cli import main
from lgcc.commands.train import DEFAULTS
from lgcc.frontend.checkpoint import read_checkpoint
from lgcc.frontend.testing import train_tiny, train_tiny_distributed

pytest.importorskip("sklearn")

TINY = ["--layers", "2", "--width", "30", "--steps", "20", "--threads", "1", "--quiet", "--json"]


def _train(capsys, *args):
    code = main(["train", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_train_cli_is_deterministic_and_saves_a_loadable_checkpoint(tmp_path, capsys):
    paths = [tmp_path / f"m{i}.pt" for i in range(3)]
    for path, seed in zip(paths, ("3", "3", "4")):
        code, out, err = _train(capsys, "--dataset", "iris", *TINY, "--seed", seed, "-o", str(path))
        assert code == 0, err
        summary = json.loads(out)
        assert 0.0 <= summary["test_accuracy"] <= 1.0 and summary["steps"] == 20 and summary["n_test"] == 30
    a, b, c = (read_checkpoint(p) for p in paths)
    for la, lb, lc in zip(a["layers"], b["layers"], c["layers"]):
        if la["kind"] == "logic":
            assert torch.equal(la["weights"], lb["weights"]) and torch.equal(la["a"], lb["a"])
            assert not torch.equal(la["weights"], lc["weights"])
    assert a["meta"]["dataset"] == "iris" and a["meta"]["seed"] == 3 and a["meta"]["width"] == 30
    assert a["meta"]["classes"] == [0, 1, 2] and err == ""  # labels already 0..k-1: recorded, nothing printed
    model = lgcc.load(paths[0])
    assert model[0].n_features == 4 and model[-1].k == 3


def test_train_from_npz_and_progress_lines(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) * 7  # labels need not be 0..k-1
    # other arrays are ignored, also near-namesakes of arrays the file has (one-hot targets as Y)
    np.savez(tmp_path / "d.npz", X=x, y=y, Y=np.eye(8)[y // 7], feature_names=np.array(list("abcde")))
    code, out, err = _train(capsys, "--dataset", str(tmp_path / "d.npz"), "--layers", "2", "--width", "40",
                            "--steps", "60", "--threads", "1", "--bits", "2", "-o", str(tmp_path / "m.pt"))
    assert code == 0, err
    assert "discrete test accuracy" in out and "train 60/60" in err  # plain progress lines off a terminal
    assert read_checkpoint(tmp_path / "m.pt")["layers"][0]["feature"].numel() == 10


@pytest.mark.parametrize("args, message", [
    (["--dataset", "nope"], "unknown dataset"),
    (["--dataset", "iris", "--width", "31"], "multiple of the 3 classes"),
    (["--dataset", "iris", "--steps", "0"], "--steps must be >= 1"),
    (["--dataset", "iris", "--device", "tpu"], "unknown --device"),
    (["--dataset", "iris", "--epochs", "inf"], "--epochs must be a finite number"),
    (["--dataset", "iris", "-o", "no/such/folder/m.pt"], "does not exist"),
    (["--dataset", "iris", "-o", ""], "the output file name is empty"),
    (["--dataset", "iris", "-o", "model.lgir"], "a checkpoint needs the extension .pt, .pth, .ckpt"),
    (["--dataset", "iris", "--lr", "inf"], "--lr must be a finite number > 0, got inf"),
    (["--dataset", "iris", "--lr", "-1"], "--lr must be a finite number > 0, got -1.0"),  # was: "--tau and --lr"
    (["--dataset", "iris", "--tau", "0"], "--tau must be a finite number > 0, got 0.0"),
    (["--dataset", "iris", "--width", "0"], "--width must be >= 1, got 0"),  # was: "--layers >= 1 and --width"
    (["--dataset", "iris", "--batch-size", "0"], "--batch-size must be >= 1, got 0"),
    (["--dataset", "iris", "--implementation", "cuda", "--device", "cpu"],  # was: the Python API's .to('cuda')
     "--implementation cuda needs --device cuda and a CUDA GPU, not --device cpu; on the CPU use --implementation cpu"),
    (["--dataset", "iris", "--grad-factor", "nan"], "--grad-factor must be a finite number"),
    (["--dataset", "iris", "--seed", "99999999999999999999"], "--seed must be >= 0"),
    (["--dataset", "iris", "--seed", "-1"], "--seed must be >= 0"),
    (["--dataset", "iris", "--device", "cuda:99"], "--device cuda:99: "),  # was a torch AssertionError
    (["--dataset", "iris", "--width", "3000000000"], "fit in a graph"),  # was a failed 48 GB allocation
    (["--dataset", "iris", "--connections", "unique", "--width", "600"],  # was: connections='unique' needs in_dim...
     "--connections unique: layer 1 has 600 gates but its 32 inputs make only 496 distinct pairs"),
    (["--dataset", "iris", "--lr", "1e38"], "training diverged at step 1"),  # was Adam's RuntimeError, a traceback
    (["--dataset", "iris", "--tau", "1e-300"], "training diverged at step 1"),  # was: a NaN model, trained on
])
def test_train_cli_errors_are_one_line(args, message, capsys):
    code, _, err = _train(capsys, *args, "--threads", "1", "--quiet")
    assert code == 2 and message in err and err.count("\n") == 1


def test_implementation_cuda_without_a_gpu_speaks_command_line(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the default device falls back to the CPU
    code, _, err = _train(capsys, "--dataset", "iris", "--implementation", "cuda", *TINY)
    assert code == 2 and err.count("\n") == 1 and ".to('cuda')" not in err
    assert "--implementation cuda needs a CUDA GPU" in err and "use --implementation cpu" in err


@pytest.mark.parametrize("labels, mapping", [
    (["cat", "dog"], "cat=0, dog=1"),
    ([-1, 1], "-1=0, 1=1"),
    ([0, 1000000], "0=0, 1000000=1"),
])
def test_renumbered_labels_are_printed_and_kept_in_the_checkpoint(tmp_path, capsys, labels, mapping):
    from lgcc.frontend import lower
    from lgcc.loading import load_graph

    x = np.random.default_rng(0).normal(size=(40, 3))
    np.savez(tmp_path / "d.npz", X=x, y=np.where(x[:, 0] > 0, labels[1], labels[0]))
    out = tmp_path / "m.pt"
    code, _, err = _train(capsys, "--dataset", str(tmp_path / "d.npz"), "--layers", "1", "--width", "2",
                          "--steps", "2", "--threads", "1", "--quiet", "--json", "-o", str(out))
    assert code == 0, err
    assert err == f"d.npz: labels mapped to classes 0..1: {mapping}\n"
    assert lgcc.load(out).lgcc_meta["classes"] == labels  # JSON values in class-index order
    assert lower(out).meta["training"]["classes"] == labels == load_graph(out).meta["training"]["classes"]


def test_class_labels_reach_the_compiled_outputs(tmp_path, capsys):
    """The recorded labels go into every target's model.json, and the C runtime exposes them."""
    import json

    from lgcc.runtime import load

    x = np.random.default_rng(0).normal(size=(40, 3))
    np.savez(tmp_path / "d.npz", X=x, y=np.where(x[:, 0] > 0, "dog", "cat"))
    model = tmp_path / "m.pt"
    code, _, err = _train(capsys, "--dataset", str(tmp_path / "d.npz"), "--layers", "1", "--width", "2",
                          "--steps", "2", "--threads", "1", "--quiet", "-o", str(model))
    assert code == 0, err
    for target in ("c", "verilog", "cuda"):
        assert main(["compile", str(model), "-t", target, "-o", str(tmp_path / target)]) == 0
        assert json.loads((tmp_path / target / "model.json").read_text())["class_labels"] == ["cat", "dog"]
    assert load(tmp_path / "c").class_labels == ["cat", "dog"]


def test_relabelling_note_is_shortened_for_many_classes():
    from lgcc.frontend.data import Dataset

    x, y = np.zeros((1, 1), np.float32), np.zeros(1, np.int64)
    data = Dataset("d.npz", x, y, x, y, 15, classes=[3 * i for i in range(15)])
    assert data.relabelling_note() == ("d.npz: labels mapped to classes 0..14: "
                                       "0=0, 3=1, 6=2, 9=3, 12=4, 15=5, 18=6, 21=7, 24=8, ..., 42=14")
    assert Dataset("d.npz", x, y, x, y, 2, classes=[0.0, 1.0]).relabelling_note() is None
    assert Dataset("d.npz", x, y, x, y, 2, classes=["0", "1"]).relabelling_note() is not None


@pytest.mark.parametrize("threads", ["0", "100000", "99999999999"])  # were: an error, a segfault, a ValueError
def test_impossible_thread_counts_are_refused(threads, capsys):
    code, _, err = _train(capsys, "--dataset", "iris", "--threads", threads, "--quiet")
    assert code == 2 and "--threads must be between 1 and" in err and err.count("\n") == 1


def test_out_of_memory_says_what_to_shrink(monkeypatch, capsys):
    import lgcc.frontend.training as training

    def fail(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory")

    monkeypatch.setattr(training, "make_model", fail)
    code, _, err = _train(capsys, "--dataset", "iris", *TINY)
    assert code == 2 and err.count("\n") == 1
    assert "out of memory for a model of 2 x 30 gates" in err and "smaller --width" in err


@pytest.mark.parametrize("args, need", [
    (["--layers", "400", "--width", "9000"], "needs at least 1.3 GiB"),  # gates: weights, gradients, Adam state
    (["--bits", "3000000", "--width", "3"], "needs at least 1.4 GiB"),  # input bits of the 30 test rows
])
def test_models_larger_than_the_memory_are_refused_before_building(monkeypatch, capsys, args, need):
    # was: built and trained until the OOM killer ended it silently (--layers 100000000 --width 10: minutes
    # spent building layers first); the machine is made 1 GiB small so that the regression stays cheap
    import lgcc.commands.train as train

    monkeypatch.setattr(train, "_memory_bytes", lambda device: 1 << 30)
    code, _, err = _train(capsys, "--dataset", "iris", "--steps", "1", "--threads", "1", "--quiet", *args)
    assert code == 2 and err.count("\n") == 1, err
    assert need in err and "more than the 1.0 GiB of this machine" in err and "smaller --width" in err
    # a model that fits trains, whatever the batch size: a step takes at most the 120 training samples
    code, _, err = _train(capsys, "--dataset", "iris", *TINY, "--batch-size", "1000000000")
    assert code == 0, err


def test_help_lists_every_dataset_default(capsys):
    """``lgcc train --help`` shows each dataset's defaults under the options' own names."""
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    lines = capsys.readouterr().out.splitlines()
    for name, defaults in DEFAULTS.items():
        line = next(x for x in lines if x.strip().startswith(f"{name}:"))
        assert all(f"{k.replace('_', '-')}={v}" in line for k, v in defaults.items() if k != "connections")


def test_help_says_device_takes_a_gpu_number(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "cpu, cuda, or cuda:N for the N-th GPU" in " ".join(capsys.readouterr().out.split())  # said: cpu or cuda


@pytest.mark.parametrize("arrays, message", [
    (dict(features=np.zeros((3, 2))), "needs arrays 'X'"),
    (dict(X=np.zeros((0, 4)), y=np.zeros(0)), "X holds no samples"),
    (dict(X=np.array([["a", "b"]] * 4), y=np.arange(4)), "X is not numeric"),
    (dict(X=np.ones((4, 2), np.complex64), y=np.arange(4)), "X is not real numbers"),  # was: imaginary part dropped
    (dict(X=np.ones((4, 2)), y=np.array([0, 1, np.nan, 1])), "labels y contain NaN"),  # was: NaN a class
    (dict(X=np.ones((4, 2)), y=np.arange(4), X_test=np.ones((0, 2)), y_test=np.zeros(0)), "X_test holds no samples"),
    # the four below were silently ignored: accuracy was reported on the internal split instead
    (dict(X=np.ones((4, 2)), y=np.arange(4), X_test=np.ones((2, 2))), "has X_test but no y_test; give both"),
    (dict(X=np.ones((4, 2)), y=np.arange(4), y_test=np.arange(2)), "has y_test but no X_test; give both"),
    (dict(X=np.ones((4, 2)), y=np.arange(4), x_test=np.ones((2, 2)), y_test=np.arange(2)),
     "array 'x_test' is not read: did you mean 'X_test'? (the arrays are X and y, optionally with a test set "
     "X_test and y_test)"),
    (dict(X=np.ones((4, 2)), y=np.arange(4), X_test=np.ones((2, 2)), Y_test=np.arange(2)),
     "array 'Y_test' is not read: did you mean 'y_test'?"),
    # were flattened by reshape(-1), pairing labels with the wrong rows
    (dict(X=np.ones((4, 2)), y=np.arange(4).reshape(2, 2)),
     "y has shape (2, 2); expected (4,), one label per row of X"),
    (dict(X=np.ones((4, 2)), y=np.arange(4), X_test=np.ones((2, 2)), y_test=np.arange(2).reshape(1, 2)),
     "y_test has shape (1, 2); expected (2,), one label per row of X_test"),
])
def test_bad_npz_is_a_clear_error(tmp_path, capsys, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    code, _, err = _train(capsys, "--dataset", str(tmp_path / "bad.npz"), "--quiet")
    assert code == 2 and message in err and err.count("\n") == 1


def test_features_beyond_float32_range_are_named_so_without_a_warning(tmp_path, capsys):
    """X of 1e300 printed numpy's overflow RuntimeWarning, then said the features held NaN or infinity."""
    np.savez(tmp_path / "big.npz", X=np.full((4, 2), 1e300), y=np.arange(4) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, _, err = _train(capsys, "--dataset", str(tmp_path / "big.npz"), "--quiet")
    assert code == 2 and err.count("\n") == 1 and "NaN" not in err
    assert "X holds values beyond the float32 range (largest magnitude 1.00e+300" in err


def test_labels_as_one_column_still_train(tmp_path, capsys):
    rng = np.random.default_rng(2)
    np.savez(tmp_path / "col.npz", X=rng.normal(size=(40, 3)), y=(np.arange(40) % 2).reshape(40, 1))
    code, out, err = _train(capsys, "--dataset", str(tmp_path / "col.npz"), *TINY)
    assert code == 0 and json.loads(out)["n_test"] == 8, err


def test_dataset_names_in_other_spellings(tmp_path, capsys, monkeypatch):
    # were: "unknown dataset" for difflogic's (and scikit-learn's) breast_cancer, and for an existing DATA.NPZ
    code, out, err = _train(capsys, "--dataset", "breast_cancer", *TINY)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["dataset"] == "breast-cancer" and summary["inputs"] == 30 * DEFAULTS["breast-cancer"]["bits"]
    rng = np.random.default_rng(2)
    np.savez(tmp_path / "data.npz", X=rng.normal(size=(40, 3)), y=np.arange(40) % 2)
    (tmp_path / "data.npz").rename(tmp_path / "DATA.NPZ")
    monkeypatch.chdir(tmp_path)
    code, out, err = _train(capsys, "--dataset", "DATA.NPZ", *TINY)
    assert code == 0 and json.loads(out)["dataset"] == "DATA.NPZ", err


def test_default_width_fits_any_number_of_classes(tmp_path, capsys):
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "three.npz", X=rng.normal(size=(60, 3)), y=np.arange(60) % 3)
    code, out, err = _train(capsys, "--dataset", str(tmp_path / "three.npz"), "--layers", "1", "--steps", "2",
                            "--threads", "1", "--quiet", "--json")
    assert code == 0, err
    assert json.loads(out)["gates"] == 1998  # the file default 2000, rounded down to a multiple of 3


def test_ddp_on_two_cpu_processes_averages_gradients(tmp_path):
    ranks = train_tiny_distributed(tmp_path, world=2, seed=0)
    half = train_tiny(seed=0, shard=(0, 2))  # rank 0's slices alone, no gradient exchange
    full = train_tiny(seed=0)  # one process on the whole batches
    for name, value in ranks[0].items():
        assert torch.equal(value, ranks[1][name]), name  # both ranks hold identical weights
        if name.endswith("weights"):
            to_half = float((value - half[name]).abs().max())
            to_full = float((value - full[name]).abs().max())
            assert to_half > 0.05  # gradients were exchanged ...
            assert to_full < 1e-3 < to_half  # ... and averaged: DDP on 2 halves == one process on the whole


def test_train_cli_under_torchrun_uses_two_processes(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "ddp.pt"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "lgcc",
           "train", "--dataset", "iris", "--layers", "2", "--width", "30", "--steps", "10", "--threads", "1",
           "--quiet", "-o", str(out)]
    for _ in range(2):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
        # torchrun's agent picks the workers' MASTER_PORT by binding and closing a free port: another
        # process (a parallel test) can take it before rank 0 listens there.  Only that is retried.
        if proc.returncode == 0 or not re.search(r"EADDRINUSE|[Aa]ddress already in use", proc.stderr):
            break
    assert proc.returncode == 0, f"stdout: {proc.stdout[-1000:]}\nstderr: {proc.stderr[-3000:]}"
    assert proc.stdout.count("discrete test accuracy") == 1 and "2 processes" in proc.stdout  # rank 0 reports
    assert read_checkpoint(out)["meta"]["world_size"] == 2


def test_progress_redraws_on_a_terminal_and_writes_few_lines_to_logs(monkeypatch):
    import io

    from lgcc.frontend.progress import Progress

    monkeypatch.setenv("COLUMNS", "200")  # the terminal's width (shutil.get_terminal_size reads it first)

    class Tty(io.StringIO):
        def isatty(self):
            return True

    log, tty = io.StringIO(), Tty()
    for stream in (log, tty):
        bar = Progress(100, stream=stream)
        for step in range(1, 101):
            bar.update(step, loss=0.5, acc=0.25)
        bar.close()
    assert log.getvalue().count("\n") == 10 and "train 100/100  loss 0.5000  acc 0.2500" in log.getvalue()
    assert "\r" in tty.getvalue() and "[" + "#" * 30 + "]" in tty.getvalue() and tty.getvalue().endswith("\n")


@pytest.mark.parametrize("columns", [80, 50, 20])
def test_the_progress_line_fits_the_terminal(monkeypatch, columns):
    """An 82-89 character line wrapped on 80 columns, and every redraw then left a line behind."""
    import io

    from lgcc.frontend.progress import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setenv("COLUMNS", str(columns))
    tty = Tty()
    bar = Progress(100000, stream=tty)
    bar.update(100000, loss=12.3456, acc=0.25)
    line = tty.getvalue().lstrip("\r")
    if columns == 80:  # a shorter bar fits
        assert "[" in line and len(line) <= 79
    else:  # no room for a bar: the figures stay
        assert "[" not in line and line.startswith("train 100000/100000  loss 12.3456")


def test_closed_stderr_still_trains_and_saves(tmp_path):
    """'lgcc train ... 2>&-' crashed in the progress bar (sys.stderr is None) and saved nothing."""
    import os
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "lgcc", "train", "--dataset", "iris", *TINY[:-2],
                           "-o", str(tmp_path / "m.pt")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=300, preexec_fn=lambda: os.close(2))
    assert proc.returncode == 0 and (tmp_path / "m.pt").is_file()


def test_one_class_dataset_and_inverted_thermometer_range_are_refused(tmp_path, capsys):
    from lgcc.frontend import Thermometer
    from lgcc.ir.errors import LgccError

    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    np.savez(tmp_path / "one.npz", X=x, y=np.zeros(50, dtype=np.int64))
    code, _, err = _train(capsys, "--dataset", str(tmp_path / "one.npz"), "--steps", "1")
    assert code == 2 and "needs at least 2" in err
    with pytest.raises(LgccError, match="low <= high"):
        Thermometer.uniform(3, 2, low=1.0, high=0.0)


def test_file_that_is_not_an_npz_archive(tmp_path, capsys):
    (tmp_path / "notes.npz").write_text("hello")
    code, _, err = _train(capsys, "--dataset", str(tmp_path / "notes.npz"), "--quiet")
    assert code == 2 and "not an .npz archive" in err and "pickle" not in err  # numpy's text spoke of pickles


def test_a_failed_save_keeps_the_trained_model(tmp_path, capsys, monkeypatch):
    """A full disk at the end of training lost the model; it now goes to the temporary folder."""
    import lgcc.frontend.checkpoint as checkpoint
    from lgcc.ir.errors import LgccError

    real_save, target = checkpoint.save, tmp_path / "full" / "m.pt"
    target.parent.mkdir()

    def save(model, path, meta=None):
        if str(path) == str(target):
            raise LgccError(f"{path}: could not be written (No space left on device); free some space and run again")
        return real_save(model, path, meta=meta)

    monkeypatch.setattr(checkpoint, "save", save)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    code, _, err = _train(capsys, "--dataset", "iris", *TINY, "-o", str(target))
    rescued = list(tmp_path.glob("lgcc-train-*.pt"))
    assert code == 2 and len(rescued) == 1
    assert err == (f"lgcc: error: {target}: could not be written (No space left on device); the trained model "
                   f"was saved to {rescued[0]} instead\n")
    assert read_checkpoint(rescued[0])["meta"]["dataset"] == "iris"


def test_the_memory_bound_counts_the_test_rows_there_are():
    """Evaluation was counted as 1000 rows: a 1 x 7,500,000 iris model (30 test rows) was refused as 28 GiB."""
    from lgcc.frontend.training import TrainConfig, min_training_bytes

    cfg = TrainConfig(layers=1, width=7_500_000, steps=1, batch_size=32)
    assert min_training_bytes(cfg, 32, batch_size=32, eval_rows=30) < 3 * 2**30 < min_training_bytes(cfg, 32, 32)


def test_classes_the_training_rows_lack_are_named(tmp_path, capsys):
    """Were trained without a word, and an accuracy reported over classes no training row had (54%)."""
    np.savez(tmp_path / "d.npz", X=np.arange(8.0).reshape(4, 2), y=np.array([0, 3, 0, 3]), X_test=np.ones((3, 2)),
             y_test=np.array([0, 1, 2]))
    code, _, err = _train(capsys, "--dataset", str(tmp_path / "d.npz"), *TINY, "--width", "32")  # 4 classes
    assert code == 0 and err == ("d.npz: note: no training row has label 1, 2, which 2 class(es) of the test set "
                                 "hold; give every class training rows (more samples, or your own X_test and y_test)\n")


def test_the_same_seed_gives_the_same_checkpoint_bytes(tmp_path, capsys):
    """The metadata held the training time, so two runs of one --seed wrote different files."""
    for name in ("a.pt", "b.pt"):
        assert _train(capsys, "--dataset", "iris", *TINY, "--seed", "5", "-o", str(tmp_path / name))[0] == 0
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()


def test_incomplete_torchrun_environment_is_one_line(capsys, monkeypatch):
    """WORLD_SIZE alone gave torch's 'RANK expected' ValueError traceback."""
    monkeypatch.setenv("WORLD_SIZE", "2")
    for name in ("RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    code, _, err = _train(capsys, "--dataset", "iris", *TINY)
    assert code == 2 and err == ("lgcc: error: WORLD_SIZE=2 but RANK, MASTER_ADDR, MASTER_PORT not set: start several "
                                 "processes with torchrun (torchrun --nproc_per_node N -m lgcc train ...), or unset "
                                 "WORLD_SIZE\n")


def test_difflogic_options_are_named_in_lgcc_terms(capsys):
    """difflogic's experiments/main.py command lines were refused without a word on what lgcc calls them."""
    with pytest.raises(SystemExit) as stop:  # argparse's usage error
        main(["train", "--dataset", "iris", "-bs", "100", "-t", "20", "-ni", "100", "-k", "128", "-ef", "1000",
              "--compile_model"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    for hint in ("-bs is --batch-size here", "-t is --tau here", "-ni is --steps here", "-k is --width here",
                 "-ef has no counterpart", "--compile_model is a separate step here: lgcc compile CHECKPOINT"):
        assert hint in err
