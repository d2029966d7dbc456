"""Charts of a run: the pictures a planner and an executive read.

Every function takes the run's tables (or an
:class:`~salesim.experiments.Ensemble`, which holds them) and returns a
matplotlib :class:`~matplotlib.figure.Figure` drawn on the Agg canvas, never
touching files or pyplot's global figures: notebooks show the figure, the HTML
report embeds it (:func:`figure_png`). One style throughout, readable when
printed in black and white: the P50 as a solid dark line, the P10-P90 band in
light grey, and series told apart by line style and hatching rather than by
colour alone.

Per-team views group by the KPI table's ``team`` column when the rows of that
metric have one, and by ``role`` (SDR, AE, CS) otherwise.

Tables a chart reads (``mean``/``p10``/``p50``/``p90`` are statistics across
replications; a single replication's table with a ``value`` column works too):

* the KPI table (``Ensemble.kpis``): :func:`fan_chart`,
  :func:`speed_to_lead_chart`, :func:`headcount_chart`,
  :func:`bottleneck_chart`, :func:`arr_waterfall`, :func:`channel_chart`;
* ``Ensemble.funnel`` (``stage``, ``stage_index``, ``channel``, ``mean``) or
  :func:`salesim.metrics.cohort_funnel` output (``count``):
  :func:`funnel_chart`;
* ``Ensemble.attainment`` (``role``, optional ``team``, ``attainment``: one row
  per rep per replication): :func:`attainment_histograms`;
* ``Ensemble.replications``: :func:`target_chart`;
* plan comparisons and sensitivity results as plain tables, documented at
  :func:`plan_comparison_chart` and :func:`tornado_chart`.

>>> import salesim
>>> from salesim.report import charts
>>> ensemble = salesim.run("scenarios/minimal.yaml", reps=4, seed=1, workers=1, progress=False)
>>> figure = charts.fan_chart(ensemble, "bookings")
>>> figure.axes[0].get_title(loc="left")
'Bookings per month'
>>> len(charts.figure_png(figure)) > 1000
True
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from salesim.experiments.ensemble import Ensemble
from salesim.report.fonts import enable_cjk_fallback
from salesim.report.formatting import (
    Kind,
    axis_formatter,
    format_count,
    format_metric,
    format_money,
    format_percent,
    metric_kind,
)
from salesim.roles import KINDS

enable_cjk_fallback()


def _show_in_notebooks() -> None:
    """Let IPython show these figures as PNG images: they are not pyplot figures,
    so the inline backend does not know them unless pyplot was imported."""
    ipython_module = sys.modules.get("IPython")
    shell = ipython_module.get_ipython() if ipython_module is not None else None
    if shell is not None:
        formatter = shell.display_formatter.formatters["image/png"]
        formatter.for_type(Figure, lambda figure: figure_png(figure, dpi=100))

INK = "#1a1a1a"
"""Lines, text and the P50."""
BAND = "#c8c8c8"
"""The P10-P90 band."""
SERIES = ("#1f3b5a", "#d08c2e", "#6a9a5b", "#8c8c8c", "#a14a4a", "#5a4a8c")
"""Series colours, dark and light in turn so that they differ in grey too."""
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 2)))
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "ooo")
GUIDE = "#e6e6e6"
"""Shaded guides (the 70-80% attainment band)."""
QUOTA = 1.0
PLAN_GUIDE = (0.70, 0.80)
"""Plans should put average attainment at 70-80% (domain guidance)."""

STAGE_LABELS = {
    "leads": "Leads", "attempted": "Called", "contacted": "Reached",
    "meetings_set": "Meetings set", "meetings_held": "Meetings held",
    "valid_meetings": "Valid meetings", "opportunities": "Opportunities",
    "deals_won": "Deals won",
}
TITLES = {"bookings": "Bookings per month", "ending_arr": "ARR at month end",
          "new_arr": "New ARR per month", "total_cost": "Cost per month",
          "leads": "Leads per month"}

Source = Ensemble | pd.DataFrame


# ----------------------------------------------------------------------------- helpers


def new_figure(width: float = 8.0, height: float = 4.2) -> Figure:
    """An empty figure on the Agg canvas, in the charts' style."""
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained",
                    facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _style(ax: Axes, title: str = "") -> None:
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", color=INK)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#555555")
    ax.tick_params(colors="#333333", labelsize=9)
    ax.grid(True, color="#e3e3e3", linewidth=0.8)
    ax.set_axisbelow(True)


