"""``render(graph, options) -> {filename: text}``: the pure half of the C backend.

The jinja2 templates hold the fixed outline (header, vector typedefs, packing,
class head, API); the per-gate data are tables computed here from the schedule,
and the per-gate-type C expressions come from :data:`lgcc.ir.gates.EXPRS`.
The output depends only on the graph and the options, so it is byte-identical
across runs; the vector width is chosen by the compiler flags at build time.
"""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from lgcc import __version__
from lgcc.backends import check_c_prefix
from lgcc.ir.errors import LgccError
from lgcc.ir.gates import NAMES
from lgcc.ir.graph import Encoding, Graph

from .fuse import FUSED_BASE, kind_expr, kind_gates, kind_ternlog
from .schedule import Schedule, schedule
from .tables import c_array, index_dtype

if TYPE_CHECKING:
    import jinja2

#: Bumped whenever the C API or its semantics change; the runtime checks it.
ABI_VERSION = 4
#: Slot references in the tables are slot * 8 when that fits 16 bits: the C code then makes a
#: byte offset with one multiply by LANES, which x86 folds into the address (a shift less per
#: operand: ~2% faster gate loop, AVX-512, mnist model, best of 200 calls); otherwise plain slots.
SLOT_SCALE = 8


def slot_scale(n_slots: int) -> int:
    """The factor slot references are stored with (see :data:`SLOT_SCALE`)."""
    return SLOT_SCALE if index_dtype(n_slots * SLOT_SCALE) == np.uint16 else 1
#: Input kinds of the API: (entry suffix, element type, argument name).
IN_KINDS = (("bits", "uint8_t", "bits"), ("features", "float", "features"), ("sliced", "uint64_t", "words"),
            ("packed", "uint8_t", "packed"), ("features_f64", "double", "features"))
#: Most threads a call starts (model.c's MAX_THREADS), so also the most ``--threads`` may ask for.
MAX_THREADS = 256
_INT32 = (-(1 << 31), (1 << 31) - 1)


@dataclass(frozen=True)
class COptions:
    """Options of the C renderer."""

    prefix: str = "lgcc"  # symbol prefix: two models with different prefixes link together
    default_threads: int = 1  # thread count used when a call passes 0


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("lgcc.backends.c", "templates"),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              autoescape=False)


def _kind_name(kind: int) -> str:
    """Comment text for an instruction kind: the gate, or the two gates a fused kind selects from."""
    if kind < FUSED_BASE:
        return NAMES[kind]
    g0, g1 = kind_gates(kind)
    return f"c ? {NAMES[g1]}(a, b) : {NAMES[g0]}(a, b)"


def check_options(options: COptions) -> None:
    """Raise :class:`LgccError` for options no C compiler would accept."""
    check_c_prefix(options.prefix)
    threads = options.default_threads
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or not 1 <= threads <= MAX_THREADS:
        raise LgccError(f"--threads must be between 1 and {MAX_THREADS} (threads a call starts by default), "
                        f"got {options.default_threads}")


def _head_tables(graph: Graph, sched: Schedule) -> dict:
    """Class tables: output slots grouped per class (plain, then negated) and counter widths."""
    head = graph.head
    if head is None:
        return {"k": 0, "cnt_bits": 1, "idx_bits": 1, "min_offset": 0, "tau_c": "1.0",
                "cls_out_tab": "", "cls_tab": ""}
    cls = np.repeat(np.arange(head.k), head.sizes)
    order = np.lexsort((graph.out_neg, cls))  # by class, plain before negated, stable
    n_neg = np.bincount(cls[graph.out_neg], minlength=head.k) if cls.size else np.zeros(head.k, np.int64)
    min_off = int(head.offsets.min())
    init = head.offsets - min_off
    top = int((head.sizes + init).max())
    if min_off < _INT32[0] or top + min_off > _INT32[1] or top > _INT32[1]:
        raise LgccError("class offsets too large: C scores are int32; rescale the head offsets")
    cnt_bits = max(1, top.bit_length())
    scale = slot_scale(sched.n_slots)
    idt = index_dtype(sched.n_slots * scale)
    lists, sizes = _padded_class_lists(sched.out_slot[order], head.sizes - n_neg, n_neg, cnt_bits)
    table = np.concatenate((sizes, init[:, None]), axis=1)
    return {"k": head.k, "cnt_bits": cnt_bits, "idx_bits": max(1, (head.k - 1).bit_length()),
            "min_offset": min_off, "tau_c": repr(float(head.tau)),
            "cls_out_tab": c_array("cls_out_tab", lists * scale, idt),
            "cls_tab": c_array("cls_tab", table, np.int32)}


#: Words the class head's carry-save tree adds at a time (count_into in head.c.j2).
HEAD_TREE = 16


