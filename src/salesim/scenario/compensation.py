"""Compensation plans: what a team is paid and for what (``compensation:`` on a team).

A plan sets on-target earnings (OTE), the share of it paid as base, the pay
period, and the measures the variable part is paid on, each with a weight, a
target per pay period and a payout curve::

    sdr:
      compensation:
        on_target_earnings: 80k
        base_share: 60%                 # 60% base, 40% variable at target
        pay_period: quarter             # month | quarter | year
        measures:
          meetings_held:      {weight: 60%}              # target: the team's quota
          valid_meeting_rate: {weight: 30%, target: 70%}
          sourced_revenue:    {weight: 10%, target: 90k,
                               curve: {threshold: 50%, tiers: [{above: 100%, rate: 2}],
                                       cap: 200%}}
        spifs: [{event: valid_meeting, amount: 50, start: 2027-03-01, end: 2027-03-31}]
        draw: {amount: 6k, months: 3, recoverable: false}

What each kind of team can be paid on is declared in :data:`salesim.roles.KINDS`
(``pay_measures``): SDR teams on ``meetings_held``, ``valid_meeting_rate`` and
``sourced_revenue`` (the ARR the AEs later close on the meetings the SDR set); AE
teams on ``bookings``, ``margin`` (list value x (``gross_margin`` - discount)) and
``contract_value`` (bookings x ``years``); CS teams on ``retained_arr`` (ARR at the
period end of the customers the CSM held at its start) and ``expanded_arr``
(expansions on the CSM's customers, plus ``expansion_credit`` of expansion deals).

**The payout curve** of a measure turns attainment (actual / target) into the
share of the measure's on-target variable pay: nothing below ``threshold``;
``at_threshold`` at the threshold (by default the threshold itself: paid from the
first unit once it is reached), rising in a straight line to 100% at 100%
attainment; above 100% each tier pays ``rate`` per point of attainment from its
``above`` on (rate above 1: an accelerator, below 1: a decelerator); attainment past
``cap`` earns nothing more.

>>> curve = PayoutCurve.model_validate(
...     {"threshold": "50%", "tiers": [{"above": "100%", "rate": 2}], "cap": "150%"})
>>> [round(curve.payout(a), 3) for a in (0.4, 0.5, 0.8, 1.0, 1.2, 1.5, 3.0)]
[0.0, 0.5, 0.8, 1.0, 1.4, 2.0, 2.0]

Without ``behaviour:`` the plan changes what the organisation costs, not what it does.
With it, reps respond to the plan: SDRs choose how strictly they qualify, AEs how deeply
they discount, deals close earlier or later around period ends, and effort follows how
reachable the quota looks. Each lever is a key of ``behaviour:`` (absent or
``enabled: false``: off) with its assumption and defaults on :class:`Behaviour`; the
decisions themselves are :mod:`salesim.model.behaviour`::

    sdr:
      compensation:
        ...
        behaviour:
          rationality: 100%          # 0: reps ignore the plan; 100%: best response
          expected_attainment: 100%  # what reps expect to reach as they work today
          strictness: {}             # the default trade-off curve
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import numpy as np
from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema

from salesim.roles import KINDS
from salesim.scenario.fields import DurationValue, Money, Rate
from salesim.scenario.problems import Problem, share_problem
from salesim.scenario.section import Section
from salesim.scenario.units import Duration, parse_money, parse_number

if TYPE_CHECKING:
    from salesim.scenario.schema import Scenario

PayPeriod = Literal["month", "quarter", "year"]
MONTHS_PER_PERIOD: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
RATE_MEASURES = ("valid_meeting_rate",)
"""Measures that are rates: their target is a share and does not ramp."""
REVENUE_MEASURES = ("bookings", "margin", "contract_value", "sourced_revenue")
"""Measures paid on won deals: the ones a clawback takes back from."""


Amount = TypeVar("Amount", float, np.ndarray)


def deal_margin(amount: Amount, gross_margin: float, discount: Amount) -> Amount:
    """The gross margin of a deal booked at ``amount`` after ``discount`` (share off list):
    ``list x gross_margin - list x discount`` with ``list = amount / (1 - discount)``.

    ``gross_margin`` is the margin share of a deal sold at list; the cost of what is
    sold does not shrink with the price, so a discount comes off the margin whole (a deal
    discounted past its gross margin is sold below cost: its margin is negative). The
    one definition of the ``margin`` measure: pay (:mod:`salesim.metrics.compensation`)
    and the AEs' choice of discount (:mod:`salesim.model.behaviour`) both use it.
    Works on numbers and on numpy arrays alike; ``discount`` must be below 1.

    >>> deal_margin(100.0, 0.5, 0.0), deal_margin(80.0, 0.5, 0.2)  # list 100 both times
    (50.0, 30.0)
    """
    margin: Amount = amount / (1 - discount) * (gross_margin - discount)
    return margin


def _percent(value: Any) -> float:
    """An attainment or a payout share that may pass 100%: ``150%`` or ``1.5``."""
    problem = "expected a percentage such as 120% or a number such as 1.2"
    if isinstance(value, str):
        text = value.strip()
        try:
            number = (parse_number(text[:-1].strip()) / 100 if text.endswith("%")
                      else parse_number(text))
        except ValueError:
            raise ValueError(f"{problem}, got '{value}'") from None
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(problem)
    else:
        number = float(value)
    if number < 0:
        raise ValueError(f"cannot be negative (got {number:g})")
    return number


Percent = Annotated[
    float,
    BeforeValidator(_percent),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "pattern": r"^\s*[0-9.]+\s*%\s*$"}]}),
]
"""A share that may pass 100%: ``"150%"`` or ``1.5``."""


def _target(value: Any, info: ValidationInfo) -> float:
    if isinstance(value, str) and value.strip().endswith("%"):
        return _percent(value)
    currency = (info.context or {}).get("currency") if info is not None else None
    return parse_money(value, currency)


Target = Annotated[
    float,
    BeforeValidator(_target),
    Field(ge=0),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0}, {"type": "string"}]}),
]
"""A measure's target per pay period: a count, an amount (``90k``) or a rate (``70%``)."""


