"""Plan → the exchange-format frames of DESIGN.md (schedule, coverage CSV), the unmet-interval list, people.csv."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from optimizer.domain import CoverageRow, Plan

SCHEDULE_COLUMNS = (
    "worker_id",
    "kind",
    "start",
    "end",
    "break_start",
    "break_end",
    "paid_minutes",
    "cost_cents",
)
COVERAGE_COLUMNS = (
    "interval_start",
    "volume",
    "aht_s",
    "required",
    "scheduled",
    "service_level",
    "asa_s",
    "p_meet",
)


PEOPLE_COLUMNS = (
    "worker_id",
    "contract",
    "shifts",
    "paid_hours",
    "weekend_days",
    "night_hours",
    "preferences",
    "preferences_met",
    "preference_hours_unmet",
    "preference_penalty_cents",
)


def people_frame(plan: Plan) -> pd.DataFrame:
    """Return one row per FTE (``people.csv``): hours, weekend days, night hours and preferences met."""
    return pd.DataFrame([p.model_dump() for p in plan.people], columns=list(PEOPLE_COLUMNS))


def fairness_spreads(plan: Plan) -> dict[str, dict[str, float]]:
    """Return, per contract, the spread (most minus least over its people) of weekend days, night and paid hours."""
    by_contract: dict[str, list[tuple[float, float, float]]] = {}
    for p in plan.people:
        by_contract.setdefault(p.contract, []).append((p.weekend_days, p.night_hours, p.paid_hours))
    names = ("weekend_days", "night_hours", "paid_hours")
    return {
        c: {n: max(r[j] for r in rows) - min(r[j] for r in rows) for j, n in enumerate(names)}
        for c, rows in by_contract.items()
    }


def schedule_frame(plan: Plan) -> pd.DataFrame:
    """Return one row per shift: ``worker_id,kind,start,end,break_start,break_end,paid_minutes,cost_cents``.

    Times are ISO 8601 with the site's UTC offset; break columns are empty for shifts without a break.
    FTE rows come first, by worker then start; gig rows follow in start order.
    """
    rows = []
    for s in plan.shifts:
        brk = s.breaks[0] if s.breaks else None
        rows.append(
            {
                "worker_id": s.worker_id,
                "kind": s.kind,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "break_start": brk.start.isoformat() if brk else "",
                "break_end": brk.end.isoformat() if brk else "",
                "paid_minutes": s.paid_minutes,
                "cost_cents": s.cost_cents,
            }
        )
    frame = pd.DataFrame(rows, columns=list(SCHEDULE_COLUMNS))
    order = frame["kind"].map({"fte": 0, "gig": 1})
    return (
        frame.assign(_o=order)
        .sort_values(["_o", "worker_id", "start"])
        .drop(columns="_o")
        .reset_index(drop=True)
    )


QUEUE_COVERAGE_COLUMNS = ("interval_start", "queue", "channel", *COVERAGE_COLUMNS[1:], "email_backlog", "email_late")
"""Several-queue coverage.csv: the one-queue columns with the queue and its channel, and the e-mail backlog."""


def _opt(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None


def coverage_frame(plan: Plan) -> pd.DataFrame:
    """Return one row per interval: ``interval_start,volume,aht_s,required,scheduled,service_level,asa_s,p_meet``.

    ``volume`` and ``aht_s`` are what reaches people; ``required`` includes shrinkage; ``scheduled`` counts
    people on shift and not on break (gig at the fill rate); ``asa_s`` is empty where the queue is unstable;
    ``p_meet`` is the modelled probability of meeting the target (:mod:`optimizer.risk`), empty in old plans.
    A several-queue plan gives one row per interval and queue instead (``QUEUE_COVERAGE_COLUMNS``):
    ``scheduled`` is the people routed to the queue; live queues fill ``service_level``, ``asa_s`` and
    ``p_meet``, e-mail queues ``email_backlog`` and ``email_late`` [person-intervals].
    """
    if plan.queue_coverage:
        return pd.DataFrame(
            [
                {
                    "interval_start": r.interval_start.isoformat(),
                    "queue": r.queue,
                    "channel": r.channel,
                    "volume": round(r.volume, 3),
                    "aht_s": round(r.aht_s, 1),
                    "required": r.required,
                    "scheduled": r.scheduled,
                    "service_level": _opt(r.service_level, 4),
                    "asa_s": _opt(r.asa_s, 2),
                    "p_meet": _opt(r.p_meet, 4),
                    "email_backlog": _opt(r.email_backlog, 3),
                    "email_late": _opt(r.email_late, 3),
                }
                for r in plan.queue_coverage
            ],
            columns=list(QUEUE_COVERAGE_COLUMNS),
        )
    return pd.DataFrame(
        [
            {
                "interval_start": r.interval_start.isoformat(),
                "volume": round(r.volume, 3),
                "aht_s": round(r.aht_s, 1),
                "required": r.required,
                "scheduled": r.scheduled,
                "service_level": round(r.service_level, 4),
                "asa_s": round(r.asa_s, 2) if r.asa_s is not None else None,
                "p_meet": round(r.p_meet, 4) if r.p_meet is not None else None,
            }
            for r in plan.coverage
        ],
        columns=list(COVERAGE_COLUMNS),
    )


UNMET_COLUMNS = ("start", "end", "intervals", "most_short", "short_agent_hours", "volume", "service_level")


def unmet_frame(plan: Plan) -> pd.DataFrame:
    """Return one row per run of consecutive understaffed intervals (``scheduled < required``).

    ``start``/``end`` bound the run (half-open, local time), ``most_short`` is its largest shortfall [people],
    ``short_agent_hours`` its total shortfall [agent-hours], ``volume`` the contacts in it and
    ``service_level`` their volume-weighted forecast service level at the scheduled head counts. A
    several-queue plan lists runs per live queue (a ``queue`` column first), and per e-mail queue the runs of
    intervals with late work (``most_short`` and ``short_agent_hours`` then count late person-intervals and
    person-hours, ``service_level`` is empty).
    """
    if plan.queue_coverage:
        return _queue_unmet_frame(plan)
    return _unmet_runs(plan.coverage, plan.interval_min)


def _queue_unmet_frame(plan: Plan) -> pd.DataFrame:
    frames = []
    names = list(dict.fromkeys(r.queue for r in plan.queue_coverage))
    for name in names:
        rows = [r for r in plan.queue_coverage if r.queue == name]
        if rows[0].channel != "email":
            live = [
                CoverageRow(
                    interval_start=r.interval_start,
                    volume=r.volume,
                    aht_s=r.aht_s,
                    required=r.required,
                    scheduled=r.scheduled,
                    service_level=r.service_level if r.service_level is not None else 1.0,
                    asa_s=r.asa_s,
                )
                for r in rows
            ]
            runs = _unmet_runs(tuple(live), plan.interval_min)
        else:
            late = [
                CoverageRow(
                    interval_start=r.interval_start,
                    volume=r.volume,
                    aht_s=r.aht_s,
                    required=math.ceil(r.email_late or 0.0),
                    scheduled=0,
                    service_level=1.0,
                    asa_s=None,
                )
                for r in rows
            ]
            runs = _unmet_runs(tuple(late), plan.interval_min).assign(service_level=None)
        frames.append(runs.assign(queue=name)[["queue", *UNMET_COLUMNS]])
    if not frames:
        return pd.DataFrame(columns=["queue", *UNMET_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def _unmet_runs(coverage: tuple[CoverageRow, ...], interval_min: int) -> pd.DataFrame:
    step = dt.timedelta(minutes=interval_min)
    rows: list[dict[str, object]] = []
    run: list[CoverageRow] = []

    def close() -> None:
        if not run:
            return
        volume = sum(r.volume for r in run)
        rows.append(
            {
                "start": run[0].interval_start.isoformat(),
                "end": (run[-1].interval_start + step).isoformat(),
                "intervals": len(run),
                "most_short": max(r.required - r.scheduled for r in run),
                "short_agent_hours": round(sum(r.required - r.scheduled for r in run) * interval_min / 60, 2),
                "volume": round(volume, 3),
                "service_level": round(sum(r.volume * r.service_level for r in run) / volume, 4) if volume else 1.0,
            }
        )
        run.clear()

    for r in coverage:
        if r.scheduled >= r.required or (run and run[-1].interval_start + step != r.interval_start):
            close()
        if r.scheduled < r.required:
            run.append(r)
    close()
    return pd.DataFrame(rows, columns=list(UNMET_COLUMNS))
