"""The re-plan's model input: published FTE shifts (and their extension variants) as the only options.

``replan_input`` turns a published plan into a per-person ``ModelInput`` over the new demand. Each worker
with published shifts is a crew of one whose options are exactly its published shifts, each with its published
break, plus, when extensions are allowed, variants that add whole intervals at one end. Without extensions or
voluntary time off every published shift is simply locked (``add_locks``); otherwise
``constraints.published_shifts`` makes each published shift be worked in exactly one variant (or at most one, when it
may be released). Posted gigs are kept (``GigInput.posted``) and new gigs start no earlier than
``GigInput.first_new_start``. All timestamp work happens here, before CP-SAT.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import pandas as pd

from optimizer.domain import Contract, Plan, PlannedShift, PlanningProblem, SolveParams, Worker
from optimizer.errors import InputError
from optimizer.grid import Grid
from optimizer.kpis import scheduled_agents
from optimizer.model.build import BuiltModel
from optimizer.model.inputs import (
    FILL_RATE_SCALE,
    Crew,
    KeptShift,
    ModelInput,
    RestLimit,
    ShiftOption,
    ShiftType,
    availability_counts,
    prepare,
    within_availability,
)
from optimizer.replan.domain import ReplanOptions


@dataclasses.dataclass(frozen=True, slots=True)
class Variant:
    """How one option works a published shift: as published, or extended at one end."""

    shift: int
    """Index of the published shift in ``ReplanInput.published``."""
    before: int
    """Intervals added before the published start."""
    after: int
    """Intervals added after the published end."""


@dataclasses.dataclass(frozen=True, slots=True)
class ReplanInput:
    """The model input of a re-plan and how its options map back to the published plan."""

    inp: ModelInput
    published: tuple[PlannedShift, ...]
    """Published FTE shifts, indexed by ``Variant.shift``."""
    variants: tuple[tuple[Variant, ...], ...]
    """Per crew, per option: which published shift it works and how."""
    published_gigs: tuple[PlannedShift, ...]
    first_new: int
    """First interval at or after now + lead time: new gigs and extension parts start here or later."""
    first_open: int
    """First interval at or after now: shifts starting here or later may be released."""


def index_of(grid_ns: np.ndarray, step_ns: int) -> dict[int, int]:
    """Return the interval index of each interval start [ns since the epoch], and the horizon's end."""
    lookup = {int(t): i for i, t in enumerate(grid_ns)}
    lookup[int(grid_ns[-1]) + step_ns] = len(grid_ns)
    return lookup


def ns_of(ts: dt.datetime) -> int:
    """Return an aware datetime as nanoseconds since the epoch."""
    return int(pd.Timestamp(ts).as_unit("ns").value)


@dataclasses.dataclass(frozen=True, slots=True)
class _Room:
    """Where extensions may go on the grid."""

    grid_ns: np.ndarray
    step_ns: int
    first_new: int
    """Extension parts start at or after this interval (now + lead time)."""
    max_ext: int
    """Longest extension [intervals]."""
    useful: np.ndarray
    """Per interval: whether one more agent there can lower the shortfall."""
    grid: Grid


def _weekend_days(grid: Grid, lo: int, hi: int) -> set[dt.date]:
    """Return the local Saturdays and Sundays that intervals ``[lo, hi)`` touch."""
    return {grid.dates[int(grid.day_of[t])] for t in range(lo, hi) if grid.dates[int(grid.day_of[t])].weekday() >= 5}


