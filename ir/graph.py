"""The gate-level IR: a graph stored as flat numpy arrays.

Node numbering (ids are a topological order):

* node ``0`` is the constant 0 and node ``1`` the constant 1 (:data:`CONST0`, :data:`CONST1`);
* nodes ``2 .. 2 + n_inputs - 1`` are the primary inputs (input ``i`` is node ``2 + i``);
* node ``first_gate + g`` is gate ``g``, whose operands ``a[g]``, ``b[g]`` are node ids
  strictly smaller than its own.

Only gates have rows in ``op``/``a``/``b``.  Outputs are node ids with a negation flag.
The output head (:class:`Head`) and input encoding (:class:`Encoding`) are explicit;
layer boundaries and names are metadata that no pass relies on for correctness.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .errors import GraphError
from .gates import DEPENDS_A, DEPENDS_B, NUM_GATES
from .levels import level_bounds, level_groups, node_levels, runs

if TYPE_CHECKING:
    import networkx as nx

CONST0 = 0
CONST1 = 1
FIRST_INPUT = 2
#: Node ids are int32; class scores are int32 in every backend (|offset| + outputs must fit).
MAX_NODES = 2**31 - 1
MAX_SCORE = 2**31 - 1


def _exact(values: npt.ArrayLike, dtype: type, name: str) -> np.ndarray:
    """``values`` as a 1-D array of ``dtype``; GraphError where a value would change in the conversion."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        raise GraphError(f"{name} must hold numbers, got dtype {arr.dtype.name}")
    with np.errstate(all="ignore"):  # a value that does not fit is found below, not warned of
        out: np.ndarray = arr.astype(dtype).reshape(-1)
    kept = out == arr.reshape(-1)  # False for NaN, a fraction, a wrapped integer, a bool from 2
    if not np.all(kept):
        i = int(np.flatnonzero(~kept)[0])
        raise GraphError(f"{name}[{i}] = {arr.reshape(-1)[i].item()!r} does not fit dtype {np.dtype(dtype).name}")
    return out


def _check_array(arr: Any, dtype: type, name: str) -> None:
    """GraphError unless ``arr`` is a 1-D numpy array of ``dtype`` (build with :meth:`Graph.from_arrays`,
    or convert with ``np.asarray(values, dtype)``)."""
    if not isinstance(arr, np.ndarray) or arr.ndim != 1:
        raise GraphError(f"{name} must be a 1-D numpy array")
    if arr.dtype != dtype:
        raise GraphError(f"{name} must have dtype {np.dtype(dtype).name}, got {arr.dtype.name}")


def class_labels_problem(labels: Any, n_classes: int) -> str | None:
    """Why ``labels`` is not a ``class_labels`` list for ``n_classes`` classes (None, or one JSON scalar per
    class: what :meth:`Graph.class_labels` gives and model.json stores), or None where it is one."""
    if labels is None:
        return None
    if not isinstance(labels, list) or not all(isinstance(v, (str, int, float, bool)) for v in labels):
        return f"class_labels {labels!r:.40} is not a list of one label (text or number) per class"
    if len(labels) != n_classes:
        return f"class_labels names {len(labels)} classes, the model has {n_classes}"
    return None


def _field(d: Any, key: str, kind: type, what: str) -> Any:
    """``d[key]`` of a JSON head/encoding as ``kind`` (int, float or a 1-D numpy dtype); GraphError naming it."""
    if not isinstance(d, dict) or key not in d:
        raise GraphError(f"{what}: missing field '{key}'")
    value = d[key]
    try:
        if kind in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError
            if kind is int and value != int(value):
                raise ValueError
            return kind(value)
        arr = np.asarray(value)
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iuf"):
            raise TypeError
        if np.dtype(kind).kind == "i" and arr.size and (np.any(arr != np.trunc(arr))
                                                       or np.abs(arr.astype(np.float64)).max() >= 2**62):
            raise ValueError
        with np.errstate(over="raise", invalid="raise"):  # e.g. 1e39 as float32: an error, not a warning
            return arr.astype(kind)
    except (TypeError, ValueError, OverflowError, FloatingPointError):
        raise GraphError(f"{what}: field '{key}' has a bad value {str(value)[:40]!r}") from None


