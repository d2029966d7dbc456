"""Marketing: channels create leads, each with a segment, a lead score and a cost.

Each channel is a non-homogeneous Poisson process. Its volume is a rate per day,
constant within a calendar month: the base volume (leads per month, or spend /
cost per lead, where a month is 1/12 of a year, so ``leads_per_month`` of 1,000
is 1,000 x 12 / 365.25 leads a day and February is no busier per day than a
30-day month) times compound growth, the month's seasonality, the channel's own
ramp and its active window. Each day takes that rate times its day-of-week
weight over the mean weight (so a week brings seven days' volume, and a Monday is
as busy in February as in March), and each hour of the day its hour-of-day weight
over the mean (by default mostly weekday business hours, see
:class:`salesim.scenario.schema.Arrivals`). A month named in ``arrivals.monthly``
has its written volume instead, spread over its days by the same weights.

Drawing is vectorised per channel: one Poisson count per month (the sum of its
days' expectations), then each lead's day, hour and moment within the hour by
inverse transform, which is exact for a rate constant within each hour. Lead
attributes come from the channel's stream (``marketing/<channel>``) and the
timing from its own (``marketing/<channel>/arrivals``), so a profile that keeps
a month's totals changes when leads arrive and nothing else about them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from salesim.engine.random_streams import RandomStreams
from salesim.scenario.schema import Channel, Scenario
from salesim.scenario.units import DAYS_PER_YEAR, add_months, months_between

SCORE_PART_MAX = 50.0


@dataclass(frozen=True)
class NewLeads:
    """New leads of all channels, sorted by creation time (calendar days)."""

    created_at: np.ndarray
    channel: np.ndarray  # int codes into ``channel_names``
    segment: np.ndarray  # int codes into ``segment_names``
    score: np.ndarray  # attribute_score + behaviour_score
    attribute_score: np.ndarray  # fit: company size, industry, title
    behaviour_score: np.ndarray  # engagement: visits, clicks, downloads
    cost: np.ndarray
    not_ready: np.ndarray  # bool: goes straight to nurture
    channel_names: tuple[str, ...]
    segment_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.created_at)


def monthly_rate(channel: Channel, scenario: Scenario, month: dt.date) -> float:
    """Expected leads from ``channel`` in the whole calendar month starting ``month``,
    before the day-of-week profile (which moves a month's total by its mix of days).

    A month named in ``arrivals.monthly`` has its written volume; any other month
    has the base volume per day (``x 12 / 365.25``) times growth, seasonality and
    ramp, over the month's days.
    """
    first = scenario.meta.start.replace(day=1)
    explicit = channel.arrivals.monthly_volumes(first)
    if month in explicit and daily_rate(channel, scenario, month) > 0:
        return float(explicit[month])  # as written, not through the per-day rate
    return daily_rate(channel, scenario, month) * (add_months(month, 1) - month).days


def daily_rate(channel: Channel, scenario: Scenario, month: dt.date) -> float:
    """Expected leads per day from ``channel``'s volume in ``month`` (before the day and
    hour profile), whatever the month's length; 0 outside the channel's window.

    >>> from salesim.scenario import loads_scenario
    >>> sc = loads_scenario(open("scenarios/minimal.yaml").read())
    >>> web = next(iter(sc.channels.values()))
    >>> feb, apr = dt.date(2027, 2, 1), dt.date(2027, 4, 1)
    >>> daily_rate(web, sc, feb) == daily_rate(web, sc, apr)
    True
    """
    if channel.start is not None and month < channel.start:
        return 0.0
    if channel.end is not None and month > channel.end:
        return 0.0
    first = scenario.meta.start.replace(day=1)
    explicit = channel.arrivals.monthly_volumes(first)
    if month in explicit:
        return float(explicit[month]) / (add_months(month, 1) - month).days
    elapsed_years = (month - first).days / DAYS_PER_YEAR
    rate = channel.base_leads_per_month * 12 / DAYS_PER_YEAR
    rate *= (1 + channel.annual_growth) ** elapsed_years
    if channel.seasonality is not None:
        rate *= channel.seasonality[month.month - 1]
    if channel.ramp is not None:
        opened = channel.start or first
        tenure = months_between(opened, month)
        fractions = channel.ramp.monthly_fractions()
        rate *= fractions[tenure] if tenure < len(fractions) else 1.0
    return float(rate)


@dataclass(frozen=True)
class DayPlan:
    """Expected leads of one channel on each day of the horizon, and each day's month."""

    expected: np.ndarray  # per day offset from the start
    month: np.ndarray  # index of the day's calendar month (0 = the first month)

    def month_totals(self) -> np.ndarray:
        return np.bincount(self.month, weights=self.expected, minlength=int(self.month.max()) + 1)