def _extension_variants(
    shift: int, start: int, end: int, has_break: bool, contract: Contract, worker: Worker, room: _Room
) -> list[Variant]:
    """Return the extensions of one shift that keep the break rule, time off, availability and the lead time.

    An extension whose outermost added interval is not ``useful`` is dominated by a shorter one (or by none):
    it costs more and covers nothing more that is needed, so it is left out.
    """
    rule = contract.break_rule
    size = len(room.grid_ns)
    available = availability_counts(worker)
    out = []
    for k in range(1, room.max_ext + 1):
        for before, after in ((k, 0), (0, k)):
            lo, hi = (start - before, start) if before else (end, end + after)
            if lo < room.first_new or hi > size or not room.useful[lo if before else hi - 1]:
                continue
            length_min = (end - start + k) * room.step_ns // 60_000_000_000
            if not has_break and rule is not None and not rule.paid and length_min >= rule.applies_from_shift_min:
                # An extension must not create a break obligation the published shift did not have.
                continue
            lo_ns = int(room.grid_ns[lo])
            hi_ns = int(room.grid_ns[hi]) if hi < size else int(room.grid_ns[-1]) + room.step_ns
            if any(ns_of(off.start) < hi_ns and lo_ns < ns_of(off.end) for off in worker.time_off):
                continue
            if not within_availability(room.grid, available, start - before, end + after):
                continue
            if contract.weekends_off is not None and _weekend_days(room.grid, lo, hi) - _weekend_days(
                room.grid, start, end
            ):
                continue  # it would work a weekend the shift leaves off (rule kept without re-counting)
            out.append(Variant(shift, before, after))
    return out


def _rest_cuts(options: Sequence[ShiftOption], variants: Sequence[Variant], rest: int) -> tuple[RestLimit, ...]:
    """Return one cut per pair of options on different days that leave too little rest, unless both are as published.

    Published pairs are kept as they are even if they clash: the re-plan does not repair the published plan.
    """
    cuts = []
    for a, (oa, va) in enumerate(zip(options, variants, strict=True)):
        for b, (ob, vb) in enumerate(zip(options, variants, strict=True)):
            if ob.day <= oa.day or ob.start - oa.end >= rest:
                continue
            if va.before == va.after == vb.before == vb.after == 0:
                continue
            cuts.append(RestLimit(oa.day, ob.day, ob.start, (a,), (b,)))
    return tuple(cuts)


def _short_of(problem: PlanningProblem, base: ModelInput, shifts: Sequence[PlannedShift], *, every: bool) -> np.ndarray:
    """Return where the published shifts leave the new requirement short (everywhere when ``every``).

    Without voluntary time off every published shift stays, so an interval covered by them alone gains
    nothing from an extension; with it, a released shift may leave any interval short.
    """
    if every:
        return np.ones(base.intervals, dtype=bool)
    pool = problem.workforce.gig_pool
    scheduled = scheduled_agents(base.grid.starts, problem.interval_min, shifts, pool.fill_rate if pool else 1.0)
    return np.asarray(base.required > scheduled)


def _first_at_or_after(grid_ns: np.ndarray, instant_ns: int) -> int:
    return int(np.searchsorted(grid_ns, instant_ns, side="left"))