@dataclass(frozen=True, eq=False)
class Head:
    """GroupSum(k, tau) over the outputs, with per-class integer offsets.

    Class ``c`` owns the contiguous outputs ``bounds[c]:bounds[c+1]``; its integer
    score is ``popcount(those outputs) + offsets[c]`` and GroupSum's real output is
    that score divided by ``tau``.  ``predict`` is the argmax, ties to the lowest index.
    """

    k: int
    tau: float
    bounds: np.ndarray  # int64[k + 1]
    offsets: np.ndarray  # int64[k]

    @classmethod
    def group_sum(cls, n_outputs: int, k: int, tau: float = 1.0) -> "Head":
        """difflogic's GroupSum: ``k`` equal contiguous groups of the outputs."""
        if k <= 0 or n_outputs % k:
            raise GraphError(f"GroupSum: {n_outputs} outputs cannot be split into {k} equal classes")
        bounds = np.arange(k + 1, dtype=np.int64) * (n_outputs // k)
        return cls(int(k), float(tau), bounds, np.zeros(k, dtype=np.int64))

    @property
    def sizes(self) -> np.ndarray:
        """Number of outputs owned by each class."""
        return np.diff(self.bounds)

    @property
    def max_score(self) -> np.ndarray:
        """Largest integer score each class can reach (for counter widths)."""
        return self.sizes + np.maximum(self.offsets, 0)

    def to_json(self) -> dict[str, Any]:
        """Plain-value form used by file formats and ``model.json``."""
        return {"k": self.k, "tau": self.tau, "bounds": self.bounds.tolist(), "offsets": self.offsets.tolist()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Head":
        """Inverse of :meth:`to_json`; :class:`GraphError` naming the field for a malformed ``d``."""
        return cls(_field(d, "k", int, "head"), _field(d, "tau", float, "head"),
                   _field(d, "bounds", np.int64, "head"), _field(d, "offsets", np.int64, "head"))

    def same_as(self, other: "Head | None") -> bool:
        """Structural equality."""
        return (other is not None and self.k == other.k and self.tau == other.tau
                and np.array_equal(self.bounds, other.bounds) and np.array_equal(self.offsets, other.offsets))


@dataclass(frozen=True, eq=False)
class Encoding:
    """Input encoding of raw features: input bit ``i`` is ``x[feature[i]] > threshold[i]``."""

    n_features: int
    feature: np.ndarray  # int32[n_inputs]
    threshold: np.ndarray  # float32[n_inputs]

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Rows of raw features (float, shape ``(N, n_features)``) to rows of input bits."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise GraphError(f"expected features of shape (N, {self.n_features}), got {x.shape}")
        return x[:, self.feature] > self.threshold

    def to_json(self) -> dict[str, Any]:
        """Plain-value form (thresholds as float32 values, exactly representable in JSON)."""
        return {"n_features": self.n_features, "feature": self.feature.tolist(),
                "threshold": [float(t) for t in self.threshold]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Encoding":
        """Inverse of :meth:`to_json`; :class:`GraphError` naming the field for a malformed ``d``."""
        feature = _field(d, "feature", np.int64, "encoding")
        if feature.size and (feature.min() < 0 or feature.max() > MAX_NODES):
            raise GraphError("encoding: feature indices must be in 0..2**31-1")
        return cls(_field(d, "n_features", int, "encoding"), feature.astype(np.int32),
                   _field(d, "threshold", np.float32, "encoding"))

    def same_as(self, other: "Encoding | None") -> bool:
        """Structural equality."""
        return (other is not None and self.n_features == other.n_features
                and np.array_equal(self.feature, other.feature)
                and np.array_equal(self.threshold, other.threshold))


@dataclass(eq=False)
class Graph:
    """A gate-level logic network (see the module docstring for the numbering)."""

    n_inputs: int
    op: np.ndarray  # uint8[n_gates]
    a: np.ndarray  # int32[n_gates]
    b: np.ndarray  # int32[n_gates]
    outputs: np.ndarray  # int32[n_outputs]
    out_neg: np.ndarray  # bool[n_outputs]
    head: Head | None = None
    encoding: Encoding | None = None
    layers: np.ndarray | None = None  # int64[L + 1], gate-index boundaries of layers
    meta: dict[str, Any] = field(default_factory=dict)  # JSON-able: names, provenance

    # ----------------------------------------------------------------- shape
    @property
    def first_gate(self) -> int:
        """Node id of gate 0."""
        return FIRST_INPUT + self.n_inputs

    @property
    def n_gates(self) -> int:
        """Number of gates."""
        return int(self.op.shape[0])

    @property
    def n_nodes(self) -> int:
        """Constants + inputs + gates."""
        return self.first_gate + self.n_gates

    @property
    def n_outputs(self) -> int:
        """Number of output bits."""
        return int(self.outputs.shape[0])

    def input_node(self, i: int) -> int:
        """Node id of primary input ``i``."""
        return FIRST_INPUT + i

    def meta_names(self, key: str) -> list[str] | None:
        """``meta[key]`` (``"input_names"``/``"output_names"``) as strings if it names each one, else None.

        A foreign file (or a pass that changed the outputs) can leave another type or
        length there: dumps and writers then use the default names instead of failing.
        """
        names = self.meta.get(key)
        count = self.n_inputs if key == "input_names" else self.n_outputs
        return [str(n) for n in names] if isinstance(names, list) and len(names) == count else None

    def class_labels(self) -> list | None:
        """The user's label of each class (``meta["training"]["classes"]``, which ``lgcc train`` records),
        or None where there is no head or the metadata does not name each class with a JSON scalar."""
        training = self.meta.get("training")
        labels = training.get("classes") if isinstance(training, dict) else None
        if self.head is None or labels is None or class_labels_problem(labels, self.head.k) is not None:
            return None
        return list(labels)

    def copy(self, **changes: Any) -> "Graph":
        """A shallow copy with some fields replaced (arrays are shared, never mutated)."""
        return replace(self, **changes)

    @classmethod
    def from_arrays(cls, n_inputs: int, op: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike, outputs: npt.ArrayLike,
                    out_neg: npt.ArrayLike | None = None, **kw: Any) -> "Graph":
        """Build a graph from array-likes, converting dtypes (no simplification).

        A value the dtype cannot hold exactly (an op of 257, an id of 2**32 + 2 or 2.7) is a
        :class:`GraphError`, not wrapped or truncated into another graph.
        """
        from .checks import checked_int  # (that module imports this one)

        outputs = _exact(outputs, np.int32, "outputs")
        neg = np.zeros(outputs.shape, bool) if out_neg is None else _exact(out_neg, np.bool_, "out_neg")
        return cls(checked_int(n_inputs, "n_inputs", low=0, high=None), _exact(op, np.uint8, "op"),
                   _exact(a, np.int32, "a"), _exact(b, np.int32, "b"), outputs, neg, **kw)

    # ------------------------------------------------------------ invariants
    def verify(self) -> "Graph":
        """Check every invariant; raise :class:`GraphError` naming the first violation.

        Returns ``self`` so calls can be chained.
        """
        if not isinstance(self.n_inputs, (int, np.integer)) or self.n_inputs < 0:
            raise GraphError(f"n_inputs must be a non-negative integer, got {self.n_inputs!r}")
        if FIRST_INPUT + int(self.n_inputs) + len(self.op) > MAX_NODES:
            raise GraphError(f"{self.n_inputs} inputs and {len(self.op)} gates: more nodes than int32 ids can "
                             f"number ({MAX_NODES})")
        for name, arr, dtype in (("op", self.op, np.uint8), ("a", self.a, np.int32), ("b", self.b, np.int32),
                                 ("outputs", self.outputs, np.int32), ("out_neg", self.out_neg, np.bool_)):
            _check_array(arr, dtype, name)
        n = self.n_gates
        if self.a.shape[0] != n or self.b.shape[0] != n:
            raise GraphError(f"op, a and b must have the same length, got {n}, {self.a.shape[0]}, {self.b.shape[0]}")
        if self.out_neg.shape != self.outputs.shape:
            raise GraphError("out_neg must have one flag per output")
        bad = np.flatnonzero(self.op >= NUM_GATES)
        if bad.size:
            g = int(bad[0])
            raise GraphError(f"gate {g} (node {self.first_gate + g}): op {int(self.op[g])} is not in 0..15")
        own = np.arange(self.first_gate, self.n_nodes, dtype=np.int64)
        for name, operand in (("a", self.a), ("b", self.b)):
            bad = np.flatnonzero((operand < 0) | (operand >= own))
            if bad.size:
                g = int(bad[0])
                raise GraphError(f"gate {g} (node {self.first_gate + g}): operand {name}={int(operand[g])} "
                                 "is not a node before it (ids must be a topological order)")
        bad = np.flatnonzero((self.outputs < 0) | (self.outputs >= self.n_nodes))
        if bad.size:
            o = int(bad[0])
            raise GraphError(f"output {o} refers to node {int(self.outputs[o])}, outside 0..{self.n_nodes - 1}")
        self._verify_head()
        self._verify_encoding()
        if self.layers is not None:
            ly = self.layers
            if (not isinstance(ly, np.ndarray) or ly.ndim != 1 or ly.size < 1 or ly[0] != 0
                    or ly[-1] != n or np.any(np.diff(ly) < 0)):
                raise GraphError(f"layers must be non-decreasing gate boundaries from 0 to {n}")
        try:
            json.dumps(self.meta)
        except (TypeError, ValueError, RecursionError) as exc:
            raise GraphError(f"meta must hold plain JSON values: {exc}") from None
        return self

    def _verify_head(self) -> None:
        h = self.head
        if h is None:
            return
        _check_array(h.bounds, np.int64, "head: bounds")
        _check_array(h.offsets, np.int64, "head: offsets")
        if h.k < 1 or not np.isfinite(h.tau) or h.tau <= 0:
            raise GraphError(f"head: need k >= 1 and tau > 0, got k={h.k}, tau={h.tau}")
        if h.bounds.shape != (h.k + 1,) or h.offsets.shape != (h.k,):
            raise GraphError(f"head: bounds must have k+1={h.k + 1} entries and offsets k={h.k}")
        if h.bounds[0] != 0 or h.bounds[-1] != self.n_outputs or np.any(np.diff(h.bounds) < 0):
            raise GraphError(f"head: class bounds must rise from 0 to the {self.n_outputs} outputs")
        limit = MAX_SCORE - self.n_outputs  # compared, not added: offsets near the int64 limits must not wrap
        if np.any(h.offsets > limit) or np.any(h.offsets < -limit):
            raise GraphError(f"head: class offsets must be within +-{limit}, so scores fit in 32 bits")

    def _verify_encoding(self) -> None:
        e = self.encoding
        if e is None:
            return
        if not isinstance(e.n_features, (int, np.integer)) or not 1 <= e.n_features <= MAX_NODES:
            raise GraphError(f"encoding: n_features must be in 1..{MAX_NODES}, got {e.n_features!r}")
        # float32, as every backend compares: a float64 threshold made the simulator disagree with them
        _check_array(e.feature, np.int32, "encoding: feature")
        _check_array(e.threshold, np.float32, "encoding: threshold")
        if e.feature.shape != (self.n_inputs,) or e.threshold.shape != (self.n_inputs,):
            raise GraphError(f"encoding: need one feature index and threshold per input ({self.n_inputs})")
        if e.feature.size and (e.feature.min() < 0 or e.feature.max() >= e.n_features):
            raise GraphError(f"encoding: feature indices must be in 0..{e.n_features - 1}")
        if not np.all(np.isfinite(e.threshold)):
            raise GraphError("encoding: thresholds must be finite")

    # ---------------------------------------------------------------- levels
    def waves(self) -> np.ndarray:
        """Boundaries (gate indices) of maximal runs of gates that only read earlier runs.

        Every gate in run ``[w[i], w[i+1])`` has both operands before ``w[i]``, so a
        whole run can be evaluated with one vectorized step.  For a graph ordered by
        level (as lowering and the passes produce) the runs are exactly the levels;
        in another order they can be tiny (see :mod:`lgcc.ir.levels`:
        :func:`~lgcc.ir.levels.sort_by_level` first).
        """
        bounds = level_bounds(self.levels()[self.first_gate:])
        if bounds is not None:
            return bounds
        return runs(np.maximum(self.a, self.b).astype(np.int64) - self.first_gate, 0, self.n_gates)

    def levels(self) -> np.ndarray:
        """Logic depth of every node (constants and inputs 0), int32[n_nodes]; vectorized in any gate order."""
        return node_levels(self.first_gate, self.a, self.b)

    def fanin_cone(self, roots: npt.ArrayLike, read_only: bool = False) -> np.ndarray:
        """bool[n_nodes]: the nodes in the transitive fan-in of the node ids ``roots`` (roots included).

        Walks the levels downwards (a gate reads only lower levels, so every reader is
        seen before its operands): one vectorized step per level.  With ``read_only``
        an operand the gate's function ignores (``b`` of the wire ``a``) is not
        followed, which is what code generators want.
        """
        live = np.zeros(self.n_nodes, dtype=bool)
        live[np.asarray(roots, dtype=np.int64)] = True
        fg = self.first_gate
        order, bounds = level_groups(self.levels()[fg:])
        for s, e in zip(bounds[-2::-1].tolist(), bounds[:0:-1].tolist()):
            if order is None:
                g = s + np.flatnonzero(live[fg + s: fg + e])
            else:
                g = order[s:e]
                g = g[live[fg + g]]
            a, b = self.a[g], self.b[g]
            if read_only:
                op = self.op[g]
                a, b = a[DEPENDS_A[op]], b[DEPENDS_B[op]]
            live[a] = True
            live[b] = True
        return live

    def depth(self) -> int:
        """Longest path (in gates) from an input to an output."""
        if self.n_outputs == 0:
            return 0
        return int(self.levels()[self.outputs].max())

    # ----------------------------------------------------------------- views
    def to_networkx(self, gates: np.ndarray | None = None, outputs: np.ndarray | None = None) -> nx.DiGraph:
        """A networkx DiGraph view (for dumps and analysis; never the store).

        Nodes are node ids (ints) plus ``"y{o}"`` for outputs; every attribute is a
        scalar (str/int/bool), so ``networkx.write_graphml`` accepts the result.
        ``gates`` (gate indices) and ``outputs`` (output indices) restrict the view to
        a selection; the operands those read are included as well.  Edges carry the
        ``port`` they feed: ``a``, ``b``, or ``ab`` where a gate reads one node as both
        operands (a DiGraph holds one edge per pair of nodes).
        """
        import networkx as nx

        from .gates import NAMES

        fg = self.first_gate
        gates = np.arange(self.n_gates) if gates is None else np.asarray(gates, dtype=np.int64)
        outputs = np.arange(self.n_outputs) if outputs is None else np.asarray(outputs, dtype=np.int64)
        ids = fg + gates
        shown = np.zeros(self.n_nodes, dtype=bool)
        shown[ids] = True
        shown[self.a[gates]] = True
        shown[self.b[gates]] = True
        shown[self.outputs[outputs]] = True
        if gates.size == self.n_gates:
            shown[:fg] = True  # the whole graph: every constant and input, used or not
        selected = np.zeros(self.n_nodes, dtype=bool)
        selected[ids] = True
        names = self.meta_names("input_names")
        g = nx.DiGraph()
        for node in np.flatnonzero(shown).tolist():
            if node < FIRST_INPUT:
                g.add_node(node, kind="const", value=node, name=str(node))
            elif node < fg:
                i = node - FIRST_INPUT
                g.add_node(node, kind="input", index=i, name=names[i] if names else f"x{i}")
            else:
                op = int(self.op[node - fg])
                g.add_node(node, kind="gate", op=op, gate=NAMES[op], name=f"g{node - fg}",
                           selected=bool(selected[node]))
        g.add_edges_from((int(s), int(d), {"port": "a"}) for s, d in zip(self.a[gates], ids))
        port_b = np.where(self.a[gates] == self.b[gates], "ab", "b").tolist()  # a == b: the a edge again
        g.add_edges_from((int(s), int(d), {"port": p}) for s, d, p in zip(self.b[gates], ids, port_b))
        for o in outputs.tolist():
            g.add_node(f"y{o}", kind="output", index=o, negated=bool(self.out_neg[o]), name=f"y{o}")
            g.add_edge(int(self.outputs[o]), f"y{o}", port="out")
        return g

    def __repr__(self) -> str:
        return (f"Graph(inputs={self.n_inputs}, gates={self.n_gates}, outputs={self.n_outputs}, "
                f"head={'GroupSum(k=%d)' % self.head.k if self.head else None}, "
                f"encoding={'yes' if self.encoding else None})")
