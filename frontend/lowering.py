"""Lowering a trained model to the IR: every neuron becomes its argmax gate.

``lower(model_or_path) -> Graph`` takes an lgcc model, a difflogic model
(duck-typed: layers with ``indices``, ``weights``, ``in_dim``, ``out_dim`` and a
GroupSum with ``k``, ``tau``; difflogic itself is never imported) or a checkpoint
path.  A LogicLayer becomes one contiguous block of gates in a single vectorized
step (argmax of the weights, operand node ids by indexing the previous block),
so lowering is linear in the model size with no Python loop per gate.

The graph is exactly the eval-mode model: nothing is simplified here (that is
the passes' job), the encoding keeps the float32 thresholds, and the GroupSum
becomes the head, so ``scores(graph, bits) / tau == model.eval()(x)``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from torch import nn

from lgcc.ir.errors import FormatError, GraphError
from lgcc.ir.graph import FIRST_INPUT, MAX_NODES, Encoding, Graph, Head

from .relaxation import hard_ops
from .spec import LayerSpec, check_spec, model_spec


def lower_spec(specs: list[LayerSpec], meta: dict[str, Any] | None = None) -> Graph:
    """Lower checked layer dicts (see :mod:`lgcc.frontend.spec`) to a verified :class:`Graph`."""
    check_spec(specs)
    logic = [s for s in specs if s["kind"] == "logic"]
    enc = next((s for s in specs if s["kind"] == "thresholds"), None)
    head_spec = next((s for s in specs if s["kind"] == "group_sum"), None)
    n_inputs = int(logic[0]["in_dim"])
    n_gates = sum(int(s["out_dim"]) for s in logic)
    op = np.empty(n_gates, dtype=np.uint8)
    a = np.empty(n_gates, dtype=np.int32)
    b = np.empty(n_gates, dtype=np.int32)
    if FIRST_INPUT + n_inputs + n_gates > MAX_NODES:
        raise GraphError(f"{n_inputs} inputs and {n_gates} gates: more nodes than int32 ids can number")
    bounds = [0]
    base = FIRST_INPUT  # node id of the first value feeding this layer (a layer's ids are one block)
    start = 0
    for s in logic:
        n = int(s["out_dim"])
        op[start:start + n] = hard_ops(s["weights"]).numpy()
        a[start:start + n] = base + s["a"].numpy()
        b[start:start + n] = base + s["b"].numpy()
        base = FIRST_INPUT + n_inputs + start
        start += n
        bounds.append(start)
    prev = np.arange(base, base + n, dtype=np.int32)  # the last layer's gates: the outputs
    head = Head.group_sum(len(prev), int(head_spec["k"]), float(head_spec["tau"])) if head_spec else None
    encoding = None
    if enc is not None:
        encoding = Encoding(int(enc["n_features"]), enc["feature"].numpy().astype(np.int32),
                            enc["threshold"].numpy().astype(np.float32))
    graph_meta: dict[str, Any] = {"source": "lgcc.frontend",
                                  "layer_dims": [n_inputs] + [int(s["out_dim"]) for s in logic]}
    if meta:
        graph_meta["training"] = meta
    graph = Graph(n_inputs, op, a, b, prev, np.zeros(len(prev), dtype=bool), head=head, encoding=encoding,
                  layers=np.asarray(bounds, dtype=np.int64), meta=graph_meta)
    return graph.verify()


def lower_checkpoint(path: str | os.PathLike) -> Graph:
    """Lower the checkpoint at ``path`` (written by ``lgcc.save``) without building torch modules."""
    from .checkpoint import read_checkpoint

    blob = read_checkpoint(path)
    try:
        return lower_spec(blob["layers"], meta=blob.get("meta") or None)
    except GraphError as exc:  # a value no check before it covers: name the file
        raise FormatError(f"{path}: {exc}; write it again with lgcc.save") from None


def lower(model: nn.Module | str | os.PathLike) -> Graph:
    """The IR graph of a model (lgcc or difflogic-like) or of a checkpoint path; equals ``model.eval()``."""
    if isinstance(model, (str, os.PathLike)):
        return lower_checkpoint(model)
    with torch.no_grad():
        return lower_spec(model_spec(model), meta=getattr(model, "lgcc_meta", None) or None)
