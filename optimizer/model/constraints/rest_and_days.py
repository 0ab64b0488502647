"""Rest between shifts and a cap on consecutive working days."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_rest_and_days(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Shifts leave the minimum rest between them; no worker exceeds the consecutive-day cap.

    For each worker w and option o with later options C(o) starting within ``min_rest`` of o's end::

        fte[w, o] + sum_{c in C(o)} fte[w, c] <= 1

    (valid as one clique because a worker takes at most one shift a day). For each window of
    ``max_consecutive_days + 1`` days: sum of working days <= max_consecutive_days.
    Names: ``rest[{worker_id},{o}]``, ``consecutive[{worker_id},{d}]``. Objective: none.
    """
    for i, w in enumerate(inp.workers):
        xs = v.fte(i)
        if not xs:
            continue
        for k, clash in w.rest_conflicts:
            later_days = {w.options[j].day for j in clash}
            if len(later_days) == 1:
                m.add_at_most_one([xs[k], *(xs[j] for j in clash)]).with_name(f"rest[{w.worker_id},{k}]")
            else:
                for day in sorted(later_days):
                    group = [xs[j] for j in clash if w.options[j].day == day]
                    m.add_at_most_one([xs[k], *group]).with_name(f"rest[{w.worker_id},{k},{day}]")
        cap = w.max_consecutive_days
        days = inp.grid.days
        if days <= cap:
            continue
        worked = [cp_model.LinearExpr.sum(v.fte_on_day(i, d)) for d in range(days)]
        for d in range(days - cap):
            m.add(cp_model.LinearExpr.sum(worked[d : d + cap + 1]) <= cap).with_name(
                f"consecutive[{w.worker_id},{d}]"
            )
    return ObjectiveTerms.empty()
