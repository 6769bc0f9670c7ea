"""The pass registry: every pass is a pure function ``Graph -> (Graph, PassStats)`` registered by name.

A pass module decorates its function with :func:`register`, giving the name used
by ``--passes`` and the pipelines, a one-line summary (``lgcc opt --list-passes``)
and, where the pass has options, its params dataclass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import LgccError
from ..graph import Graph


@dataclass
class PassStats:
    """What one pass run did: named counts (``removed_gates``...) and free-form notes."""

    name: str
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def report(self) -> str:
        """One line: ``name: key=value, ...; note; note``."""
        parts = ", ".join(f"{k}={v}" for k, v in self.counts.items())
        text = f"{self.name}: {parts or 'no change'}"
        return "; ".join([text, *self.notes])

    def to_json(self) -> dict[str, Any]:
        """Plain-value form for ``--report --json``."""
        return {"name": self.name, "counts": dict(self.counts), "notes": list(self.notes)}


PassFn = Callable[..., "tuple[Graph, PassStats]"]


@dataclass(frozen=True)
class PassInfo:
    """A registered pass."""

    name: str
    summary: str
    fn: PassFn
    params: type | None = None

    def __call__(self, graph: Graph, params: Any = None) -> tuple[Graph, PassStats]:
        """Run the pass (with default params unless given)."""
        if params is None and self.params is not None:
            params = self.params()
        return self.fn(graph, params) if self.params is not None else self.fn(graph)


PASSES: dict[str, PassInfo] = {}


def register(name: str, summary: str, params: type | None = None) -> Callable[[PassFn], PassFn]:
    """Decorator: register ``fn`` as pass ``name`` with a one-line ``summary``."""

    def deco(fn: PassFn) -> PassFn:
        """Record ``fn`` in :data:`PASSES`."""
        if name in PASSES:
            raise ValueError(f"pass {name!r} registered twice")
        PASSES[name] = PassInfo(name, summary, fn, params)
        return fn

    return deco


def get_pass(name: str) -> PassInfo:
    """The pass called ``name``; an :class:`LgccError` listing the known passes otherwise."""
    _load_all()
    if name not in PASSES:
        raise LgccError(f"unknown pass '{name}' (known: {', '.join(sorted(PASSES))}; see 'lgcc opt --list-passes')")
    return PASSES[name]


def all_passes() -> list[PassInfo]:
    """Every registered pass, sorted by name."""
    _load_all()
    return [PASSES[n] for n in sorted(PASSES)]


def _load_all() -> None:
    """Import every pass module (each registers itself on import)."""
    from . import abc_opt, absorb, collapse, constant_fold, head_pairs, head_rewrite, prune, simplify, strash  # noqa: F401
