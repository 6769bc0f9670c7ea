"""``LogicLayer`` and ``GroupSum``: difflogic's modules, with a fast CPU path and a CUDA path.

A ``LogicLayer(in_dim, out_dim)`` holds ``out_dim`` neurons; neuron ``j`` reads
inputs ``a[j]`` and ``b[j]`` (int64 index buffers) and has 16 weights, one per
gate (difflogic numbering, :mod:`lgcc.ir.gates`).  In training mode it outputs
the relaxed mixture of the 16 gates under ``softmax(weights)``; in eval mode the
argmax gate, which on 0/1 inputs gives exactly 0/1 and is what lowering emits.

Implementations (all agree, forward and gradient; see :mod:`.relaxation`):

* ``python``: the readable reference, a mixture of the 16 relaxed gates;
* ``cpu``: the 4-coefficient form in a custom autograd function (fast, lean);
* ``cuda``: the CUDA extension :mod:`lgcc.frontend.cuda_ext` (built on first use);
* ``auto``: ``cuda`` for CUDA tensors when the extension builds, else ``cpu``.

Initialisations (``init=``):

* ``"random"`` (difflogic's default): weights drawn from a standard normal, so
  every neuron starts as a random soft mixture of all 16 gates;
* ``"residual"``: weights 0 except ``residual_logit`` (default 5) on gate 3
  (``a``, pass-through), so each neuron starts as ~90% a wire from its first
  input.  Deep networks then start close to the identity on their inputs and
  gradients reach the early layers; this is the initialisation later
  difflogic work uses for deep models.
"""

from __future__ import annotations

import functools
from typing import cast

import torch
from torch import nn

from lgcc.ir.errors import LgccError

from .args import checked_finite, checked_input, checked_int, checked_positive
from .device import checked_device
from .packbits import PackBitsTensor, eval_layer
from .relaxation import (GradFactor, PolyLayerFunction, case_coefficients, hard_coefficients, hard_ops,
                         poly_forward, python_forward, soft_coefficients)

IMPLEMENTATIONS = ("auto", "python", "cpu", "cuda")
CONNECTIONS = ("random", "unique")
INITS = ("random", "residual")
#: Gate id of the pass-through gate ``a`` used by the residual initialisation.
PASS_THROUGH_GATE = 3


