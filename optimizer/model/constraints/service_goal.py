"""Service goal over the horizon: answered-within-target contacts summed over all intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from ortools.sat.python import cp_model

from optimizer.model.inputs import ModelInput
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import ShiftVars
from optimizer.service_goal import ServiceGoal
from optimizer.staffing import effective_agents

SATURATION = 0.999
"""Head counts past the one answering this share of an interval's contacts add no modelled service."""

RATIO_DENOMINATORS = (100, 10_000, 1_000_000)
"""Denominators tried for the integer ratio that maps people scheduled to agents on the phones."""


@dataclass(frozen=True, slots=True)
class GoalPiece:
    """The concave answered-within-target function of one interval, in agents on the phones.

    ``values[i]`` is the modelled answer count at ``first_agents + i`` agents; it is concave in i and
    never above the curve. ``floor`` is the interval's floor requirement in people scheduled.
    """

    interval: int
    floor: int
    first_agents: int
    values: tuple[int, ...]

    def at(self, agents: int) -> int:
        """Return the modelled answer count at a number of agents (0 below the first, flat past the last)."""
        if agents < self.first_agents:
            return 0
        return self.values[min(agents - self.first_agents, len(self.values) - 1)]

    def answered(self, people: int, ratio: tuple[int, int]) -> int:
        """Return the modelled answer count with ``people`` on the floor.

        Nothing below the floor requirement; else the count at ``floor(N people / D)`` agents, ``ratio`` = (N, D).
        """
        if people < self.floor:
            return 0
        return self.at(people * ratio[0] // ratio[1])


def agent_ratio(shrinkage: float, top: int) -> tuple[int, int]:
    """Return (N, D) such that ``floor(N s / D)`` agents stay on the phones of ``s`` people scheduled.

    Exactly ``effective_agents(s, shrinkage)`` for s in 0..top when a fraction with a denominator up to 10^6
    matches it (every shrinkage given in decimals does); otherwise the largest fraction below
    ``1 - shrinkage`` with that denominator, which never counts more agents than there are.
    """
    people = np.arange(top + 1, dtype=np.int64)
    agents = effective_agents(people, shrinkage)
    kept = 1.0 - shrinkage
    for limit in RATIO_DENOMINATORS:
        ratio = Fraction(kept).limit_denominator(limit)
        if np.array_equal(people * ratio.numerator // ratio.denominator, agents):
            return ratio.numerator, ratio.denominator
    scale = RATIO_DENOMINATORS[-1]
    return math.floor(kept * scale), scale


def concave_minorant(values: np.ndarray) -> tuple[int, ...]:
    """Return the concave sequence m <= values built by never letting a step exceed the one before it.

    Above the load the Erlang curve in agents is concave (see ``staffing_curves``), so ``m`` equals it up
    to the flooring of integer units: measured on the bundled week at 15 minutes, 42 of 372 intervals lose
    one unit (1/100 contact), 0.42 contacts in all.
    """
    out = [int(values[0])]
    step = None
    for v in values[1:]:
        rise = int(v) - out[-1]
        step = rise if step is None else min(step, rise)
        if step <= 0:
            break
        out.append(out[-1] + step)
    return tuple(out)


def goal_pieces(inp: ModelInput) -> tuple[tuple[int, int], list[GoalPiece]]:
    """Return the agent ratio and the concave piece of every interval with demand."""
    goal: ServiceGoal | None = inp.service
    assert goal is not None
    top = goal.curve.shape[1] - 1
    numerator, denominator = agent_ratio(goal.shrinkage, top)
    agents = effective_agents(np.arange(top + 1), goal.shrinkage)
    first_person = np.searchsorted(agents, np.arange(int(agents[-1]) + 1), side="left")
    pieces = []
    for t in range(inp.intervals):
        curve = goal.curve[t]
        if curve[-1] == 0:
            continue
        lo = min(int(inp.required[t]), top)
        hi = max(lo, int(np.searchsorted(curve, SATURATION * curve[-1], side="left")))
        first, last = int(lo * numerator // denominator), int(agents[min(hi, top)])
        by_agents = curve[first_person[first : last + 1]]
        pieces.append(GoalPiece(t, lo, first, concave_minorant(by_agents)))
    return (numerator, denominator), pieces


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
    if goal is None:
        return ObjectiveTerms.empty()
    (numerator, denominator), pieces = goal_pieces(inp)
    answered = []
    for p in pieces:
        t, values = p.interval, p.values
        staffed = v.staffed(t)
        reached = m.new_bool_var(f"reached[{t}]")
        agents = m.new_int_var(0, p.first_agents + len(values) - 1, f"agents[{t}]")
        a = m.new_int_var(0, values[-1], f"answered[{t}]")
        m.add(denominator * agents <= numerator * staffed).with_name(f"agents_def[{t}]")
        m.add(p.floor * reached <= staffed).with_name(f"reached_def[{t}]")
        m.add(a <= values[-1] * reached).with_name(f"answered_cap[{t}]")
        previous = None
        for i in range(len(values) - 1):
            slope = values[i + 1] - values[i]
            if slope != previous:
                m.add(a <= values[i] + slope * (agents - (p.first_agents + i))).with_name(f"answered_def[{t},{i}]")
            previous = slope
        answered.append(a)
    missed = m.new_int_var(0, goal.goal, "missed")
    m.add(cp_model.LinearExpr.sum(answered) + missed >= goal.goal).with_name("service_goal")
    return ObjectiveTerms.of("missed_service_penalty", goal.penalty_per_unit_cents * missed)


def hint_service_goal(m: cp_model.CpModel, inp: ModelInput, staffed: list[int]) -> None:
    """Hint shortfall and service-goal variables for given head counts per interval.

    With the shift decisions hinted too, the hint is complete, so CP-SAT starts from it at once.
    """
    goal = inp.service
    if goal is None:
        return
    index = {v.name: i for i, v in enumerate(m.proto.variables)}
    for t, need in enumerate(inp.required):
        if f"short[{t}]" in index:
            m.add_hint(m.get_int_var_from_proto_index(index[f"short[{t}]"]), max(0, int(need) - staffed[t]))
    ratio, pieces = goal_pieces(inp)
    total = 0
    for p in pieces:
        t, s = p.interval, staffed[p.interval]
        reached = s >= p.floor
        agents = min(s * ratio[0] // ratio[1], p.first_agents + len(p.values) - 1)
        value = p.answered(s, ratio)
        m.add_hint(m.get_bool_var_from_proto_index(index[f"reached[{t}]"]), reached)
        m.add_hint(m.get_int_var_from_proto_index(index[f"agents[{t}]"]), agents)
        m.add_hint(m.get_int_var_from_proto_index(index[f"answered[{t}]"]), value)
        total += value
    m.add_hint(m.get_int_var_from_proto_index(index["missed"]), max(0, goal.goal - total))
