"""Goal over the horizon: a concave count per interval summed over all intervals.

The count is contacts answered in time (``scope: horizon``) or the chance of meeting (a ``share``
confidence), both from ``optimizer.horizon_goal``.

The data (agent ratio, each interval's concave piece) is prepared in ``prepare`` (``PreparedGoal``); the
variables are owned by ``ShiftVars.service_goal()`` (``GoalVars``).
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.horizon_goal import GoalPiece
from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars


def goal_pieces(inp: ModelInput) -> tuple[tuple[int, int], list[GoalPiece]]:
    """Return the agent ratio and the concave piece of every interval with demand (prepared in ``prepare``)."""
    goal = inp.service
    assert goal is not None
    return goal.agent_ratio, list(goal.pieces)


def add_service_goal(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput) -> ObjectiveTerms:
    """Answer the horizon's share of contacts within target, counted with the staffing curves.

    For each interval t with demand, s_t people on the floor, floor requirement L_t, agents on the phones
    e_t = floor(N s_t / D) (the shrinkage as an exact ratio) and the curve's concave piece m_t over
    e = E_t .. E_t + K_t (answered within target, in 1/100 contacts), with z[t] = [s_t >= L_t]::

        D e_t <= N s_t,      L_t z[t] <= s_t,      answered[t] <= m_t(E_t + K_t) z[t]
        answered[t] <= m_t(k) + (m_t(k+1) - m_t(k)) (e_t - k)       for every kink k of m_t
        sum_t answered[t] + missed >= goal

    Erlang curves are S-shaped in agents but concave above the load, where the floor puts every interval,
    so tangents at the integers describe them exactly with no Boolean per level: the LP relaxation is the
    curve itself and CP-SAT's bound is close from the root. (Unary levels per head count, the earlier
    formulation, left the bound 25% below the plan after 60 s on the bundled week.) Below L_t nothing
    counts as answered (conservative: the interval is short there and pays the coverage penalty too).
    Names: ``reached[t]``, ``agents[t]``, ``answered[t]``, ``service_goal``.
    Objective: ``missed_service_penalty`` = penalty_per_unit_cents * missed   [cents].
    """
    goal = inp.service
    gv = v.service_goal()
    if goal is None or gv is None:
        return ObjectiveTerms.empty()
    numerator, denominator = goal.agent_ratio
    for p, reached, agents, a in zip(gv.pieces, gv.reached, gv.agents, gv.answered, strict=True):
        t, values = p.interval, p.values
        staffed = v.staffed(t)
        m.add(denominator * agents <= numerator * staffed).with_name(f"agents_def[{t}]")
        m.add(p.floor * reached <= staffed).with_name(f"reached_def[{t}]")
        m.add(a <= values[-1] * reached).with_name(f"answered_cap[{t}]")
        previous = None
        for i in range(len(values) - 1):
            slope = values[i + 1] - values[i]
            if slope != previous:
                m.add(a <= values[i] + slope * (agents - (p.first_agents + i))).with_name(f"answered_def[{t},{i}]")
            previous = slope
    m.add(cp_model.LinearExpr.sum(gv.answered) + gv.missed >= goal.goal).with_name("service_goal")
    return ObjectiveTerms.of("missed_service_penalty", goal.penalty_per_unit_cents * gv.missed)


def hint_service_goal(m: cp_model.CpModel, v: ShiftVars, inp: ModelInput, staffed: list[int]) -> None:
    """Hint shortfall and service-goal variables for given head counts per interval.

    With the shift decisions hinted too, the hint is complete, so CP-SAT starts from it at once. ``v`` is
    the model's ``ShiftVars`` (``BuiltModel.vars``), which owns the variables to hint.
    """
    goal = inp.service
    if goal is None:
        return
    gv = v.service_goal()
    assert gv is not None
    shorts = [v.short(t) for t in range(inp.intervals)]
    for short, need, s in zip(shorts, inp.required, staffed, strict=False):
        m.add_hint(short, max(0, int(need) - s))
    ratio = goal.agent_ratio
    total = 0
    for p, reached, agents, answered in zip(gv.pieces, gv.reached, gv.agents, gv.answered, strict=True):
        s = staffed[p.interval]
        value = p.answered(s, ratio)
        m.add_hint(reached, s >= p.floor)
        m.add_hint(agents, min(s * ratio[0] // ratio[1], p.first_agents + len(p.values) - 1))
        m.add_hint(answered, value)
        total += value
    m.add_hint(gv.missed, max(0, goal.goal - total))