def random_connections(in_dim: int, out_dim: int,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """difflogic's ``random`` wiring: every input used about equally often, pairs in random order.

    Returns ``(a, b)`` int64 tensors of length ``out_dim``.
    """
    order = torch.randperm(2 * out_dim, generator=generator) % in_dim
    order = torch.randperm(in_dim, generator=generator)[order]
    a, b = order.reshape(2, out_dim)
    return a.contiguous(), b.contiguous()


def unique_connections(in_dim: int, out_dim: int,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Wiring with distinct operands per neuron and no two neurons reading the same pair.

    Starts from the balanced ``random`` wiring and redraws offending neurons
    (vectorized; a handful of rounds) until every pair ``{a, b}`` is distinct.
    Needs ``in_dim >= 2`` and ``out_dim <= in_dim * (in_dim - 1) / 2``.
    """
    if in_dim < 2 or out_dim > in_dim * (in_dim - 1) // 2:
        raise LgccError(f"connections='unique' needs in_dim >= 2 and out_dim <= in_dim*(in_dim-1)/2 "
                        f"(got in_dim={in_dim}, out_dim={out_dim}); use connections='random'")
    a, b = random_connections(in_dim, out_dim, generator)
    for _ in range(1000):
        lo, hi = torch.minimum(a, b), torch.maximum(a, b)
        key = lo * in_dim + hi
        _, inverse = torch.unique(key, return_inverse=True)
        first = torch.full((int(inverse.max()) + 1 if out_dim else 0,), out_dim, dtype=torch.int64)
        first.scatter_reduce_(0, inverse, torch.arange(out_dim), reduce="amin")
        bad = (a == b) | (first[inverse] != torch.arange(out_dim))
        n_bad = int(bad.sum())
        if n_bad == 0:
            return a, b
        b = b.clone()
        b[bad] = torch.randint(0, in_dim, (n_bad,), generator=generator)
        if n_bad > out_dim // 2:  # dense corner cases: redraw both operands
            a = a.clone()
            a[bad] = torch.randint(0, in_dim, (n_bad,), generator=generator)
    raise LgccError(f"could not draw {out_dim} unique input pairs from {in_dim} inputs; use connections='random'")


def given_wiring(wiring: tuple[torch.Tensor, torch.Tensor], in_dim: int,
                 out_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``wiring`` as two fresh int64 tensors ``(a, b)`` of length ``out_dim`` reading inputs 0..in_dim-1.

    LgccError for anything else: a float index would be truncated silently, and an
    index past ``in_dim`` read memory it does not own.
    """
    try:
        a, b = (torch.as_tensor(t) for t in wiring)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise LgccError(f"wiring must be a pair (a, b) of integer index tensors ({exc})") from None
    for name, t in (("a", a), ("b", b)):
        if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool or tuple(t.shape) != (out_dim,):
            raise LgccError(f"wiring {name} must be integer indices of shape ({out_dim},), "
                            f"got {str(t.dtype).replace('torch.', '')} {tuple(t.shape)}")
        if int(t.min()) < 0 or int(t.max()) >= in_dim:
            raise LgccError(f"wiring {name} reads outside the {in_dim} inputs")
    return a.to(torch.int64, copy=True).contiguous(), b.to(torch.int64, copy=True).contiguous()


def _init_weights(out_dim: int, init: str, residual_logit: float, generator: torch.Generator | None,
                  dtype: torch.dtype) -> torch.Tensor:
    if init == "random":
        return torch.randn(out_dim, 16, generator=generator, dtype=dtype)
    if init == "residual":
        w = torch.zeros(out_dim, 16, dtype=dtype)
        w[:, PASS_THROUGH_GATE] = residual_logit
        return w
    raise LgccError(f"unknown init '{init}' (choose from {', '.join(INITS)})")


class LogicLayer(nn.Module):
    """A layer of ``out_dim`` learnable 2-input gates over ``in_dim`` inputs (see the module docstring).

    Input and output are ``(batch, features)`` tensors of values in [0, 1].
    ``grad_factor`` scales the gradient passed to the layer's input (difflogic's
    remedy for vanishing gradients in deep networks).  ``generator`` makes the
    wiring and initial weights reproducible independently of the global seed.
    ``wiring=(a, b)`` gives the operand indices instead of drawing them
    (``connections`` then only names how they were made).
    """

    a: torch.Tensor  # buffers (register_buffer): declared so they type as tensors, not Tensor | Module
    b: torch.Tensor

    def __init__(self, in_dim: int, out_dim: int, connections: str = "random", grad_factor: float = 1.0,
                 implementation: str = "auto", device: torch.device | str | None = None,
                 init: str = "random", residual_logit: float = 5.0, dtype: torch.dtype = torch.float32,
                 generator: torch.Generator | None = None,
                 wiring: tuple[torch.Tensor, torch.Tensor] | None = None) -> None:
        super().__init__()
        in_dim, out_dim = checked_int(in_dim, "LogicLayer in_dim"), checked_int(out_dim, "LogicLayer out_dim")
        grad_factor = checked_finite(grad_factor, "LogicLayer grad_factor")  # lgcc train asks for > 0
        if implementation not in IMPLEMENTATIONS:
            raise LgccError(f"unknown implementation '{implementation}' (choose from {', '.join(IMPLEMENTATIONS)})")
        device = checked_device(device)
        if wiring is not None:  # e.g. from a checkpoint: drawing one first would cost O(in_dim) for nothing
            a, b = given_wiring(wiring, in_dim, out_dim)
        elif connections == "random":
            a, b = random_connections(in_dim, out_dim, generator)
        elif connections == "unique":
            a, b = unique_connections(in_dim, out_dim, generator)
        else:
            raise LgccError(f"unknown connections '{connections}' (choose from {', '.join(CONNECTIONS)})")
        self.in_dim, self.out_dim = int(in_dim), int(out_dim)
        self.connections, self.init, self.grad_factor = connections, init, float(grad_factor)
        self.implementation = implementation
        self.weights = nn.Parameter(_init_weights(out_dim, init, residual_logit, generator, dtype))
        self.register_buffer("a", a)
        self.register_buffer("b", b)
        if device is not None:
            self.to(device)

    @property
    def indices(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(a, b)`` as in difflogic's ``LogicLayer.indices``."""
        return self.a, self.b

    @property
    def num_neurons(self) -> int:
        """difflogic's ``num_neurons`` (its experiment scripts print the model size from it): ``out_dim``."""
        return self.out_dim

    @property
    def num_weights(self) -> int:
        """difflogic's ``num_weights``: one learnt gate choice per neuron, so ``out_dim`` (16 logits each)."""
        return self.out_dim

    def ops(self) -> torch.Tensor:
        """The discrete gate of every neuron (argmax of its weights), int64 ``(out_dim,)``."""
        return hard_ops(self.weights.detach())

    def resolved_implementation(self, x: torch.Tensor) -> str:
        """The implementation a call on ``x`` uses (``auto`` resolved)."""
        impl = self.implementation
        if impl == "auto":
            impl = "cuda" if x.is_cuda and _cuda_ext_available() else "cpu"
        if impl == "cuda" and not x.is_cuda:
            raise LgccError("implementation='cuda' needs CUDA tensors; move the model and data with .to('cuda'), "
                            "or use implementation='auto' (the fast CPU path for CPU tensors)")
        return impl

    def forward(self, x: torch.Tensor | PackBitsTensor) -> torch.Tensor | PackBitsTensor:
        """Relaxed gates in training mode, the argmax gates in eval mode (also on a PackBitsTensor)."""
        if isinstance(x, PackBitsTensor):
            return self._forward_packed(x)
        x = checked_input(x, "LogicLayer", self.weights.device)
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise LgccError(f"LogicLayer expected input of shape (batch, {self.in_dim}), got {tuple(x.shape)}")
        if not x.is_floating_point():
            # bits given as ints/bools: in int arithmetic the relaxation truncates to 0, and in bool
            # arithmetic the eval-mode coefficient -1 becomes True (+ is or), giving wrong gates
            if x.dtype != torch.bool and x.numel():
                lo, hi = (int(v) for v in torch.aminmax(x))  # one pass (an elementwise test cost ~8% of a layer)
                if lo < 0 or hi > 1:
                    raise LgccError(f"LogicLayer: integer input must be bits (0 or 1), got {hi if hi > 1 else lo}; "
                                    "give floats in [0, 1] for relaxed inputs")
            x = x.to(self.weights.dtype)
        impl = self.resolved_implementation(x)
        if impl == "cuda":
            return self._forward_cuda(x)
        if not self.training:
            return self._forward_discrete(x, impl)
        if impl == "python":
            if self.grad_factor != 1.0:  # GradFactor.apply is typed Any; it returns a tensor like x
                x = cast(torch.Tensor, GradFactor.apply(x, self.grad_factor))
            return python_forward(x, self.a, self.b, torch.softmax(self.weights, dim=-1))
        return PolyLayerFunction.apply(x, soft_coefficients(self.weights), self.a, self.b, self.grad_factor)

    def _forward_cuda(self, x: torch.Tensor) -> torch.Tensor:
        """The CUDA extension's kernels, on case coefficients (hard ones in eval mode: exact 0/1)."""
        from . import cuda_ext

        key = (x.device, self.a.data_ptr(), self.b.data_ptr(), self.a._version, self.b._version)
        if getattr(self, "_rev_key", None) != key:  # reader lists of each input, reused while wiring is unchanged
            self._rev = cuda_ext.reverse_index(self.a, self.b, self.in_dim)
            self._rev_key = key
        if not self.training:
            with torch.no_grad():
                coeffs = case_coefficients(self.weights, hard=True).to(x.dtype)
                return cuda_ext.logic_layer_cuda(x, self.a, self.b, coeffs, self._rev)
        if self.grad_factor != 1.0:
            x = GradFactor.apply(x, self.grad_factor)
        coeffs = case_coefficients(self.weights, hard=False).to(x.dtype)
        return cuda_ext.logic_layer_cuda(x, self.a, self.b, coeffs, self._rev)

    @torch.no_grad()
    def _forward_packed(self, x: PackBitsTensor) -> PackBitsTensor:
        """The argmax gates on packed bits: the CUDA extension's kernel for int64 CUDA words, else torch."""
        if self.training:
            raise LgccError("a PackBitsTensor runs the discrete network only: call model.eval() first")
        if x.n_inputs != self.in_dim:
            raise LgccError(f"LogicLayer expected {self.in_dim} inputs per sample, the PackBitsTensor has {x.n_inputs}")
        if x.device != self.a.device:
            raise LgccError(f"the PackBitsTensor is on {x.device}, the model on {self.a.device}: "
                            "pack on the model's device (PackBitsTensor(bits, device=...)) or move the model")
        if (x.t.is_cuda and x.t.dtype == torch.int64 and self.implementation in ("auto", "cuda")
                and _cuda_ext_available()):
            from . import cuda_ext

            return PackBitsTensor.from_words(cuda_ext.eval_packed(x.t, self.a, self.b, self.ops()), x.n_samples)
        return eval_layer(x, self.a, self.b, self.ops())

    @torch.no_grad()
    def _forward_discrete(self, x: torch.Tensor, impl: str) -> torch.Tensor:
        """Eval mode: every neuron is its argmax gate (exact 0/1 outputs on 0/1 inputs)."""
        if impl == "python":  # the reference mixture with one-hot gate probabilities
            probs = torch.nn.functional.one_hot(self.ops(), 16).to(x.dtype)
            return python_forward(x, self.a, self.b, probs)
        return poly_forward(x, self.a, self.b, hard_coefficients(self.weights))

    def extra_repr(self) -> str:
        return (f"{self.in_dim}, {self.out_dim}, connections={self.connections!r}, "
                f"implementation={self.implementation!r}, init={self.init!r}")


class GroupSum(nn.Module):
    """difflogic's GroupSum: ``k`` equal groups of the inputs, each summed and divided by ``tau``.

    ``device`` is accepted for difflogic compatibility; the module holds no tensors.
    """

    def __init__(self, k: int, tau: float = 1.0, device: torch.device | str | None = None) -> None:
        super().__init__()
        checked_device(device)  # holds no tensors, but a device that cannot be used is the caller's mistake
        self.k, self.tau = checked_int(k, "GroupSum k"), checked_positive(tau, "GroupSum tau")

    def forward(self, x: torch.Tensor | PackBitsTensor) -> torch.Tensor:
        """``(batch, n)`` -> ``(batch, k)`` class scores; on a PackBitsTensor, int32 counts (not divided by tau)."""
        if isinstance(x, PackBitsTensor):
            return x.group_sum(self.k)
        if checked_input(x, "GroupSum", None).dim() < 1:
            raise LgccError("GroupSum expects (batch, n) values, got a 0-dimensional tensor")
        if x.shape[-1] % self.k:
            raise LgccError(f"GroupSum: {x.shape[-1]} inputs cannot be split into {self.k} equal classes")
        return x.reshape(*x.shape[:-1], self.k, x.shape[-1] // self.k).sum(-1) / self.tau

    def extra_repr(self) -> str:
        return f"k={self.k}, tau={self.tau}"


@functools.lru_cache(maxsize=1)
def _cuda_ext_available() -> bool:
    """Whether the CUDA extension can be used here (nvcc, a CUDA torch build and a GPU); asked once."""
    from . import cuda_ext

    return cuda_ext.available()
