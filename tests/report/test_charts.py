"""Charts: each draws what its table says, groups by team when the table has teams
and by role otherwise, and renders Japanese names without missing glyphs."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import salesim
from salesim.report import charts

ROOT = Path(__file__).resolve().parents[2]


def _kpi(metric: str, period_type: str, period: str, mean: float, unit: str = "USD",
         role: str = "", team: str | None = None, channel: str = "",
         spread: float = 0.0) -> dict[str, object]:
    row: dict[str, object] = {
        "period_type": period_type, "period": period, "metric": metric, "channel": channel,
        "segment": "", "role": role, "rep_id": -1, "unit": unit, "mean": mean,
        "p10": mean - spread, "p50": mean, "p90": mean + spread}
    if team is not None:
        row["team"] = team
    return row


def _bars(figure: Figure, axis: int = 0) -> list[tuple[float, float]]:
    """(bottom, height) of each bar of an axes."""
    return [(p.get_y(), p.get_height()) for p in figure.axes[axis].patches
            if hasattr(p, "get_height") and p.get_width() > 0 and p.get_visible()]


def test_every_chart_of_a_run(ensemble: salesim.Ensemble) -> None:
    made = charts.all_charts(ensemble, target=100_000)
    assert len(made) == 10
    for title, figure in made:
        png = charts.figure_png(figure)
        assert png.startswith(b"\x89PNG"), title
        assert len(png) > 5_000, title


def test_fan_chart_draws_the_p50_and_the_band(ensemble: salesim.Ensemble) -> None:
    figure = charts.fan_chart(ensemble, "ending_arr")
    rows = charts.company_rows(ensemble.kpis, "ending_arr", "month")
    (line,) = [ln for ln in figure.axes[0].get_lines() if ln.get_label() == "P50"]
    np.testing.assert_allclose(line.get_ydata(), rows["p50"])
    assert len(rows) == 24
    assert figure.axes[0].get_yticklabels()  # money ticks
    labels = figure.axes[0].yaxis.get_major_formatter().format_ticks([0, 100_000, 200_000])
    assert labels == ["$0", "$100k", "$200k"]


def test_waterfall_closes_from_start_to_end() -> None:
    kpis = pd.DataFrame([_kpi(m, "total", "total", v) for m, v in (
        ("starting_arr", 1_000.0), ("new_arr", 600.0), ("expansion_arr", 150.0),
        ("contraction_arr", 50.0), ("churned_arr", 200.0), ("ending_arr", 1_500.0))])
    bars = _bars(charts.arr_waterfall(kpis))
    assert bars == [(0.0, 1_000.0), (1_000.0, 600.0), (1_600.0, 150.0), (1_700.0, 50.0),
                    (1_500.0, 200.0), (0.0, 1_500.0)]
    texts = [t.get_text() for t in charts.arr_waterfall(kpis).axes[0].texts]
    assert texts == ["$1k", "+$600", "+$150", "-$50", "-$200", "$1.5k"]


def test_attainment_is_a_distribution_over_reps_and_replications() -> None:
    # rep 1 is a different person in each replication: both values must be counted
    table = pd.DataFrame({"replication": [0, 1, 0, 1], "role": ["ae", "ae", "sdr", "sdr"],
                          "rep_id": [1, 1, 2, 2], "attainment": [0.25, 1.75, 1.0, 1.1]})
    figure = charts.attainment_histograms(table)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title(loc="left") for ax in visible] == ["AE: attainment",
                                                           "SDR: attainment"]
    heights = [bar.get_height() for bars in visible[0].containers for bar in bars
               if bar.get_height() > 0]
    assert sorted(heights) == [0.5, 0.5]  # two values, not their average
    assert "mean 100%" in visible[0].texts[0].get_text()
    assert "50% at or above quota" in visible[0].texts[0].get_text()
    quota_lines = [ln for ln in visible[0].get_lines() if ln.get_label() == "quota (100%)"]
    assert list(quota_lines[0].get_xdata()) == [1.0, 1.0]


def test_team_column_wins_over_role_when_present() -> None:
    months = ["2027-01", "2027-02"]
    by_role = [_kpi("headcount", "month", m, 5.0, "people", role="ae") for m in months]
    frame = pd.DataFrame(by_role)
    assert [ax.get_title(loc="left") for ax in charts.headcount_chart(frame).axes
            if ax.get_visible()] == ["AE"]
    with_teams = pd.DataFrame(
        [{**row, "team": ""} for row in by_role]
        + [_kpi("headcount", "month", m, 3.0, "people", role="ae", team="East") for m in months]
        + [_kpi("headcount", "month", m, 2.0, "people", role="ae", team="West") for m in months])
    titles = [ax.get_title(loc="left") for ax in charts.headcount_chart(with_teams).axes
              if ax.get_visible()]
    assert titles == ["East", "West"]
    attainment = pd.DataFrame({"role": ["ae", "ae"], "team": ["East", "West"],
                               "attainment": [0.8, 1.2]})
    assert [ax.get_title(loc="left") for ax in charts.attainment_histograms(attainment).axes
            if ax.get_visible()] == ["East: attainment", "West: attainment"]


def test_funnel_shows_conversion_at_each_step() -> None:
    funnel = pd.DataFrame({"channel": "", "stage": ["leads", "attempted", "deals_won"],
                           "stage_index": [0, 1, 7], "mean": [1_000.0, 400.0, 10.0]})
    texts = [t.get_text() for t in charts.funnel_chart(funnel).axes[0].texts]
    assert texts == ["1,000", "400   40% of previous", "10   2% of previous"]


def test_plan_comparison_and_tornado_read_plain_tables() -> None:
    differences = pd.DataFrame({"metric": ["bookings", "win_rate"],
                                "mean_difference": [250_000.0, -0.01],
                                "ci95_low": [100_000.0, -0.03], "ci95_high": [400_000.0, 0.01]})
    figure = charts.plan_comparison_chart(differences, currency="USD")
    assert [ax.texts[0].get_text() for ax in figure.axes] == ["+$250k", "-1.0%"]
    with pytest.raises(ValueError, match="lacks column"):
        charts.plan_comparison_chart(differences.drop(columns="ci95_low"))
    sensitivity = pd.DataFrame({"input": ["ramp", "win rate", "lead volume"],
                                "low": [9e6, 7e6, 9.5e6], "high": [11e6, 14e6, 10.2e6],
                                "low_label": ["6 months", "15%", "-10%"],
                                "high_label": ["3 months", "25%", "+10%"]})
    tornado = charts.tornado_chart(sensitivity, base=10e6, currency="USD")
    # widest swing on top (highest position)
    ticks = [t.get_text() for t in tornado.axes[0].get_yticklabels()]
    assert ticks == ["lead volume", "ramp", "win rate"]
    with pytest.raises(ValueError, match="lacks column"):
        charts.tornado_chart(sensitivity.drop(columns="high"), base=1.0)


def test_empty_tables_give_a_figure_that_says_so() -> None:
    empty = pd.DataFrame(columns=["period_type", "period", "metric", "channel", "segment",
                                  "role", "rep_id", "unit", "mean", "p10", "p50", "p90"])
    for make in (charts.fan_chart, charts.arr_waterfall, charts.headcount_chart,
                 charts.speed_to_lead_chart, charts.bottleneck_chart, charts.channel_chart):
        figure = make(empty)
        assert any(t.get_text().startswith("no ") for ax in figure.axes for t in ax.texts)


def test_japanese_names_render_without_missing_glyphs() -> None:
    scenario = salesim.load_scenario(ROOT / "scenarios" / "japanese_example.yaml",
                                     overrides={"meta.horizon": "4 months", "sdr.hiring": [],
                                                "ae.hiring": [], "cs.hiring": []})
    ensemble = salesim.run(scenario, reps=2, seed=1, workers=1, progress=False)
    teams = {"sdr": "インサイドセールス", "ae": "フィールドセールス東日本",
             "cs": "カスタマーサクセス"}
    kpis = ensemble.kpis.assign(team=ensemble.kpis["role"].map(teams).fillna(""))
    assert ensemble.attainment is not None
    attainment = ensemble.attainment.assign(team=ensemble.attainment["role"].map(teams))
    figures = [charts.channel_chart(kpis), charts.headcount_chart(kpis),
               charts.bottleneck_chart(kpis), charts.attainment_histograms(attainment),
               charts.fan_chart(kpis, "bookings", title=ensemble.scenario_name)]
    shown = " ".join(t.get_text() for f in figures for ax in f.axes
                     for t in [*ax.get_yticklabels(), *ax.get_xticklabels(), ax.title])
    assert "リスティング広告" in shown
    assert "フィールドセールス東日本" in shown
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*[Gg]lyph .* missing")
        warnings.filterwarnings("error", message=r".*findfont")
        for figure in figures:
            figure.savefig(io.BytesIO(), format="png")
