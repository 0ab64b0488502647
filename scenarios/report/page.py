"""Assemble the report page: one self-contained HTML file (plotly.js embedded, no network needed).

The page has a header (horizon, solver and check status), headline numbers, the Gantt with contract and day
filters, coverage against requirement with the service level, the cost breakdown, the unmet runs, and for
re-plans the list of changes. Filters are a few lines of script over the embedded plotly.js API.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd
from plotly.offline import get_plotlyjs

from optimizer.domain import Plan
from optimizer.export import unmet_frame
from scenarios.report.charts import cost_figure, coverage_figure, gantt_figure, worker_rows


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """What a report shows beyond the plan: titles, the contract of each worker, check results, changes."""

    title: str
    contracts: Mapping[str, str] = field(default_factory=dict)
    target_service_level: float | None = None
    answer_within_s: float | None = None
    violations: Sequence[str] = ()
    notes: Sequence[str] = ()
    changes: pd.DataFrame | None = None


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    return get_plotlyjs()


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f3b5c;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;opacity:.85;font-size:13px}main{padding:12px 24px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:12px 0;padding:10px 16px}
h2{font-size:16px;margin:4px 0 8px}.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:8px 14px;min-width:130px}
.card b{display:block;font-size:18px}.card span{font-size:12px;color:#666}
.ok{color:#1e7d32}.bad{color:#b71c1c}table{border-collapse:collapse;font-size:13px}
td,th{border-bottom:1px solid #eee;padding:3px 10px;text-align:left}label{margin-right:14px;font-size:13px}
"""

_SCRIPT = """
(function(){
  const gantt = document.getElementById('gantt');
  const rows = JSON.parse(document.getElementById('gantt-rows').textContent);
  const contract = document.getElementById('filter-contract');
  const day = document.getElementById('filter-day');
  function nextDay(d){
    const t = new Date(d + 'T12:00:00Z'); t.setUTCDate(t.getUTCDate() + 1); return t.toISOString().slice(0, 10);
  }
  function apply(){
    const c = contract.value, d = day.value;
    const shown = rows.filter(r => c === 'all' || r[1] === c).map(r => r[0]);
    const visible = gantt.data.map(t => c === 'all' || (t.meta && t.meta.contract === c));
    Plotly.restyle(gantt, {visible: visible});
    const layout = {'yaxis.categoryarray': shown.slice().reverse(), 'yaxis.tickvals': shown,
                    'height': Math.max(240, 90 + 22 * shown.length)};
    if (d === 'all') { layout['xaxis.autorange'] = true; }
    else { layout['xaxis.range'] = [d + ' 00:00', nextDay(d) + ' 00:00']; }
    Plotly.relayout(gantt, layout);
    gantt.setAttribute('data-rows', String(shown.length));
  }
  contract.addEventListener('change', apply);
  day.addEventListener('change', apply);
})();
"""


def _money(cents: int | float) -> str:
    return f"{cents / 100:,.2f}"


def _card(value: str, label: str, css: str = "") -> str:
    return f'<div class="card"><b class="{css}">{html.escape(value)}</b><span>{html.escape(label)}</span></div>'