class Tier(Section):
    """From attainment ``above`` on, each point of attainment pays ``rate`` points."""

    above: Percent
    rate: float = Field(ge=0, le=100)


class PayoutCurve(Section):
    """Attainment to the share of on-target variable pay (see the module docstring)."""

    threshold: Percent = 0.0
    at_threshold: Percent | None = Field(
        default=None, description="Payout share at the threshold (default: the threshold).")
    tiers: tuple[Tier, ...] = ()
    cap: Percent | None = Field(default=None, description="Attainment past which nothing "
                                                          "more is paid.")

    def payout(self, attainment: float) -> float:
        """The share of on-target variable pay earned at ``attainment``.

        >>> PayoutCurve().payout(0.3), PayoutCurve(cap=1.2).payout(2.0)
        (0.3, 1.2)
        """
        if attainment < self.threshold or attainment <= 0:
            return 0.0
        counted = attainment if self.cap is None else min(attainment, self.cap)
        start = self.threshold if self.at_threshold is None else self.at_threshold
        if counted <= 1.0:
            if self.threshold >= 1.0:
                return 1.0
            return start + (counted - self.threshold) * (1.0 - start) / (1.0 - self.threshold)
        share, level, rate = 1.0, 1.0, 1.0
        for tier in self.tiers:
            if tier.above >= counted:
                break
            if tier.above > level:
                share += (tier.above - level) * rate
                level = tier.above
            rate = tier.rate
        return share + (counted - level) * rate


class PayMeasure(Section):
    """One measure of a plan: its weight in the variable pay, its target per pay period
    (``None``: the team's quota, for the measure the team's quota counts) and curve."""

    weight: Rate
    target: Target | None = None
    curve: PayoutCurve = PayoutCurve()
    gross_margin: Rate | None = Field(default=None, description="For margin: the share of "
                                                                "a deal's list value that "
                                                                "is margin.")
    years: float | None = Field(default=None, gt=0, le=10,
                                description="For contract_value: contract length in years.")


class Spif(Section):
    """A bonus of ``amount`` per qualifying event from ``start`` to ``end`` (both days
    included); deals and expansions count from ``min_amount`` of ARR."""

    event: Literal["meeting_held", "valid_meeting", "deal_won", "expansion"]
    amount: Money
    start: dt.date
    end: dt.date
    min_amount: Money = 0.0


