"""The HTML report of a run: one self-contained page for the people who decide.

The page opens with no network: styles are inline and every chart is a PNG
embedded as base64. It holds the headline table (mean, P10, P50, P90), the
chance of reaching the bookings target, the charts of
:func:`salesim.report.charts.all_charts` and the resolved scenario that
produced the run.

The bookings target is the one given, or else the team's quota capacity: the
month-by-month average ramped heads of each role whose quota is counted in
bookings, times that role's monthly quota (the "sales capacity = reps x quota,
adjusted for ramp" of a capacity plan). Without quotas there is no target.

>>> import salesim
>>> from salesim.report.html import report_html
>>> ensemble = salesim.run("scenarios/minimal.yaml", reps=2, seed=1, workers=1, progress=False)
>>> page = report_html(ensemble, target=100_000)
>>> page.startswith("<!DOCTYPE html>"), "data:image/png;base64," in page
(True, True)
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from salesim.experiments.ensemble import Ensemble
from salesim.io import atomic_write_text
from salesim.metrics.plan import Plan
from salesim.report.formatting import format_metric, format_money, format_percent
from salesim.scenario import ScenarioError, loads_scenario

CSS = """
body { font-family: "DejaVu Sans", "Noto Sans CJK JP", "Helvetica Neue", Arial, sans-serif;
       color: #1a1a1a; margin: 0 auto; max-width: 980px; padding: 24px; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; }
h2 { font-size: 1.2em; border-bottom: 2px solid #1a1a1a; padding-bottom: 4px; margin-top: 2em; }
.meta { color: #555; font-size: 0.9em; }
.headline { display: flex; gap: 16px; flex-wrap: wrap; margin: 1em 0; }
.card { border: 1px solid #bbb; border-radius: 6px; padding: 12px 16px; min-width: 180px; }
.card .value { font-size: 1.8em; font-weight: bold; }
.card .label { color: #555; font-size: 0.85em; }
table { border-collapse: collapse; font-size: 0.92em; width: 100%; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; }
th { text-align: left; background: #f2f2f2; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-weight: bold; margin-bottom: 0.4em; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 12px; overflow-x: auto;
      font-size: 0.85em; }
@media print { body { max-width: none; } details { display: block; } }
"""

LABELS = {
    "leads": "Leads", "meetings_held": "Meetings held", "valid_meetings": "Valid meetings",
    "opportunities": "Opportunities", "deals_won": "Deals won", "win_rate": "Win rate",
    "bookings": "Bookings (new ARR)", "ending_arr": "ARR at the end", "nrr": "Net revenue "
    "retention", "grr": "Gross revenue retention", "logo_churn_rate": "Logo churn",
    "speed_to_lead_median_minutes": "Speed to lead (median)",
    "ae_attainment_mean": "AE attainment (mean)", "ae_share_at_quota": "AEs at quota",
    "sdr_attainment_mean": "SDR attainment (mean)", "sdr_share_at_quota": "SDRs at quota",
    "cac": "Customer acquisition cost", "total_cost": "Total cost",
}


def metric_label(metric: str) -> str:
    """A headline metric's name for people: ``Headcount at the end: AE``.

    >>> metric_label("headcount_end_ae"), metric_label("headcount_end_東京")
    ('Headcount at the end: AE', 'Headcount at the end: 東京')
    """
    if metric in LABELS:
        return LABELS[metric]
    for prefix, label in (("headcount_end_", "Headcount at the end"),
                          ("attainment_mean_", "Attainment (mean)"),
                          ("share_at_quota_", "Share at quota"),
                          ("ramped_share_at_quota_", "Fully ramped reps at quota")):
        if metric.startswith(prefix):
            team = metric.removeprefix(prefix)
            return f"{label}: {team.upper() if team in ('sdr', 'ae', 'cs') else team}"
    return metric.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Target:
    """A bookings target and where it comes from."""

    amount: float
    source: str


def quota_capacity(ensemble: Ensemble) -> float | None:
    """The bookings the teams' quotas add up to: per month, the average ramped
    heads of each team with a bookings quota times its monthly quota, summed over
    the horizon. ``None`` without the scenario or without a bookings quota."""
    if not ensemble.scenario_text:
        return None
    try:
        plan = Plan.from_scenario(loads_scenario(ensemble.scenario_text))
    except (ScenarioError, ValueError):
        return None
    kpis = ensemble.kpis
    total = 0.0
    found = False
    for name, team in plan.teams.items():
        if not team.has_quota or team.quota_measure != "bookings":
            continue
        rows = kpis.loc[(kpis["metric"] == "ramped_headcount") & (kpis["period_type"] == "month")
                        & (kpis["channel"] == "") & (kpis["segment"] == "")
                        & (kpis["rep_id"] < 0)]
        if "team" in rows.columns:
            rows = rows.loc[rows["team"].astype(str) == name]
        else:  # a run from before teams: one team per kind, named after it
            rows = rows.loc[rows["role"].astype(str) == name]
        if rows.empty:
            continue
        found = True
        total += float(rows["mean"].sum()) * float(team.quota_per_month or 0.0)
    return total if found else None


def resolve_target(ensemble: Ensemble, target: float | None = None) -> Target | None:
    """The target given, else the quota capacity (see the module docs), else ``None``."""
    if target is not None:
        return Target(float(target), "as given")
    capacity = quota_capacity(ensemble)
    if capacity is None or capacity <= 0:
        return None
    return Target(capacity, "the quota capacity: ramped AE heads x quota, month by month")


def image_tag(png: bytes, alt: str) -> str:
    """An ``<img>`` with the PNG inline as base64."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def headline_table(ensemble: Ensemble) -> str:
    """The headline metrics with mean, P10, P50, P90 as an HTML table."""
    summary = ensemble.summary()
    currency = ensemble.currency
    lines = ['<table><thead><tr><th>metric</th>'
             + "".join(f'<th class="number">{c}</th>' for c in ("mean", "P10", "P50", "P90"))
             + "</tr></thead><tbody>"]
    for metric, row in pd.DataFrame(summary).iterrows():
        name = str(metric)
        label = metric_label(name)
        cells = "".join(f'<td class="number">{html.escape(format_metric(name, row[c], currency))}'
                        "</td>" for c in ("mean", "p10", "p50", "p90"))
        lines.append(f'<tr><td title="{html.escape(name)}">{html.escape(label)}</td>{cells}</tr>')
    lines.append("</tbody></table>")
    return "\n".join(lines)


def report_html(ensemble: Ensemble, target: float | None = None, source: str = "") -> str:
    """The report page as text (see the module docs). ``source``: where the run's
    files are, shown in the page."""
    from salesim.report.charts import all_charts, figure_png

    currency = ensemble.currency
    goal = resolve_target(ensemble, target)
    name = html.escape(ensemble.scenario_name)
    summary = pd.DataFrame(ensemble.summary())
    cards = []
    if "bookings" in ensemble.metrics:
        bookings = summary.loc["bookings"].astype(float).to_dict()
        cards.append(("Bookings P50", format_money(bookings["p50"], currency),
                      f"P10 {format_money(bookings['p10'], currency)} – "
                      f"P90 {format_money(bookings['p90'], currency)}"))
    if goal is not None and "bookings" in ensemble.metrics:
        chance = ensemble.probability_interval("bookings", goal.amount)
        cards.append(("P(bookings ≥ target)", format_percent(chance.estimate, 0),
                      f"target {format_money(goal.amount, currency)} ({goal.source}); "
                      f"95% interval {format_percent(chance.low, 0)}–"
                      f"{format_percent(chance.high, 0)}"))
    if "ending_arr" in ensemble.metrics:
        arr = summary.loc["ending_arr"].astype(float).to_dict()
        cards.append(("ARR at the end, P50", format_money(arr["p50"], currency),
                      f"P10 {format_money(arr['p10'], currency)} – "
                      f"P90 {format_money(arr['p90'], currency)}"))
    card_html = "".join(
        f'<div class="card"><div class="label">{html.escape(label)}</div>'
        f'<div class="value">{html.escape(value)}</div>'
        f'<div class="label">{html.escape(note)}</div></div>'
        for label, value, note in cards)
    figures = []
    for title, figure in all_charts(ensemble, None if goal is None else goal.amount):
        figures.append(f"<figure><figcaption>{html.escape(title)}</figcaption>"
                       f"{image_tag(figure_png(figure), title)}</figure>")
    scenario = (f"<pre>{html.escape(ensemble.scenario_text)}</pre>" if ensemble.scenario_text
                else "<p>This run did not record its scenario.</p>")
    made = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    where = f" · files in {html.escape(source)}" if source else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name}: salesim report</title>
<style>{CSS}</style>
</head>
<body>
<h1>{name}</h1>
<p class="meta">{ensemble.reps} replications, root seed {ensemble.seed}, salesim
{html.escape(ensemble.version)}{where} · report made {made}.
P10, P50 and P90 are across replications: in 9 replications out of 10 the result
is above P10, in half above P50. Money in {html.escape(currency or "the scenario currency")}.</p>
<div class="headline">{card_html}</div>
<h2>Headline metrics</h2>
{headline_table(ensemble)}
<h2>Charts</h2>
{"".join(figures)}
<h2>Scenario</h2>
<p>The resolved scenario that produced these results (every default written out);
<code>salesim run</code> on this file gives the same numbers with the same seed.</p>
<details><summary>scenario.yaml</summary>{scenario}</details>
</body>
</html>
"""


def write_html(ensemble: Ensemble, path: str | Path, target: float | None = None,
               source: str = "") -> Path:
    """Write :func:`report_html` to ``path`` atomically; returns the path."""
    path = Path(path)
    atomic_write_text(path, report_html(ensemble, target, source))
    return path
