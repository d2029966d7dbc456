"""The HTML report: self-contained, with the headline table, P(target), charts and
the scenario; the target defaults to the quota capacity."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import salesim
from salesim.report.html import quota_capacity, report_html, resolve_target, write_html


def test_report_holds_everything_inline(ensemble: salesim.Ensemble, tmp_path: Path) -> None:
    path = write_html(ensemble, tmp_path / "r.html", target=150_000)
    page = path.read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 10
    # nothing to fetch: no external URLs, scripts or style sheets
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page
    assert "<link" not in page
    chance = ensemble.probability("bookings", 150_000)
    assert f"{chance * 100:.0f}%" in page
    assert "target $150k (as given)" in page
    assert "Bookings (new ARR)" in page
    assert "Win rate" in page
    assert "quota:" in page
    assert "name: Minimal" in page
    assert "e+0" not in page.split("<h2>Charts</h2>")[0]


def test_default_target_is_the_quota_capacity(ensemble: salesim.Ensemble) -> None:
    # 2 AEs all the way through (no hires, no attrition in the minimal scenario):
    # 2 x 60k a year x 2 years
    capacity = quota_capacity(ensemble)
    assert capacity == pytest.approx(2 * 60_000 * 2, rel=0.05)
    goal = resolve_target(ensemble)
    assert goal is not None
    assert goal.amount == capacity
    assert "quota capacity" in goal.source


def test_names_are_escaped(ensemble: salesim.Ensemble) -> None:
    odd = salesim.Ensemble("<b>Plan & co</b>", ensemble.seed, ensemble.replications,
                           ensemble.kpis, ensemble.version, attainment=ensemble.attainment,
                           funnel=ensemble.funnel)
    page = report_html(odd)
    assert "&lt;b&gt;Plan &amp; co&lt;/b&gt;" in page
    assert "<b>Plan" not in page
    assert "did not record its scenario" in page  # and no target without quotas known
    assert "P(bookings ≥ target)" not in page
