"""One declaration per team kind: what a team of that kind works on and how it is measured.

A scenario's organisation is any number of named teams, each of one kind. Everything
that differs by kind and that the rest of salesim needs to know (what the team is
handed, what its quota counts and in which unit, what limits its capacity, which
record column names the rep who owns a piece of work, whether its cost is an
acquisition cost) is declared here, once. Metrics, capacity, finance and the command
line read these declarations instead of naming roles.

>>> KINDS["ae"].quota_measure, KINDS["ae"].quota_unit
('bookings', 'money')
>>> KINDS["sdr"].owner_table, KINDS["sdr"].owner_column
('leads', 'sdr_id')
>>> [kind.name for kind in KINDS.values() if kind.acquisition_cost]
['sdr', 'ae']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

QuotaMeasure = Literal["bookings", "meetings_held", "valid_meetings", "deals_won",
                       "retained_arr"]
QUOTA_MEASURES: tuple[QuotaMeasure, ...] = (
    "bookings", "meetings_held", "valid_meetings", "deals_won", "retained_arr",
)
WorkItem = Literal["leads", "meetings", "customers"]


@dataclass(frozen=True)
class TeamKind:
    """What every team of one kind has in common.

    ``takes`` is the work item routed to the team (``routing.<takes>`` rules name it);
    ``quota_measure`` what a rep's quota counts, in ``quota_unit``; ``capacity`` what
    one head can carry at once (the setting that limits it is ``capacity_setting`` of
    the team, ``None`` where time alone limits the team); ``owner_table`` and
    ``owner_column`` the record column naming the rep who owns the work;
    ``acquisition_cost`` whether the team's cost counts in customer acquisition cost.
    """

    name: str
    title: str
    takes: WorkItem
    quota_measure: QuotaMeasure
    quota_unit: Literal["count", "money"]
    capacity: str
    capacity_setting: str | None
    owner_table: str
    owner_column: str
    acquisition_cost: bool
    pay_measures: tuple[str, ...] = ()
    """What a compensation plan of this kind can pay on (:mod:`salesim.scenario.compensation`)."""
    spif_events: tuple[str, ...] = ()
    """The events a SPIF of this kind can pay per occurrence."""


KINDS: dict[str, TeamKind] = {
    kind.name: kind for kind in (
        TeamKind(name="sdr", title="inside sales, inbound (SDR)", takes="leads",
                 quota_measure="meetings_held", quota_unit="count",
                 capacity="calls in working hours", capacity_setting=None,
                 owner_table="leads", owner_column="sdr_id", acquisition_cost=True,
                 pay_measures=("meetings_held", "valid_meeting_rate", "sourced_revenue"),
                 spif_events=("meeting_held", "valid_meeting")),
        TeamKind(name="ae", title="field sales (account executives)", takes="meetings",
                 quota_measure="bookings", quota_unit="money",
                 capacity="open deals", capacity_setting="max_open_opportunities",
                 owner_table="opportunities", owner_column="ae_id", acquisition_cost=True,
                 pay_measures=("bookings", "margin", "contract_value"),
                 spif_events=("deal_won",)),
        TeamKind(name="cs", title="customer success", takes="customers",
                 quota_measure="retained_arr", quota_unit="money",
                 capacity="accounts", capacity_setting="accounts_per_csm",
                 owner_table="subscriptions", owner_column="csm_id", acquisition_cost=False,
                 pay_measures=("retained_arr", "expanded_arr"),
                 spif_events=("expansion",)),
    )
}
"""Every team kind, in the order work flows through them."""


def kind_of_work(item: WorkItem) -> TeamKind:
    """The kind of team that takes ``item`` (``leads`` -> SDR...)."""
    return next(kind for kind in KINDS.values() if kind.takes == item)
