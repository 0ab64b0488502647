"""extract_plan(): solver values → a Plan of per-person shifts, gig shifts, coverage, costs and KPIs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from optimizer.domain import PlannedShift, ShiftBreak
from optimizer.errors import ModelError
from optimizer.model.build import BuiltModel
from optimizer.model.inputs import ModelInput
from optimizer.model.solve import SolveOutcome


def _at(inp: ModelInput, t: int) -> dt.datetime:
    return inp.grid.timestamp(t).to_pydatetime()


def fte_shifts(inp: ModelInput, built: BuiltModel, outcome: SolveOutcome) -> list[PlannedShift]:
    """Return every FTE shift of the solution, with break slots handed to people shift type by shift type."""
    solver, v = outcome.solver, built.vars
    if any(c.size != 1 for c in inp.crews):
        msg = "extract needs one-worker crews; assign shifts to people first (optimizer.model.assign)"
        raise ModelError(msg)
    chosen: list[tuple[int, int]] = []
    for i in range(len(inp.crews)):
        chosen.extend((i, k) for k, x in enumerate(v.fte(i)) if solver.value(x))
    slots: dict[int, list[int]] = defaultdict(list)
    for i, k in chosen:
        s = inp.crews[i].options[k].shift_type
        if s in slots:
            continue
        for b in inp.shift_types[s].break_starts:
            slots[s].extend([b] * solver.value(v.break_count(s, b)))
    shifts = []
    for i, k in chosen:
        crew = inp.crews[i]
        o = crew.options[k]
        st = inp.shift_types[o.shift_type]
        breaks: tuple[ShiftBreak, ...] = ()
        if st.break_len:
            b = slots[o.shift_type].pop()
            breaks = (ShiftBreak(start=_at(inp, b), end=_at(inp, b + st.break_len)),)
        shifts.append(
            PlannedShift(
                worker_id=crew.worker_ids[0],
                kind="fte",
                start=_at(inp, o.start),
                end=_at(inp, o.end),
                breaks=breaks,
                paid_minutes=o.paid_min,
                cost_cents=o.cost_cents,
            )
        )
    return shifts


def gig_shifts(inp: ModelInput, built: BuiltModel, outcome: SolveOutcome) -> list[PlannedShift]:
    """Return the posted gig micro-shifts, numbered ``gig-0001`` … in start order."""
    gig = inp.gig
    if gig is None:
        return []
    shifts = []
    for t, var in sorted(built.vars.gig_starts().items()):
        for _ in range(outcome.solver.value(var)):
            shifts.append(
                PlannedShift(
                    worker_id=f"gig-{len(shifts) + 1:04d}",
                    kind="gig",
                    start=_at(inp, t),
                    end=_at(inp, t + gig.length),
                    paid_minutes=gig.paid_min,
                    cost_cents=gig.cost_cents,
                )
            )
    return shifts