def _format_axis(ax: Axes, which: str, kind: Kind, currency: str = "") -> None:
    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_major_formatter(FuncFormatter(axis_formatter(kind, currency)))


def figure_png(figure: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (for the HTML report or a file)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _kpis(source: Source) -> pd.DataFrame:
    return source.kpis if isinstance(source, Ensemble) else source


def _currency(source: Source, currency: str | None) -> str:
    if currency is not None:
        return currency
    table = _kpis(source)
    if "unit" in table.columns and "metric" in table.columns:
        units = table.loc[table["metric"] == "bookings", "unit"]
        if len(units):
            return str(units.iloc[0])
        codes = [u for u in table["unit"].astype(str).unique() if len(u) == 3 and u.isupper()]
        if codes:
            return str(codes[0])
    return ""


def _stats(rows: pd.DataFrame) -> pd.DataFrame:
    """``mean``, ``p10``, ``p50``, ``p90``; a single replication's ``value`` stands
    for all four."""
    if "p50" in rows.columns:
        return rows
    return rows.assign(mean=rows["value"], p10=rows["value"], p50=rows["value"],
                       p90=rows["value"])


def _blank(rows: pd.DataFrame, column: str) -> pd.Series:
    if column not in rows.columns:
        return pd.Series(True, index=rows.index)
    return rows[column].astype(str) == ""


def company_rows(kpis: pd.DataFrame, metric: str, period_type: str) -> pd.DataFrame:
    """One metric's company-wide rows (no channel, segment, role, team or rep)."""
    rows = kpis.loc[(kpis["metric"] == metric) & (kpis["period_type"] == period_type)]
    keep = (_blank(rows, "channel") & _blank(rows, "segment") & _blank(rows, "role")
            & _blank(rows, "team"))
    if "rep_id" in rows.columns:
        keep &= rows["rep_id"] < 0
    return _stats(rows.loc[keep])


def team_rows(kpis: pd.DataFrame, metric: str, period_type: str) -> tuple[str, pd.DataFrame]:
    """One metric's rows per team: by ``team`` when the table has team rows for it,
    else by ``role``. Returns the column used and the rows (with a ``group`` column)."""
    rows = kpis.loc[(kpis["metric"] == metric) & (kpis["period_type"] == period_type)]
    rows = rows.loc[_blank(rows, "channel") & _blank(rows, "segment")]
    if "rep_id" in rows.columns:
        rows = rows.loc[rows["rep_id"] < 0]
    if "team" in rows.columns and (rows["team"].astype(str) != "").any():
        found = rows.loc[rows["team"].astype(str) != ""]
        return "team", _stats(found.assign(group=found["team"].astype(str)))
    found = rows.loc[(rows["role"].astype(str) != "") & _blank(rows, "team")]
    return "role", _stats(found.assign(group=found["role"].astype(str)))


def group_label(name: str, column: str) -> str:
    """How a team is named on a chart: kinds in capitals (``AE``), including the
    shorthand teams named after their kind; other teams as written."""
    return name.upper() if (column == "role" and len(name) <= 4) or name in KINDS else name


def _months(periods: pd.Series) -> pd.DatetimeIndex:
    return pd.PeriodIndex(periods.astype(str), freq="M").to_timestamp()


def _date_axis(ax: Axes) -> None:
    locator = AutoDateLocator(minticks=3, maxticks=7)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _empty(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
            color="#666666", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])


