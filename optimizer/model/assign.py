"""Hand a crew model's shift counts to people, then complete the per-person plan (breaks, gigs, shortfall).

The crew model (``prepare(..., aggregate=True)``) decides how many of a crew's identical workers take each
shift; it is a relaxation of the per-person model, so its bound is a valid bound for the plan. ``assign``
turns the counts into per-person weeks with a small CP-SAT model per crew that keeps every personal rule
hard and matches the counts as closely as it can (exactly, in every case measured so far). ``personal_input``
then fixes everyone's shifts and re-optimises what is left: break slots, gig micro-shifts and shortfall.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

import numpy as np
from ortools.sat.python import cp_model

from optimizer.domain import SolveParams
from optimizer.model.build import BuiltModel, build_model, hint_values, set_hints
from optimizer.model.constraints.registry import PERSONAL_FAMILIES
from optimizer.model.inputs import Crew, ModelInput
from optimizer.model.solve import SolveOutcome, add_hint_from

MIN_SPLIT_S = 0.5
"""Least time one split model gets, even past the deadline [s]. Measured on 4 weeks x 3,000 FTEs (120 s
limit): 0.5 s ran 59 s over and ended 5.7% from the bound; 0.05 s ran 26 s over and left whole crews
unplaced (service level 21%). Since split models only carry the options a crew's counts use, that case
assigns in ~12 s, well inside its limit, so the floor rarely matters."""

LEAF_SIZE = 16
"""Crews up to this size are split into people in one step; larger ones are halved first (measured: a
300-worker crew split directly missed 668 shifts in 15 s; halving first matched every shift). On 4 weeks x
3,000 FTEs the flex crew's 32-worker leaves missed 53 shifts with 40 here and none with 16 (2.5 s)."""


SPREAD_TIME_SHARE = 0.1
"""Share of the time limit the assignment may spend on evening out start times, split among people."""

SPREAD_SHARE = 0.5
"""Most of a split's unused time spent on evening out start times."""

SPREAD_MAX_S = 0.25
"""Most time one split spends on evening out start times [s]; on the bundled week 0.25 s gave the same
rosters as 3 s."""

MIN_SPREAD_S = 0.05
"""Below this much time left, a leaf split keeps its start times as they are [s]."""

WALL_GUARD = 4.0
"""The evening-out solve stops on deterministic time; wall time past this multiple of it stops it too."""


@dataclasses.dataclass(frozen=True, slots=True)
class Assignment:
    """Per-person picks: for each worker id, the indices (into its crew's options) it works."""

    picks: Mapping[str, tuple[int, ...]]
    unmatched_shifts: int
    """Shifts of the crew solution no person could take (0 when the counts split exactly)."""
    free_options: Mapping[str, tuple[int, ...]] = dataclasses.field(default_factory=dict)
    """People of a split that could not place all its shifts: the options (indices into their crew's) the
    completion may choose among for them, their picks and every option their crew's solution used."""


def _parts(crew: Crew) -> tuple[Crew, ...]:
    """Split a crew into its people, or into two halves when it is larger than ``LEAF_SIZE``."""
    if crew.size <= LEAF_SIZE:
        groups = [[wid] for wid in crew.worker_ids]
    else:
        half = (crew.size + 1) // 2
        groups = [list(crew.worker_ids[:half]), list(crew.worker_ids[half:])]
    return tuple(
        dataclasses.replace(crew, crew_id=f"{crew.crew_id}/{i}" if len(g) > 1 else g[0], worker_ids=tuple(g))
        for i, g in enumerate(groups)
    )


def _split_counts(
    inp: ModelInput, crew: Crew, counts: list[int], params: SolveParams, time_limit_s: float, spread_s: float
) -> tuple[tuple[Crew, ...], list[list[int]], int]:
    """Share a crew's shift counts among its parts so that each part keeps the crew rules at its own size.

    Every part's rules are hard; the parts' counts add up to the crew's as closely as possible (the sum of
    misses is minimised and returned).

    The split model only has variables for the options the counts use (measured on 4 weeks x 3,000 FTEs:
    167 of 756, 100 of 812 and 78 of 3,780 options per crew; the assignment fell from ~150 s with misses to
    ~12 s with none). Only when no split on those options keeps every part's rules are all options used.
    """
    used = [k for k, n in enumerate(counts) if n]
    parts, shares, missed = _split_used(inp, crew, counts, used, params, time_limit_s, spread_s)
    if shares is None:  # the counts' own options admit no split that keeps every part's rules: use them all
        every = list(range(len(counts)))
        parts, shares, missed = _split_used(inp, crew, counts, every, params, time_limit_s, spread_s)
    if shares is None:
        return parts, [[0] * len(counts) for _ in parts], sum(counts)
    return parts, shares, missed