def day_plan(channel: Channel, scenario: Scenario) -> DayPlan:
    """Each day's expected leads (days past the horizon dropped).

    A day expects its month's rate per day times its day-of-week weight over the mean
    weight, so a week brings seven days' volume whatever the profile and a Monday is
    as busy in February as in March; a month named in ``arrivals.monthly`` has its
    written volume spread over its days in proportion to the weights.
    """
    start = scenario.meta.start
    horizon = round(scenario.meta.horizon_days)
    weights = np.asarray(channel.arrivals.days, dtype=float)
    relative = weights / weights.mean()
    explicit = channel.arrivals.monthly_volumes(scenario.meta.start.replace(day=1))
    expected: list[np.ndarray] = []
    month_of: list[np.ndarray] = []
    for index, month in enumerate(scenario.months):
        following = add_months(month, 1)
        offsets = np.arange((month - start).days, (following - start).days)
        share = relative[(month.weekday() + np.arange(len(offsets))) % 7]
        if month in explicit and share.sum() > 0:
            day_volume = monthly_rate(channel, scenario, month) * share / share.sum()
        else:
            day_volume = daily_rate(channel, scenario, month) * share
        inside = (offsets >= 0) & (offsets < horizon)
        expected.append(day_volume[inside])
        month_of.append(np.full(int(inside.sum()), index, dtype=np.int64))
    return DayPlan(np.concatenate(expected), np.concatenate(month_of))


def arrival_times(plan: DayPlan, hours: tuple[float, ...], counts: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Sorted arrival times (calendar days) of ``counts[m]`` leads in each month ``m``:
    day by the plan's weights within the month, hour by ``hours``, uniform within it."""
    month = np.repeat(np.arange(len(counts)), counts)
    total = len(month)
    cumulative = np.concatenate([[0.0], np.cumsum(plan.expected)])
    first_day = np.searchsorted(plan.month, np.arange(len(counts)), side="left")
    last_day = np.searchsorted(plan.month, np.arange(len(counts)), side="right")
    low, high = cumulative[first_day[month]], cumulative[last_day[month]]
    target = low + rng.random(total) * (high - low)
    day = np.clip(np.searchsorted(cumulative, target, side="right") - 1,
                  first_day[month], last_day[month] - 1)
    hour_weights = np.cumsum(np.asarray(hours, dtype=float))
    hour = np.minimum(np.searchsorted(hour_weights, rng.random(total) * hour_weights[-1],
                                      side="right"), 23)
    times = day + (hour + rng.random(total)) / 24
    return np.sort(times)


def generate_leads(scenario: Scenario, streams: RandomStreams) -> NewLeads:
    """Draw every new lead of the horizon."""
    segment_names = tuple(scenario.segments)
    default_mix = np.array([s.share for s in scenario.segments.values()])
    pieces: list[tuple[np.ndarray, ...]] = []
    for code, (name, channel) in enumerate(scenario.channels.items()):
        rng = streams.generator(f"marketing/{name}")
        plan = day_plan(channel, scenario)
        counts = rng.poisson(plan.month_totals())
        n = int(counts.sum())
        mix = default_mix
        if channel.segment_mix is not None:
            mix = np.array([channel.segment_mix.get(s, 0.0) for s in segment_names])
        segment = rng.choice(len(segment_names), size=n, p=mix / mix.sum())
        attribute = np.clip(channel.score.attribute.sampler().sample(rng, n), 0, SCORE_PART_MAX)
        behaviour = np.clip(channel.score.behaviour.sampler().sample(rng, n), 0, SCORE_PART_MAX)
        not_ready_share = (channel.not_ready_share if channel.not_ready_share is not None
                           else scenario.recycle.not_ready_share)
        not_ready = rng.random(n) < not_ready_share
        cost = np.full(n, channel.variable_cost_per_lead)
        created = arrival_times(plan, channel.arrivals.hours, counts,
                                streams.generator(f"marketing/{name}/arrivals"))
        pieces.append((created, np.full(n, code), segment, attribute, behaviour, cost,
                       not_ready))
    columns = [np.concatenate(parts) for parts in zip(*pieces, strict=True)]
    order = np.argsort(columns[0], kind="stable")
    created, channel_code, segment, attribute, behaviour, cost, not_ready = (
        c[order] for c in columns)
    return NewLeads(
        created_at=created,
        channel=channel_code.astype(np.int64),
        segment=segment.astype(np.int64),
        score=attribute + behaviour,
        attribute_score=attribute,
        behaviour_score=behaviour,
        cost=cost,
        not_ready=not_ready.astype(bool),
        channel_names=tuple(scenario.channels),
        segment_names=segment_names,
    )
