"""Customer success: onboarding, renewals, expansion, contraction and churn.

Each won deal creates one customer (a subscription) with its ARR and contract
term, assigned to the least loaded CSM on the team. Onboarding succeeds with a
probability that falls when CSMs carry more customers than ``accounts_per_csm``
(``success * (capacity / load) ** overload_sensitivity``). At each term end the
customer renews with a probability set by onboarding (plus a per-customer
health spread), possibly expanding or contracting, or churns.

Customers are taken in order of their start; a customer's onboarding depends
only on the load left by earlier ones, so one pass in time order is exact.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from salesim.engine.random_streams import RandomStreams
from salesim.model.workforce import Roster
from salesim.scenario.schema import Scenario

NAN = math.nan


@dataclass
class Customers:
    """Subscriptions and their ARR events, as column lists."""

    opportunity: list[int] = field(default_factory=list)
    csm_id: list[int] = field(default_factory=list)
    start_at: list[float] = field(default_factory=list)
    initial_arr: list[float] = field(default_factory=list)
    onboarded_at: list[float] = field(default_factory=list)
    onboarded: list[bool] = field(default_factory=list)
    renewals: list[int] = field(default_factory=list)
    churned_at: list[float] = field(default_factory=list)
    arr: list[float] = field(default_factory=list)
    event_customer: list[int] = field(default_factory=list)
    event_at: list[float] = field(default_factory=list)
    event_kind: list[str] = field(default_factory=list)
    event_change: list[float] = field(default_factory=list)

    def event(self, customer: int, at: float, kind: str, change: float) -> None:
        self.event_customer.append(customer)
        self.event_at.append(at)
        self.event_kind.append(kind)
        self.event_change.append(change)


def serve_customers(scenario: Scenario, roster: Roster, streams: RandomStreams,
                    opportunity: np.ndarray, start_at: np.ndarray, arr: np.ndarray
                    ) -> Customers:
    """Run every won deal's customer life from signature to the horizon."""
    cs = scenario.cs
    terms = scenario.customers
    horizon = scenario.meta.horizon_days
    term = terms.contract_term.days
    rng = streams.generator("cs")
    order = np.argsort(start_at, kind="stable")
    n = len(order)
    onboarding_days = cs.onboarding_duration.sampler().sample(rng, n)
    onboarding_u = rng.random(n)
    health = rng.normal(0.0, terms.health_noise, n) if terms.health_noise > 0 else np.zeros(n)
    renewal_cycles = int(horizon // term) + 1
    renew_u = rng.random((n, renewal_cycles))
    change_u = rng.random((n, renewal_cycles))
    expansion = terms.expansion.size.sampler().sample(rng, (n * renewal_cycles)).reshape(
        n, renewal_cycles)
    contraction = terms.contraction.size.sampler().sample(rng, (n * renewal_cycles)).reshape(
        n, renewal_cycles)

    hired = roster.hired_at
    left = roster.left_at
    load = np.zeros(len(roster), dtype=np.int64)
    churns: list[tuple[float, int]] = []  # (churn time, csm index) of customers who will churn
    owner: list[int] = []
    customers = Customers()

    for position, index in enumerate(order.tolist()):
        now = float(start_at[index])
        while churns and churns[0][0] <= now:
            _, csm = heapq.heappop(churns)
            load[csm] -= 1
        active = np.flatnonzero((hired <= now) & (left > now))
        # every live customer is carried by the CSMs on the team now, including the
        # book of those who left (their customers stay and go to colleagues)
        carried = int(load.sum())
        capacity = cs.accounts_per_csm * max(len(active), 0)
        success = cs.onboarding_success
        if capacity == 0:
            success = 0.0
        elif carried + 1 > capacity:
            success *= (capacity / (carried + 1)) ** cs.overload_sensitivity
        if len(active):
            csm = int(active[np.argmin(load[active])])
            load[csm] += 1
            csm_id = int(roster.rep_ids[csm])
        else:
            csm, csm_id = -1, -1
        owner.append(csm)

        value = float(arr[index])
        customer = len(customers.start_at)
        customers.opportunity.append(int(opportunity[index]))
        customers.csm_id.append(csm_id)
        customers.start_at.append(now)
        customers.initial_arr.append(value)
        customers.event(customer, now, "new", value)
        onboarded = bool(onboarding_u[position] < success)
        done = now + float(onboarding_days[position])
        customers.onboarded.append(onboarded and done < horizon)
        customers.onboarded_at.append(done if onboarded and done < horizon else NAN)

        base = terms.renewal.onboarded if onboarded else terms.renewal.not_onboarded
        chance = min(max(base + float(health[position]), 0.0), 1.0)
        renewals = 0
        churned = NAN
        for cycle in range(renewal_cycles):
            at = now + term * (cycle + 1)
            if renew_u[position, cycle] >= chance:
                if at < horizon:
                    churned = at
                    customers.event(customer, at, "churn", -value)
                    value = 0.0
                if csm >= 0:
                    heapq.heappush(churns, (at, csm))
                break
            if at >= horizon:
                break
            renewals += 1
            customers.event(customer, at, "renewal", 0.0)
            u = change_u[position, cycle]
            if u < terms.expansion.probability:
                change = value * float(expansion[position, cycle])
                customers.event(customer, at, "expansion", change)
                value += change
            elif u < terms.expansion.probability + terms.contraction.probability:
                change = min(value, value * float(contraction[position, cycle]))
                customers.event(customer, at, "contraction", -change)
                value -= change
        customers.renewals.append(renewals)
        customers.churned_at.append(churned)
        customers.arr.append(value)
    _reassign_leavers(customers, owner, roster)
    return customers


def _reassign_leavers(customers: Customers, owner: list[int], roster: Roster) -> None:
    """A customer whose CSM left is looked after by a colleague still there at the end."""
    if not owner:
        return
    staying = np.flatnonzero(np.isinf(roster.left_at))
    if len(staying) == 0:
        return
    for customer, csm in enumerate(owner):
        if csm >= 0 and not np.isinf(roster.left_at[csm]):
            customers.csm_id[customer] = int(roster.rep_ids[staying[customer % len(staying)]])