def _grid(count: int, width: float = 8.0, row_height: float = 2.8, columns: int = 3
          ) -> tuple[Figure, list[Axes]]:
    columns = max(1, min(columns, count))
    rows = max(1, -(-count // columns))
    figure = new_figure(width, 0.6 + row_height * rows)
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for ax in axes[count:]:
        ax.set_visible(False)
    return figure, axes[:max(count, 1)]


def _legend(ax: Axes, **options: Any) -> None:
    ax.legend(frameon=False, fontsize=8.5, **options)


# ----------------------------------------------------------------------------- over time


def fan_chart(source: Source, metric: str = "bookings", title: str | None = None,
              currency: str | None = None) -> Figure:
    """A company-wide metric per month: its P50 across replications as a line and
    the P10-P90 band around it (``bookings``, ``ending_arr`` for ARR, ...)."""
    kpis = _kpis(source)
    currency = _currency(source, currency)
    rows = company_rows(kpis, metric, "month")
    figure = new_figure()
    ax = figure.subplots()
    _style(ax, title or TITLES.get(metric, metric.replace("_", " ").capitalize()))
    if rows.empty:
        _empty(ax, f"no monthly {metric} in this run")
        return figure
    when = _months(rows["period"])
    ax.fill_between(when, rows["p10"], rows["p90"], color=BAND, linewidth=0,
                    label="P10–P90 (8 in 10 replications)")
    ax.plot(when, rows["p50"], color=INK, linewidth=2, label="P50")
    unit = str(rows["unit"].iloc[0]) if "unit" in rows.columns else None
    _format_axis(ax, "y", metric_kind(metric, unit), currency)
    ax.set_ylim(bottom=min(0.0, float(np.nanmin(rows["p10"]))))
    _date_axis(ax)
    _legend(ax, loc="upper left")
    return figure


def speed_to_lead_chart(source: Source) -> Figure:
    """Speed to lead per month: the median minutes from a new lead to its first
    call (P50 across replications and the P10-P90 band, log scale), and the
    share of leads called within 5 minutes and within an hour."""
    kpis = _kpis(source)
    figure = new_figure(8.0, 3.8)
    left, right = figure.subplots(1, 2)
    _style(left, "Minutes to first call (median)")
    _style(right, "Leads called in time")
    rows = company_rows(kpis, "speed_to_lead_median_minutes", "month")
    if rows.empty:
        _empty(left, "no speed to lead in this run")
        _empty(right, "")
        return figure
    when = _months(rows["period"])
    left.fill_between(when, rows["p10"].clip(lower=0.1), rows["p90"].clip(lower=0.1),
                      color=BAND, linewidth=0, label="P10–P90")
    left.plot(when, rows["p50"].clip(lower=0.1), color=INK, linewidth=2, label="P50")
    left.set_ylim(bottom=0)
    left.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _minutes(v)))
    _legend(left, loc="upper left")
    for index, (metric, label) in enumerate((("speed_to_lead_within_5min_share", "within 5 min"),
                                             ("speed_to_lead_within_1h_share", "within 1 hour"))):
        share = company_rows(kpis, metric, "month")
        if share.empty:
            continue
        right.plot(_months(share["period"]), share["p50"], color=SERIES[index],
                   linestyle=LINESTYLES[index], linewidth=2, label=label)
    right.set_ylim(0, 1)
    right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _legend(right, loc="lower right")
    for ax in (left, right):
        _date_axis(ax)
    return figure


def _minutes(value: float) -> str:
    if value >= 60 * 24:
        return f"{value / 1440:.2g} d"
    if value >= 60:
        return f"{value / 60:.2g} h"
    return f"{value:.2g} min"


def headcount_chart(source: Source) -> Figure:
    """Heads (solid) and ramped capacity (dashed: heads weighted by ramp
    productivity) per month, one panel per team; the averages across
    replications."""
    kpis = _kpis(source)
    column, heads = team_rows(kpis, "headcount", "month")
    _, ramped = team_rows(kpis, "ramped_headcount", "month")
    groups = list(dict.fromkeys(heads["group"]))
    figure, axes = _grid(len(groups))
    if not groups:
        _style(axes[0], "Headcount")
        _empty(axes[0], "no headcount in this run")
        return figure
    for ax, group in zip(axes, groups, strict=False):
        _style(ax, group_label(group, column))
        mine = heads.loc[heads["group"] == group]
        ax.plot(_months(mine["period"]), mine["mean"], color=INK, linewidth=2, label="heads")
        ramp = ramped.loc[ramped["group"] == group]
        if not ramp.empty:
            ax.plot(_months(ramp["period"]), ramp["mean"], color=SERIES[1], linestyle="--",
                    linewidth=2, label="ramped capacity")
        ax.set_ylim(bottom=0)
        _date_axis(ax)
    _legend(axes[0], loc="lower right")
    figure.suptitle("Headcount and ramped capacity (average over replications)",
                    x=0.01, ha="left", fontsize=11, fontweight="bold")
    return figure


# ----------------------------------------------------------------------------- the funnel


