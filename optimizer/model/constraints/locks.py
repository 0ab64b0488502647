"""Locks: shifts that must stay as they are (published FTE shifts, posted gigs, the past)."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_locks(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Keep locked FTE shifts and posted gig shifts; post no new gig shift before the first allowed start.

    For each locked (crew c, option o), each gig start t with p_t posted shifts, and t0 = first new start::

        fte[c, o] == crew size of c
        gig_start[t] >= p_t          for t >= t0
        gig_start[t] == p_t          for t <  t0

    Names: ``lock[{crew_id},{o}]``, ``gig_posted[t]``, ``gig_frozen[t]``. Objective: none (locked shifts
    are paid through ``fte_cost`` and ``gig_cost``).
    """
    for i, k in inp.locked:
        crew = inp.crews[i]
        m.add(v.fte(i)[k] == crew.size).with_name(f"lock[{crew.crew_id},{k}]")
    gig = inp.gig
    if gig is None or not (gig.posted or gig.first_new_start):
        return ObjectiveTerms.empty()
    posted = dict(gig.posted)
    for t, var in v.gig_starts().items():
        if t < gig.first_new_start:
            m.add(var == posted.get(t, 0)).with_name(f"gig_frozen[{t}]")
        elif posted.get(t, 0):
            m.add(var >= posted[t]).with_name(f"gig_posted[{t}]")
    return ObjectiveTerms.empty()
