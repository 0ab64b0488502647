"""The offers of a re-plan: overtime extensions and VTO per person, gig micro-shifts to post, and their effect.

``offers.csv`` (written by ``shiftmix replan``), one row per offer, the fields of
:class:`~optimizer.replan.domain.Offer`:

===============  ==========================================================================================
``action``       ``extension`` (overtime at an end of a published shift), ``vto`` (release the shift, unpaid)
                 or ``gig`` (post ``count`` micro-shifts of the gig pool)
``worker_id``    the FTE the extension or VTO is offered to; empty for gigs
``shift_*``      the published shift; empty for gigs
``start/end``    the shift as offered: extended, released, or the gig slot (ISO 8601 with offset)
``minutes``      extension minutes, released paid minutes, or paid minutes of one gig [min]
``count``        gigs to post with this start and end (1 for a person's offer)
``cost_cents``   what the action adds to the cost [cents]: overtime pay, the gigs' pay, minus the released cost
===============  ==========================================================================================

Every offer is read off the re-plan's own shifts, so the re-plan (which ``check_plan`` checks) contains each
one. The effect of a kind of action is the published plan with only those actions applied, measured on the
new demand from ``now`` to the end of the horizon (volume-weighted service level).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import pandas as pd

from optimizer.domain import CoverageRow, PlannedShift, PlanningProblem
from optimizer.kpis import scheduled_agents
from optimizer.replan.domain import ActionEffect, Offer, OfferAction, ReplanOffers
from optimizer.requirement import people_demand
from optimizer.staffing import service_at

OFFER_COLUMNS = tuple(Offer.model_fields)
ACTIONS: tuple[OfferAction, ...] = ("extension", "vto", "gig")

__all__ = ["OFFER_COLUMNS", "offers_frame", "replan_offers"]


def _containing(published: PlannedShift, replanned: Sequence[PlannedShift]) -> PlannedShift | None:
    return next((n for n in replanned if n.start <= published.start and published.end <= n.end), None)


def _person_offers(
    published: Sequence[PlannedShift], replanned: Sequence[PlannedShift]
) -> tuple[list[Offer], dict[int, PlannedShift | None]]:
    """Return extension and VTO offers, and for each changed published FTE shift (by position) its new form."""
    by_worker: dict[str, list[PlannedShift]] = defaultdict(list)
    for s in replanned:
        if s.kind == "fte":
            by_worker[s.worker_id].append(s)
    offers: list[Offer] = []
    changed: dict[int, PlannedShift | None] = {}
    for i, p in enumerate(published):
        if p.kind != "fte":
            continue
        n = _containing(p, by_worker[p.worker_id])
        if n is None:
            changed[i] = None
            offers.append(
                Offer(
                    action="vto",
                    worker_id=p.worker_id,
                    shift_start=p.start,
                    shift_end=p.end,
                    start=p.start,
                    end=p.end,
                    minutes=p.paid_minutes,
                    count=1,
                    cost_cents=-p.cost_cents,
                )
            )
        elif (n.start, n.end) != (p.start, p.end):
            changed[i] = n
            offers.append(
                Offer(
                    action="extension",
                    worker_id=p.worker_id,
                    shift_start=p.start,
                    shift_end=p.end,
                    start=n.start,
                    end=n.end,
                    minutes=n.extended_before_min + n.extended_after_min
                    - p.extended_before_min
                    - p.extended_after_min,
                    count=1,
                    cost_cents=n.cost_cents - p.cost_cents,
                )
            )
    return offers, changed


def _gig_offers(
    published: Sequence[PlannedShift], replanned: Sequence[PlannedShift]
) -> tuple[list[Offer], list[PlannedShift]]:
    posted = {s.worker_id for s in published if s.kind == "gig"}
    new = [s for s in replanned if s.kind == "gig" and s.worker_id not in posted]
    groups: dict[tuple[dt.datetime, dt.datetime], list[PlannedShift]] = defaultdict(list)
    for s in new:
        groups[(s.start, s.end)].append(s)
    offers = [
        Offer(
            action="gig",
            worker_id=None,
            shift_start=None,
            shift_end=None,
            start=start,
            end=end,
            minutes=shifts[0].paid_minutes,
            count=len(shifts),
            cost_cents=sum(s.cost_cents for s in shifts),
        )
        for (start, end), shifts in sorted(groups.items())
    ]
    return offers, new


def replan_offers(
    problem: PlanningProblem,
    published: Sequence[PlannedShift],
    replanned: Sequence[PlannedShift],
    coverage: Sequence[CoverageRow],
    now: dt.datetime,
) -> ReplanOffers:
    """Return the re-plan's offers and the service level and cost each kind of action alone brings.

    Parameters
    ----------
    problem : PlanningProblem
        The re-plan's problem (the new demand).
    published, replanned : sequence of PlannedShift
        The published plan's shifts and the re-plan's.
    coverage : sequence of CoverageRow
        The re-plan's coverage (its ``required`` per interval is reused).
    now : datetime.datetime
        The moment of the re-plan; service levels are measured from it to the horizon's end.

    Returns
    -------
    ReplanOffers
    """
    published = tuple(published)
    person, changed = _person_offers(published, replanned)
    gigs, new_gigs = _gig_offers(published, replanned)
    demand = people_demand(problem)
    starts = pd.DatetimeIndex(demand.index)
    later = np.asarray(starts >= pd.Timestamp(now))
    volume = demand["volume"].to_numpy()[later]
    pool = problem.workforce.gig_pool
    fill_rate = pool.fill_rate if pool is not None else 1.0

    def service_from_now(shifts: Sequence[PlannedShift]) -> float:
        scheduled = scheduled_agents(starts, problem.interval_min, shifts, fill_rate)
        level = service_at(demand, scheduled, problem.service_target, interval_min=problem.interval_min)
        total = float(volume.sum())
        return float((level["service_level"].to_numpy()[later] * volume).sum() / total) if total > 0 else 1.0

    before = service_from_now(published)
    variants: dict[OfferAction, list[PlannedShift]] = {
        "extension": [changed.get(i) or p for i, p in enumerate(published)],
        "vto": [p for i, p in enumerate(published) if not (i in changed and changed[i] is None)],
        "gig": [*published, *new_gigs],
    }
    offers = person + gigs
    effects = tuple(
        ActionEffect(
            action=action,
            offers=sum(o.count for o in offers if o.action == action),
            service_level_before=before,
            service_level_after=service_from_now(variants[action]),
            cost_cents=sum(o.cost_cents for o in offers if o.action == action),
        )
        for action in ACTIONS
        if any(o.action == action for o in offers)
    )
    return ReplanOffers(
        offers=tuple(sorted(offers, key=lambda o: (ACTIONS.index(o.action), o.start, o.worker_id or ""))),
        effects=effects,
        service_level_before=before,
        service_level_after=service_from_now(replanned),
    )


def offers_frame(offers: Sequence[Offer]) -> pd.DataFrame:
    """Return ``offers.csv`` as a frame (see the module docstring)."""
    rows = []
    for o in offers:
        row = o.model_dump(mode="json")
        rows.append({k: ("" if v is None else v) for k, v in row.items()})
    return pd.DataFrame(rows, columns=list(OFFER_COLUMNS))
