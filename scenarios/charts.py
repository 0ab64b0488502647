"""PNG charts of a scenario: cost per run, cost against FTE headcount, and the base's coverage.

Built with matplotlib's object API (``Figure``, rendered by the Agg canvas), so nothing touches pyplot's global
state or needs a display.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from optimizer import coverage_frame

if TYPE_CHECKING:
    from scenarios.compare import HeadcountOptimum, HeadcountPoint
    from scenarios.sweep import ScenarioResult

_FTE = "#3b6ea8"
_GIG = "#e39a2d"
_MISS = "#c0392b"
_DPI = 120


def _money_axis(ax: object, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda x, _pos: f"{x / 1000:,.0f}k")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)  # type: ignore[attr-defined]


def cost_by_run_figure(frame: pd.DataFrame, title: str) -> Figure:
    """Return horizontal stacked bars of FTE and gig cost per run; runs missing the target are marked.

    Parameters
    ----------
    frame : pandas.DataFrame
        The results frame (:func:`scenarios.compare.results_frame`).
    title : str
        The scenario title.
    """
    rows = frame.iloc[::-1]
    fte = rows["fte_cost"].fillna(0).to_numpy(dtype=float)
    gig = rows["gig_cost"].fillna(0).to_numpy(dtype=float)
    fig = Figure(figsize=(9, 1.6 + 0.45 * len(rows)), dpi=_DPI, layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    ax.barh(y, fte, color=_FTE, label="FTE cost")
    ax.barh(y, gig, left=fte, color=_GIG, label="gig cost")
    for yi, total, ok, status in zip(y, fte + gig, rows["meets_target"], rows["status"], strict=True):
        note = f"{total:,.0f}" if ok else f"{total:,.0f}  misses target" if status != "ERROR" else "no plan"
        ax.text(float(total), float(yi), "  " + note, va="center", fontsize=8, color="black" if ok else _MISS)
    ax.set_yticks(y, labels=rows["name"].tolist(), fontsize=8)
    ax.set_xlim(0, max(1.0, float((fte + gig).max())) * 1.3)
    _money_axis(ax, "x")
    ax.set_xlabel("cost of the horizon [currency units]")
    ax.set_title(f"{title}\ncost per run", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def cost_vs_headcount_figure(
    points: Sequence[HeadcountPoint], optimum: HeadcountOptimum | None, title: str
) -> Figure:
    """Return total cost against FTE headcount, the cost-optimal point starred and its flat range shaded.

    Parameters
    ----------
    points : sequence of HeadcountPoint
        Runs on the base's demand and target (:func:`scenarios.compare.headcount_points`).
    optimum : HeadcountOptimum or None
        The cheapest target-meeting headcount, if any.
    title : str
        The scenario title.
    """
    pts = sorted(points, key=lambda p: p.fte_headcount)
    x = np.array([p.fte_headcount for p in pts], dtype=float)
    cost = np.array([p.total_cost_cents / 100 for p in pts])
    ok = np.array([p.meets_target for p in pts])
    fig = Figure(figsize=(8, 4.8), dpi=_DPI, layout="constrained")
    ax = fig.add_subplot()
    if optimum is not None:
        lo, hi = optimum.flat_low - 0.4, optimum.flat_high + 0.4
        label = f"within {optimum.tolerance_ratio:.0%} of optimum"
        ax.axvspan(lo, hi, color="#2e8b57", alpha=0.12, label=label)
    ax.plot(x[ok], cost[ok], color="grey", lw=1, zorder=1)
    ax.scatter(x[ok], cost[ok], color=_FTE, zorder=2, label="meets target")
    ax.scatter(x[~ok], cost[~ok], color=_MISS, marker="x", zorder=2, label="misses target")
    if optimum is not None:
        best = optimum.total_cost_cents / 100
        ax.scatter([optimum.fte_headcount], [best], marker="*", s=260, color="#2e8b57", zorder=3,
                   label=f"cost-optimal: {optimum.fte_headcount} FTEs")  # fmt: skip
        ax.annotate(f"{best:,.0f}", (optimum.fte_headcount, best), textcoords="offset points", xytext=(0, -16),
                    ha="center", fontsize=8)  # fmt: skip
    _money_axis(ax)
    ax.set_xlabel("FTE headcount")
    ax.set_ylabel("total cost of the horizon [currency units]")
    ax.set_title(f"{title}\ncost against FTE headcount (gig pool fills the gap)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def coverage_figure(coverage: pd.DataFrame, timezone: str, title: str) -> Figure:
    """Return required and scheduled agents per interval, shortfalls shaded.

    Parameters
    ----------
    coverage : pandas.DataFrame
        A coverage frame (``optimizer.coverage_frame``): ``interval_start``, ``required``, ``scheduled``.
    timezone : str
        IANA zone for the time axis.
    title : str
        Chart title.
    """
    t = pd.to_datetime(coverage["interval_start"], utc=True).dt.tz_convert(timezone).dt.tz_localize(None)
    required = coverage["required"].to_numpy(dtype=float)
    scheduled = coverage["scheduled"].to_numpy(dtype=float)
    fig = Figure(figsize=(11, 4.2), dpi=_DPI, layout="constrained")
    ax = fig.add_subplot()
    ax.step(t, scheduled, where="post", color=_FTE, lw=1.4, label="scheduled (on the floor)")
    ax.step(t, required, where="post", color="black", lw=1.0, ls="--", label="required")
    short = scheduled < required
    ax.fill_between(t, scheduled, required, where=short, step="post", color=_MISS, alpha=0.4,
                    label="shortfall")  # fmt: skip
    ax.set_ylabel("agents")
    ax.set_xlabel(f"local time ({timezone})")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    fig.autofmt_xdate()
    return fig


def write_charts(
    result: ScenarioResult,
    frame: pd.DataFrame,
    points: Sequence[HeadcountPoint],
    optimum: HeadcountOptimum | None,
    out_dir: Path,
) -> list[Path]:
    """Write the charts of a scenario into ``out_dir``.

    ``cost_by_run.png`` always; ``cost_vs_headcount.png`` with two or more headcounts on the base's demand;
    ``coverage_base.png`` for the base, and ``coverage_worst.png`` for the run with the largest shortfall
    when some run misses its requirement.

    Returns
    -------
    list of Path
        The files written.
    """
    title = result.scenario.title
    figures = {"cost_by_run.png": cost_by_run_figure(frame, title)}
    if len({p.fte_headcount for p in points}) >= 2:
        figures["cost_vs_headcount.png"] = cost_vs_headcount_figure(points, optimum, title)
    base = result.base.run
    if base is not None and base.plan.coverage:
        zone = base.plan.timezone
        figures["coverage_base.png"] = coverage_figure(
            coverage_frame(base.plan), zone, f"{title}\nbase: required vs scheduled agents"
        )
    short = [(v.run.plan.kpis.shortfall_agent_hours, v.name, v.run.plan) for v in result.variations if v.run]
    hours, name, worst = max(short, key=lambda s: s[0], default=(0.0, "", None))
    if worst is not None and hours > 0:
        figures["coverage_worst.png"] = coverage_figure(
            coverage_frame(worst), worst.timezone, f"{title}\nlargest shortfall, {name}: required vs scheduled agents"
        )
    paths = []
    for name, fig in figures.items():
        path = out_dir / name
        fig.savefig(path)
        paths.append(path)
    return paths


__all__ = ["cost_by_run_figure", "cost_vs_headcount_figure", "coverage_figure", "write_charts"]
