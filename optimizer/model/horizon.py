"""Start a goal solve: the goal priced instead of imposed (horizon level), or the LP's people (share).

``requirement_start`` (end of the module) starts a share goal (``confidence_scope: share``); the rest of
this note is about the horizon level's start, ``horizon_start``.

The exact horizon model (``constraints/service_goal.py``) has a tight LP, but CP-SAT's search barely moves
from a plan that meets the goal: every move that saves cost loses answered contacts somewhere, and with the
goal a single hard row, neighbourhood search rarely finds the compensating move. Measured on the bundled week
at 15 minutes (60 FTEs, weekly goal 90.35%), 30 s from the per-interval plan improved it by 1%.

Pricing the goal instead of imposing it (λ cents per unit answered, the goal row dropped) leaves a model that
is as easy as the per-interval one, and Lagrangian duality makes each of its bounds a bound on the horizon
optimum::

    horizon(x) = cost(x) + P max(0, G - A(x)) >= cost(x) + λ (G - A(x))        for 0 <= λ <= P
    min_x horizon(x) >= bound(min_x cost(x) + λ (A_max - A(x))) - λ (A_max - G)

with P the missed-goal penalty per unit, G the goal, A(x) the units answered and A_max the most the curves can
answer. λ = 0 is the floor-only model, itself a relaxation. A priced solution that answers G units is a
plan for the goal; the price is searched (up by 4x until the goal is met, then by bisection) and the cheapest
such plan hints the exact model, which then polishes it. Same instance, 60 s: the floor-only model is optimal at
7,994,000 in 2 s; the λ = 1 round meets the goal at 8,033,800; the exact model polishes that to 7,997,000-8,015,400
over six runs (weekly 90.75-90.76%), 0.04-0.27% above the floor bound and 3.6-3.8% below the per-interval
plan (8,315,400 at 90.35%).
Rounds are solved cold: hinted from the floor plan, the λ = 1 round stayed near it (1,091,102 units
answered in 5 s, short of the goal); cold it answered 1,141,551.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import threading
import time
from dataclasses import dataclass

import numpy as np

from optimizer.domain import SolveParams
from optimizer.model.build import BuiltModel, build_model
from optimizer.model.constraints.service_goal import goal_pieces, hint_service_goal
from optimizer.model.guided import solve_guided
from optimizer.model.inputs import ModelInput
from optimizer.model.relaxation import solve_relaxation
from optimizer.model.solve import SolveOutcome, add_hint_from

FLOOR_SHARE = 0.25
"""Most of the start's budget the floor-only relaxation may use."""

ROUND_SHARE = 0.5
"""Most of the budget left that one priced round may use."""

PRICE_STEP = 4
"""Factor the price grows by while no priced plan meets the goal."""

MIN_ROUND_S = 0.5
"""A priced round is not started with less time than this left [s]."""

ROUND_GAP = 0.002
"""Relative gap at which a priced round stops early."""


@dataclass(frozen=True, slots=True)
class PricedRound:
    """One solve of the start: the price [cents per unit answered], what it reached, and its bound."""

    price: int
    """0 for a round without price: the floor-only model, or a requirement round (``requirement_start``)."""
    status: str
    cost_cents: int | None
    answered: int | None
    bound_cents: int | None
    """A lower bound on the horizon model's objective derived from this round."""


@dataclass(frozen=True, slots=True)
class HorizonStart:
    """The best start found, a lower bound on the horizon optimum, and the rounds that found them."""

    source: BuiltModel | None
    outcome: SolveOutcome | None
    objective_cents: int | None
    """Horizon-model objective of the start (cost plus the penalty of any goal missed) [cents]."""
    bound_cents: int | None
    rounds: tuple[PricedRound, ...]

    def hint(self, target: BuiltModel, inp: ModelInput) -> None:
        """Hint the exact model with the start's decisions and its service-goal variables."""
        if self.source is None or self.outcome is None:
            return
        add_hint_from(target, self.source, self.outcome)
        hint_service_goal(target.cp_model, target.vars, inp, staffed(self.source, self.outcome, inp.intervals))


def staffed(built: BuiltModel, outcome: SolveOutcome, intervals: int) -> list[int]:
    """Return the people on the floor per interval in a solution (FTEs not on break plus effective gigs)."""
    return [int(outcome.solver.value(built.vars.staffed(t))) for t in range(intervals)]


def _missed(built: BuiltModel, outcome: SolveOutcome) -> int:
    """Return the value of the ``missed`` variable of a model with a service goal."""
    goal = built.vars.service_goal()
    assert goal is not None
    return int(outcome.solver.value(goal.missed))


def answered_units(inp: ModelInput, counts: list[int]) -> int:
    """Return the units the exact model counts as answered at the given head counts per interval."""
    assert inp.service is not None
    return inp.service.answered(np.asarray(counts))


