"""Published shifts (re-plan): each published FTE shift worked in exactly one variant, or released."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_published_shifts(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Work every published FTE shift in exactly one of its variants, or release it where allowed.

    For each published shift p (``inp.kept``) of crew c with variant options O_p::

        sum_{o in O_p} fte[c, o] == 1        (kept: as published or extended)
        sum_{o in O_p} fte[c, o] <= 1        (releasable: voluntary time off)

    Adds nothing outside a re-plan (``inp.kept`` is empty).
    Names: ``published[{crew_id},{day}]``. Objective: none (an extension's overtime is in its option's cost,
    hence in ``fte_cost``; a released shift simply costs nothing).
    """
    for group in inp.kept:
        crew = inp.crews[group.crew]
        xs = [v.fte(group.crew)[k] for k in group.options]
        name = f"published[{crew.crew_id},{crew.options[group.options[0]].day}]"
        if group.releasable:
            m.add_at_most_one(xs).with_name(name)
        else:
            m.add_exactly_one(xs).with_name(name)
    return ObjectiveTerms.empty()
