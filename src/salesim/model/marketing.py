"""Marketing: channels create leads, each with a segment, a lead score and a cost.

Each channel is a non-homogeneous Poisson process whose rate is constant within
a calendar month: base volume (leads per month, or spend / cost per lead) times
compound growth, the month's seasonality, the channel's own ramp and its active
window. Lead times within a month are uniform, which makes the whole year's
arrivals one vectorised draw per channel. Leads arrive at any hour: web forms
do not keep office hours, and the SDR desk's calendar decides when they are
first called.
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
    """Expected leads from ``channel`` in the calendar month starting ``month``."""
    if channel.start is not None and month < channel.start:
        return 0.0
    if channel.end is not None and month > channel.end:
        return 0.0
    first = scenario.meta.start.replace(day=1)
    elapsed_years = (month - first).days / DAYS_PER_YEAR
    rate = channel.base_leads_per_month * (1 + channel.annual_growth) ** elapsed_years
    if channel.seasonality is not None:
        rate *= channel.seasonality[month.month - 1]
    if channel.ramp is not None:
        opened = channel.start or first
        tenure = months_between(opened, month)
        fractions = channel.ramp.monthly_fractions()
        rate *= fractions[tenure] if tenure < len(fractions) else 1.0
    return float(rate)


def generate_leads(scenario: Scenario, streams: RandomStreams) -> NewLeads:
    """Draw every new lead of the horizon."""
    start = scenario.meta.start
    horizon = scenario.meta.horizon_days
    segment_names = tuple(scenario.segments)
    default_mix = np.array([s.share for s in scenario.segments.values()])
    months = scenario.months
    pieces: list[tuple[np.ndarray, ...]] = []
    for code, (name, channel) in enumerate(scenario.channels.items()):
        rng = streams.generator(f"marketing/{name}")
        times: list[np.ndarray] = []
        for month in months:
            begin = max(0.0, float((month - start).days))
            end = min(horizon, float((add_months(month, 1) - start).days))
            if end <= begin:
                continue
            month_days = float((add_months(month, 1) - month).days)
            expected = monthly_rate(channel, scenario, month) * (end - begin) / month_days
            count = int(rng.poisson(expected))
            times.append(np.sort(rng.uniform(begin, end, count)))
        created = np.concatenate(times) if times else np.empty(0)
        n = len(created)
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
