"""The plain description of a model: a list of layer dicts holding only tensors and plain values.

This is what checkpoints store and what lowering reads, so a checkpoint, a live
lgcc model and a model trained with difflogic all go through the same code.
Layer kinds, in the order a model may contain them:

* ``{"kind": "flatten"}`` — ``nn.Flatten()`` of image-shaped input;
* ``{"kind": "thresholds", "n_features", "feature": int64[n], "threshold": float32[n]}`` — input encoding;
* ``{"kind": "logic", "in_dim", "out_dim", "a": int64[out], "b": int64[out], "weights": float[out, 16],
  "connections", "grad_factor", "init"}`` — one LogicLayer;
* ``{"kind": "group_sum", "k", "tau"}`` — the GroupSum head (last).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NoReturn, TypeGuard

import torch
from torch import nn

from lgcc.ir.errors import FormatError, LgccError
from lgcc.ir.graph import FIRST_INPUT, MAX_NODES

from .args import MAX_WIDTH
from .device import checked_device
from .encoding import Thresholds
from .layers import GroupSum, LogicLayer

LayerSpec = dict[str, Any]


def _unwrap(model: nn.Module) -> list[nn.Module]:
    """The layers of a model: children of a Sequential, nested Sequentials spliced in order
    (``Sequential(encoder, Sequential(*logic_layers), head)``), DDP / compiled wrappers removed."""
    while hasattr(model, "module") and isinstance(model.module, nn.Module):  # DistributedDataParallel
        model = model.module
    model = getattr(model, "_orig_mod", model)  # torch.compile
    if isinstance(model, nn.Sequential):
        return [layer for child in model.children() for layer in _unwrap(child)]
    return [model]


def _logic_spec(layer: Any) -> LayerSpec:
    """Spec of an lgcc LogicLayer or a difflogic-like one (duck-typed on indices/weights/in_dim/out_dim)."""
    a, b = layer.indices
    return {
        "kind": "logic", "in_dim": int(layer.in_dim), "out_dim": int(layer.out_dim),
        "a": a.detach().to("cpu", torch.int64).contiguous(), "b": b.detach().to("cpu", torch.int64).contiguous(),
        "weights": layer.weights.detach().to("cpu").contiguous(),
        "connections": str(getattr(layer, "connections", "random")),
        "grad_factor": float(getattr(layer, "grad_factor", 1.0)),
        "init": str(getattr(layer, "init", "random")),
    }


def _group_sum_spec(layer: Any) -> LayerSpec:
    """Spec of an lgcc GroupSum or a difflogic-like one (duck-typed on k/tau)."""
    return {"kind": "group_sum", "k": int(layer.k), "tau": float(layer.tau)}


def model_spec(model: nn.Module) -> list[LayerSpec]:
    """Describe ``model`` (an ``nn.Sequential`` of lgcc or difflogic-like layers) as plain layer dicts."""
    specs: list[LayerSpec] = []
    for m in _unwrap(model):
        if any(t.is_meta for t in (*m.parameters(), *m.buffers())):  # else torch's NotImplementedError on copying
            raise LgccError(f"the model's {type(m).__name__} is on the 'meta' device, which holds no values; load "
                            "its weights first (e.g. model.to_empty(device='cpu') and load_state_dict)")
        if isinstance(m, Thresholds):
            specs.append({"kind": "thresholds", "n_features": m.n_features,
                          "feature": m.feature.detach().cpu().clone(), "threshold": m.threshold.detach().cpu().clone()})
        elif isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                raise LgccError("only nn.Flatten() with default dims is supported in a logic network")
            specs.append({"kind": "flatten"})
        elif all(hasattr(m, n) for n in ("indices", "weights", "in_dim", "out_dim")):
            specs.append(_logic_spec(m))
        elif hasattr(m, "k") and hasattr(m, "tau") and not list(m.parameters()):
            specs.append(_group_sum_spec(m))
        else:
            raise LgccError(f"cannot describe layer {type(m).__name__}: a logic network is a Sequential of "
                            "[Flatten] [Thresholds] LogicLayer... [GroupSum]")
    check_spec(specs)
    return specs


def _fail(where: str, what: str) -> NoReturn:
    raise FormatError(f"{where}: {what}")


#: The largest float32: thresholds are lowered to float32 (features are compared in float32).
F32_MAX = float(torch.finfo(torch.float32).max)


def _shown(v: object) -> str:
    """``v`` for a message: its repr (cut short), a huge integer by its size, anything else by its type."""
    if isinstance(v, numbers.Integral) and not isinstance(v, bool) and abs(int(v)).bit_length() > 64:
        return f"an integer of {abs(int(v)).bit_length()} bits"  # repr() refuses past 4,300 digits
    return repr(v)[:40] if isinstance(v, (numbers.Number, str, type(None))) else type(v).__name__


def _number(s: LayerSpec, name: str, at: str, integer: bool) -> Any:
    """Field ``name`` of a layer dict as a plain int (``integer``) below 2**63 or a finite float, else
    FormatError."""
    v = s.get(name)
    if not isinstance(v, bool):
        if integer and isinstance(v, numbers.Integral):
            if abs(int(v)) < 2**63:
                return int(v)
            _fail(at, f"{name} must be an integer below 2**63, got {_shown(v)}")
        if not integer and isinstance(v, numbers.Real):
            try:
                f = float(v)
            except (OverflowError, ValueError):  # an integer or fraction beyond float's range
                f = math.nan
            if math.isfinite(f):
                return f
    _fail(at, f"{name} must be {'an integer' if integer else 'a finite number'}, got {_shown(v)}")


def _dense(t: object) -> TypeGuard[torch.Tensor]:
    """Whether ``t`` is a plain (strided, unquantized) tensor: the only kind lowering reads."""
    return isinstance(t, torch.Tensor) and t.layout == torch.strided and not t.is_quantized


def check_spec(specs: object, where: str = "model") -> list[LayerSpec]:
    """Validate kinds, order, dims, dtypes and index ranges; raise FormatError on the first problem.

    ``specs`` is typed ``object``: it may come from an untrusted checkpoint, and this is where it is checked.
    """
    if not isinstance(specs, list) or not specs:
        _fail(where, "has no layers")
    width: int | None = None  # current feature width, None until known
    seen_logic = seen_head = seen_thresholds = False
    n_inputs = n_gates = 0  # of the graph the model lowers to
    for i, s in enumerate(specs):
        kind = s.get("kind") if isinstance(s, dict) else None
        kind = kind if isinstance(kind, str) else None  # a tensor here would make '==' below elementwise
        at = f"{where}: layer {i} ({kind})"
        if seen_head:
            _fail(at, "comes after the GroupSum head, which must be last")
        if kind == "flatten":
            if seen_logic:
                _fail(at, "Flatten must come before the logic layers")
        elif kind == "thresholds":
            feat, thr = s.get("feature"), s.get("threshold")
            if seen_logic or not _dense(feat) or not _dense(thr):
                _fail(at, "must precede the logic layers and hold dense feature/threshold tensors")
            if feat.dim() != 1 or feat.shape != thr.shape or feat.dtype != torch.int64:
                _fail(at, "feature (int64) and threshold must be 1-D of equal length")
            n_feat = _number(s, "n_features", at, integer=True)
            if not 1 <= n_feat <= MAX_WIDTH:
                _fail(at, f"n_features must be in 1..{MAX_WIDTH}, got {n_feat}")
            if feat.numel() and (int(feat.min()) < 0 or int(feat.max()) >= n_feat):
                _fail(at, f"feature indices outside 0..{n_feat - 1}")
            if not thr.is_floating_point() or not bool(torch.isfinite(thr).all()):
                _fail(at, "thresholds must be finite floats")
            if thr.numel() and float(thr.abs().max()) > F32_MAX:  # lowered to float32, as features are compared
                _fail(at, f"thresholds must be within float32's range (+-{F32_MAX:.4g}), "
                          f"got {float(thr.abs().max()):.4g}")
            if seen_thresholds:
                _fail(at, "is a second Thresholds layer; a model has one input encoding at most")
            width, seen_thresholds = int(feat.numel()), True
        elif kind == "logic":
            in_dim, out_dim = _number(s, "in_dim", at, integer=True), _number(s, "out_dim", at, integer=True)
            if not (1 <= in_dim <= MAX_WIDTH and 1 <= out_dim <= MAX_WIDTH):
                _fail(at, f"in_dim and out_dim must be in 1..{MAX_WIDTH}, got {in_dim}, {out_dim}")
            w, a, b = s.get("weights"), s.get("a"), s.get("b")
            if not (_dense(w) and _dense(a) and _dense(b)):
                _fail(at, "must hold dense tensors a, b and weights")
            if in_dim < 1 or out_dim < 1 or tuple(w.shape) != (out_dim, 16) or not w.is_floating_point():
                dtype = str(w.dtype).replace("torch.", "")
                _fail(at, f"weights must be float of shape ({out_dim}, 16), got {dtype} {tuple(w.shape)}")
            if not bool(torch.isfinite(w).all()):
                _fail(at, "gate weights contain NaN or infinity (did training diverge?)")
            for name, t in (("a", a), ("b", b)):
                if t.dtype != torch.int64 or tuple(t.shape) != (out_dim,):
                    _fail(at, f"{name} must be int64 of shape ({out_dim},)")
                if int(t.min()) < 0 or int(t.max()) >= in_dim:
                    _fail(at, f"connection {name} reads outside the {in_dim} inputs")
            if width is not None and width != in_dim:
                _fail(at, f"in_dim {in_dim} does not match the {width} values produced before it")
            if "grad_factor" in s:
                _number(s, "grad_factor", at, integer=False)
            n_inputs, n_gates = n_inputs if seen_logic else in_dim, n_gates + out_dim
            width, seen_logic = out_dim, True
        elif kind == "group_sum":
            k, tau = _number(s, "k", at, integer=True), _number(s, "tau", at, integer=False)
            if k < 1 or not tau > 0:
                _fail(at, f"needs k >= 1 and tau > 0, got k={k}, tau={tau}")
            if width is not None and width % k:
                _fail(at, f"{width} outputs cannot be split into {k} equal classes")
            seen_head = True
        else:
            _fail(f"{where}: layer {i}", f"unknown layer kind {kind!r}")
    if not seen_logic:
        _fail(where, "has no LogicLayer")
    if FIRST_INPUT + n_inputs + n_gates > MAX_NODES:  # each width fits, the sum may not: refused before building
        _fail(where, f"{n_inputs} inputs and {n_gates} gates: more nodes than a graph's int32 ids can number "
                     f"(at most {MAX_NODES - FIRST_INPUT} inputs and gates)")
    return specs


def build_model(specs: list[LayerSpec], implementation: str = "auto",
                device: torch.device | str | None = None) -> nn.Sequential:
    """Rebuild an ``nn.Sequential`` of lgcc modules from checked layer dicts (inverse of :func:`model_spec`)."""
    check_spec(specs)
    device = checked_device(device)
    mods: list[nn.Module] = []
    for s in specs:
        if s["kind"] == "flatten":
            mods.append(nn.Flatten())
        elif s["kind"] == "thresholds":
            mods.append(Thresholds(int(s["n_features"]), s["feature"].numpy(), s["threshold"].numpy()))
        elif s["kind"] == "logic":
            layer = LogicLayer(int(s["in_dim"]), int(s["out_dim"]), implementation=implementation,
                               grad_factor=float(s.get("grad_factor", 1.0)), dtype=s["weights"].dtype,
                               init="residual",  # cheapest init; the weights are replaced next
                               wiring=(s["a"], s["b"]))  # not drawn: O(in_dim) work, and a forged in_dim's memory
            with torch.no_grad():
                layer.weights.copy_(s["weights"])
            layer.connections = str(s.get("connections", "random"))
            layer.init = str(s.get("init", "random"))
            mods.append(layer)
        else:
            mods.append(GroupSum(int(s["k"]), float(s["tau"])))
    model = nn.Sequential(*mods)
    if device is not None:
        model.to(device)
    return model


def from_difflogic(model: nn.Module, implementation: str = "auto") -> nn.Sequential:
    """An lgcc model with the wiring and weights of a difflogic-like model (difflogic is not imported).

    The layers are read by duck typing (``indices``, ``weights``, ``in_dim``,
    ``out_dim``; GroupSum's ``k``, ``tau``), so the result trains on, saves with
    ``lgcc.save`` and lowers like any lgcc model.
    """
    return build_model(model_spec(model), implementation=implementation)