def funnel_chart(source: Source, channel: str = "") -> Figure:
    """The lead-to-deal funnel on the cohort basis: how many leads created in the
    horizon reached each stage (log scale: a few deals from thousands of leads)
    and the conversion from each stage to the next, from the average counts.

    ``source``: an Ensemble, its ``funnel`` table, or
    :func:`salesim.metrics.cohort_funnel` output for one period.
    """
    table = source.funnel if isinstance(source, Ensemble) else source
    figure = new_figure(8.0, 4.2)
    ax = figure.subplots()
    _style(ax, "Lead-to-deal funnel (cohort: leads created in the horizon)"
           + (f", {channel}" if channel else ""))
    if table is None or table.empty:
        _empty(ax, "this run kept no funnel (run it again with this salesim version)")
        return figure
    rows = table
    if "channel" in rows.columns:
        rows = rows.loc[rows["channel"].astype(str) == channel]
    counts = (rows.groupby(["stage_index", "stage"], sort=True)
              ["mean" if "mean" in rows.columns else "count"].sum().reset_index())
    values = counts.iloc[:, -1].to_numpy(dtype=float)
    labels = [STAGE_LABELS.get(str(s), str(s)) for s in counts["stage"]]
    positions = np.arange(len(values))[::-1]
    ax.barh(positions, np.maximum(values, 0.5), color=SERIES[0], height=0.65)
    ax.set_xscale("log")
    ax.set_yticks(positions, labels)
    ax.grid(axis="y", visible=False)
    top = float(np.nanmax(values)) if len(values) else 1.0
    ax.set_xlim(0.5, top * 40)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_count(v)))
    for index, (position, value) in enumerate(zip(positions, values, strict=True)):
        text = format_count(value)
        if index > 0 and values[index - 1] > 0:
            text += f"   {format_percent(value / values[index - 1], 0)} of previous"
        ax.text(max(value, 0.5) * 1.15, position, text, va="center", fontsize=9, color=INK)
    return figure


def channel_chart(source: Source, metric: str = "bookings", currency: str | None = None
                  ) -> Figure:
    """A metric over the whole horizon per channel: P50 bars with P10-P90 whiskers."""
    kpis = _kpis(source)
    currency = _currency(source, currency)
    rows = kpis.loc[(kpis["metric"] == metric) & (kpis["period_type"] == "total")
                    & (kpis["channel"].astype(str) != "")]
    rows = _stats(rows)
    figure = new_figure(8.0, 1.2 + 0.45 * max(len(rows), 2))
    ax = figure.subplots()
    _style(ax, f"{metric.replace('_', ' ').capitalize()} by channel (whole horizon)")
    if rows.empty:
        _empty(ax, f"no {metric} by channel in this run")
        return figure
    rows = rows.sort_values("p50")
    positions = np.arange(len(rows))
    p50 = rows["p50"].to_numpy(dtype=float)
    ax.barh(positions, p50, color=SERIES[0], height=0.6, label="P50")
    ax.errorbar(p50, positions, xerr=[p50 - rows["p10"].to_numpy(dtype=float),
                                      rows["p90"].to_numpy(dtype=float) - p50],
                fmt="none", ecolor=INK, capsize=3, linewidth=1, label="P10–P90")
    ax.set_yticks(positions, rows["channel"].astype(str).tolist())
    ax.grid(axis="y", visible=False)
    unit = str(rows["unit"].iloc[0]) if "unit" in rows.columns else None
    _format_axis(ax, "x", metric_kind(metric, unit), currency)
    _legend(ax, loc="lower right")
    return figure


# ----------------------------------------------------------------------------- people


