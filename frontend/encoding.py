"""Input encodings: raw real-valued features to input bits, lowered into ``Graph.encoding``.

``Thresholds`` is the general form the IR stores: input bit ``i`` is
``x[feature[i]] > threshold[i]`` (strict, compared in float32, exactly as
:meth:`lgcc.ir.graph.Encoding.encode`).  A thermometer code is the special case
of ``n_bits`` increasing thresholds per feature; ``Thermometer.uniform`` spaces
them evenly over a range and ``Thermometer.from_data`` puts them at quantiles of
training data (so every bit is set for a similar share of samples).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from lgcc.ir.errors import LgccError
from lgcc.ir.graph import Encoding

from .args import MAX_WIDTH, checked_input, checked_int
from .packbits import PackBitsTensor


class Thresholds(nn.Module):
    """Fixed thresholds: ``(batch, n_features)`` raw features -> ``(batch, n_bits)`` 0/1 floats.

    Not trainable (thresholds are buffers); the output dtype is float32 unless
    ``dtype`` is given.  Bits are ordered as ``feature``/``threshold`` list them.
    """

    feature: torch.Tensor  # buffers (register_buffer): declared so they type as tensors, not Tensor | Module
    threshold: torch.Tensor

    def __init__(self, n_features: int, feature: npt.ArrayLike, threshold: npt.ArrayLike,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        n_features = checked_int(n_features, "Thresholds n_features")
        feature = torch.as_tensor(np.asarray(feature, dtype=np.int64))
        threshold = torch.as_tensor(np.asarray(threshold, dtype=np.float32))
        if feature.dim() != 1 or feature.shape != threshold.shape:
            raise LgccError("Thresholds: feature and threshold must be 1-D and of equal length")
        if feature.numel() and (int(feature.min()) < 0 or int(feature.max()) >= n_features):
            raise LgccError(f"Thresholds: feature indices must be in 0..{n_features - 1}")
        if not torch.isfinite(threshold).all():
            raise LgccError("Thresholds: thresholds must be finite")
        self.n_features = int(n_features)
        self.dtype = dtype
        self.register_buffer("feature", feature)
        self.register_buffer("threshold", threshold)

    @property
    def out_dim(self) -> int:
        """Number of bits produced per sample."""
        return int(self.feature.numel())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Bits ``x[:, feature] > threshold`` as 0/1 values."""
        if isinstance(x, PackBitsTensor):
            raise LgccError("an input encoding reads float features, not a PackBitsTensor: encode first, "
                            "then pack the bits (PackBitsTensor(encoder(x).bool())) and run the layers after it")
        if checked_input(x, "Thresholds", self.threshold.device).dim() != 2 or x.shape[1] != self.n_features:
            raise LgccError(f"expected features of shape (batch, {self.n_features}), got {tuple(x.shape)}")
        return (x.to(torch.float32)[:, self.feature] > self.threshold).to(self.dtype)

    def to_encoding(self) -> Encoding:
        """The IR's :class:`~lgcc.ir.graph.Encoding` with the same bits."""
        return Encoding(self.n_features, self.feature.cpu().numpy().astype(np.int32),
                        self.threshold.cpu().numpy().astype(np.float32))

    def extra_repr(self) -> str:
        return f"n_features={self.n_features}, n_bits={self.out_dim}"


class Thermometer(Thresholds):
    """Thermometer code: ``n_bits`` increasing thresholds per feature, bits grouped by feature."""

    def __init__(self, thresholds: npt.ArrayLike, dtype: torch.dtype = torch.float32) -> None:
        t = np.asarray(thresholds, dtype=np.float32)
        if t.ndim != 2 or t.shape[1] < 1:
            raise LgccError("Thermometer: thresholds must have shape (n_features, n_bits)")
        n_features, n_bits = t.shape
        feature = np.repeat(np.arange(n_features, dtype=np.int64), n_bits)
        super().__init__(n_features, feature, t.reshape(-1), dtype=dtype)
        self.n_bits = int(n_bits)

    @classmethod
    def uniform(cls, n_features: int, n_bits: int, low: float | np.ndarray = 0.0,
                high: float | np.ndarray = 1.0) -> "Thermometer":
        """Thresholds ``low + (high - low) * j / (n_bits + 1)`` for ``j = 1..n_bits`` per feature."""
        n_features = checked_int(n_features, "Thermometer.uniform n_features")
        n_bits = checked_int(n_bits, "Thermometer n_bits", high=MAX_WIDTH // n_features)  # input bits of a graph
        try:
            low, high = (np.broadcast_to(np.asarray(v, dtype=np.float64), (n_features,)) for v in (low, high))
        except ValueError:  # a shape that does not broadcast, or not numbers
            raise LgccError(f"Thermometer.uniform: low and high must be numbers or {n_features} of them") from None
        if not np.all(high >= low):  # also catches NaN
            raise LgccError("Thermometer.uniform: need low <= high for every feature (and no NaN)")
        steps = np.arange(1, n_bits + 1) / (n_bits + 1)
        return cls(low[:, None] + (high - low)[:, None] * steps[None, :])

    @classmethod
    def from_data(cls, x: np.ndarray, n_bits: int, method: str = "quantile") -> "Thermometer":
        """Thresholds fitted to training features ``x`` ``(N, n_features)``.

        ``method="quantile"``: the ``j / (n_bits + 1)`` quantiles of each feature;
        ``method="uniform"``: evenly between each feature's minimum and maximum.
        """
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] < 1:
            raise LgccError("Thermometer.from_data: expected training features of shape (N, n_features)")
        n_bits = checked_int(n_bits, "Thermometer n_bits", high=MAX_WIDTH // max(1, x.shape[1]))
        if method == "uniform":
            return cls.uniform(x.shape[1], n_bits, x.min(axis=0), x.max(axis=0))
        if method != "quantile":
            raise LgccError(f"unknown threshold method '{method}' (choose quantile or uniform)")
        qs = np.arange(1, n_bits + 1) / (n_bits + 1)
        return cls(np.quantile(x, qs, axis=0).T)
