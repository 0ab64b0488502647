"""One planning problem (site clock, horizon, demand, target, workforce) and the knobs of its solve."""

from __future__ import annotations

import datetime as dt
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, field_validator, model_validator

from optimizer.domain._base import _Domain
from optimizer.domain.queues import Queue
from optimizer.domain.target import Automation, ServiceTarget
from optimizer.domain.workforce import Workforce

INTERVAL_MINUTES_ALLOWED: tuple[int, ...] = (15, 30, 60)
"""Interval lengths the grid supports [min]."""

IDLE_AHT_S = 1e-3
"""AHT [s] put on a zero-volume interval whose AHT is empty, null or 0 (no contacts, so no handle time): the
history format leaves it empty there, and with no contacts the value changes no requirement."""

MAX_HORIZON_DAYS = 35
"""Longest planning horizon accepted [days]."""

IntervalMinutes = Literal[15, 30, 60]


class DemandInterval(_Domain):
    """Forecast demand in one interval ``[interval_start, interval_start + interval_min)``."""

    interval_start: AwareDatetime = Field(description="Start of the interval (timezone-aware).")
    volume: float = Field(ge=0.0, description="Contacts arriving in the interval (before bot containment).")
    aht_s: float = Field(
        ge=1e-3,
        le=86_400.0,
        description="Average handle time of a contact [s], >= 1 ms; may be null or 0 where volume is 0.",
    )
    queue: str | None = Field(None, description="Queue of the contacts (a name in `queues`); null with one queue.")
    volume_cv: float | None = Field(
        None,
        ge=0.0,
        le=5.0,
        description=(
            "Coefficient of variation of this interval's true contact rate around `volume` (the forecast's "
            "error here; a forecast plan measures it by forecast size on its backtest); null: the service "
            "target's `volume_cv`."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _idle_interval_needs_no_aht(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("volume") in (0, 0.0, "0") and data.get("aht_s") in (None, 0, "", "0"):
            return {**data, "aht_s": IDLE_AHT_S}
        return data


class PlanningProblem(_Domain):
    """Everything one plan needs: site clock, horizon, demand, service target and workforce."""

    timezone: str = Field("Europe/Stockholm", description="IANA time zone of the site (local clock rules).")
    start_date: dt.date = Field(description="First local day of the horizon.")
    days: int = Field(7, ge=1, le=MAX_HORIZON_DAYS, description="Number of local days in the horizon.")
    interval_min: IntervalMinutes = Field(30, description="Interval length [min]: 15, 30 or 60.")
    demand: tuple[DemandInterval, ...] = Field(
        min_length=1,
        description=(
            "Demand per interval, one row per interval of the horizon, in order; with `queues`, one such series "
            "per queue (rows name their `queue`)."
        ),
    )
    queues: tuple[Queue, ...] = Field(
        (),
        description=(
            "Several queues (voice, chat, e-mail) planned together, each with its own demand rows, target and "
            "bot; people work the queues of their `skills`. Empty: one queue with the problem's target."
        ),
    )
    service_target: ServiceTarget = Field(default_factory=ServiceTarget, description="Wait-time target.")
    automation: Automation = Field(default_factory=Automation, description="Bot containment and escalation.")
    workforce: Workforce = Field(description="Contracts, staff and gig pool.")
    headcount: Literal["fixed", "optimise"] = Field(
        "fixed",
        description=(
            "'fixed': every listed FTE is employed (and works at least the contract's minimum); 'optimise' "
            "(HR mode): listed FTEs are candidates and the plan employs the cost-optimal number of them."
        ),
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"{v!r} is not an IANA time zone name (e.g. 'Europe/Stockholm')"
            raise ValueError(msg) from None
        return v

    @model_validator(mode="after")
    def _grid_fits_shapes(self) -> Self:
        for i, c in enumerate(self.workforce.contracts):
            bad = [m for m in c.shift_lengths_min if m % self.interval_min]
            if bad:
                msg = (
                    f"workforce.contracts[{i}].shift_lengths_min {bad} "
                    f"are not multiples of interval_min {self.interval_min}"
                )
                raise ValueError(msg)
            if c.break_rule is not None and c.break_rule.length_min % self.interval_min:
                msg = (
                    f"workforce.contracts[{i}].break_rule.length_min {c.break_rule.length_min} "
                    f"is not a multiple of interval_min {self.interval_min}"
                )
                raise ValueError(msg)
        pool = self.workforce.gig_pool
        if pool is not None and pool.shift_minutes % self.interval_min:
            msg = (
                f"workforce.gig_pool.shift_minutes {pool.shift_minutes} "
                f"is not a multiple of interval_min {self.interval_min}"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _queues_consistent(self) -> Self:
        names = [q.name for q in self.queues]
        known = set(names)
        if len(known) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"queues: name(s) {twice} appear more than once")
        listed = ", ".join(names)
        for i, d in enumerate(self.demand):
            if not self.queues and d.queue is not None:
                raise ValueError(f"demand[{i}].queue {d.queue!r} is set but the problem has no `queues`")
            if self.queues and d.queue not in known:
                raise ValueError(f"demand[{i}].queue {d.queue!r} is not one of the queues ({listed})")
        if self.queues:
            counts = dict.fromkeys(names, 0)
            for d in self.demand:
                counts[str(d.queue)] += 1
            if len(set(counts.values())) != 1:
                raise ValueError(f"demand: every queue needs one row per interval, got {counts}")
        pool = self.workforce.gig_pool
        where = [(f"workforce.contracts[{i}].skills", c.skills) for i, c in enumerate(self.workforce.contracts)]
        where += [(f"workforce.workers[{i}].skills", w.skills) for i, w in enumerate(self.workforce.workers)]
        where += [
            (f"workforce.contracts[{i}].primary_skills", c.primary_skills)
            for i, c in enumerate(self.workforce.contracts)
        ]
        where += [
            (f"workforce.workers[{i}].primary_skills", w.primary_skills) for i, w in enumerate(self.workforce.workers)
        ]
        if pool is not None:
            where.append(("workforce.gig_pool.skills", pool.skills))
            where.append(("workforce.gig_pool.max_per_queue", tuple(pool.max_per_queue)))
        for field, skills in where:
            if skills is None or (not skills and field.endswith("max_per_queue")):
                continue
            if not self.queues:
                raise ValueError(f"{field} is set but the problem has no `queues`")
            unknown = [s for s in skills if s not in known]
            if unknown:
                raise ValueError(f"{field}: {unknown} not among the queues ({listed})")
        for i, w in enumerate(self.workforce.workers):
            primary, skills = self.workforce.primary_of(w), self.workforce.skills_of(w)
            if primary is None or skills is None:
                continue
            outside = [q for q in primary if q not in skills]
            if outside:
                raise ValueError(
                    f"workforce.workers[{i}].primary_skills: {outside} not among the worker's skills ({list(skills)})"
                )
        for i, q in enumerate(self.queues):
            if q.window_h is not None and q.window_h * 60 < self.interval_min:
                raise ValueError(
                    f"queues[{i}].window_h {q.window_h:g} h is shorter than one interval ({self.interval_min} min)"
                )
        if self.queues and self.service_target.scope == "horizon":
            raise ValueError("service_target.scope 'horizon' is not supported with several queues; use 'interval'")
        return self

    @model_validator(mode="after")
    def _preferences_in_horizon(self) -> Self:
        last = self.start_date + dt.timedelta(days=self.days - 1)
        for i, p in enumerate(self.workforce.preferences):
            if p.date is not None and not self.start_date <= p.date <= last:
                msg = (
                    f"workforce.preferences[{i}].date {p.date.isoformat()} is outside the horizon "
                    f"{self.start_date.isoformat()} .. {last.isoformat()}"
                )
                raise ValueError(msg)
        return self

    @property
    def queue_names(self) -> tuple[str, ...]:
        """Return the queue names in order (empty with one queue)."""
        return tuple(q.name for q in self.queues)

    def demand_of(self, queue: str) -> tuple[DemandInterval, ...]:
        """Return one queue's demand rows."""
        return tuple(d for d in self.demand if d.queue == queue)

    def unskilled_queues(self) -> tuple[str, ...]:
        """Return the queues with demand that no worker (nor the gig pool) may work: their demand stays unmet."""
        names = set(self.queue_names)
        able: set[str] = set()
        for w in self.workforce.workers:
            skills = self.workforce.skills_of(w)
            able |= names if skills is None else set(skills)
        pool = self.workforce.gig_pool
        if pool is not None and pool.max_concurrent > 0:
            able |= names if pool.skills is None else set(pool.skills)
        busy = {d.queue for d in self.demand if d.volume > 0}
        return tuple(n for n in self.queue_names if n in busy and n not in able)

    def grid_rows(self) -> tuple[DemandInterval, ...]:
        """Return one demand row per interval of the horizon: all rows with one queue, else the first queue's."""
        return self.demand_of(self.queues[0].name) if self.queues else self.demand


class SolveParams(_Domain):
    """Knobs of one CP-SAT solve; part of the inputs digest."""

    time_limit_s: float = Field(30.0, gt=0.0, le=3600.0, description="Wall-clock limit of the solve [s].")
    relative_gap: float = Field(
        0.0, ge=0.0, lt=1.0, description="Stop once (objective - bound) / objective is at most this (0-1)."
    )
    num_workers: int = Field(8, ge=1, le=64, description="CP-SAT search workers (threads).")
    random_seed: int = Field(0, ge=0, le=2**31 - 1, description="CP-SAT random seed.")
    method: Literal["auto", "per_person", "crews"] = Field(
        "auto",
        description=(
            "'per_person' solves one model with a variable per worker and shift; 'crews' solves counts per "
            "group of identical workers, then assigns people; 'auto' uses crews when some workers are identical."
        ),
    )
    lp_guided: bool = Field(
        True,
        description=(
            "Solve the LP relaxation first: its optimum bounds the plan and its rounded point starts the search "
            "(optimizer/model/guided.py)."
        ),
    )
    lp_engine: Literal["highs", "glop"] = Field(
        "highs", description="LP solver of the relaxation: HiGHS (highspy) or OR-Tools' GLOP."
    )
    shortfall_penalty_per_hour_cents: int | None = Field(
        None,
        gt=0,
        description=(
            "Penalty per agent-hour of coverage below the requirement [cents/h]; "
            "null derives 10x the dearest hourly rate."
        ),
    )
