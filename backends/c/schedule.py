"""Gate schedule and storage allocation for the bit-sliced C engine.

The C engine keeps one machine word (a SIMD vector of 64-bit lanes) per live value
in a small array of *slots*.  This module decides, with vectorized numpy work per
logic level (never a Python loop per gate):

* which gates are needed at all (the cone of the outputs; dead gates are dropped),
  and which pairs are fused into one instruction (:mod:`.fuse`),
* the evaluation order: by level, then by instruction kind, so the C code runs one
  tight loop per (level, kind) group with the operation chosen once per group,
* which slot each value lives in: the instruction that reads a value last writes its
  own result into that value's slot (a cache line it has just loaded); other slots are
  handed back when the level that reads the value for the last time is done, and the
  lowest free slots are reused first, so the working set stays as small (and as
  cache-resident) as the widest levels allow.

Slot 0 holds constant 0, slot 1 constant 1 and slots ``2 .. 2 + n_inputs - 1`` the
packed inputs (the packer writes them); input slots are recycled after their last use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lgcc.ir.graph import FIRST_INPUT, Graph

from .fuse import FUSED_BASE, build_instructions

_NEVER_FREED = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Schedule:
    """The instruction order and slot assignment the C tables are emitted from."""

    n_slots: int  # slots the workspace needs (constants and inputs included)
    kinds: np.ndarray  # int64[I]: kind of each instruction (see .fuse), in evaluation order
    operands: np.ndarray  # int64[I, 3]: slots of operands a, b, c (0 where unused)
    results: np.ndarray  # int64[I]: slot of each instruction's result
    groups: np.ndarray  # int64[n_groups, 2]: (kind, number of instructions) runs of ``kinds``
    out_slot: np.ndarray  # int64[n_outputs]: slot holding each output (before negation)
    depth: int  # number of logic levels evaluated
    n_gates: int  # gates evaluated (the output cone; a fused pair counts 2)

    @property
    def n_instructions(self) -> int:
        """Instructions the engine runs (a fused pair is one)."""
        return int(self.kinds.shape[0])

    def table(self) -> np.ndarray:
        """The flat slot table of the C engine: (a, b, result) per gate, (a, b, c, result) per fused pair."""
        rows = np.concatenate((self.operands, self.results[:, None]), axis=1)
        width = np.where(self.kinds >= FUSED_BASE, 4, 3)
        take = np.ones(rows.shape, dtype=bool)
        take[width == 3, 2] = False
        return rows[take]


def _level_runs(keys: np.ndarray) -> np.ndarray:
    """Boundaries of runs of equal values in a sorted array (including 0 and len)."""
    if keys.size == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return np.concatenate(([0], change, [keys.size])).astype(np.int64)


def schedule(graph: Graph, fuse: bool = True) -> Schedule:
    """Order the output cone's instructions by (level, kind) and assign storage slots by liveness."""
    fg = graph.first_gate
    live = graph.fanin_cone(graph.outputs, read_only=True)[fg:]
    ins = build_instructions(graph, np.flatnonzero(live), graph.levels().astype(np.int64), fuse=fuse)
    sort = np.lexsort((ins.kind, ins.level))  # by level, then kind; stable inside
    node, lv, kinds = ins.node[sort], ins.level[sort], ins.kind[sort]
    opnd, uses = ins.operands[sort], ins.uses[sort]
    n = node.size

    # Level after which each node's value is dead (outputs and constants never die).
    last_use = np.full(graph.n_nodes, 0, dtype=np.int64)
    read_lv = np.broadcast_to(lv[:, None], opnd.shape)
    np.maximum.at(last_use, opnd[uses], read_lv[uses])
    unread = last_use[node] == 0  # a value no instruction needs any more (a fused pair may drop a read)
    last_use[node[unread]] = lv[unread]  # ... frees its slot after its own level
    last_use[graph.outputs] = _NEVER_FREED
    last_use[:FIRST_INPUT] = _NEVER_FREED

    # Position (in evaluation order) of the last instruction reading each value: it may write
    # its result into the value's slot (it loads every operand before it stores), so the store
    # hits a cache line it has just read instead of a cold one.
    pos = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], opnd.shape)
    last_reader = np.full(graph.n_nodes, -1, dtype=np.int64)
    np.maximum.at(last_reader, opnd[uses], pos[uses])
    reusable = last_use != _NEVER_FREED
    inherit = np.full(n, -1, dtype=np.int64)  # node whose slot each instruction takes over
    for col in range(opnd.shape[1]):  # operands a, b, c in turn: 3 vectorized steps
        take = (inherit < 0) & uses[:, col] & reusable[opnd[:, col]] & (last_reader[opnd[:, col]] == pos[:, col])
        inherit[take] = opnd[take, col]
    handed_on = np.zeros(graph.n_nodes, dtype=bool)  # slots taken over: never returned to the pool
    handed_on[inherit[inherit >= 0]] = True

    slot = np.zeros(graph.n_nodes, dtype=np.int64)
    slot[:fg] = np.arange(fg)  # constants and inputs sit in their fixed slots
    slot_users = np.concatenate((np.arange(FIRST_INPUT, fg), node))  # nodes that own a recyclable slot
    user_death = last_use[slot_users]
    by_death = np.argsort(user_death, kind="stable")
    deaths = user_death[by_death]
    n_slots = fg
    pool: np.ndarray = np.zeros(0, dtype=np.int64)
    runs = _level_runs(lv)
    freed_upto = 0
    for lo, hi in zip(runs[:-1], runs[1:]):
        this_level = lv[lo]
        # Values read for the last time by an earlier level free their slots now.
        upto = int(np.searchsorted(deaths, this_level, side="left"))
        if upto > freed_upto:
            dead = slot_users[by_death[freed_upto:upto]]
            pool = np.sort(np.concatenate((pool, slot[dead[~handed_on[dead]]])))
            freed_upto = upto
        heir = inherit[lo:hi]
        fresh = heir < 0
        need = int(fresh.sum())
        take = pool[:need]
        pool = pool[need:]
        if take.size < need:
            extra = np.arange(n_slots, n_slots + need - take.size, dtype=np.int64)
            n_slots += need - take.size
            take = np.concatenate((take, extra))
        level_slots = np.empty(hi - lo, dtype=np.int64)
        level_slots[fresh] = take
        level_slots[~fresh] = slot[heir[~fresh]]
        slot[node[lo:hi]] = level_slots

    grp = _level_runs(lv * (FUSED_BASE + 256) + kinds)
    groups = np.stack((kinds[grp[:-1]], np.diff(grp)), axis=1) if n else np.zeros((0, 2), dtype=np.int64)
    return Schedule(n_slots=int(n_slots), kinds=kinds, operands=np.where(uses, slot[opnd], 0), results=slot[node],
                    groups=groups, out_slot=slot[graph.outputs.astype(np.int64)],
                    depth=int(lv.max()) if n else 0, n_gates=ins.n_gates)
