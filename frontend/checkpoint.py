"""Safe checkpoints: ``save(model, path)`` / ``load(path)``.

A checkpoint is a ``torch.save`` file of one dict holding only tensors and plain
values, so it loads with ``torch.load(weights_only=True)`` and loading never
runs code from the file::

    {"format": "lgcc-checkpoint", "version": 1, "lgcc_version": "0.1.0",
     "layers": [layer dicts, see lgcc.frontend.spec],
     "meta": {training metadata: dataset, steps, seed, accuracy, ... (JSON values)}}

Writes are atomic.  Reading takes both of torch's formats, the zip archive and
the legacy pickle stream (:mod:`lgcc.frontend.torchfile` tells them apart).
Reading a pickled model, a foreign or truncated file, or a file from a newer
format version raises one :class:`FormatError` line saying what to do.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import struct
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lgcc import __version__
from lgcc.ir.errors import FormatError, LgccError
from lgcc.ir.fileio import atomic_path
from lgcc.ir.formats import ZIP_ERRORS, require_file
from lgcc.loading import check_checkpoint_output

from .spec import build_model, check_spec, model_spec
from .torchfile import require_torch_file

FORMAT = "lgcc-checkpoint"
VERSION = 1


def save(model: nn.Module, path: str | os.PathLike, meta: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (Sequential of [Flatten] [Thresholds] LogicLayer... [GroupSum]) to ``path``.

    ``meta`` (JSON-able values: dataset, steps, accuracy, ...) is stored beside
    the layers; a model loaded by :func:`load` keeps its metadata, which is saved
    again unless ``meta`` replaces it.  ``path`` must end in an extension the loaders
    read (``.pt``, ``.pth``, ``.ckpt``).  Returns the path.
    """
    path = check_checkpoint_output(path)  # before describing a large model
    if meta is None:
        meta = dict(getattr(model, "lgcc_meta", {}) or {})
    if not isinstance(meta, dict):
        raise LgccError(f"checkpoint metadata must be a dict of JSON values, not {type(meta).__name__}")
    why = _not_json(meta)
    if why:
        raise LgccError(f"checkpoint metadata must hold plain JSON values: {why}")
    blob = {"format": FORMAT, "version": VERSION, "lgcc_version": __version__,
            "layers": model_spec(model), "meta": meta}
    # through a file object: torch then names the archive's folder 'archive', not after the temporary
    # file, so the same model and metadata give the same bytes under any name
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        torch.save(blob, out)
    return path


def _not_json(meta: Any, allow_nan: bool = False) -> str | None:
    """Why ``meta`` is not JSON, else None.  NaN and infinity are not JSON (parsers refuse them), so
    :func:`save` refuses them; reading takes them (files from before that check hold them)."""
    try:
        json.dumps(meta, allow_nan=allow_nan)
    except ValueError as exc:  # json says "Out of range float values are not JSON compliant"
        return "NaN or infinity, which JSON has no value for" if "float" in str(exc) else str(exc)
    except (TypeError, RecursionError) as exc:
        return str(exc)
    return None


def _graph_not_checkpoint(path: Path) -> FormatError:
    """The error for an ``.lgir`` graph given where a checkpoint belongs (renamed, or passed to lgcc.load)."""
    if path.suffix.lower() == ".lgir":
        return FormatError(f"{path}: is an lgcc graph, not a checkpoint; read it with lgcc.loading.load_graph "
                           "(lgcc.load rebuilds torch models from checkpoints only)")
    return FormatError(f"{path}: is an lgcc graph (.lgir), not a checkpoint; rename it to .lgir")


def _is_lgir(path: Path) -> bool:
    """Whether ``path`` is a zip with the header of lgcc's own graph format (a renamed .lgir)."""
    from lgcc.ir.formats.lgir import HEADER

    try:
        with zipfile.ZipFile(path) as zf:
            return HEADER in zf.namelist()
    except (*ZIP_ERRORS, OSError):
        return False


