"""Gate schedule and storage allocation for the bit-sliced C engine.

The C engine keeps one machine word (a SIMD vector of 64-bit lanes) per live value
in a small array of *slots*.  This module decides, with vectorized numpy work per
logic level (never a Python loop per gate):

* which gates are needed at all (the cone of the outputs; dead gates are dropped),
* the evaluation order: by level, then by gate type, so the C code runs one tight
  loop per (level, type) group with the operation chosen once per group,
* which slot each value lives in: the gate that reads a value last writes its own
  result into that value's slot (a cache line it has just loaded); other slots are
  handed back when the level that reads the value for the last time is done, and the
  lowest free slots are reused first, so the working set stays as small (and as
  cache-resident) as the widest levels allow.

Slot 0 holds constant 0, slot 1 constant 1 and slots ``2 .. 2 + n_inputs - 1`` the
packed inputs (the packer writes them); input slots are recycled after their last use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lgcc.ir.gates import DEPENDS_A, DEPENDS_B
from lgcc.ir.graph import FIRST_INPUT, Graph

_NEVER_FREED = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Schedule:
    """The gate order and slot assignment the C tables are emitted from."""

    n_slots: int  # slots the workspace needs (constants and inputs included)
    ops: np.ndarray  # uint8[G]: gate type of each scheduled gate, in evaluation order
    triples: np.ndarray  # int64[G, 3]: slots of operand a, operand b and the result
    groups: np.ndarray  # int64[n_groups, 2]: (gate type, number of gates) runs of ``ops``
    out_slot: np.ndarray  # int64[n_outputs]: slot holding each output (before negation)
    depth: int  # number of logic levels evaluated

    @property
    def n_gates(self) -> int:
        """Gates actually evaluated (the output cone)."""
        return int(self.ops.shape[0])


def _gate_levels(graph: Graph) -> np.ndarray:
    """Logic level (>= 1) of every gate."""
    return graph.levels()[graph.first_gate:].astype(np.int64)


def _level_runs(keys: np.ndarray) -> np.ndarray:
    """Boundaries of runs of equal values in a sorted array (including 0 and len)."""
    if keys.size == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return np.concatenate(([0], change, [keys.size])).astype(np.int64)


def schedule(graph: Graph) -> Schedule:
    """Order the output cone by (level, gate type) and assign storage slots by liveness."""
    fg = graph.first_gate
    level = _gate_levels(graph)
    live = graph.fanin_cone(graph.outputs, read_only=True)[fg:]
    gates = np.flatnonzero(live)
    lv, ops = level[gates], graph.op[gates]
    sort = np.lexsort((ops, lv))  # by level, then gate type; stable inside
    gates, lv, ops = gates[sort], lv[sort], ops[sort]
    dep_a, dep_b = DEPENDS_A[ops], DEPENDS_B[ops]
    a_node = np.where(dep_a, graph.a[gates], 0).astype(np.int64)
    b_node = np.where(dep_b, graph.b[gates], 0).astype(np.int64)

    # Level after which each node's value is dead (outputs and constants never die).
    last_use = np.full(graph.n_nodes, 0, dtype=np.int64)
    np.maximum.at(last_use, a_node, lv)
    np.maximum.at(last_use, b_node, lv)
    last_use[graph.outputs] = _NEVER_FREED
    last_use[:FIRST_INPUT] = _NEVER_FREED

    # Position (in evaluation order) of the last gate reading each value: that gate may write
    # its result into the value's slot (it loads both operands before it stores), so the store
    # hits a cache line it has just read instead of a cold one.
    pos = np.arange(gates.size, dtype=np.int64)
    last_reader = np.full(graph.n_nodes, -1, dtype=np.int64)
    np.maximum.at(last_reader, a_node[dep_a], pos[dep_a])
    np.maximum.at(last_reader, b_node[dep_b], pos[dep_b])
    reusable = last_use != _NEVER_FREED
    inherit = np.full(gates.size, -1, dtype=np.int64)  # node whose slot each gate takes over
    from_a = dep_a & reusable[a_node] & (last_reader[a_node] == pos)
    from_b = ~from_a & dep_b & reusable[b_node] & (last_reader[b_node] == pos)
    inherit[from_a] = a_node[from_a]
    inherit[from_b] = b_node[from_b]
    handed_on = np.zeros(graph.n_nodes, dtype=bool)  # slots taken over: never returned to the pool
    handed_on[inherit[inherit >= 0]] = True

    slot = np.zeros(graph.n_nodes, dtype=np.int64)
    slot[:fg] = np.arange(fg)  # constants and inputs sit in their fixed slots
    slot_users = np.concatenate((np.arange(FIRST_INPUT, fg), fg + gates))  # nodes that own a recyclable slot
    user_death = last_use[slot_users]
    by_death = np.argsort(user_death, kind="stable")
    deaths = user_death[by_death]
    n_slots = fg
    pool = np.zeros(0, dtype=np.int64)
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
        slot[fg + gates[lo:hi]] = level_slots

    triples = np.stack((slot[a_node], slot[b_node], slot[fg + gates]), axis=1) if gates.size else \
        np.zeros((0, 3), dtype=np.int64)
    grp = _level_runs(lv * 16 + ops)
    groups = np.stack((ops[grp[:-1]].astype(np.int64), np.diff(grp)), axis=1) if gates.size else \
        np.zeros((0, 2), dtype=np.int64)
    return Schedule(n_slots=int(n_slots), ops=ops, triples=triples, groups=groups,
                    out_slot=slot[graph.outputs.astype(np.int64)], depth=int(lv.max()) if lv.size else 0)
