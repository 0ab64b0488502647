"""The report's charts as plotly figures: Gantt by person, coverage against requirement, cost breakdown.

Times on the charts are the site's local wall clock (plotly has no time zones). Every figure is built from
the plan alone (and the problem, for contracts and the service target), never from solver internals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from optimizer.domain import Plan, PlannedShift

FTE_COLOUR = "#3b6ea8"
FTE_SHADES = (FTE_COLOUR, "#6f9fd6", "#24476e", "#9dbbe0", "#4f7fb5")
"""Blues for FTE contracts (one shade per contract, in Gantt order); gig is orange, so kinds never mix."""
GIG_COLOUR = "#e39a2d"
BREAK_COLOUR = "#d9d9d9"
SHORT_COLOUR = "#c0392b"
ROW_HEIGHT_PX = 22
"""Height of one worker's row in the Gantt [px]."""

GIG_CONTRACT = "gig"
"""Contract label of gig micro-shifts in the Gantt filter."""


def _local(t: dt.datetime, zone: str) -> str:
    return t.astimezone(ZoneInfo(zone)).replace(tzinfo=None).isoformat(timespec="minutes")


def _ms(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() * 1000.0


def worker_rows(plan: Plan, contracts: Mapping[str, str]) -> list[tuple[str, str]]:
    """Return ``(worker_id, contract)`` for every worker with shifts: FTEs by contract then id, gigs last."""
    ids = {s.worker_id: s.kind for s in plan.shifts}
    ftes = sorted((w for w, k in ids.items() if k == "fte"), key=lambda w: (contracts.get(w, ""), w))
    gigs = sorted(w for w, k in ids.items() if k == "gig")
    return [(w, contracts.get(w, "fte")) for w in ftes] + [(w, GIG_CONTRACT) for w in gigs]


def _bars(shifts: list[PlannedShift], zone: str, name: str, colour: str, group: str) -> go.Bar:
    return go.Bar(
        name=name,
        legendgroup=group,
        orientation="h",
        y=[s.worker_id for s in shifts],
        base=[_local(s.start, zone) for s in shifts],
        x=[_ms(s.start, s.end) for s in shifts],
        marker={"color": colour, "line": {"width": 0}},
        customdata=[[_local(s.start, zone)[11:], _local(s.end, zone)[11:], s.paid_minutes / 60] for s in shifts],
        hovertemplate="%{y}<br>%{customdata[0]}-%{customdata[1]} (%{customdata[2]:.1f} h paid)<extra>"
        + name
        + "</extra>",
        meta={"role": "shift", "contract": group},
    )


def gantt_figure(plan: Plan, contracts: Mapping[str, str]) -> go.Figure:
    """Return the week by person: FTE and gig shifts in their colours, breaks drawn over them.

    One trace of shifts and one of breaks per contract (gig is a contract here); ``meta.contract`` lets the
    page filter by contract.
    """
    rows = worker_rows(plan, contracts)
    contract_of = dict(rows)
    fig = go.Figure()
    for n, contract in enumerate(dict.fromkeys(c for _, c in rows)):
        shifts = [s for s in plan.shifts if contract_of[s.worker_id] == contract]
        kind = "gig" if contract == GIG_CONTRACT else "fte"
        colour = GIG_COLOUR if kind == "gig" else FTE_SHADES[n % len(FTE_SHADES)]
        fig.add_trace(_bars(shifts, plan.timezone, f"{kind.upper()} {contract}", colour, contract))
    first_breaks = True
    for contract in dict.fromkeys(c for _, c in rows):
        breaks = [(s, b) for s in plan.shifts if contract_of[s.worker_id] == contract for b in s.breaks]
        if not breaks:
            continue
        fig.add_trace(
            go.Bar(
                name="break",
                legendgroup="break",
                showlegend=first_breaks,
                orientation="h",
                y=[s.worker_id for s, _ in breaks],
                base=[_local(b.start, plan.timezone) for _, b in breaks],
                x=[_ms(b.start, b.end) for _, b in breaks],
                width=0.5,
                marker={"color": BREAK_COLOUR, "line": {"width": 0}},
                customdata=[
                    [_local(b.start, plan.timezone)[11:], _local(b.end, plan.timezone)[11:]] for _, b in breaks
                ],
                hovertemplate="%{y} break %{customdata[0]}-%{customdata[1]}<extra></extra>",
                meta={"role": "break", "contract": contract},
            )
        )
        first_breaks = False
    order = [w for w, _ in rows]
    fig.update_layout(
        barmode="overlay",
        height=max(240, 90 + ROW_HEIGHT_PX * len(order)),
        margin={"l": 90, "r": 20, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": order[::-1],
            "tickmode": "array",
            "tickvals": order,
            "automargin": True,
        },
        xaxis={"type": "date", "title": f"local time ({plan.timezone})"},
    )
    return fig


def coverage_figure(plan: Plan, target_service_level: float | None) -> go.Figure:
    """Return required and scheduled agents per interval (steps) with the service level on a second axis."""
    starts = [_local(r.interval_start, plan.timezone) for r in plan.coverage]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=starts, y=[r.required for r in plan.coverage], name="required", line={"shape": "hv", "color": "#555"}
        )
    )
    fig.add_trace(
        go.Scatter(
            x=starts,
            y=[r.scheduled for r in plan.coverage],
            name="scheduled",
            line={"shape": "hv", "color": FTE_COLOUR},
            fill="tozeroy",
            fillcolor="rgba(59,110,168,0.15)",
        )
    )
    short = [r.scheduled if r.scheduled < r.required else None for r in plan.coverage]
    fig.add_trace(
        go.Scatter(x=starts, y=short, name="short", mode="markers", marker={"color": SHORT_COLOUR, "size": 5})
    )
    fig.add_trace(
        go.Scatter(
            x=starts,
            y=[r.service_level if r.volume > 0 else None for r in plan.coverage],
            name="service level",
            yaxis="y2",
            line={"color": "#2e8b57", "width": 1},
        )
    )
    if target_service_level is not None:
        fig.add_hline(y=target_service_level, yref="y2", line={"dash": "dot", "color": "#2e8b57"})
    fig.update_layout(
        height=360,
        margin={"l": 60, "r": 60, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
        yaxis={"title": "agents", "rangemode": "tozero"},
        yaxis2={
            "title": "service level",
            "overlaying": "y",
            "side": "right",
            "range": [0, 1.05],
            "tickformat": ".0%",
            "tickmode": "linear",
            "tick0": 0,
            "dtick": 0.2,
            "showgrid": False,
        },
        xaxis={"type": "date", "title": f"local time ({plan.timezone})"},
    )
    return fig


def cost_figure(plan: Plan) -> go.Figure:
    """Return the plan's cost split (FTE, FTE fixed, gig, overtime) and the objective's penalty terms [money]."""
    k = plan.kpis
    overtime = sum(s.overtime_cost_cents for s in plan.shifts)
    parts = {
        "FTE": max(0, k.fte_cost_cents - overtime),
        "FTE fixed": k.fte_fixed_cost_cents,
        "gig": k.gig_cost_cents,
        "overtime": overtime,
        "shortfall penalty": plan.cost_terms_cents.get("shortfall_penalty", 0),
        "missed service penalty": plan.cost_terms_cents.get("missed_service_penalty", 0),
    }
    names = [n for n, v in parts.items() if v or n in ("FTE", "gig", "shortfall penalty")]
    colours = {"FTE": FTE_COLOUR, "FTE fixed": "#7fa6d1", "gig": GIG_COLOUR, "overtime": "#8e44ad"}
    fig = go.Figure(
        go.Bar(
            x=names,
            y=[parts[n] / 100 for n in names],
            marker={"color": [colours.get(n, SHORT_COLOUR) for n in names]},
            text=[f"{parts[n] / 100:,.0f}" for n in names],
            textposition="outside",
        )
    )
    fig.update_layout(height=300, margin={"l": 60, "r": 20, "t": 30, "b": 40}, yaxis={"title": "cost"})
    return fig