def attainment_histograms(source: Source, bins: int = 24, cap: float = 3.0) -> Figure:
    """Quota attainment over the whole horizon as a distribution over reps and
    replications, one panel per team: the quota line at 100%, the 70-80% band
    where plans should put the average, and the mean.

    ``source``: an Ensemble or its ``attainment`` table (one row per rep per
    replication: ``role``, optional ``team``, ``attainment``). Each rep's
    attainment is computed inside its replication, so different people who
    share a rep id in different replications are never averaged together.
    Values above ``cap`` are shown in the last bar.
    """
    table = source.attainment if isinstance(source, Ensemble) else source
    if table is None or table.empty:
        figure, axes = _grid(1)
        _style(axes[0], "Quota attainment")
        _empty(axes[0], "no rep has a quota in this run")
        return figure
    column = "team" if "team" in table.columns and (table["team"].astype(str) != "").any() \
        else "role"
    values = table.loc[table[column].astype(str) != ""] if column == "team" else table
    groups = list(dict.fromkeys(values[column].astype(str)))
    figure, axes = _grid(len(groups), row_height=3.0, columns=2)
    figure.get_layout_engine().set(h_pad=0.12)  # type: ignore[union-attr, call-arg]
    edges = np.linspace(0.0, cap, bins + 1).tolist()
    for ax, group in zip(axes, groups, strict=False):
        mine = values.loc[values[column].astype(str) == group, "attainment"].to_numpy(float)
        mine = mine[~np.isnan(mine)]
        _style(ax, f"{group_label(group, column)}: attainment")
        ax.axvspan(*PLAN_GUIDE, color=GUIDE, zorder=0,
                   label="plan guide: average attainment 70–80%")
        ax.hist(np.clip(mine, 0.0, cap), bins=edges, color=SERIES[0], edgecolor="white",
                linewidth=0.6, weights=np.full(len(mine), 1 / max(len(mine), 1)))
        ax.axvline(QUOTA, color=INK, linewidth=2, label="quota (100%)")
        if len(mine):
            mean = float(mine.mean())
            ax.axvline(min(mean, cap), color=SERIES[1], linewidth=2, linestyle="--",
                       label="mean")
            at_quota = float((mine >= QUOTA - 1e-9).mean())
            ax.text(0.98, 0.95, f"mean {format_percent(mean, 0)}\n"
                                f"{format_percent(at_quota, 0)} at or above quota\n"
                                f"{format_count(len(mine))} reps x replications",
                    transform=ax.transAxes, ha="right", va="top", fontsize=8.5, color=INK)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlim(0, cap)
        ax.set_ylabel("share of reps", fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False,
                  fontsize=8.5)
    return figure


def bottleneck_chart(source: Source) -> Figure:
    """Where work piles up, per team over the whole horizon: utilisation (work /
    capacity) and the mean wait in the queue before the team picks work up; P50
    across replications with P10-P90 whiskers."""
    kpis = _kpis(source)
    figure = new_figure(8.0, 3.6)
    left, right = figure.subplots(1, 2)
    for ax, metric, title, kind in ((left, "utilisation", "Utilisation", "share"),
                                    (right, "wait_hours_mean", "Mean wait in queue", "hours")):
        _style(ax, title)
        column, rows = team_rows(kpis, metric, "total")
        rows = rows.dropna(subset=["p50"])
        if rows.empty:
            _empty(ax, "no queue data" if kind == "hours" else "no capacity data")
            continue
        positions = np.arange(len(rows))
        p50 = rows["p50"].to_numpy(dtype=float)
        hatches = [HATCHES[i % len(HATCHES)] for i in range(len(rows))]
        bars = ax.bar(positions, p50, color=SERIES[0], width=0.6, edgecolor="white")
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
        ax.errorbar(positions, p50, yerr=[p50 - rows["p10"].to_numpy(dtype=float),
                                          rows["p90"].to_numpy(dtype=float) - p50],
                    fmt="none", ecolor=INK, capsize=3, linewidth=1)
        ax.set_xticks(positions, [group_label(g, column) for g in rows["group"]])
        ax.grid(axis="x", visible=False)
        if kind == "share":
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            ax.axhline(1.0, color=INK, linewidth=1, linestyle=":")
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f} h"))
        for position, value in zip(positions, p50, strict=True):
            ax.text(position, value, f" {format_metric(metric, value)}", ha="center",
                    va="bottom", fontsize=8.5, color=INK)
    return figure


# ----------------------------------------------------------------------------- money


