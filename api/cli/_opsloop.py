"""``shiftmix replan --actuals``: the re-forecast from today's actuals, and the offers files and summary lines.

Kept apart from ``api/cli/replan.py`` so that module only gains the flag and three calls: the re-forecast
(:func:`scenarios.reforecast.reforecast_demand`) runs before the re-plan, and :func:`write_loop_outputs` adds
``offers.csv`` (every re-plan) and ``reforecast.csv`` (with ``--actuals``) beside the usual files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from optimizer.domain import PlanningProblem
from optimizer.errors import InputError
from optimizer.replan.domain import ReplanOffers, ReplanResult
from optimizer.replan.offers import offers_frame
from scenarios.reforecast import DemandReforecast, read_actuals, reforecast_demand

ACTUALS_FLAG = "--actuals"
_NAMES = {"extension": "extensions", "vto": "VTO releases", "gig": "gigs"}


def reforecast_from_file(path: Path, problem: PlanningProblem, now: dt.datetime) -> DemandReforecast:
    """Read ``--actuals`` and re-forecast the plan's demand from ``now``.

    Raises
    ------
    InputError
        Naming ``--actuals.<column>[row N]``, ``--actuals.interval_start[T]`` or ``--now``.
    """
    actuals = read_actuals(path, problem, field=ACTUALS_FLAG)
    try:
        return reforecast_demand(problem, actuals, now, field=ACTUALS_FLAG)
    except InputError as exc:
        field = "--now" if exc.field == "now" else exc.field
        raise InputError.single(field, exc.problem) from None


def write_loop_outputs(result: ReplanResult, reforecast: DemandReforecast | None, out_dir: Path) -> list[Path]:
    """Write ``offers.csv`` and, after a re-forecast, ``reforecast.csv``; return their paths."""
    paths = [out_dir / "offers.csv"]
    offers_frame(result.offers.offers).to_csv(paths[0], index=False)
    if reforecast is not None:
        paths.append(out_dir / "reforecast.csv")
        reforecast.table.to_csv(paths[1], index=False)
    return paths


def _money(cents: int) -> str:
    return f"{cents / 100:+,.2f}"


def offer_lines(offers: ReplanOffers) -> list[str]:
    """Return the summary lines: service level from now recovered by each kind of action, and its cost."""
    if offers.service_level_before is None or offers.service_level_after is None:
        return []
    lines = [
        f"from now     service {offers.service_level_before:.1%} -> {offers.service_level_after:.1%} "
        f"with all {len(offers.offers)} offers (offers.csv)"
    ]
    for e in offers.effects:
        gained = 100 * (e.service_level_after - e.service_level_before)
        lines.append(
            f"  {_NAMES[e.action]:<12} {e.offers:>3}: {gained:+.1f} pp service from now, cost {_money(e.cost_cents)}"
        )
    return lines


def reforecast_lines(reforecast: DemandReforecast) -> list[str]:
    """Return the summary line of the re-forecast: what today showed and the factors applied."""
    f = reforecast.factors
    return [
        f"re-forecast  {f.actual_contacts:,.0f} contacts so far vs {f.forecast_elapsed_contacts:,.0f} forecast "
        f"(ratio {f.ratio:.3f}, credibility {f.credibility:.2f}): rest of today x{f.today_factor:.3f}, "
        f"tomorrow x{f.tomorrow_factor:.3f}, AHT x{f.aht_factor:.3f}"
    ]