class Clawback(Section):
    """Commission on a deal given back when the customer churns within ``within`` of
    starting: ``share`` of what the deal earned, taken in the pay period of the churn."""

    within: DurationValue
    share: Rate = 1.0


class Draw(Section):
    """Pay guaranteed per pay period for a new hire's first ``months`` of tenure: when
    variable pay falls short of ``amount``, the difference is paid. A recoverable draw
    is taken back from later variable pay above the draw."""

    amount: Money
    months: int = Field(ge=1, le=60)
    recoverable: bool = True


class ExpansionCredit(Section):
    """A CS plan's credit for expansion deals won on its customers' accounts: ``share``
    of the deal's ARR; ``overlay`` keeps the AE's full credit, ``split`` takes the
    share from the AE."""

    share: Rate
    mode: Literal["overlay", "split"] = "overlay"


class StrictnessPoint(Section):
    """At qualification ``strictness`` (0: book anyone who agrees, 1: only the surest),
    the meeting chance and the valid chance are multiplied by ``meetings`` and ``valid``."""

    strictness: Rate
    meetings: float = Field(gt=0, le=10)
    valid: float = Field(gt=0, le=10)


DEFAULT_STRICTNESS_CURVE = (
    StrictnessPoint(strictness=0.0, meetings=1.6, valid=0.55),
    StrictnessPoint(strictness=0.25, meetings=1.3, valid=0.8),
    StrictnessPoint(strictness=0.5, meetings=1.0, valid=1.0),
    StrictnessPoint(strictness=0.75, meetings=0.8, valid=1.12),
    StrictnessPoint(strictness=1.0, meetings=0.6, valid=1.2),
)
"""Looser booking brings more meetings, fewer of them valid; valid meetings in all
(meetings x valid) peak a little below the default strictness of 50% (an assumption:
very strict SDRs turn away real buyers, very loose ones book people who never buy)."""


class Strictness(Section):
    """SDR qualification strictness (SDR teams). Assumption: SDRs can trade meeting
    count against meeting quality along ``curve`` (linear between its points, the
    multipliers taken relative to those at ``default``, so at the default strictness
    the desk books and qualifies at the scenario's ``meeting_rate`` and ``valid_rate``).
    Under the plan they choose the strictness on a grid that maximises their expected
    pay: meetings held at ``expected_attainment`` x the meeting multiplier, the valid
    rate ``expected_valid_rate`` x the valid multiplier, and revenue from their
    meetings in proportion to valid meetings (meetings x valid)."""

    enabled: bool = True
    default: Rate = Field(default=0.5, description="Strictness of SDRs ignoring the plan.")
    curve: tuple[StrictnessPoint, ...] = DEFAULT_STRICTNESS_CURVE
    expected_valid_rate: Rate | None = Field(
        default=None, description="The valid rate SDRs expect at the default strictness "
                                  "(default: the team's valid_rate at lead score 50).")


class DiscountPoint(Section):
    """At ``discount`` off list, the win chance is multiplied by ``win`` and every stage's
    duration by ``cycle``; the deal is worth 1 - ``discount`` of its list ARR."""

    discount: Rate
    win: float = Field(gt=0, le=10)
    cycle: float = Field(gt=0, le=10)


DEFAULT_DISCOUNT_CURVE = (
    DiscountPoint(discount=0.0, win=1.0, cycle=1.0),
    DiscountPoint(discount=0.1, win=1.15, cycle=0.9),
    DiscountPoint(discount=0.2, win=1.25, cycle=0.85),
    DiscountPoint(discount=0.3, win=1.3, cycle=0.8),
)
"""Diminishing returns: the first 10% off wins 15% more deals, the next 20% only 15%
more (an assumption to replace with the organisation's own win/loss data)."""


class Discounting(Section):
    """AE discounting (AE teams). Assumption: a deeper discount raises the win chance
    and shortens the cycle along ``curve`` (linear between its points) but lowers the
    deal's value. AEs choose the discount on a grid that maximises their expected pay:
    each revenue measure's attainment is ``expected_attainment`` x win(d) x its value per
    deal relative to list, (1 - d) for bookings and contract value, and for margin
    (margin share - d) / margin share (a discount comes off the margin whole). A plan
    paid on margin therefore settles on a shallower discount than one paid on bookings.
    Each opportunity records its discount (``opportunities.discount``) and the payout
    tables count its margin the same way (:func:`deal_margin`)."""

    enabled: bool = True
    default: Rate = Field(default=0.0, description="Discount of AEs ignoring the plan.")
    curve: tuple[DiscountPoint, ...] = DEFAULT_DISCOUNT_CURVE


