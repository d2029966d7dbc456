"""Ramp arithmetic: doubling the AE team at the start of a year with a 4-month ramp.

The domain's planning rule: sales capacity is heads x productivity, and because
new hires ramp, twice the people give well under twice the year's bookings. In the
engine a rep's ramp scales the win chance of each opportunity they take
(``factor = skill x productivity at assignment``), and opportunities are shared by
routing. To make the arithmetic exact, the scenario keeps every AE saturated:

* leads are unlimited (arrivals always above what the AEs can take) and every
  lead becomes an opportunity within the hour;
* each AE carries at most ``LIMIT`` open opportunities and further ones wait
  (``over_capacity: wait``), so every AE always holds exactly ``LIMIT``;
* one stage with an exponential duration of mean ``D``: each of an AE's slots is
  refilled the moment it frees, so the slot's assignments are a Poisson process of
  rate ``1 / D`` whatever the rep's ramp.

An assignment at time ``t`` is won with probability ``conversion x ramp(t)`` and
closes after another exponential time, counting in the year if before the horizon.
Thinning a Poisson process keeps it Poisson, so a rep's wins in the year are
Poisson with mean ``LIMIT x conversion / D x integral of ramp(t) (1 - exp(-(H - t)/D))
dt`` (:func:`theory.ramped_exposure`), computed here from the configured ramp alone.
The doubling ratio is ``1 + exposure(new hire) / exposure(ramped rep)``.

Intervals are at 99% family-wise confidence (Bonferroni over the comparisons of
each test); the only bias, the few hours before the first opportunities fill every
slot, is bounded and added to the tolerance.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import salesim
from salesim.scenario.units import DAYS_PER_MONTH

from .builders import build, days
from .theory import bonferroni, ramp_at, ramped_exposure, z_value

HEADS = 10
LIMIT = 2
MEAN_DAYS = 1.0
CONVERSION = 0.5
DEAL = 10_000.0
RAMP_MONTHS = 4
CONFIDENCE = 0.99
FILL_DAYS = 1.0  # every slot is filled within a day of the start (checked)


def linear_ramp(months: int) -> tuple[float, ...]:
    """Mean productivity in each tenure month of a ramp rising evenly to 1 in ``months``."""
    return tuple((k + 0.5) / months for k in range(months))


RAMP = linear_ramp(RAMP_MONTHS)
YEAR = 365.0  # 2027: the horizon of "12 months" from 2027-01-01 runs to 2028-01-01


def team_scenario(hires: int, time_to_fill: str = "0 days") -> salesim.Scenario:
    capacity_per_day = (HEADS + hires) * LIMIT / MEAN_DAYS
    return build({
        "channels": {
            # a burst fills every slot within hours; the steady flow keeps them full
            "launch": {"leads_per_month": 3000, "end": "2027-01"},
            "steady": {"leads_per_month": 1.3 * capacity_per_day * DAYS_PER_MONTH},
        },
        "sdr": {
            "headcount": 5, "handle_time": "1 min", "attempts": {"max": 1},
            "contact_rate": 1.0, "meeting_rate": 1.0, "no_show_rate": 0.0,
            "reschedule_rate": 0.0, "meeting_lead_time": "1 h",
            "speed_to_lead": [{"within": "5 min", "multiplier": 1.0}],
            "valid_rate": {"at_score_0": 1.0, "at_score_100": 1.0},
        },
        "segments": {"all": {"share": 1.0, "deal_size": DEAL}},
        "ae": {
            "headcount": HEADS,
            "hiring": [{"month": "2027-01", "count": hires}] if hires else [],
            "time_to_fill": time_to_fill,
            "ramp": {"linear": f"{RAMP_MONTHS} months"},
            "routing": "least_loaded",
            "max_open_opportunities": LIMIT,
            "over_capacity": "wait",
            "stages": {"deal": {"conversion": CONVERSION,
                                "duration": {"exponential": {"mean": f"{MEAN_DAYS} days"}}}},
        },
    })


SEEDS = (1, 2, 3, 4, 5, 6)  # independent replications per team size, pooled


@functools.cache
def year(hires: int, seed: int, time_to_fill: str = "0 days") -> salesim.Records:
    return salesim.simulate(team_scenario(hires, time_to_fill), seed=seed)


def pooled_bookings(hires: int, origin: str | None = None, time_to_fill: str = "0 days"
                    ) -> float:
    """Bookings summed over the replications, of the reps of ``origin`` (all if None)."""
    total = 0.0
    for seed in SEEDS:
        records = year(hires, seed, time_to_fill)
        reps = records.reps[records.reps["role"] == "ae"]
        if origin is not None:
            reps = reps[reps["origin"] == origin]
        total += bookings(records, reps["rep_id"].to_numpy())
    return total


def expected_wins(hired_at: float) -> float:
    """Expected wins in the year of one saturated AE hired at ``hired_at`` (days)."""
    if hired_at < 0:  # ramped already: the curve is over
        fractions: tuple[float, ...] = (1.0,)
        hired_at = 0.0
    else:
        fractions = RAMP
    exposure = ramped_exposure(fractions, DAYS_PER_MONTH, YEAR, hired_at,
                               mean_close=MEAN_DAYS)
    return LIMIT * CONVERSION / MEAN_DAYS * exposure


def bookings(records: salesim.Records, rep_ids: np.ndarray) -> float:
    opportunities = records.opportunities
    won = (opportunities["status"] == "won") & opportunities["ae_id"].isin(rep_ids)
    return float(opportunities.loc[won, "amount"].sum())


def test_configured_ramp_is_the_linear_curve() -> None:
    scenario = team_scenario(HEADS)
    assert scenario.meta.horizon_days == YEAR
    assert scenario.ae.ramp.monthly_fractions() == pytest.approx(RAMP)
    assert ramp_at(np.array([-1.0, 0.0, 31.0, 100.0, 130.0]), RAMP, DAYS_PER_MONTH) \
        == pytest.approx([0.0, 0.125, 0.375, 0.875, 1.0])
    # a new hire's share of a ramped rep's year: (0.125 + 0.375 + 0.625 + 0.875 + 8) / 12
    share = ramped_exposure(RAMP, DAYS_PER_MONTH, 365.25) / 365.25
    assert share == pytest.approx(10 / 12)


@pytest.mark.parametrize("hires", [0, HEADS])
def test_every_ae_stays_saturated(hires: int) -> None:
    records = year(hires, SEEDS[0])
    reps = records.reps[records.reps["role"] == "ae"]
    assert len(reps) == HEADS + hires
    hired = days(reps["hired_at"])
    assert (hired[reps["origin"] == "plan"] == 0).all()  # the new hires start on day one
    opportunities = records.opportunities
    created = days(opportunities["created_at"])
    assigned = days(opportunities["assigned_at"])
    # once the slots are full, no opportunity is taken the moment it arrives: there is
    # always a queue, so every slot is refilled the moment it frees
    late = created > FILL_DAYS
    taken = late & ~np.isnan(assigned)
    assert taken.sum() > 1000
    assert (assigned[taken] > created[taken]).all()
    assert opportunities["assigned_at"].isna().sum() > 100  # still queued at the horizon
    # each AE is assigned LIMIT opportunities within the first day
    first_day = opportunities[assigned < FILL_DAYS]
    assert (first_day.groupby("ae_id").size() >= LIMIT).sum() == HEADS + hires


def check_wins(observed: float, expected: float, comparisons: int, what: str) -> None:
    bound = z_value(bonferroni(CONFIDENCE, comparisons)) * math.sqrt(expected)
    bias = expected * FILL_DAYS / YEAR
    print(f"{what}: {observed:.0f} wins vs {expected:.1f} expected (+- {bound:.1f} + {bias:.1f})")
    assert abs(observed - expected) <= bound + bias, what


@pytest.mark.parametrize("hires", [0, HEADS])
def test_bookings_match_ramped_capacity(hires: int) -> None:
    expected = len(SEEDS) * (HEADS * expected_wins(-1.0) + hires * expected_wins(0.0))
    check_wins(pooled_bookings(hires) / DEAL, expected, 1, f"team of {HEADS} + {hires}")


def test_new_hires_book_their_ramped_share() -> None:
    runs = len(SEEDS) * HEADS
    check_wins(pooled_bookings(HEADS, "plan") / DEAL, runs * expected_wins(0.0), 2,
               "new hires")
    check_wins(pooled_bookings(HEADS, "initial") / DEAL, runs * expected_wins(-1.0), 2,
               "ramped reps")


def test_doubling_the_team_gives_the_ramped_capacity_ratio() -> None:
    base = pooled_bookings(0)
    doubled = pooled_bookings(HEADS)
    ratio = doubled / base
    ramped = expected_wins(-1.0)
    expected_ratio = 1 + expected_wins(0.0) / ramped
    # delta method for a ratio of independent Poisson counts
    base_wins = len(SEEDS) * HEADS * ramped
    doubled_wins = len(SEEDS) * HEADS * (ramped + expected_wins(0.0))
    relative_sd = math.sqrt(1 / base_wins + 1 / doubled_wins)
    bound = z_value(CONFIDENCE) * relative_sd * expected_ratio
    bias = 2 * FILL_DAYS / YEAR * expected_ratio
    print(f"bookings over {len(SEEDS)} years: {base:,.0f} -> {doubled:,.0f}, ratio {ratio:.4f}; "
          f"ramped-capacity arithmetic {expected_ratio:.4f} +- {bound:.4f}")
    assert abs(ratio - expected_ratio) <= bound + bias
    # and well short of twice: a 4-month linear ramp costs a new hire 2 of 12 months
    assert ratio < 1.9


def test_doubling_with_time_to_fill_gives_the_planners_ratio() -> None:
    """The planner's case: the requisitions open on the first day of the year but take
    six months to fill, then the new AEs ramp for four. The arithmetic (the same
    exposure, from a hire date six months in) puts the year at about 133% of the
    base team's bookings: the domain's "twice the people, about 120% of revenue"."""
    fill = 6 * DAYS_PER_MONTH
    records = year(HEADS, SEEDS[0], "6 months")
    hired = days(records.reps.loc[records.reps["origin"] == "plan", "hired_at"])
    assert hired == pytest.approx(np.full(HEADS, fill), abs=1e-6)
    base = pooled_bookings(0)
    doubled = pooled_bookings(HEADS, time_to_fill="6 months")
    ratio = doubled / base
    ramped, new = expected_wins(-1.0), expected_wins(fill)
    expected_ratio = 1 + new / ramped
    base_wins = len(SEEDS) * HEADS * ramped
    doubled_wins = len(SEEDS) * HEADS * (ramped + new)
    bound = z_value(CONFIDENCE) * math.sqrt(1 / base_wins + 1 / doubled_wins) * expected_ratio
    bias = 2 * FILL_DAYS / YEAR * expected_ratio
    print(f"six months to fill: ratio {ratio:.4f}; arithmetic {expected_ratio:.4f} +- {bound:.4f}")
    assert abs(ratio - expected_ratio) <= bound + bias
    assert 1.25 < expected_ratio < 1.4

