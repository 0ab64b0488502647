"""Preferences: each person's priced unmet preference-hours, a term of the objective (``optimizer.wishes``)."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def add_preferences(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Price every person's unmet preferences; a crew of several people adds nothing here.

    Objective: ``preference_penalty`` = sum over people w with wishes of
    ``idle_w + sum_k x[w,k] * (U_w[start_k:end_k] - D_w[start_k:end_k])``   [cents], where ``U_w`` prices working
    an interval of an undesired window, ``D_w`` not working one of a desired window and ``idle_w = sum D_w``.
    A person's shifts never overlap, so this is exact. For a crew of several people it is left out: the term
    is >= 0, so the crew model stays a relaxation (its bound a valid bound); ``optimizer.model.wishes`` then
    hands the crew's shifts to its people at the least penalty. Adds no constraint.
    """
    del m
    parts: list[cp_model.LinearExprT] = []
    constant = 0
    for i, crew in enumerate(inp.crews):
        if crew.size != 1 or crew.worker_ids[0] not in inp.wishes:
            continue
        wish = inp.wishes[crew.worker_ids[0]]
        constant += wish.idle_cents
        for option, x in zip(crew.options, v.fte(i), strict=True):
            cents = wish.option_cents(option.start, option.end)
            if cents:
                parts.append(cents * x)
    if not parts and constant == 0:
        return ObjectiveTerms.empty()
    return ObjectiveTerms.of("preference_penalty", cp_model.LinearExpr.sum(parts) + constant)