class Timing(Section):
    """Deal timing near period ends (AE teams). Assumption: a won deal due within
    ``pull_window`` after a pay period ends is pulled in to close on the period's last
    day, with chance ``pull_probability``, when it adds more to its AE's pay in the
    ending period (an accelerator tier or the threshold within reach) than it is
    expected to add in the next, where the AE expects ``expected_attainment`` give or
    take ``spread`` (a coefficient of variation); once an AE has reached the cap, a won
    deal due within ``push_window`` before the period end is pushed to the next period's
    first day, with chance ``push_probability``. The AE's work on a moved deal ends when
    it would have; only the day it is booked moves."""

    enabled: bool = True
    pull_window: DurationValue = Duration(2, "week")
    pull_probability: Rate = 0.5
    push_window: DurationValue = Duration(30, "day")
    push_probability: Rate = 0.5
    spread: Rate = Field(default=0.3, description="How uncertain AEs are of the next "
                                                  "period's attainment (its CV).")


class EffortPoint(Section):
    """At an expected ``attainment`` of quota, reps work at ``effort`` (1: as today)."""

    attainment: Percent
    effort: float = Field(ge=0, le=2)


DEFAULT_EFFORT_CURVE = (
    EffortPoint(attainment=0.3, effort=0.7),
    EffortPoint(attainment=0.8, effort=1.0),
    EffortPoint(attainment=1.3, effort=1.0),
    EffortPoint(attainment=2.0, effort=0.85),
)
"""Goal difficulty: full effort for a quota that looks reachable with a stretch (80%
to 130% expected attainment), less for one out of reach or one met without trying."""


class Effort(Section):
    """Effort against quota difficulty (SDR and AE teams; off by default). Assumption:
    effort follows ``curve`` (linear between its points) at the ``expected_attainment``
    of the behaviour settings, and scales the meeting chance (SDR) or the win chance
    (AE) of the whole team."""

    enabled: bool = True
    curve: tuple[EffortPoint, ...] = DEFAULT_EFFORT_CURVE


class Behaviour(Section):
    """How reps respond to their plan (``behaviour:`` in a plan). Every lever is off
    unless written; ``rationality`` blends the plan's best response with what reps do
    without a plan: chosen = default + rationality x (best - default)."""

    rationality: Rate = Field(default=1.0, description="0: reps ignore the plan, 1: they "
                                                       "choose what pays them most.")
    expected_attainment: Percent = Field(
        default=1.0, description="Attainment reps expect on their count and revenue "
                                 "measures as they work today.")
    grid: int = Field(default=21, ge=2, le=1001,
                      description="Choices considered between the curve's first and "
                                  "last point.")
    strictness: Strictness | None = None
    discounting: Discounting | None = None
    timing: Timing | None = None
    effort: Effort | None = None

    def lever(self, name: str) -> Any:
        """The settings of lever ``name`` when it is on, else None.

        >>> Behaviour(timing=Timing(enabled=False)).lever("timing") is None
        True
        """
        settings = getattr(self, name)
        return settings if settings is not None and settings.enabled else None


class CompensationPlan(Section):
    """A team's compensation plan (see the module docstring)."""

    on_target_earnings: Money = Field(gt=0, description="Base plus variable at 100%, per "
                                                        "head per year.")
    base_share: Rate = Field(default=0.5, description="Share of OTE paid as base.")
    pay_period: PayPeriod = "quarter"
    measures: dict[str, PayMeasure] = Field(min_length=1)
    ramped_quota: bool = Field(default=True, description="New hires' targets follow the "
                                                         "team's ramp.")
    spifs: tuple[Spif, ...] = ()
    clawback: Clawback | None = None
    draw: Draw | None = None
    expansion_credit: ExpansionCredit | None = None
    behaviour: Behaviour | None = Field(default=None, description="How reps respond to "
                                                                  "the plan (off: cost only).")

    @property
    def variable_per_year(self) -> float:
        return self.on_target_earnings * (1 - self.base_share)

    @property
    def base_per_year(self) -> float:
        return self.on_target_earnings * self.base_share