def arr_waterfall(source: Source, currency: str | None = None) -> Figure:
    """ARR over the whole horizon from start to end: new, expansion, contraction
    and churn, as the average across replications (averages add up, so the
    bars close exactly; medians would not)."""
    kpis = _kpis(source)
    currency = _currency(source, currency)
    steps = (("starting_arr", "Start", 0), ("new_arr", "New", 1),
             ("expansion_arr", "Expansion", 1), ("contraction_arr", "Contraction", -1),
             ("churned_arr", "Churn", -1), ("ending_arr", "End", 0))
    figure = new_figure(8.0, 4.0)
    ax = figure.subplots()
    _style(ax, "ARR from start to end of the horizon (average)")
    found = {}
    for metric, _, _ in steps:
        rows = company_rows(kpis, metric, "total")
        if not rows.empty:
            found[metric] = float(rows["mean"].iloc[0])
    if len(found) < len(steps):
        _empty(ax, "no ARR roll-forward in this run")
        return figure
    level = 0.0
    for position, (metric, _label, sign) in enumerate(steps):
        amount = found[metric]
        if sign == 0:
            bottom, height, colour, hatch = 0.0, amount, INK, ""
            level = amount
        elif sign > 0:
            bottom, height, colour, hatch = level, amount, SERIES[2], ""
            level += amount
        else:
            bottom, height, colour, hatch = level - amount, amount, SERIES[4], "///"
            level -= amount
        ax.bar(position, height, bottom=bottom, color=colour, hatch=hatch, width=0.6,
               edgecolor="white")
        shown = format_money(sign * amount if sign else amount, currency)
        ax.text(position, bottom + height, ("+" if sign > 0 else "") + shown,
                ha="center", va="bottom", fontsize=9, color=INK)
    ax.set_xticks(range(len(steps)), [label for _, label, _ in steps])
    ax.grid(axis="x", visible=False)
    _format_axis(ax, "y", "money", currency)
    return figure


def target_chart(source: Ensemble | pd.DataFrame, metric: str = "bookings",
                 target: float | None = None, currency: str | None = None) -> Figure:
    """The chance of reaching each value of a headline metric: the share of
    replications at or above it, with the target marked.

    ``source``: an Ensemble or its ``replications`` table.
    """
    table = source.replications if isinstance(source, Ensemble) else source
    currency = (source.currency if isinstance(source, Ensemble) else "") \
        if currency is None else currency
    values = np.sort(table[metric].to_numpy(dtype=float))
    values = values[~np.isnan(values)]
    figure = new_figure(8.0, 3.6)
    ax = figure.subplots()
    _style(ax, f"Chance of reaching each {metric.replace('_', ' ')} figure")
    if not len(values):
        _empty(ax, f"no {metric} in this run")
        return figure
    chance = 1.0 - np.arange(len(values)) / len(values)
    ax.step(values, chance, where="post", color=INK, linewidth=2)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.02)
    _format_axis(ax, "x", metric_kind(metric), currency)
    if target is not None:
        hit = float((values >= target).mean())
        ax.axvline(target, color=SERIES[1], linestyle="--", linewidth=2)
        ax.text(target, 1.0, f" target {format_metric(metric, target, currency)}: "
                             f"{format_percent(hit, 0)} of replications",
                ha="left", va="top", fontsize=9, color=INK)
    ax.set_ylabel("share of replications at or above", fontsize=9)
    return figure


# ----------------------------------------------------------------------------- decisions


PLAN_COMPARISON_COLUMNS = ("metric", "mean_difference", "ci95_low", "ci95_high")
TORNADO_COLUMNS = ("input", "low", "high")


def plan_comparison_chart(differences: pd.DataFrame, currency: str = "",
                          title: str = "Plan B minus plan A (paired replications)"
                          ) -> Figure:
    """Paired differences between two plans, one row per metric on its own scale:
    the mean difference and its 95% interval, with zero marked.

    ``differences`` columns: ``metric`` (headline name), ``mean_difference``
    (mean over replications of B - A, run with common random numbers),
    ``ci95_low`` and ``ci95_high`` (the interval of that mean); optional
    ``unit`` (a KPI unit, for formatting). An interval clear of zero is a
    difference the plans make, not noise.
    """
    missing = [c for c in PLAN_COMPARISON_COLUMNS if c not in differences.columns]
    if missing:
        raise ValueError(f"plan comparison table lacks column(s) {', '.join(missing)} "
                         f"(expected {', '.join(PLAN_COMPARISON_COLUMNS)})")
    count = len(differences)
    figure = new_figure(8.0, 1.1 + 0.62 * max(count, 1))
    figure.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold")
    figure.supxlabel("mean difference and its 95% interval; filled dot: the interval is "
                     "clear of zero", fontsize=8.5, color="#555555")
    if count == 0:
        ax = figure.subplots()
        _empty(ax, "no metrics to compare")
        return figure
    axes = figure.subplots(count, 1, squeeze=False).ravel()
    for ax, (_, row) in zip(axes, differences.iterrows(), strict=True):
        metric = str(row["metric"])
        unit = str(row["unit"]) if "unit" in differences.columns else None
        kind = metric_kind(metric, unit)
        mean, low, high = (float(row[c]) for c in PLAN_COMPARISON_COLUMNS[1:])
        clear = low > 0 or high < 0
        ax.plot([low, high], [0, 0], color=INK, linewidth=2, solid_capstyle="butt")
        ax.plot([mean], [0], marker="o", markersize=7, color=INK if clear else "white",
                markeredgecolor=INK)
        ax.axvline(0, color="#777777", linewidth=1, linestyle=":")
        span = max(abs(low), abs(high), abs(mean), 1e-9)
        ax.set_xlim(-1.25 * span, 1.25 * span)
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.tick_params(labelsize=8)
        _format_axis(ax, "x", kind, currency)
        ax.set_ylabel(metric.replace("_", " "), rotation=0, ha="right", va="center",
                      fontsize=9)
        sign = "+" if mean > 0 else ""
        ax.text(1.0, 0.5, f"{sign}{format_metric(metric, mean, currency, unit)}",
                transform=ax.transAxes, ha="left", va="center", fontsize=9)
    return figure


