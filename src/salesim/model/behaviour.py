"""How reps respond to their compensation plan: the decisions behind the behaviour levers.

Pure functions of a plan (:class:`salesim.scenario.compensation.CompensationPlan`) and
its ``behaviour:`` settings (:class:`salesim.scenario.compensation.Behaviour`); the
SDR desk and the AE team apply what they return, and every lever that is off leaves
the team exactly as it is without a plan.

* **Strictness** (SDR): on a grid of strictness values SDRs pick the one whose expected
  pay (:func:`expected_sdr_pay`) is highest; the desk multiplies its meeting chance and
  its valid chance by the curve's multipliers there (:func:`sdr_response`).
* **Discounting** (AE): the same on a grid of discounts (:func:`expected_ae_pay`); the
  team's new deals win more often, move faster and are worth less (:func:`ae_response`).
* **Effort** (SDR and AE): the goal-difficulty curve at the expected attainment scales
  the meeting chance or the win chance (:func:`effort`).
* **Timing** (AE): won deals near a pay period's end move to the period that pays more
  (:func:`shift_close_times`).

Rationality blends the best response with what reps do without a plan: with
rationality ``r`` the chosen value is ``default + r x (best - default)`` (0: the
default, 1: the best response). A blend rather than a random (logit) choice keeps one
team-wide value that a planner can read off and compute by hand.

>>> from salesim.scenario.compensation import CompensationPlan
>>> plan = CompensationPlan.model_validate({
...     "on_target_earnings": 80_000,
...     "measures": {"meetings_held": {"weight": 1.0}},
...     "behaviour": {"strictness": {}}})
>>> sdr_response(plan, expected_valid_rate=0.6).strictness  # paid on meetings: loosest
0.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from salesim.scenario.compensation import (
    AE_REVENUE_MEASURES,
    MONTHS_PER_PERIOD,
    Behaviour,
    CompensationPlan,
    Discounting,
    Strictness,
    Timing,
    deal_margin,
)
from salesim.scenario.schema import AE, SDR, Scenario
from salesim.scenario.units import add_months


@dataclass(frozen=True)
class SdrResponse:
    """What an SDR team does under its plan: the strictness it chose and the multipliers
    on its meeting chance (strictness times effort) and its valid chance."""

    strictness: float
    meetings: float
    valid: float


@dataclass(frozen=True)
class AeResponse:
    """What an AE team does under its plan: the discount it chose, the multipliers on
    the win chance (discount times effort) and on stage durations, and the share of
    list value a deal keeps."""

    discount: float
    win: float
    cycle: float
    value: float


def blend(default: float, best: float, rationality: float) -> float:
    """The value chosen with ``rationality`` between ignoring the plan and best response.

    >>> blend(0.5, 0.0, 0.5)
    0.25
    """
    return default + rationality * (best - default)


def _grid(low: float, high: float, points: int) -> np.ndarray:
    return np.linspace(low, high, points)


def _best(grid: np.ndarray, pay: np.ndarray, default: float) -> float:
    """The grid value paying most; among ties, the one nearest ``default`` (reps do not
    change what they do for nothing)."""
    top = pay >= pay.max() - 1e-12
    candidates = grid[top]
    return float(candidates[np.argmin(np.abs(candidates - default))])


# ----------------------------------------------------------------------------- strictness


def strictness_multipliers(settings: Strictness, strictness: float) -> tuple[float, float]:
    """Meeting and valid multipliers at ``strictness``, relative to the default's.

    >>> strictness_multipliers(Strictness(), 0.25)
    (1.3, 0.8)
    """
    meetings, valid = _relative(settings.curve, "strictness", ("meetings", "valid"),
                                strictness, settings.default)
    return meetings, valid


def expected_sdr_pay(plan: CompensationPlan, strictness: float,
                     expected_valid_rate: float) -> float:
    """An SDR's expected variable pay at ``strictness``, as a share of on-target variable.

    Meetings held attain ``expected_attainment`` x the meeting multiplier; the valid
    rate is ``expected_valid_rate`` x the valid multiplier (at most 100%) against the
    measure's target; revenue from their meetings attains ``expected_attainment`` x
    meetings x valid multipliers (revenue follows valid meetings).

    >>> from salesim.scenario.compensation import CompensationPlan
    >>> plan = CompensationPlan.model_validate({"on_target_earnings": 1, "measures": {
    ...     "valid_meeting_rate": {"weight": 1.0, "target": 0.5}},
    ...     "behaviour": {"strictness": {}}})
    >>> round(expected_sdr_pay(plan, 1.0, 0.5), 3)  # 0.5 x 1.2 against 0.5
    1.2
    """
    behaviour = plan.behaviour or Behaviour()
    settings = behaviour.strictness or Strictness()
    meetings, valid = strictness_multipliers(settings, strictness)
    expected = behaviour.expected_attainment
    pay = 0.0
    for measure, spec in plan.measures.items():
        if measure == "meetings_held":
            attainment = expected * meetings
        elif measure == "valid_meeting_rate":
            target = spec.target if spec.target else 1.0
            attainment = min(expected_valid_rate * valid, 1.0) / target
        elif measure == "sourced_revenue":
            attainment = expected * meetings * valid
        else:
            continue
        pay += spec.weight * spec.curve.payout(attainment)
    return pay


def choose_strictness(plan: CompensationPlan, expected_valid_rate: float) -> float:
    """The strictness SDRs choose under ``plan`` (its strictness lever must be on)."""
    behaviour = plan.behaviour
    assert behaviour is not None
    settings = behaviour.lever("strictness")
    assert isinstance(settings, Strictness)
    keys = [point.strictness for point in settings.curve]
    grid = _grid(keys[0], keys[-1], behaviour.grid)
    pay = np.array([expected_sdr_pay(plan, float(s), expected_valid_rate) for s in grid])
    return blend(settings.default, _best(grid, pay, settings.default), behaviour.rationality)


def _acting(plan: CompensationPlan | None, lever: str
            ) -> tuple[CompensationPlan, Any, float | None] | None:
    """``plan``, its ``lever`` settings and its effort, or None when neither acts."""
    behaviour = plan.behaviour if plan is not None else None
    if plan is None or behaviour is None:
        return None
    settings = behaviour.lever(lever)
    working = effort(behaviour)
    if settings is None and working is None:
        return None
    return plan, settings, working


def sdr_response(plan: CompensationPlan | None, expected_valid_rate: float
                 ) -> SdrResponse | None:
    """What an SDR team does under ``plan``; None when no lever acts on it (the desk
    then runs exactly as without a plan). ``expected_valid_rate`` is the valid rate SDRs
    expect at the default strictness unless the strictness settings give one."""
    acting = _acting(plan, "strictness")
    if acting is None:
        return None
    plan, settings, working = acting
    strictness, meetings, valid = 0.0, 1.0, 1.0
    if isinstance(settings, Strictness):
        if settings.expected_valid_rate is not None:
            expected_valid_rate = settings.expected_valid_rate
        strictness = choose_strictness(plan, expected_valid_rate)
        meetings, valid = strictness_multipliers(settings, strictness)
    return SdrResponse(strictness, meetings * (working or 1.0), valid)


# ----------------------------------------------------------------------------- discounting


def discount_effects(settings: Discounting, discount: float) -> tuple[float, float]:
    """Win and cycle multipliers at ``discount``, relative to no discount's.

    >>> discount_effects(Discounting(), 0.05)
    (1.075, 0.95)
    """
    win, cycle = _relative(settings.curve, "discount", ("win", "cycle"), discount, 0.0)
    return win, cycle


def _relative(curve: Sequence[Any], key: str, fields: tuple[str, ...], at: float,
              base: float) -> list[float]:
    """Each of ``fields`` interpolated along ``curve`` (linear in ``key``) at ``at``,
    divided by its value at ``base``."""
    keys = [getattr(point, key) for point in curve]
    ratios = []
    for name in fields:
        values = [getattr(point, name) for point in curve]
        ratios.append(float(np.interp(at, keys, values)) / float(np.interp(base, keys, values)))
    return ratios


def deal_value_share(measure: str, margin_share: float | None, discount: float) -> float:
    """What a deal at ``discount`` is worth to ``measure``, relative to the deal at list:
    ``1 - discount``, or for margin its margin as pay counts it
    (:func:`salesim.scenario.compensation.deal_margin` of the discounted amount) over
    the margin at list, ``(margin - discount) / margin`` (the cost of what is sold does
    not shrink with the price).

    >>> deal_value_share("bookings", None, 0.1), deal_value_share("margin", 0.5, 0.1)
    (0.9, 0.8)
    """
    if measure == "margin" and margin_share is not None:
        return deal_margin(1.0 - discount, margin_share, discount) / margin_share
    return 1.0 - discount


def expected_ae_pay(plan: CompensationPlan, discount: float) -> float:
    """An AE's expected variable pay at ``discount``, as a share of on-target variable:
    each revenue measure attains ``expected_attainment`` x win multiplier x the deal's
    value share.

    >>> from salesim.scenario.compensation import CompensationPlan
    >>> plan = CompensationPlan.model_validate({"on_target_earnings": 1, "measures": {
    ...     "bookings": {"weight": 1.0}}, "behaviour": {"discounting": {}}})
    >>> round(expected_ae_pay(plan, 0.1), 3)  # 1.15 x 0.9
    1.035
    """
    behaviour = plan.behaviour or Behaviour()
    settings = behaviour.discounting or Discounting()
    win, _ = discount_effects(settings, discount)
    pay = 0.0
    for measure, spec in plan.measures.items():
        if measure in AE_REVENUE_MEASURES:
            attainment = (behaviour.expected_attainment * win
                          * deal_value_share(measure, spec.gross_margin, discount))
            pay += spec.weight * spec.curve.payout(attainment)
    return pay


def choose_discount(plan: CompensationPlan) -> float:
    """The discount AEs choose under ``plan`` (its discounting lever must be on)."""
    behaviour = plan.behaviour
    assert behaviour is not None
    settings = behaviour.lever("discounting")
    assert isinstance(settings, Discounting)
    keys = [point.discount for point in settings.curve]
    grid = _grid(keys[0], keys[-1], behaviour.grid)
    pay = np.array([expected_ae_pay(plan, float(d)) for d in grid])
    return blend(settings.default, _best(grid, pay, settings.default), behaviour.rationality)


def ae_response(plan: CompensationPlan | None) -> AeResponse | None:
    """What an AE team does under ``plan``; None when neither discounting nor effort
    acts on it (the team then runs exactly as without a plan)."""
    acting = _acting(plan, "discounting")
    if acting is None:
        return None
    plan, settings, working = acting
    discount, win, cycle = 0.0, 1.0, 1.0
    if isinstance(settings, Discounting):
        discount = choose_discount(plan)
        win, cycle = discount_effects(settings, discount)
    return AeResponse(discount, win * (working or 1.0), cycle, 1.0 - discount)


def team_responses(scenario: Scenario) -> dict[str, SdrResponse | AeResponse]:
    """What each team whose plan has a strictness, discounting or effort lever on does
    under it, by team name: what the SDR desk and the AE team of a run apply.

    >>> import salesim
    >>> chosen = team_responses(salesim.load_scenario("scenarios/comp-sdr-631.yaml"))
    >>> chosen["sdr"].strictness, round(chosen["sdr"].meetings, 3)
    (0.4, 1.12)
    """
    responses: dict[str, SdrResponse | AeResponse] = {}
    for name, team in scenario.organisation.items():
        response: SdrResponse | AeResponse | None = None
        if isinstance(team, SDR):
            response = sdr_response(team.compensation, team.valid_rate.at(50))
        elif isinstance(team, AE):
            response = ae_response(team.compensation)
        if response is not None:
            responses[name] = response
    return responses


def describe_response(response: SdrResponse | AeResponse | None) -> str:
    """A team's response to its plan in a few words (``-``: none).

    >>> describe_response(SdrResponse(strictness=0.4, meetings=1.12, valid=0.92))
    'strictness 40%: meetings x1.12, valid x0.92'
    >>> describe_response(AeResponse(discount=0.1, win=1.15, cycle=0.9, value=0.9))
    'discount 10%: win x1.15, cycle x0.9'
    """
    if isinstance(response, SdrResponse):
        return (f"strictness {response.strictness:.0%}: meetings x{response.meetings:.3g}, "
                f"valid x{response.valid:.3g}")
    if isinstance(response, AeResponse):
        return (f"discount {response.discount:.0%}: win x{response.win:.3g}, "
                f"cycle x{response.cycle:.3g}")
    return "-"


# ----------------------------------------------------------------------------- effort


def effort(behaviour: Behaviour) -> float | None:
    """Effort at the expected attainment on the goal-difficulty curve; None when the
    lever is off.

    >>> from salesim.scenario.compensation import Effort
    >>> effort(Behaviour(expected_attainment=0.55, effort=Effort()))  # 0.7 + 0.5 x 0.3
    0.85
    """
    settings = behaviour.lever("effort")
    if settings is None:
        return None
    keys = [point.attainment for point in settings.curve]
    levels = [point.effort for point in settings.curve]
    return round(float(np.interp(behaviour.expected_attainment, keys, levels)), 12)


# ----------------------------------------------------------------------------- timing


def timing_on(plan: CompensationPlan | None) -> bool:
    """Whether ``plan`` has its deal-timing lever on.

    >>> timing_on(None)
    False
    """
    return plan is not None and plan.behaviour is not None \
        and plan.behaviour.lever("timing") is not None


def period_edges(start: dt.date, horizon_days: float, pay_period: str) -> np.ndarray:
    """Pay period boundaries in days from ``start``: calendar months, quarters or years
    (as pay is worked out), from the start of the one holding ``start`` to past the
    horizon.

    >>> period_edges(dt.date(2027, 2, 1), 100, "quarter").tolist()
    [-31.0, 59.0, 150.0]
    """
    months = MONTHS_PER_PERIOD[pay_period]
    first = dt.date(start.year, 1 + (start.month - 1) // months * months
                    if months < 12 else 1, 1)
    edges = [float((first - start).days)]
    while edges[-1] <= horizon_days:
        first = add_months(first, months)
        edges.append(float((first - start).days))
    return np.asarray(edges)


def _credit(plan: CompensationPlan, measure: str, discount: float = 0.0) -> float:
    """What one unit of bookings at ``discount`` counts for in ``measure`` (as pay is
    worked out: :func:`salesim.scenario.compensation.deal_margin` for margin)."""
    spec = plan.measures[measure]
    if measure == "margin" and spec.gross_margin is not None:
        return deal_margin(1.0, spec.gross_margin, discount)
    if measure == "contract_value" and spec.years:
        return spec.years
    return 1.0


def revenue_targets(plan: CompensationPlan, quota_per_month: float | None
                    ) -> dict[str, float]:
    """Each revenue measure's target per full pay period (the team's quota for the
    quota measure without its own target); measures without one are left out."""
    months = MONTHS_PER_PERIOD[plan.pay_period]
    targets = {}
    for measure, spec in plan.measures.items():
        if measure not in AE_REVENUE_MEASURES:
            continue
        target = spec.target if spec.target is not None else (
            quota_per_month * months if measure == "bookings" and quota_per_month else None)
        if target:
            targets[measure] = float(target)
    return targets


def deal_gain(plan: CompensationPlan, targets: dict[str, float], booked: float,
              amount: float, discount: float = 0.0) -> float:
    """Variable pay (share of a period's on-target variable) that a won deal of
    ``amount`` adds in a period where its AE has ``booked`` so far (deals booked at
    ``discount``).

    >>> from salesim.scenario.compensation import CompensationPlan
    >>> plan = CompensationPlan.model_validate({"on_target_earnings": 1, "measures": {
    ...     "bookings": {"weight": 1.0, "curve": {"tiers": [{"above": 1.0, "rate": 2}]}}}})
    >>> deal_gain(plan, {"bookings": 100.0}, 100.0, 10.0)  # 10 points at the rate of 2
    0.2
    """
    gain = 0.0
    for measure, target in targets.items():
        spec = plan.measures[measure]
        credit = _credit(plan, measure, discount)
        before = booked * credit / target
        after = (booked + amount) * credit / target
        gain += spec.weight * (spec.curve.payout(after) - spec.curve.payout(before))
    return round(gain, 12)


SPREAD_POINTS = tuple(NormalDist().inv_cdf((k + 0.5) / 9) for k in range(9))
"""Standard normal quantiles at which the next period's attainment is judged."""


def next_period_gain(plan: CompensationPlan, targets: dict[str, float], amount: float,
                     expected: float, spread: float, discount: float = 0.0) -> float:
    """What a deal of ``amount`` is expected to add to the next period's pay: the mean of
    :func:`deal_gain` over attainments around ``expected`` booked with coefficient of
    variation ``spread`` (nine normal quantiles, none below zero).

    >>> from salesim.scenario.compensation import CompensationPlan
    >>> plan = CompensationPlan.model_validate({"on_target_earnings": 1, "measures": {
    ...     "bookings": {"weight": 1.0, "curve": {"tiers": [{"above": 1.0, "rate": 2}]}}}})
    >>> next_period_gain(plan, {"bookings": 100.0}, 1.0, 100.0, 0.0)  # at the kink: 2x
    0.02
    """
    gains = [deal_gain(plan, targets, max(expected * (1 + spread * z), 0.0), amount,
                       discount) for z in SPREAD_POINTS]
    return sum(gains) / len(gains)


def at_cap(plan: CompensationPlan, targets: dict[str, float], booked: float,
           discount: float = 0.0) -> bool:
    """Whether ``booked`` (at ``discount``) reaches the cap of every revenue measure the
    plan pays on."""
    return all(plan.measures[m].curve.cap is not None
               and booked * _credit(plan, m, discount) / target
               >= (plan.measures[m].curve.cap or 0)
               for m, target in targets.items())


def shift_close_times(close: np.ndarray, amount: np.ndarray, owner: np.ndarray,
                      won: np.ndarray, earliest: np.ndarray, uniforms: np.ndarray,
                      edges: np.ndarray, plan: CompensationPlan,
                      targets: dict[str, float]) -> np.ndarray:
    """Won deals' close times after the timing rule (days; others are left as they are).

    Deals are taken in order of their close time, each AE (``owner`` >= 0) keeping a
    running total of what it booked per pay period (``edges``). A won deal due within
    the pull window after a period edge moves to just before the edge (not before
    ``earliest``, when its last stage began) with chance ``pull_probability`` (its
    uniform below it) if it adds more pay to the ending period (:func:`deal_gain`)
    than it is expected to add to the next (:func:`next_period_gain`, around
    ``expected_attainment`` of the ``targets``); a won deal due within the push window
    before an edge, of an AE already at the cap, moves to the edge with chance
    ``push_probability``, if it would pay anything in the next period. Pay counts
    every deal as booked at the team's chosen discount (:func:`choose_discount`, 0
    with the lever off).
    """
    behaviour = plan.behaviour
    assert behaviour is not None
    settings = behaviour.lever("timing")
    assert isinstance(settings, Timing)
    pull, push = settings.pull_window.days, settings.push_window.days
    discount = choose_discount(plan) if behaviour.lever("discounting") is not None else 0.0
    measure, target = next(iter(targets.items()))
    expected = behaviour.expected_attainment * target / _credit(plan, measure, discount)
    shifted = close.copy()
    booked: dict[tuple[int, int], float] = {}
    order = np.argsort(close, kind="stable")
    for index in order.tolist():
        rep = int(owner[index])
        if not won[index] or rep < 0 or not np.isfinite(close[index]):
            continue
        at = float(close[index])
        period = int(np.searchsorted(edges, at, side="right")) - 1
        value = float(amount[index])
        start, end = float(edges[period]), float(edges[min(period + 1, len(edges) - 1)])
        u = float(uniforms[index])
        ending = booked.get((rep, period - 1), 0.0)
        if at - start < pull and period > 0 and u < settings.pull_probability \
                and earliest[index] < start \
                and deal_gain(plan, targets, ending, value, discount) > next_period_gain(
                    plan, targets, value, expected, settings.spread, discount):
            shifted[index] = max(start - 1e-6, float(earliest[index]))
            booked[(rep, period - 1)] = ending + value
            continue
        now = booked.get((rep, period), 0.0)
        if end - at < push and end > at and u < settings.push_probability \
                and at_cap(plan, targets, now, discount) \
                and next_period_gain(plan, targets, value, expected, settings.spread,
                                     discount) > 0:
            shifted[index] = end
            booked[(rep, period + 1)] = booked.get((rep, period + 1), 0.0) + value
            continue
        booked[(rep, period)] = now + value
    return shifted