def curve_problems(path: tuple[str | int, ...], curve: PayoutCurve) -> list[Problem]:
    """What makes a payout curve impossible, each at the path it concerns."""
    problems: list[Problem] = []
    if curve.threshold > 1:
        problems.append(Problem((*path, "threshold"),
                                f"a threshold of {curve.threshold:.0%} is above target",
                                "a threshold is the attainment below 100% under which "
                                "nothing is paid"))
    if curve.at_threshold is not None and curve.at_threshold > 1:
        problems.append(Problem((*path, "at_threshold"),
                                "pays more at the threshold than at target",
                                "give a payout share of at most 100%"))
    level = 1.0
    for index, tier in enumerate(curve.tiers):
        if tier.above < level or (index and tier.above == level):
            problems.append(Problem(
                (*path, "tiers", index, "above"),
                f"tier from {tier.above:.0%} is out of order" if index
                else f"a tier from {tier.above:.0%} starts below target",
                "tiers start at 100% or more, in increasing order of 'above'"))
        level = max(level, tier.above)
    if curve.cap is not None:
        if curve.cap < curve.threshold:
            problems.append(Problem((*path, "cap"),
                                    f"the cap of {curve.cap:.0%} is below the threshold of "
                                    f"{curve.threshold:.0%}",
                                    "nothing could ever be paid: raise the cap or lower the "
                                    "threshold"))
        elif curve.cap < 1:
            problems.append(Problem((*path, "cap"),
                                    f"the cap of {curve.cap:.0%} is below target",
                                    "a cap limits pay above 100% attainment: give 100% or more"))
    return problems


AE_REVENUE_MEASURES = ("bookings", "margin", "contract_value")
"""An AE plan's measures paid on the value of won deals: what discounting and deal
timing respond to."""
LEVER_KINDS: dict[str, tuple[str, ...]] = {
    "strictness": ("sdr",), "discounting": ("ae",), "timing": ("ae",), "effort": ("sdr", "ae")}
"""The team kinds each behaviour lever applies to."""


def _points_problems(path: tuple[str | int, ...], keys: list[float], what: str,
                     curve: str = "") -> list[Problem]:
    if len(keys) < 2:
        return [Problem(path, f"the {curve or what} curve needs at least two points",
                        "give the two ends of the trade-off, e.g. the loosest and the "
                        "strictest")]
    return [Problem((*path, index), f"the point at {key:.0%} is out of order",
                    f"list the points in increasing order of {what}")
            for index, (before, key) in enumerate(pairwise(keys), start=1)
            if key <= before]


def behaviour_problems(path: tuple[str | int, ...], plan: CompensationPlan, kind: str
                       ) -> list[Problem]:
    """What makes a plan's ``behaviour:`` impossible, each at the path it concerns."""
    behaviour = plan.behaviour
    if behaviour is None:
        return []
    problems: list[Problem] = []
    for lever, kinds in LEVER_KINDS.items():
        if getattr(behaviour, lever) is not None and kind not in kinds:
            problems.append(Problem((*path, lever), f"'{lever}' does not apply to a team "
                                                    f"of kind {kind}",
                                    f"it applies to teams of kind {' or '.join(kinds)}"))
    strictness = behaviour.strictness
    if strictness is not None and kind == "sdr":
        keys = [point.strictness for point in strictness.curve]
        problems += _points_problems((*path, "strictness", "curve"), keys, "strictness")
        if keys and not keys[0] <= strictness.default <= keys[-1]:
            problems.append(Problem((*path, "strictness", "default"),
                                    f"the default strictness of {strictness.default:.0%} is "
                                    "outside the curve", f"give one from {keys[0]:.0%} to "
                                                          f"{keys[-1]:.0%}"))
    discounting = behaviour.discounting
    if discounting is not None and kind == "ae":
        keys = [point.discount for point in discounting.curve]
        problems += _points_problems((*path, "discounting", "curve"), keys, "discount")
        if keys and not keys[0] <= discounting.default <= keys[-1]:
            problems.append(Problem((*path, "discounting", "default"),
                                    f"the default discount of {discounting.default:.0%} is "
                                    "outside the curve", f"give one from {keys[0]:.0%} to "
                                                          f"{keys[-1]:.0%}"))
        if keys and keys[-1] >= 1:
            problems.append(Problem((*path, "discounting", "curve", len(keys) - 1),
                                    "a discount of 100% gives the deal away",
                                    "keep discounts below 100%"))
        margin = plan.measures.get("margin")
        if margin is not None and margin.gross_margin is not None and keys \
                and keys[-1] >= margin.gross_margin:
            problems.append(Problem((*path, "discounting", "curve", len(keys) - 1),
                                    f"a discount of {keys[-1]:.0%} gives away the whole "
                                    f"gross margin of {margin.gross_margin:.0%}",
                                    "keep the deepest discount below the margin's "
                                    "gross_margin"))
    if behaviour.effort is not None:
        keys = [point.attainment for point in behaviour.effort.curve]
        problems += _points_problems((*path, "effort", "curve"), keys, "attainment",
                                     "effort")
    return problems