def first_price(inp: ModelInput) -> int:
    """Return the first price to try [cents per unit]: an eighth of what makes one more agent pay for itself.

    One more agent-interval costs about a gig's rate (or a tenth of the shortfall penalty without a pool)
    and answers the median first step of the intervals' curves above their floors.
    """
    assert inp.service is not None
    per_interval = inp.gig.cost_cents / inp.gig.length if inp.gig is not None else inp.shortfall_penalty_cents / 10
    steps = sorted(p.values[1] - p.values[0] for p in goal_pieces(inp)[1] if len(p.values) > 1)
    if not steps:
        return 1
    return max(1, round(per_interval / steps[len(steps) // 2] / 8))


def horizon_start(
    inp: ModelInput,
    params: SolveParams,
    *,
    budget_s: float,
    stop_event: threading.Event | None = None,
) -> HorizonStart:
    """Search prices on the horizon goal for a cheap plan that meets it, and bound the horizon optimum.

    Parameters
    ----------
    inp : ModelInput
        A prepared input with a horizon goal (``inp.service``).
    params : SolveParams
        Workers and seed of every solve; the time limit is ``budget_s``.
    budget_s : float
        Wall-clock budget of the whole start [s].
    stop_event : threading.Event, optional
        Set it to end the start early with what it has.
    """
    goal = inp.service
    assert goal is not None
    deadline = time.monotonic() + budget_s
    most = int(goal.curve[:, -1].sum())
    best: tuple[int, BuiltModel, SolveOutcome] | None = None
    bound: int | None = None
    rounds: list[PricedRound] = []

    def run(price: int, share: float) -> int | None:
        """Solve at a price; keep the start and bound it gives; return the units answered."""
        nonlocal best, bound
        left = deadline - time.monotonic()
        if price > 0:
            service = dataclasses.replace(goal, goal=most, penalty_per_unit_cents=price)
            priced = dataclasses.replace(inp, service=service)
        else:
            priced = dataclasses.replace(inp, service=None)
        built = build_model(priced)
        limit = max(0.1, share * left)
        # Each priced model is as easy as a per-interval one, so its LP bounds it and rounds into its start.
        outcome = solve_guided(
            built,
            params.model_copy(update={"relative_gap": max(params.relative_gap, ROUND_GAP)}),
            deadline=time.monotonic() + limit,
            stop_event=stop_event,
        ).outcome
        if not outcome.has_solution:
            rounds.append(PricedRound(price, outcome.status, None, None, None))
            return None
        answered = answered_units(inp, staffed(built, outcome, inp.intervals))
        assert outcome.objective_cents is not None
        assert outcome.best_bound_cents is not None
        cost = outcome.objective_cents - (price * _missed(built, outcome) if price > 0 else 0)
        objective = cost + goal.penalty_per_unit_cents * max(0, goal.goal - answered)
        round_bound = outcome.best_bound_cents - price * (most - goal.goal)
        bound = round_bound if bound is None else max(bound, round_bound)
        if best is None or objective < best[0]:
            best = (objective, built, outcome)
        rounds.append(PricedRound(price, outcome.status, cost, answered, round_bound))
        return answered

    def done() -> bool:
        if stop_event is not None and stop_event.is_set():
            return True
        if deadline - time.monotonic() < MIN_ROUND_S:
            return True
        return best is not None and bound is not None and best[0] - bound <= ROUND_GAP * best[0]

    reached = run(0, FLOOR_SHARE)
    low, high = 0, None
    price = first_price(inp)
    if reached is not None and reached >= goal.goal:
        high = 0
    while high != 0 and not done() and price <= goal.penalty_per_unit_cents:
        reached = run(price, ROUND_SHARE)
        if reached is not None and reached >= goal.goal:
            high = price
        else:
            low = price
        if high is None:
            price *= PRICE_STEP
        elif high - low <= 1 or (low > 0 and high / low < 1.5):
            break
        else:
            price = high // PRICE_STEP if low == 0 else round(math.sqrt(low * high))
            price = max(price, low + 1)
    if best is None:
        return HorizonStart(None, None, None, bound, tuple(rounds))
    return HorizonStart(best[1], best[2], best[0], bound, tuple(rounds))


REQUIREMENT_SHARE = 0.6
"""Most of ``requirement_start``'s budget its first requirement round may use."""

TOP_UP_STEPS = 3
"""A top-up looks this many people ahead in an interval (agents round down, so one person can add nothing)."""


def requirement_start(
    inp: ModelInput,
    params: SolveParams,
    *,
    budget_s: float,
    stop_event: threading.Event | None = None,
) -> HorizonStart:
    """Start a share-goal solve from the LP: its people per interval, rounded up, as a per-interval requirement.

    The exact model's LP relaxation (HiGHS, well under a second) places the goal's people where the shifts
    make them cheapest. Its people per interval, rounded up, become the requirement of a per-interval model
    (no goal row, which CP-SAT solves as easily as the floor); where that plan still falls short of the goal,
    people are added where a person buys the most units (:func:`top_up`) and it is solved once more. The
    LP's bound bounds the exact model. Measured on the bundled week at ``confidence: 0.9`` (``shiftmix plan
    --workers 1``, 20 s): LP bound 80,644-80,656 SEK, the rounded-up requirement's plan 82,248-82,278 SEK
    (rounding to the nearest and topping up: 82,462); a priced round of :func:`horizon_start` found no plan
    better than the floor's in 20 s there, and the exact model from the per-interval greedy requirement's
    plan (85,797 SEK) reached 84,449 SEK in 120 s.

    Parameters
    ----------
    inp : ModelInput
        A prepared input with a goal (``inp.service``).
    params : SolveParams
        Workers and seed of every solve; the time limit is ``budget_s``.
    budget_s : float
        Wall-clock budget of the whole start [s].
    stop_event : threading.Event, optional
        Set it to end the start early with what it has.
    """
    goal = inp.service
    assert goal is not None
    deadline = time.monotonic() + budget_s
    exact = build_model(inp)
    model = exact.cp_model
    most = goal.curve.shape[1] - 1  # the goal's curves run to the most people the floor holds (``plan_goal``)
    on_floor = [model.new_int_var(0, most, f"lp_staffed[{t}]") for t in range(inp.intervals)]
    for t, v in enumerate(on_floor):
        model.add(v == exact.vars.staffed(t))
    relaxed = solve_relaxation(model, time_limit_s=max(0.1, 0.25 * budget_s), engine=params.lp_engine)
    if relaxed.status != "optimal":
        return HorizonStart(None, None, None, None, ())
    people = np.array([relaxed.values[v.index] for v in on_floor])
    required = np.maximum(inp.required, np.ceil(people - 1e-6).astype(np.int64))
    rounds: list[PricedRound] = []
    best: tuple[int, BuiltModel, SolveOutcome] | None = None
    for share in (REQUIREMENT_SHARE, 1.0):
        left = deadline - time.monotonic()
        if left < MIN_ROUND_S or (stop_event is not None and stop_event.is_set()):
            break
        built = build_model(dataclasses.replace(inp, required=required, service=None))
        outcome = solve_guided(built, params, deadline=time.monotonic() + share * left, stop_event=stop_event).outcome
        if not outcome.has_solution:
            rounds.append(PricedRound(0, outcome.status, None, None, relaxed.bound_cents))
            break
        counts = staffed(built, outcome, inp.intervals)
        answered = answered_units(inp, counts)
        assert outcome.objective_cents is not None
        rounds.append(PricedRound(0, outcome.status, outcome.objective_cents, answered, relaxed.bound_cents))
        # At least the exact model's objective of this plan: the round also prices any shortfall against its
        # raised requirement, which the exact model (floor requirement) does not.
        objective = outcome.objective_cents + goal.penalty_per_unit_cents * max(0, goal.goal - answered)
        if best is None or objective < best[0]:
            best = (objective, built, outcome)
        if answered >= goal.goal:
            break
        required = np.maximum(required, top_up(inp, counts, goal.goal - answered))
    if best is None:
        return HorizonStart(None, None, None, relaxed.bound_cents, tuple(rounds))
    return HorizonStart(best[1], best[2], best[0], relaxed.bound_cents, tuple(rounds))


def top_up(inp: ModelInput, counts: list[int], short: int) -> np.ndarray:
    """Return people per interval, at least ``counts``, that add ``short`` goal units where a person buys most.

    Greedy over each interval's next ``TOP_UP_STEPS`` people (best units per person first), as the model
    counts them (:func:`answered_units`); it stops early when no interval gains any more.
    """
    ratio, pieces = goal_pieces(inp)
    out = np.array(counts, dtype=np.int64)
    heap: list[tuple[float, int, int, int]] = []

    def push(i: int) -> None:
        p = pieces[i]
        now = p.answered(int(out[p.interval]), ratio)
        gains = [(p.answered(int(out[p.interval]) + j, ratio) - now, j) for j in range(1, TOP_UP_STEPS + 1)]
        gain, j = max(gains, key=lambda g: (g[0] / g[1], -g[1]))
        if gain > 0:
            heapq.heappush(heap, (-gain / j, i, j, gain))

    for i in range(len(pieces)):
        push(i)
    while short > 0 and heap:
        _, i, j, gain = heapq.heappop(heap)
        out[pieces[i].interval] += j
        short -= gain
        push(i)
    return out