def _padded_class_lists(slots: np.ndarray, n_plain: np.ndarray, n_neg: np.ndarray,
                        cnt_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The head's per-class lists of output slots (plain, then negated, class by class), each
    padded up to a multiple of :data:`HEAD_TREE` with constants that add nothing (slot 0, the
    constant 0, to plain lists; slot 1, the constant 1, to negated ones) where that is cheaper:
    the carry-save tree costs ~3 operations per word, a word left over ~2 per counter bit.
    Returns (slots, [k, 2] list lengths)."""
    counts = np.stack((n_plain, n_neg), axis=1).astype(np.int64)  # [k, 2]
    rem = counts % HEAD_TREE
    pad = np.where((rem > 0) & (rem * 2 * cnt_bits > (HEAD_TREE - rem) * 3), HEAD_TREE - rem, 0)
    # segments per class: plain outputs, their padding, negated outputs, their padding
    seg_len = np.stack((counts[:, 0], pad[:, 0], counts[:, 1], pad[:, 1]), axis=1).reshape(-1)
    seg_real = np.tile([True, False, True, False], counts.shape[0])
    seg_fill = np.tile([0, 0, 0, 1], counts.shape[0])
    lists = np.repeat(seg_fill, seg_len).astype(np.int64)
    lists[np.repeat(seg_real, seg_len)] = slots
    return lists, counts + pad


#: Inputs per group of the feature encoder: 16 float compares, one AVX-512 vector.
FEATURE_GROUP = 16
#: How the encoder fetches a group's 16 features (model.c's FG_* constants).
FG_CONTIG, FG_SPAN, FG_GATHER, FG_ZERO = 0, 1, 2, 3


def feature_groups(feature: np.ndarray, n_features: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How the C encoder fetches the features of each group of 16 inputs: ``(kind, base, index)``.

    ``index[16 g + j]`` is input ``16 g + j``'s feature minus ``base[g]``.  FG_CONTIG: the group
    reads features ``base .. base + 15`` in order (one vector load); FG_SPAN: all its features
    lie in ``base .. base + 15`` (one load and a permute: a thermometer code, whose bits repeat
    each feature); FG_GATHER: anything else (base 0, one load per input); FG_ZERO: no input at
    all (the padding of the last 64-input chunk).  A vector load never reaches past the row's
    last feature; the last group's inputs past the last input read feature ``base`` (their bits
    land in slots no gate reads).
    """
    n = feature.size
    n_groups = -(-n // 64) * (64 // FEATURE_GROUP)  # whole 64-input chunks
    feat = np.zeros(n_groups * FEATURE_GROUP, dtype=np.int64)
    feat[:n] = feature
    real = (np.arange(feat.size) < n).reshape(n_groups, FEATURE_GROUP)
    grid = feat.reshape(n_groups, FEATURE_GROUP)
    any_real = real.any(axis=1)
    lo = np.where(any_real, np.where(real, grid, np.iinfo(np.int64).max).min(axis=1), 0)
    hi = np.where(any_real, np.where(real, grid, -1).max(axis=1), 0)
    base = np.where(lo + FEATURE_GROUP <= n_features, lo, np.maximum(0, n_features - FEATURE_GROUP))
    span = (hi - base < FEATURE_GROUP) & (lo >= base) & (n_features >= FEATURE_GROUP)
    contig = span & np.all(~real | (grid == base[:, None] + np.arange(FEATURE_GROUP)), axis=1)
    kind = np.where(contig, FG_CONTIG, np.where(span, FG_SPAN, FG_GATHER))
    kind[~any_real] = FG_ZERO
    base = np.where((kind == FG_GATHER) | (kind == FG_ZERO), 0, base)
    index = np.where(real, grid - base[:, None], 0)
    index[kind == FG_CONTIG] = np.arange(FEATURE_GROUP)
    return kind, base, index.reshape(-1)


def feature_runs(kind: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Runs ``(kind, first group, groups)`` of the encoder's groups that one tight loop handles:
    groups of one kind in a row (FG_CONTIG ones only while each starts 16 features after the last)."""
    if kind.size == 0:
        return np.zeros((0, 3), dtype=np.int64)
    same = kind[1:] == kind[:-1]
    same &= (kind[1:] != FG_CONTIG) | (base[1:] == base[:-1] + FEATURE_GROUP)
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    return np.stack((kind[starts], starts, np.diff(np.append(starts, kind.size))), axis=1)


def encoder_groups(enc: Encoding) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`feature_groups` as the C encoder fetches them.  It copies a row of fewer than 16
    features into a 16-float buffer first (model.c's feature_masks), so such a row is fetched as a
    row of 16: a load (permuted where the ISA can) instead of a load per input."""
    return feature_groups(enc.feature.astype(np.int64), max(enc.n_features, FEATURE_GROUP))


def _encoding_tables(graph: Graph) -> dict:
    """Thresholds, and how the features of each group of 16 inputs are fetched (:func:`encoder_groups`)."""
    enc = graph.encoding
    if enc is None:
        return {"n_features": 0, "n_fruns": 0, "frun_tab": "", "fbase_tab": "", "findex_tab": "", "thr_tab": ""}
    kind, base, index = encoder_groups(enc)
    runs = feature_runs(kind, base)
    thr = np.zeros(index.size, dtype=np.float32)
    thr[:graph.n_inputs] = enc.threshold
    thr_list = ",\n    ".join(float(t).hex() for t in thr) or "0"
    return {"n_features": enc.n_features, "n_fruns": int(runs.shape[0]),
            "frun_tab": c_array("frun_tab", runs, np.int32),
            "fbase_tab": c_array("fbase_tab", base, np.int32),
            "findex_tab": c_array("findex_tab", index, np.int32),
            "thr_tab": f"static const struct {{ float w[{max(1, thr.size)}]; }} thr_tab __attribute__((aligned(64))) "
                       f"= {{ {{\n    {thr_list}\n}} }};"}


def render_context(graph: Graph, options: COptions, sched: Schedule) -> dict:
    """Everything the templates need (plain values and pre-rendered tables)."""
    scale = slot_scale(sched.n_slots)
    idt = index_dtype(sched.n_slots * scale)
    used = sorted(set(sched.groups[:, 0].tolist()))
    ctx = {
        "P": options.prefix, "version": __version__, "abi_version": ABI_VERSION,
        "n_inputs": graph.n_inputs, "n_outputs": graph.n_outputs, "n_gates": sched.n_gates,
        "n_instructions": sched.n_instructions, "n_slots": sched.n_slots, "n_groups": int(sched.groups.shape[0]),
        "has_head": graph.head is not None, "has_encoding": graph.encoding is not None,
        "tau": graph.head.tau if graph.head else 1.0, "default_threads": options.default_threads,
        "max_threads": MAX_THREADS,
        "idx_type": "uint16_t" if idt == np.uint16 else "uint32_t",
        "slot_scale": scale, "gate_tab": c_array("gate_tab", sched.table() * scale, idt),
        "group_tab": c_array("group_tab", sched.groups, np.uint32),
        "out_tab": c_array("out_tab", sched.out_slot * scale, idt),
        "outneg_tab": c_array("outneg_tab", graph.out_neg, np.uint8),
        "kinds": [(k, kind_expr(k), _kind_name(k), 4 if k >= FUSED_BASE else 3,
                   f"0x{kind_ternlog(k):02X}" if k >= FUSED_BASE else None) for k in used],
        "in_kinds": IN_KINDS,
    }
    ctx.update(_head_tables(graph, sched))
    ctx.update(_encoding_tables(graph))
    ctx["api"] = _env().get_template("api.j2").render(ctx).strip()
    return ctx


def cdef(options: COptions) -> str:
    """The API declarations in a form cffi parses (also stored in ``model.json``)."""
    return _env().get_template("api.j2").render(P=options.prefix, in_kinds=IN_KINDS).strip() + "\n"


def metadata(graph: Graph, options: COptions, sched: Schedule) -> dict:
    """The ``model.json`` contents known at render time (the build adds the ISA)."""
    head, enc = graph.head, graph.encoding
    return {
        "lgcc_version": __version__, "abi_version": ABI_VERSION, "prefix": options.prefix,
        "n_inputs": graph.n_inputs, "n_outputs": graph.n_outputs,
        "n_features": enc.n_features if enc else None, "encoding": enc.to_json() if enc else None,
        "input_names": graph.meta_names("input_names"),
        "classes": head.k if head else None, "class_labels": graph.class_labels(), "tau": head.tau if head else None,
        "head": head.to_json() if head else None,
        "gates": graph.n_gates, "gates_evaluated": sched.n_gates, "instructions": sched.n_instructions,
        "levels": sched.depth,
        "slots": sched.n_slots, "default_threads": options.default_threads, "cdef": cdef(options),
    }


def render(graph: Graph, options: COptions | None = None) -> dict[str, str]:
    """Render ``model.h``, ``model.c`` and ``model.json`` for ``graph`` (pure, deterministic)."""
    options = options or COptions()
    check_options(options)
    graph.verify()
    sched = schedule(graph)
    ctx = render_context(graph, options, sched)
    env = _env()
    return {
        "model.h": env.get_template("model.h.j2").render(ctx),
        "model.c": env.get_template("model.c.j2").render(ctx),
        "model.json": json.dumps(metadata(graph, options, sched), indent=1, sort_keys=True) + "\n",
    }
