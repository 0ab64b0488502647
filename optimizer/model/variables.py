"""ShiftVars: every decision variable of the CP-SAT model, its name, and the queries constraints use."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.horizon_goal import GoalPiece
from optimizer.model.inputs import FILL_RATE_SCALE, ModelInput
from optimizer.skills import EMAIL_SCALE


@dataclass(frozen=True, slots=True)
class GoalVars:
    """The horizon service goal's variables, one entry per goal piece (``inp.service.pieces``) each.

    Variables
    ---------
    ``reached[{t}]``    bool, the floor requirement is met at t.
    ``agents[{t}]``     int, agents on the phones at t (people scheduled after shrinkage).
    ``answered[{t}]``   int, contacts answered within target at t [1/ANSWERED_SCALE].
    ``missed``          int, units of the horizon goal not answered.
    """

    pieces: tuple[GoalPiece, ...]
    reached: tuple[cp_model.IntVar, ...]
    agents: tuple[cp_model.IntVar, ...]
    answered: tuple[cp_model.IntVar, ...]
    missed: cp_model.IntVar


@dataclass(frozen=True, slots=True)
class WeekPatternVars:
    """One crew week shared out as week patterns (``fte_contract.week_patterns``).

    ``counts[j]`` members work pattern ``patterns[j]``, which takes ``patterns[j][i]`` shifts of paid length
    ``lengths[i]``; ``options[i]`` are the crew's option indices of that length in the week.
    """

    crew: int
    lengths: tuple[int, ...]
    options: tuple[tuple[int, ...], ...]
    patterns: tuple[tuple[int, ...], ...]
    counts: tuple[cp_model.IntVar, ...]


@dataclass(frozen=True, slots=True)
class QueueVars:
    """The routing of people on the floor to queues, per interval (several queues only).

    Variables
    ---------
    ``route[{g},{q},{t}]``   int, people of skill group g (``G`` = the gig pool) working queue q at t; a group
                             with one skill has no variable, its whole floor works that queue.
    ``short_q[{q},{t}]``     int, people a live queue lacks below its requirement at t.
    ``done[{q},{t}]``        int, e-mail work done by the end of t [1/EMAIL_SCALE person-intervals, cumulative].
    ``reach[{q},{t}]``       int, ``done`` at t-1 plus the work the people on the queue can do at t [same units].
    ``ahead[{q},{a}]``       int, work done by the end of a's window beyond what arrived before a [same units].
    ``within[{q},{a}]``      int, work arriving in interval a done within its window [same units].
    ``within_by[{q},{a}]``   int, work arriving up to interval a done within its window [same units].
    ``serve[{q},{a},{t}]``   int, work arriving in interval a done in interval t of its window [same units].
    ``overdue[{q},{t}]``     int, work past the queue's ``max_age`` still open at the end of t [same units].
    ``missed[{q}]``          int, units of the e-mail goal not done within their windows (keep-up copy: not
                             credited, at most the goal plus every arrival's earlier work).

    Arrivals ``a`` are those due inside the horizon with work to do; ``within_by`` sums ``within`` over
    them in order. A queue worked first come, first served has ``done``, ``reach``, ``ahead`` and
    ``within_by``; one worked in-window first (``optimizer.skills``) has ``serve`` instead, and ``done`` only
    with a ``max_age``, which adds ``overdue`` for the intervals from ``max_age - 1`` on.
    """

    routed: dict[tuple[int, int, int], cp_model.LinearExprT]
    """(group, queue, interval) -> people of the group on the queue (a variable, or the group's floor)."""
    short: dict[tuple[int, int], cp_model.IntVar]
    done: dict[tuple[int, int], cp_model.IntVar]
    reach: dict[tuple[int, int], cp_model.IntVar]
    ahead: dict[tuple[int, int], cp_model.IntVar]
    within: dict[tuple[int, int], cp_model.IntVar]
    within_by: dict[tuple[int, int], cp_model.IntVar]
    serve: dict[tuple[int, int, int], cp_model.IntVar]
    overdue: dict[tuple[int, int], cp_model.IntVar]
    missed: dict[int, cp_model.IntVar]


class ShiftVars:
    """Own the decision variables and answer which of them matter where.

    Variables
    ---------
    ``fte[{crew_id},{k}]``     int in [0, crew size] (bool for a crew of one), crew members on candidate shift k.
    ``employed[{crew_id}]``    int in [0, crew size], crew members employed (HR mode only; else the size).
    ``brk[{s},{b}]``           int, shifts of type s whose break starts at interval b.
    ``gig_start[{t}]``         int, gig micro-shifts posted to start at interval t.
    ``gig_eff[{t}]``           int, gig workers expected on shift at t after the fill rate (only when < 1).
    ``short[{t}]``             int, agents missing below the requirement at t.
    ``fte_pattern[{crew_id},{week},{j}]``  int, crew members working week pattern j (``new_week_patterns``).
    and, once ``service_goal()`` is asked for, the goal's variables (``GoalVars``), once ``queues()`` is
    asked for, the routing and e-mail variables of several queues (``QueueVars``).
    """

    def __init__(self, m: cp_model.CpModel, inp: ModelInput) -> None:
        self._m = m
        self._inp = inp
        self._goal: GoalVars | None = None
        self._queues: QueueVars | None = None
        self._fte: list[list[cp_model.IntVar]] = [
            [
                m.new_bool_var(f"fte[{c.crew_id},{k}]")
                if c.size == 1
                else m.new_int_var(0, c.size, f"fte[{c.crew_id},{k}]")
                for k in range(len(c.options))
            ]
            for c in inp.crews
        ]
        self._employed: list[cp_model.LinearExprT] = [
            m.new_int_var(0, c.size, f"employed[{c.crew_id}]") if c.optional else c.size for c in inp.crews
        ]
        by_type: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        type_size: dict[int, int] = defaultdict(int)
        for c, xs in zip(inp.crews, self._fte, strict=True):
            for o, x in zip(c.options, xs, strict=True):
                by_type[o.shift_type].append(x)
                type_size[o.shift_type] += c.size
        self._by_type = by_type
        self._group_size: dict[int, int] = defaultdict(int)
        for c in inp.crews:
            self._group_size[c.skill_group] += c.size
        self._brk: dict[tuple[int, int], cp_model.IntVar] = {}
        self._types_covering: list[list[int]] = [[] for _ in range(inp.intervals)]
        self._breaks_covering: list[list[tuple[int, int]]] = [[] for _ in range(inp.intervals)]
        for s, st in enumerate(inp.shift_types):
            if s not in by_type:
                continue
            for t in range(st.start, st.end):
                self._types_covering[t].append(s)
            for b in st.break_starts:
                self._brk[s, b] = m.new_int_var(0, type_size[s], f"brk[{s},{b}]")
                for t in range(b, b + st.break_len):
                    self._breaks_covering[t].append((s, b))

        self._gig_start: dict[int, cp_model.IntVar] = {}
        self._gig_covering: list[list[cp_model.IntVar]] = [[] for _ in range(inp.intervals)]
        self._gig_eff: dict[int, cp_model.IntVar] = {}
        gig = inp.gig
        if gig is not None:
            cap = gig.max_concurrent if gig.max_per_day is None else min(gig.max_concurrent, gig.max_per_day)
            for t in gig.starts:
                var = m.new_int_var(0, cap, f"gig_start[{t}]")
                self._gig_start[t] = var
                for u in range(t, t + gig.length):
                    self._gig_covering[u].append(var)
            if gig.fill_permille < FILL_RATE_SCALE:
                for t in range(inp.intervals):
                    if self._gig_covering[t]:
                        self._gig_eff[t] = m.new_int_var(0, gig.max_concurrent, f"gig_eff[{t}]")
        self._short = [m.new_int_var(0, int(r), f"short[{t}]") for t, r in enumerate(inp.required)]
        self._patterns: list[WeekPatternVars] = []

    # ---- FTE shifts --------------------------------------------------------------------------------------
    def fte(self, crew: int) -> list[cp_model.IntVar]:
        """Return the option variables of one crew, indexed like ``inp.crews[crew].options``."""
        return self._fte[crew]

    def employed(self, crew: int) -> cp_model.LinearExprT:
        """Return the crew members employed: a variable in HR mode, else the crew size."""
        return self._employed[crew]

    def fte_on_day(self, crew: int, day: int) -> list[cp_model.IntVar]:
        """Return the variables of a crew's options on one local day."""
        xs = self._fte[crew]
        return [xs[k] for k in self._inp.crews[crew].options_on(day)]

    def new_week_patterns(
        self,
        crew: int,
        week: int,
        lengths: tuple[int, ...],
        options: tuple[tuple[int, ...], ...],
        patterns: tuple[tuple[int, ...], ...],
    ) -> tuple[cp_model.IntVar, ...]:
        """Create the members-per-pattern variables ``fte_pattern[{crew_id},{week},{j}]`` of one crew week."""
        c = self._inp.crews[crew]
        counts = tuple(
            self._m.new_int_var(0, c.size, f"fte_pattern[{c.crew_id},{week},{j}]") for j in range(len(patterns))
        )
        self._patterns.append(WeekPatternVars(crew, lengths, options, patterns, counts))
        return counts

    def week_patterns(self) -> tuple[WeekPatternVars, ...]:
        """Return every crew week shared out as week patterns, in the order they were created."""
        return tuple(self._patterns)

    def shifts_of_type(self, shift_type: int) -> list[cp_model.IntVar]:
        """Return every crew's variable for one shift type."""
        return self._by_type.get(shift_type, [])

    def used_shift_types(self) -> list[int]:
        """Return the shift types some crew can take."""
        return sorted(self._by_type)

    def breaks_of_type(self, shift_type: int) -> list[cp_model.IntVar]:
        """Return the break-slot counters of one shift type."""
        st = self._inp.shift_types[shift_type]
        return [self._brk[shift_type, b] for b in st.break_starts]

    def break_count(self, shift_type: int, break_start: int) -> cp_model.IntVar:
        """Return the counter of shifts of a type whose break starts at ``break_start``."""
        return self._brk[shift_type, break_start]

    def fte_on_floor(self, t: int) -> cp_model.LinearExpr:
        """Return FTEs on shift and not on break at interval t."""
        on_shift = [x for s in self._types_covering[t] for x in self._by_type[s]]
        on_break = [self._brk[key] for key in self._breaks_covering[t]]
        return cp_model.LinearExpr.sum(on_shift) - cp_model.LinearExpr.sum(on_break)

    def group_on_floor(self, t: int, group: int) -> cp_model.LinearExpr | None:
        """Return FTEs of one skill group on shift and not on break at t, or None when none can be."""
        types = [s for s in self._types_covering[t] if self._inp.shift_types[s].skill_group == group]
        if not types:
            return None
        on_shift = [x for s in types for x in self._by_type[s]]
        on_break = [self._brk[s, b] for s, b in self._breaks_covering[t] if s in types]
        return cp_model.LinearExpr.sum(on_shift) - cp_model.LinearExpr.sum(on_break)

    def group_size(self, group: int) -> int:
        """Return the FTEs in one skill group."""
        return self._group_size.get(group, 0)

    # ---- gig shifts ---------------------------------------------------------------------------------------
    def gig_starts(self) -> dict[int, cp_model.IntVar]:
        """Return the gig start counters by interval."""
        return self._gig_start

    def gig_covering(self, t: int) -> list[cp_model.IntVar]:
        """Return the gig start counters whose shifts cover interval t."""
        return self._gig_covering[t]

    def gig_effective(self, t: int) -> cp_model.LinearExpr:
        """Return gig workers expected on the floor at t (posted x fill rate, rounded down)."""
        if t in self._gig_eff:
            return self._gig_eff[t]
        return cp_model.LinearExpr.sum(self._gig_covering[t])

    def gig_effective_var(self, t: int) -> cp_model.IntVar | None:
        """Return the fill-rate variable of t, or None where coverage counts posted gigs directly."""
        return self._gig_eff.get(t)

    def staffed(self, t: int) -> cp_model.LinearExpr:
        """Return the people on the floor at t: FTEs not on break plus the gig workers expected."""
        return self.fte_on_floor(t) + self.gig_effective(t)

    def decisions(self) -> dict[str, cp_model.IntVar]:
        """Return the shift decisions by name: FTE options, break counters and gig starts."""
        out = {x.name: x for xs in self._fte for x in xs}
        out.update((e.name, e) for e in self._employed if isinstance(e, cp_model.IntVar))
        out.update((x.name, x) for x in self._brk.values())
        out.update((x.name, x) for x in self._gig_start.values())
        return out

    # ---- shortfall ----------------------------------------------------------------------------------------
    def short(self, t: int) -> cp_model.IntVar:
        """Return the shortfall variable of interval t."""
        return self._short[t]

    # ---- several queues -----------------------------------------------------------------------------------
    def queues(self) -> QueueVars | None:
        """Return the routing and e-mail variables, created on first use; None with one queue."""
        if not self._inp.queues:
            return None
        if self._queues is None:
            self._queues = self._new_queue_vars()
        return self._queues

    def _new_queue_vars(self) -> QueueVars:
        m, inp = self._m, self._inp
        routed: dict[tuple[int, int, int], cp_model.LinearExprT] = {}
        short: dict[tuple[int, int], cp_model.IntVar] = {}
        done: dict[tuple[int, int], cp_model.IntVar] = {}
        reach: dict[tuple[int, int], cp_model.IntVar] = {}
        ahead: dict[tuple[int, int], cp_model.IntVar] = {}
        within: dict[tuple[int, int], cp_model.IntVar] = {}
        within_by: dict[tuple[int, int], cp_model.IntVar] = {}
        serve: dict[tuple[int, int, int], cp_model.IntVar] = {}
        overdue: dict[tuple[int, int], cp_model.IntVar] = {}
        missed: dict[int, cp_model.IntVar] = {}
        gig_group = len(inp.skill_groups)
        gig_skills = inp.gig.skills if inp.gig is not None else frozenset()
        groups = [*enumerate(inp.skill_groups), (gig_group, gig_skills)]
        gig_most = inp.gig.max_concurrent if inp.gig is not None else 0
        skilled = [
            sum(self.group_size(g) if g != gig_group else gig_most for g, skills in groups if q in skills)
            for q in range(len(inp.queues))
        ]
        for t in range(inp.intervals):
            for g, skills in groups:
                if g == gig_group:
                    floor: cp_model.LinearExprT | None = self.gig_effective(t) if self._gig_covering[t] else None
                    top = inp.gig.max_concurrent if inp.gig is not None else 0
                else:
                    floor, top = self.group_on_floor(t, g), self.group_size(g)
                if floor is None or not skills:
                    continue
                if len(skills) == 1:
                    routed[g, next(iter(skills)), t] = floor
                    continue
                parts = []
                for q in sorted(skills):
                    x = m.new_int_var(0, top, f"route[{g},{q},{t}]")
                    routed[g, q, t] = x
                    parts.append(x)
                m.add(cp_model.LinearExpr.sum(parts) == floor).with_name(f"route_all[{g},{t}]")
            for q, queue in enumerate(inp.queues):
                work = queue.work
                if work is not None and work.max_age is not None and t >= work.max_age - 1:
                    most = int(work.arrived[t - work.max_age + 1])
                    overdue[q, t] = m.new_int_var(0, most, f"overdue[{q},{t}]")
                if work is not None and work.order == "in_window_first":
                    if work.max_age is not None:
                        done[q, t] = m.new_int_var(0, int(work.arrived[t]), f"done[{q},{t}]")
                    continue
                if queue.work is not None:
                    done[q, t] = m.new_int_var(0, int(queue.work.arrived[t]), f"done[{q},{t}]")
                    before = int(queue.work.arrived[t - 1]) if t > 0 else 0
                    reach[q, t] = m.new_int_var(0, before + EMAIL_SCALE * skilled[q], f"reach[{q},{t}]")
                elif queue.required[t] > 0:
                    short[q, t] = m.new_int_var(0, int(queue.required[t]), f"short_q[{q},{t}]")
        for q, queue in enumerate(inp.queues):
            work = queue.work
            if work is None:
                continue
            most = work.goal
            if inp.email_keep_up:  # its credits go below zero while the backlog is behind (queues.py)
                most += sum(int(work.arrived[a - 1]) for a in range(1, work.due_arrivals))
            missed[q] = m.new_int_var(0, most, f"missed[{q}]")
            for a in range(work.due_arrivals):
                earlier = int(work.arrived[a - 1]) if a > 0 else 0
                size = int(work.arrived[a]) - earlier
                if size > 0 and work.order == "in_window_first":
                    within[q, a] = m.new_int_var(0, size, f"within[{q},{a}]")
                    for t in range(a, a + work.window):
                        serve[q, a, t] = m.new_int_var(0, size, f"serve[{q},{a},{t}]")
                elif size > 0:
                    most = int(work.arrived[a + work.window - 1]) - earlier
                    ahead[q, a] = m.new_int_var(0, most, f"ahead[{q},{a}]")
                    within[q, a] = m.new_int_var(0, size, f"within[{q},{a}]")
                    within_by[q, a] = m.new_int_var(0, int(work.arrived[a]), f"within_by[{q},{a}]")
        return QueueVars(
            routed=routed,
            short=short,
            done=done,
            reach=reach,
            ahead=ahead,
            within=within,
            within_by=within_by,
            serve=serve,
            overdue=overdue,
            missed=missed,
        )

    def routed_to(self, q: int, t: int) -> cp_model.LinearExpr:
        """Return the people working queue q at t (every group's share, gigs included)."""
        qv = self.queues()
        assert qv is not None
        groups = len(self._inp.skill_groups) + 1
        return cp_model.LinearExpr.sum([qv.routed[g, q, t] for g in range(groups) if (g, q, t) in qv.routed])

    # ---- horizon service goal -----------------------------------------------------------------------------
    def service_goal(self) -> GoalVars | None:
        """Return the horizon goal's variables, created on first use; None without a horizon goal.

        Only models that contain ``add_service_goal`` ask for them, so other models carry none.
        """
        goal = self._inp.service
        if goal is None:
            return None
        if self._goal is None:
            m = self._m
            reached, agents, answered = [], [], []
            for p in goal.pieces:
                t = p.interval
                reached.append(m.new_bool_var(f"reached[{t}]"))
                agents.append(m.new_int_var(0, p.first_agents + len(p.values) - 1, f"agents[{t}]"))
                answered.append(m.new_int_var(0, p.values[-1], f"answered[{t}]"))
            missed = m.new_int_var(0, goal.goal, "missed")
            self._goal = GoalVars(goal.pieces, tuple(reached), tuple(agents), tuple(answered), missed)
        return self._goal