def compensation_problems(scenario: Scenario) -> list[Problem]:
    """Every impossible plan of a scenario's teams, at the path it concerns."""
    problems: list[Problem] = []
    for name, team in scenario.organisation.items():
        plan = team.compensation
        if plan is None:
            continue
        kind = KINDS[team.kind]
        path: tuple[str | int, ...] = (*scenario.team_path(name), "compensation")
        weights = {measure: spec.weight for measure, spec in plan.measures.items()}
        if (p := share_problem((*path, "measures"), weights, "measure weights")) is not None:
            problems.append(p)
        for measure, spec in plan.measures.items():
            where: tuple[str | int, ...] = (*path, "measures", measure)
            if measure not in kind.pay_measures:
                problems.append(Problem(where, f"{kind.title} teams do not produce "
                                               f"'{measure}'",
                                        f"measures for a team of kind {kind.name}: "
                                        f"{', '.join(kind.pay_measures)}"))
                continue
            if spec.target is None and not (measure == kind.quota_measure
                                            and team.quota is not None):
                problems.append(Problem(where, f"'{measure}' needs a target per pay period",
                                        "add target: (e.g. target: 70% for a rate, "
                                        "target: 90k for an amount)"
                                        + (f", or give the team a quota of {measure}"
                                           if measure == kind.quota_measure else "")))
            elif spec.target is not None and spec.target <= 0:
                problems.append(Problem((*where, "target"), "a target of 0 cannot be attained",
                                        "give a target above 0"))
            elif measure in RATE_MEASURES and spec.target is not None and spec.target > 1:
                problems.append(Problem((*where, "target"),
                                        f"'{measure}' is a rate: {spec.target:.0%} cannot "
                                        "be reached", "give a rate up to 100%"))
            for setting, owner in (("gross_margin", "margin"), ("years", "contract_value")):
                if getattr(spec, setting) is not None and measure != owner:
                    problems.append(Problem((*where, setting),
                                            f"'{setting}' applies to the measure {owner} only",
                                            "remove it"))
            problems += curve_problems((*where, "curve"), spec.curve)
        for index, spif in enumerate(plan.spifs):
            where = (*path, "spifs", index)
            if spif.event not in kind.spif_events:
                problems.append(Problem((*where, "event"),
                                        f"{kind.title} teams have no '{spif.event}' events",
                                        f"events for a team of kind {kind.name}: "
                                        f"{', '.join(kind.spif_events)}"))
            if spif.end < spif.start:
                problems.append(Problem((*where, "end"), "the SPIF ends before it starts"))
        if plan.clawback is not None and not set(plan.measures) & set(REVENUE_MEASURES):
            problems.append(Problem((*path, "clawback"),
                                    "a clawback takes back pay on deals, and this plan pays "
                                    "on none", f"pay on one of {', '.join(REVENUE_MEASURES)}, "
                                    "or remove the clawback"))
        if plan.expansion_credit is not None and kind.name != "cs":
            problems.append(Problem((*path, "expansion_credit"),
                                    "only customer success teams share credit for expansion "
                                    "deals", "move it to the plan of a team of kind cs"))
        problems += behaviour_problems((*path, "behaviour"), plan, kind.name)
    return problems