def replan_input(
    problem: PlanningProblem,
    published: Plan,
    *,
    now: dt.datetime,
    params: SolveParams,
    options: ReplanOptions,
) -> ReplanInput:
    """Build the per-person model input of a re-plan of ``published`` on ``problem`` (with its new demand).

    Raises
    ------
    InputError
        When the published plan does not fit the problem (``published.timezone``, ``published.interval_min``,
        ``published.shifts[i]``: unknown worker, off the grid, a gig without a pool or outside its start
        grid), ``now`` is naive or outside the horizon, or ``options.max_extension_min`` is off the grid.
    """
    if published.timezone != problem.timezone:
        raise InputError.single("published.timezone", f"{published.timezone!r} is not {problem.timezone!r}")
    if published.interval_min != problem.interval_min:
        raise InputError.single(
            "published.interval_min", f"{published.interval_min} is not the problem's {problem.interval_min}"
        )
    if now.tzinfo is None or now.utcoffset() is None:
        raise InputError.single("now", "must have a UTC offset (e.g. 2026-12-01T10:00+01:00)")
    if options.max_extension_min % problem.interval_min:
        raise InputError.single(
            "options.max_extension_min",
            f"{options.max_extension_min} is not a multiple of interval_min {problem.interval_min}",
        )
    # Preparing without workers gives the grid, requirement, gig grid and penalty without generating every
    # candidate shift of every worker, which the re-plan never uses.
    bare = problem.model_copy(update={"workforce": problem.workforce.model_copy(update={"workers": ()})})
    base = prepare(bare, params)
    grid = base.grid
    grid_ns = grid.starts.as_unit("ns").asi8
    step_ns = problem.interval_min * 60 * 10**9
    now_ns = ns_of(now)
    if not grid_ns[0] <= now_ns < grid_ns[-1] + step_ns:
        horizon = f"{grid.starts[0].isoformat()} .. {grid.timestamp(grid.size).isoformat()}"
        raise InputError.single("now", f"{now.isoformat()} is outside the horizon {horizon}")
    pool = problem.workforce.gig_pool
    lead_min = options.lead_time_min if options.lead_time_min is not None else (pool.lead_time_min if pool else 0)
    first_new = _first_at_or_after(grid_ns, now_ns + lead_min * 60 * 10**9)
    first_open = _first_at_or_after(grid_ns, now_ns)
    at = index_of(grid_ns, step_ns)

    workers = {w.worker_id: w for w in problem.workforce.workers}
    contracts = {c.name: i for i, c in enumerate(problem.workforce.contracts)}
    fte: list[PlannedShift] = []
    gigs: list[PlannedShift] = []
    by_worker: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(published.shifts):
        where = f"published.shifts[{i}]"
        span = (at.get(ns_of(s.start)), at.get(ns_of(s.end)))
        if span[0] is None or span[1] is None or span[1] <= span[0]:
            raise InputError.single(where, f"{s.start.isoformat()} .. {s.end.isoformat()} is off the horizon's grid")
        if s.kind == "gig":
            gigs.append(s)
            continue
        if s.worker_id not in workers:
            raise InputError.single(where, f"worker {s.worker_id!r} is not in the workforce")
        if any(at.get(ns_of(b.start)) is None or at.get(ns_of(b.end)) is None for b in s.breaks):
            raise InputError.single(where, "a break is off the horizon's grid")
        by_worker[s.worker_id].append(len(fte))
        fte.append(s)

    types: dict[ShiftType, int] = {}
    room = _Room(
        grid_ns=grid_ns,
        step_ns=step_ns,
        first_new=first_new,
        max_ext=options.max_extension_min // problem.interval_min if options.allow_extensions else 0,
        useful=_short_of(problem, base, published.shifts, every=options.allow_voluntary_time_off),
        grid=grid,
    )
    crews: list[Crew] = []
    variants: list[tuple[Variant, ...]] = []
    kept: list[KeptShift] = []
    locked: list[tuple[int, int]] = []
    for wid, indices in by_worker.items():
        worker = workers[wid]
        contract = problem.workforce.contract_of(worker)
        rate = contract.cost_per_hour_cents * options.overtime_rate_ratio
        crew_options: list[ShiftOption] = []
        crew_variants: list[Variant] = []
        for p in sorted(indices, key=lambda j: fte[j].start):
            s = fte[p]
            start, end = at[ns_of(s.start)], at[ns_of(s.end)]
            brk = s.breaks[0] if s.breaks else None
            b_start = at[ns_of(brk.start)] if brk else 0
            b_len = at[ns_of(brk.end)] - b_start if brk else 0
            group = [Variant(p, 0, 0)]
            if room.max_ext:
                group += _extension_variants(p, start, end, brk is not None, contract, worker, room)
            first_option = len(crew_options)
            for var in group:
                lo, hi = start - var.before, end + var.after
                st = ShiftType(lo, hi - lo, b_len, (b_start,) if b_len else ())
                extra_min = (var.before + var.after) * problem.interval_min
                crew_options.append(
                    ShiftOption(
                        day=int(grid.day_of[start]),
                        shift_type=types.setdefault(st, len(types)),
                        start=lo,
                        end=hi,
                        paid_min=s.paid_minutes + extra_min,
                        cost_cents=s.cost_cents + round(extra_min * rate / 60),
                    )
                )
                crew_variants.append(var)
            releasable = options.allow_voluntary_time_off and start >= first_open
            if len(group) == 1 and not releasable:
                locked.append((len(crews), first_option))
            else:
                kept.append(KeptShift(len(crews), tuple(range(first_option, len(crew_options))), releasable))
        rest = -(-contract.min_rest_min // problem.interval_min)
        crews.append(
            Crew(
                crew_id=wid,
                worker_ids=(wid,),
                contract=contracts[contract.name],
                options=tuple(crew_options),
                rest_limits=_rest_cuts(crew_options, crew_variants, rest),
                weeks=(),
                max_consecutive_days=grid.days,
                symmetry_class=-1 - len(crews),
            )
        )
        variants.append(tuple(crew_variants))

    gig = base.gig
    if gigs and gig is None:
        raise InputError.single("published.shifts", "has gig shifts but the problem has no gig pool")
    if gig is not None:
        allowed = set(gig.starts)
        posted: dict[int, int] = defaultdict(int)
        for s in gigs:
            t = at[ns_of(s.start)]
            if t not in allowed or at[ns_of(s.end)] - t != gig.length:
                i = published.shifts.index(s)
                raise InputError.single(
                    f"published.shifts[{i}]", f"gig {s.worker_id} does not fit the gig pool's start grid and length"
                )
            posted[t] += 1
        gig = dataclasses.replace(gig, posted=tuple(sorted(posted.items())), first_new_start=first_new)
    inp = dataclasses.replace(
        base, shift_types=tuple(types), crews=tuple(crews), gig=gig, locked=tuple(locked), kept=tuple(kept)
    )
    return ReplanInput(
        inp=inp,
        published=tuple(fte),
        variants=tuple(variants),
        published_gigs=tuple(gigs),
        first_new=first_new,
        first_open=first_open,
    )


def add_published_hints(built: BuiltModel, rinp: ReplanInput) -> None:
    """Hint every variable with the published plan: shifts as published, posted gigs, the shortfall they leave.

    Works for a per-person input and a counted one (``optimizer.replan.counted``): a crew works its
    as-published options with all its members. The hint is a complete feasible solution, so CP-SAT starts
    from the published plan and only searches for improvements.
    """
    inp, v, m = rinp.inp, built.vars, built.cp_model
    on_floor = np.zeros(inp.intervals, dtype=np.int64)
    type_count: dict[int, int] = defaultdict(int)
    for i, crew in enumerate(inp.crews):
        for k, (o, variant) in enumerate(zip(crew.options, rinp.variants[i], strict=True)):
            published = variant.before == variant.after == 0
            m.add_hint(v.fte(i)[k], crew.size if published else 0)
            if published:
                st = inp.shift_types[o.shift_type]
                type_count[o.shift_type] += crew.size
                on_floor[st.start : st.end] += crew.size
                for b in st.break_starts:
                    on_floor[b : b + st.break_len] -= crew.size
    for s in v.used_shift_types():
        st = inp.shift_types[s]
        for b in st.break_starts:
            m.add_hint(v.break_count(s, b), type_count[s] if b == st.break_starts[0] else 0)
    gig = inp.gig
    if gig is not None:
        posted = dict(gig.posted)
        covering = np.zeros(inp.intervals, dtype=np.int64)
        for t, var in v.gig_starts().items():
            m.add_hint(var, posted.get(t, 0))
            covering[t : t + gig.length] += posted.get(t, 0)
        effective = covering * gig.fill_permille // FILL_RATE_SCALE
        for t in range(inp.intervals):
            eff = v.gig_effective_var(t)
            if eff is not None:
                m.add_hint(eff, int(effective[t]))
        on_floor += effective
    for t in range(inp.intervals):
        m.add_hint(v.short(t), max(0, int(inp.required[t]) - int(on_floor[t])))