def _check_archive(path: Path) -> None:
    """FormatError unless ``path`` is an intact zip archive with a torch record (``<name>/data.pkl``).

    torch.load does not check the zip CRCs, so a flipped byte in a weight would
    otherwise load as a different model; reading every member once catches it.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if any(n.split("/")[1:2] in (["code"], ["constants.pkl"]) for n in names):  # torch.jit.save's members
                raise FormatError(f"{path}: is a TorchScript archive (torch.jit.save), not a checkpoint; save the "
                                  "model itself with lgcc.save(model, path)")
            if not any(n.endswith("/data.pkl") and n.count("/") == 1 for n in names):
                if _is_lgir(path):
                    raise _graph_not_checkpoint(path)
                raise FormatError(f"{path}: not a PyTorch checkpoint (a zip archive of other files, e.g. "
                                  f"{names[0] if names else 'nothing'!r}); check the path")
            bad = zf.testzip()
    except (*ZIP_ERRORS, zlib.error, OSError) as exc:  # OSError: a seek before the start (bytes cut out)
        why = (str(exc).splitlines() or [type(exc).__name__])[0][:80]
        raise FormatError(f"{path}: truncated or corrupt checkpoint ({why}); write it again with lgcc.save") from None
    if bad is not None:
        raise FormatError(f"{path}: corrupt checkpoint (checksum of {bad} does not match: the file was "
                          "damaged); write it again with lgcc.save")


def _torch_load(path: Path) -> Any:
    """``torch.load(weights_only=True)`` of a zip or legacy torch file, every failure turned into one clear line.

    Legacy files carry no checksums, so unlike a zip archive a damaged weight
    byte in one is not detected here.
    """
    if require_torch_file(path) == "zip":
        _check_archive(path)
    try:
        with warnings.catch_warnings():  # e.g. an odd pickle protocol byte: the file is judged below, not warned of
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # a byte the weights-only unpickler takes for no opcode it reads: damage, or a pickle protocol other
        # than torch.save's default 2 (these are not pickled objects, and saying so would mislead)
        operand = re.search(r"Unsupported operand \d+", str(exc))
        if operand:
            raise FormatError(f"{path}: truncated or corrupt checkpoint, or pickled with a protocol that "
                              f"torch.load(weights_only=True) does not read ({operand[0]}); write it again "
                              "with lgcc.save") from exc
        raise FormatError(f"{path}: holds pickled Python objects, which lgcc never loads (it would run code "
                          "from the file); load it in your own code and re-save with lgcc.save(model, path)") from exc
    except (RuntimeError, zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, IndexError,
            TypeError, AttributeError, AssertionError, struct.error) as exc:  # a damaged pickle fails in any of these
        # (AssertionError: a legacy file whose storage keys do not match its records)
        why = (str(exc).splitlines() or [type(exc).__name__])[0][:80]
        raise FormatError(f"{path}: truncated or corrupt checkpoint ({why}); write it again with lgcc.save") from exc


def read_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """The checked checkpoint dict of ``path`` (``layers`` validated by :func:`check_spec`)."""
    path = require_file(path)
    blob = _torch_load(path)
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        hint = " (it looks like a bare state_dict)" if isinstance(blob, dict) else ""
        raise FormatError(f"{path}: not an lgcc checkpoint{hint}; build the model with lgcc.frontend modules "
                          "(or a difflogic model, which lgcc.save also accepts) and save it with lgcc.save")
    version = blob.get("version")
    if not isinstance(version, int) or version < 1:
        raise FormatError(f"{path}: checkpoint has no valid format version; write it again with lgcc.save")
    if version > VERSION:
        raise FormatError(f"{path}: checkpoint format version {version} is newer than this lgcc supports "
                          f"({VERSION}); upgrade lgcc")
    check_spec(blob.get("layers"), where=str(path))
    if not isinstance(blob.get("meta", {}), dict):
        raise FormatError(f"{path}: checkpoint metadata is not a dict; write it again with lgcc.save")
    why = _not_json(blob.get("meta", {}), allow_nan=True)
    if why:
        raise FormatError(f"{path}: checkpoint metadata must hold plain JSON values ({why}); "
                          "write it again with lgcc.save")
    return blob


def load(path: str | os.PathLike, implementation: str = "auto",
         device: torch.device | str | None = None) -> nn.Sequential:
    """Rebuild the model saved at ``path``, in eval mode; its metadata is ``model.lgcc_meta``."""
    blob = read_checkpoint(path)
    model = build_model(blob["layers"], implementation=implementation, device=device)
    # setattr, not an assignment: torch's type stub lets a module's attributes be tensors or modules only,
    # and this one is a dict (read back with getattr)
    setattr(model, "lgcc_meta", dict(blob.get("meta", {})))
    return model.eval()