def tornado_chart(sensitivity: pd.DataFrame, base: float, metric: str = "bookings",
                  currency: str = "") -> Figure:
    """Which inputs move the result most: for each input, the metric with the
    input at its low and at its high setting, as bars from the base result,
    the widest swing on top.

    ``sensitivity`` columns: ``input`` (its name), ``low`` and ``high`` (the
    metric's value, e.g. P50 bookings, with the input at its low / high
    setting); optional ``low_label`` / ``high_label`` (the settings, shown at
    the bar ends). ``base``: the metric with every input at its base setting.
    """
    missing = [c for c in TORNADO_COLUMNS if c not in sensitivity.columns]
    if missing:
        raise ValueError(f"sensitivity table lacks column(s) {', '.join(missing)} "
                         f"(expected {', '.join(TORNADO_COLUMNS)})")
    rows = sensitivity.assign(swing=(sensitivity["high"] - sensitivity["low"]).abs())
    rows = rows.sort_values("swing", kind="stable")
    figure = new_figure(8.0, 1.2 + 0.5 * max(len(rows), 2))
    ax = figure.subplots()
    _style(ax, f"Sensitivity of {metric.replace('_', ' ')}")
    if rows.empty:
        _empty(ax, "no inputs")
        return figure
    positions = np.arange(len(rows))
    for which, colour, hatch in (("low", "white", "///"), ("high", SERIES[0], "")):
        values = rows[which].to_numpy(dtype=float)
        ax.barh(positions, values - base, left=base, height=0.6, color=colour, hatch=hatch,
                edgecolor=INK, linewidth=0.8, label=f"input at its {which} setting")
        labels = rows.get(f"{which}_label")
        if labels is not None:
            for position, value, label in zip(positions, values, labels, strict=True):
                ax.text(float(value), float(position), f" {label} ", va="center", fontsize=8,
                        ha="left" if value >= base else "right", color=INK)
    ax.axvline(base, color=INK, linewidth=1.5)
    ax.set_yticks(positions, rows["input"].astype(str).tolist())
    ax.grid(axis="y", visible=False)
    _format_axis(ax, "x", metric_kind(metric), currency)
    _legend(ax, loc="lower right")
    return figure


_show_in_notebooks()


def all_charts(ensemble: Ensemble, target: float | None = None) -> list[tuple[str, Figure]]:
    """Every chart of one run, titled, in the order the report shows them."""
    charts: Sequence[tuple[str, Any]] = (
        ("Bookings over time", lambda: fan_chart(ensemble, "bookings")),
        ("ARR over time", lambda: fan_chart(ensemble, "ending_arr")),
        ("Chance of reaching the target", lambda: target_chart(ensemble, "bookings", target)),
        ("ARR waterfall", lambda: arr_waterfall(ensemble)),
        ("Funnel", lambda: funnel_chart(ensemble)),
        ("Bookings by channel", lambda: channel_chart(ensemble, "bookings")),
        ("Speed to lead", lambda: speed_to_lead_chart(ensemble)),
        ("Headcount and capacity", lambda: headcount_chart(ensemble)),
        ("Quota attainment", lambda: attainment_histograms(ensemble)),
        ("Bottlenecks", lambda: bottleneck_chart(ensemble)),
    )
    return [(name, make()) for name, make in charts]