def _table(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p>{html.escape(empty)}</p>"
    return frame.to_html(index=False, border=0, escape=True, na_rep="")


def _figure_div(fig_json: str, div_id: str) -> str:
    return (
        f'<div id="{div_id}"></div><script>(function(){{const f={fig_json};'
        f"Plotly.newPlot('{div_id}', f.data, f.layout, {{responsive: true, displaylogo: false}});}})();</script>"
    )


def _status(plan: Plan, inputs: ReportInputs) -> str:
    s = plan.solver
    solved = str(s.status) in ("OPTIMAL", "FEASIBLE")
    check = (
        '<span class="ok">passed</span>'
        if not inputs.violations
        else f'<span class="bad">{len(inputs.violations)} violation(s)</span><ul>'
        + "".join(f"<li>{html.escape(v)}</li>" for v in inputs.violations[:20])
        + "</ul>"
    )
    gap = f"{s.gap_ratio:.3%}" if s.gap_ratio is not None else "-"
    return (
        f'<p>Solver: <b class="{"ok" if solved else "bad"}">{html.escape(str(s.status))}</b>; objective '
        f"{_money(s.objective_cents or 0)}, bound {_money(s.best_bound_cents or 0)}, gap {gap}, "
        f"{s.wall_time_s:.1f} s, {html.escape(s.solver_version)}. Independent check: {check}</p>"
        f"<p>Inputs digest <code>{html.escape(plan.inputs_digest[:16])}</code>, shiftmix "
        f"{html.escape(plan.software_version)}.</p>"
    )


def _cards(plan: Plan, inputs: ReportInputs) -> str:
    k = plan.kpis
    target = f" (target {inputs.target_service_level:.0%})" if inputs.target_service_level is not None else ""
    within = f" within {inputs.answer_within_s:g} s" if inputs.answer_within_s is not None else ""
    sl_ok = inputs.target_service_level is None or k.service_level >= inputs.target_service_level
    cards = [
        _card(_money(k.total_cost_cents), "total cost"),
        _card(
            _money(k.fte_cost_cents + k.fte_fixed_cost_cents), f"FTE ({k.fte_hours:,.0f} h, {k.fte_employed} employed)"
        ),
        _card(_money(k.gig_cost_cents), f"gig ({k.gig_shifts} shifts, {k.gig_hours:,.0f} h)"),
        _card(f"{k.service_level:.1%}", f"service level{within}{target}", "ok" if sl_ok else "bad"),
        _card(f"{k.asa_s:.1f} s" if k.asa_s is not None else "none", "ASA over answered contacts"),
        _card(
            f"{k.understaffed_intervals}",
            f"understaffed intervals ({k.shortfall_agent_hours:g} agent-h short)",
            "ok" if not k.understaffed_intervals else "bad",
        ),
    ]
    if k.overloaded_intervals:
        cards.append(
            _card(
                f"{k.overloaded_intervals}", f"intervals nobody can answer ({k.overloaded_volume:,.1f} contacts)", "bad"
            )
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def render_page(plan: Plan, inputs: ReportInputs) -> str:
    """Return the report as one HTML document with plotly.js embedded (works offline)."""
    rows = worker_rows(plan, inputs.contracts)
    contracts = list(dict.fromkeys(c for _, c in rows))
    days = sorted({r.interval_start.astimezone(pd.Timestamp(0, tz=plan.timezone).tzinfo).date() for r in plan.coverage})
    contract_options = "".join(f'<option value="{html.escape(c)}">{html.escape(c)}</option>' for c in contracts)
    day_options = "".join(f'<option value="{d.isoformat()}">{d:%a %Y-%m-%d}</option>' for d in days)
    horizon = f"{days[0]} .. {days[-1]}" if days else ""
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in inputs.notes)
    changes = (
        f"<section><h2>What the re-plan changed</h2>{_table(inputs.changes, 'No changes.')}</section>"
        if inputs.changes is not None
        else ""
    )
    unmet = unmet_frame(plan)
    gantt = gantt_figure(plan, inputs.contracts)
    body = f"""
<header><h1>{html.escape(inputs.title)}</h1>
<p>{horizon} &middot; {plan.interval_min}-minute intervals &middot; {html.escape(plan.timezone)}
(times are local)</p></header>
<main>
<section id="status"><h2>Solver and check</h2>{_status(plan, inputs)}{notes}</section>
<section id="kpis"><h2>Headline</h2>{_cards(plan, inputs)}</section>
<section id="schedule"><h2>Schedule by person</h2>
<label>Contract <select id="filter-contract"><option value="all">all</option>{contract_options}</select></label>
<label>Day <select id="filter-day"><option value="all">whole horizon</option>{day_options}</select></label>
<script type="application/json" id="gantt-rows">{json.dumps(rows)}</script>
{_figure_div(gantt.to_json(), "gantt")}</section>
<section id="coverage"><h2>Coverage against requirement</h2>
{_figure_div(coverage_figure(plan, inputs.target_service_level).to_json(), "coverage-chart")}</section>
<section id="cost"><h2>Cost breakdown</h2>{_figure_div(cost_figure(plan).to_json(), "cost-chart")}</section>
<section id="unmet"><h2>Unmet runs (scheduled below required)</h2>
{_table(unmet, "Every interval is staffed to its requirement.")}</section>
{changes}
</main>"""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(inputs.title)}</title><style>{_STYLE}</style>"
        f'<script type="text/javascript">{_plotly_js()}</script></head><body>{body}'
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