def restricted(crew: Crew, used: list[int]) -> Crew:
    """Return the crew with only the options ``used`` (indices into its options), rest cuts and weekends renumbered."""
    if len(used) == len(crew.options):
        return crew
    index = {k: j for j, k in enumerate(used)}
    cuts = []
    for cut in crew.rest_limits:
        late = tuple(index[k] for k in cut.ending_late if k in index)
        early = tuple(index[k] for k in cut.starting_early if k in index)
        if late and early:
            cuts.append(dataclasses.replace(cut, ending_late=late, starting_early=early))
    slots = tuple(
        dataclasses.replace(slot, options=tuple(index[k] for k in slot.options if k in index))
        for slot in crew.weekend_slots
    )
    return dataclasses.replace(
        crew, options=tuple(crew.options[k] for k in used), rest_limits=tuple(cuts), weekend_slots=slots
    )


def _split_used(
    inp: ModelInput,
    crew: Crew,
    counts: list[int],
    used: list[int],
    params: SolveParams,
    time_limit_s: float,
    spread_s: float,
) -> tuple[tuple[Crew, ...], list[list[int]] | None, int]:
    """Split ``counts`` among the crew's parts using only the options ``used``; shares are None if none fits.

    A split that fits then spends up to ``spread_s`` per member evening out the parts' start times.
    """
    parts = _parts(crew)
    sub = restricted(crew, used)
    sub_parts = tuple(dataclasses.replace(sub, crew_id=p.crew_id, worker_ids=p.worker_ids) for p in parts)
    counts = [counts[k] for k in used]
    model_input = dataclasses.replace(inp, crews=sub_parts, required=np.zeros_like(inp.required), gig=None, locked=())
    built = build_model(model_input, families=PERSONAL_FAMILIES)
    m = built.cp_model
    misses: list[cp_model.IntVar] = []
    for k, count in enumerate(counts):
        taken = cp_model.LinearExpr.sum([built.vars.fte(i)[k] for i in range(len(parts))])
        miss = m.new_int_var(0, max(count, crew.size), f"miss[{k}]")
        extra = m.new_int_var(0, crew.size, f"extra[{k}]")
        m.add(taken + miss - extra == count).with_name(f"count[{crew.crew_id},{k}]")
        misses.extend((miss, extra))
    # HR mode: of the splits that match the counts, prefer the one employing the fewest people (the crew
    # plan's headcount); a miss always costs more than employing everyone.
    employed = [e for i in range(len(parts)) if isinstance(e := built.vars.employed(i), cp_model.IntVar)]
    weight = crew.size + 1 if employed else 1
    m.minimize(weight * cp_model.LinearExpr.sum(misses) + cp_model.LinearExpr.sum(employed))
    solver = cp_model.CpSolver()
    # Past the deadline each split still gets MIN_SPLIT_S; what it cannot place is reported as unmatched
    # shifts (covered by gigs or shown as shortfall).
    solver.parameters.max_time_in_seconds = max(MIN_SPLIT_S, time_limit_s)
    # One worker finds the same split on every run, where two raced to different, equally good ones
    # (measured: the bundled example's rosters differed in 1 run of 3).
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = params.random_seed
    started = time.monotonic()
    if solver.solve(m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return parts, None, sum(counts)
    left = max(MIN_SPLIT_S, time_limit_s) - (time.monotonic() - started)
    budget = min(SPREAD_MAX_S, spread_s * crew.size, SPREAD_SHARE * left)
    solver = _even_out_start_times(model_input, built, solver, [*misses, *employed], budget)
    shares = []
    for i in range(len(parts)):
        share = [0] * len(crew.options)
        for k, x in zip(used, built.vars.fte(i), strict=True):
            share[k] = int(solver.value(x))
        shares.append(share)
    missed = sum(int(solver.value(x)) for x in misses)
    return parts, shares, missed


def _even_out_start_times(
    inp: ModelInput,
    built: BuiltModel,
    solver: cp_model.CpSolver,
    kept: list[cp_model.IntVar],
    time_limit_s: float,
) -> cp_model.CpSolver:
    """Re-solve a split into people so they keep steady start times; return the solver whose values to read.

    Which of a crew's identical people takes which shift changes neither cost nor coverage, but planners
    and staff want a person's start time to stay put (07:00 on Monday and 12:30 on Tuesday is a worse
    roster at the same cost). Keeping the first solve's misses and headcount (``kept``, summed) and hinted
    with it, the re-solve minimises the sum over people of (latest - earliest local start clock). Only splits
    into people do this: sorting early shifts into one half of a large crew (measured on 4 weeks x 3,000
    FTEs) left the deeper splits unable to match every shift, 2.99% from the bound instead of optimal.

    Returns the new solver when it found a solution in ``time_limit_s``, else ``solver``.
    """
    m = built.cp_model
    clocks = [[int(inp.grid.clock_min[o.start]) for o in crew.options] for crew in inp.crews]
    if time_limit_s <= MIN_SPREAD_S or any(c.size > 1 for c in inp.crews) or all(len(set(c)) < 2 for c in clocks):
        return solver
    spreads = []
    for i, crew in enumerate(inp.crews):
        first = m.new_int_var(min(clocks[i]), max(clocks[i]), f"first_start[{crew.crew_id}]")
        last = m.new_int_var(min(clocks[i]), max(clocks[i]), f"last_start[{crew.crew_id}]")
        for x, clock in zip(built.vars.fte(i), clocks[i], strict=True):
            m.add(first <= clock).only_enforce_if(x)
            m.add(last >= clock).only_enforce_if(x)
        spreads.append(last - first)
    m.minimize(cp_model.LinearExpr.sum(spreads))
    m.add(cp_model.LinearExpr.sum(kept) <= sum(int(solver.value(v)) for v in kept))
    m.clear_hints()
    for x in built.vars.decisions().values():
        m.add_hint(x, solver.value(x))
    # One worker and a deterministic-time limit, so the same seed gives the same roster on any machine load
    # (a wall-clock limit made two runs of the bundled example differ); wall time only guards a stall.
    again = cp_model.CpSolver()
    again.parameters.num_workers = 1
    again.parameters.max_deterministic_time = time_limit_s
    again.parameters.max_time_in_seconds = WALL_GUARD * time_limit_s
    again.parameters.random_seed = solver.parameters.random_seed
    return again if again.solve(m) in (cp_model.OPTIMAL, cp_model.FEASIBLE) else solver


def _assign_crew(
    inp: ModelInput, crew: Crew, counts: list[int], params: SolveParams, deadline: float, spread_s: float
) -> tuple[dict[str, tuple[int, ...]], int, set[str]]:
    """Hand a crew's counts to its people, halving large crews first.

    Returns the picks, the unmatched shifts, and the people of splits that left shifts unmatched.
    """
    if crew.size == 1:
        return {crew.worker_ids[0]: tuple(k for k, n in enumerate(counts) if n)}, 0, set()
    # Time is shared by the people still to place: a split's share covers the crew it splits.
    share = (deadline - time.monotonic()) * min(1.0, crew.size / max(1, 2 * crew.size - 1))
    parts, shares, missed = _split_counts(inp, crew, counts, params, share, spread_s)
    picks: dict[str, tuple[int, ...]] = {}
    short = set(crew.worker_ids) if missed else set()
    for part, part_counts in zip(parts, shares, strict=True):
        part_deadline = time.monotonic() + (deadline - time.monotonic()) * part.size / crew.size
        sub, sub_missed, sub_short = _assign_crew(inp, part, part_counts, params, part_deadline, spread_s)
        picks.update(sub)
        missed += sub_missed
        short |= sub_short
    return picks, missed, short


def assign(
    inp: ModelInput, built: BuiltModel, outcome: SolveOutcome, params: SolveParams, *, deadline: float
) -> Assignment:
    """Split each crew's shift counts into per-person weeks that keep every personal rule.

    Parameters
    ----------
    inp, built, outcome
        The crew model and its solution.
    params : SolveParams
        Workers and seed for the per-crew models.
    deadline : float
        ``time.monotonic()`` by which the assignment should be done; shared among crews by size.
    """
    picks: dict[str, tuple[int, ...]] = {}
    free: dict[str, tuple[int, ...]] = {}
    unmatched = 0
    people = people_left = sum(c.size for c in inp.crews if c.size > 1)
    for i, crew in enumerate(inp.crews):
        counts = [int(outcome.solver.value(x)) for x in built.vars.fte(i)]
        if crew.size > 1:
            crew_deadline = time.monotonic() + (deadline - time.monotonic()) * crew.size / max(1, people_left)
            people_left -= crew.size
        else:
            crew_deadline = deadline
        spread_s = SPREAD_TIME_SHARE * params.time_limit_s / max(1, people)
        crew_picks, missed, short = _assign_crew(inp, crew, counts, params, crew_deadline, spread_s)
        picks.update(crew_picks)
        unmatched += missed
        used = {k for k, n in enumerate(counts) if n}
        free.update((wid, tuple(sorted(used | set(crew_picks.get(wid, ()))))) for wid in sorted(short))
    return Assignment(picks=picks, unmatched_shifts=unmatched, free_options=free)


def _replannable(crew: Crew) -> bool:
    """Whether a crew's people can be re-planned one by one from the crew's own rules.

    Weekend and HR rules have different crew and personal forms, so crews with them are not.
    """
    return not crew.weekend_limits and not crew.optional


def personal_input(inp: ModelInput, assignment: Assignment) -> ModelInput:
    """Return the per-person model input whose only options are the assigned shifts, each locked.

    Solving it (all families, ``add_locks`` keeping every shift) re-optimises only break slots, gig
    micro-shifts and shortfall. People of a split that could not place all its shifts
    (``Assignment.free_options``) keep their personal rules and choose among their free options instead,
    so the completion can place what the split could not (measured on the 500-person several-queue week:
    74 shifts of the flex crew unplaced, 2.5% above the crew bound when locked).
    """
    crews: list[Crew] = []
    locked: list[tuple[int, int]] = []
    for crew in inp.crews:
        for wid in crew.worker_ids:
            free = assignment.free_options.get(wid)
            if free is not None and _replannable(crew):
                person = dataclasses.replace(crew, crew_id=wid, worker_ids=(wid,), symmetry_class=-1 - len(crews))
                crews.append(restricted(person, list(free)))
                continue
            taken = assignment.picks.get(wid, ())
            locked.extend((len(crews), k) for k in range(len(taken)))
            crews.append(
                dataclasses.replace(
                    crew,
                    crew_id=wid,
                    worker_ids=(wid,),
                    options=tuple(crew.options[k] for k in taken),
                    # the assignment kept rest and weekly rules; with every shift locked they only matter
                    # where it could not place all of a crew's shifts, and must not make the plan infeasible
                    rest_limits=(),
                    weeks=(),
                    weekend_slots=(),
                    weekend_limits=(),
                    weekend_patterns=(),
                    symmetry_class=-1 - len(crews),
                )
            )
    return dataclasses.replace(inp, crews=tuple(crews), locked=tuple(locked))


def hint_completion(
    built: BuiltModel, crew_built: BuiltModel, crew_outcome: SolveOutcome, assignment: Assignment
) -> None:
    """Hint a ``personal_input`` model with the crew plan as handed to people.

    Break slots and gig starts keep the crew plan's values (same names), people free to re-plan their
    picks, and each shift type's break slots are cut to the shifts people took, so the start is feasible
    even when the split left shifts unplaced (its ``breaks`` rows hold with equality).
    """
    inp, v, m = built.inp, built.vars, built.cp_model
    add_hint_from(built, crew_built, crew_outcome)
    before = hint_values(m)
    hints = dict(before)
    taken: dict[int, int] = {v.fte(i)[k].index: inp.crews[i].size for i, k in inp.locked}
    for i, crew in enumerate(inp.crews):
        free = assignment.free_options.get(crew.worker_ids[0])
        if crew.size == 1 and free is not None and len(free) == len(crew.options) and (i, 0) not in inp.locked:
            picks = set(assignment.picks.get(crew.worker_ids[0], ()))
            chosen = {x.index: int(k in picks) for x, k in zip(v.fte(i), free, strict=True)}
            taken.update(chosen)
            hints.update(chosen)
    for s in v.used_shift_types():
        if inp.shift_types[s].break_len == 0:
            continue
        slots = [x.index for x in v.breaks_of_type(s)]
        extra = sum(hints.get(x, 0) for x in slots) - sum(taken.get(x.index, 0) for x in v.shifts_of_type(s))
        for x in sorted(slots, key=lambda x: -hints.get(x, 0)):
            cut = min(max(0, extra), hints.get(x, 0))
            hints[x] = hints.get(x, 0) - cut
            extra -= cut
        if extra < 0 and slots:  # more shifts than the crew plan had: their breaks go to the first slot
            hints[slots[0]] = hints.get(slots[0], 0) - extra
    if hints == before:
        return
    set_hints(m, hints)
