"""Customer success: onboarding, renewals, expansion, contraction and churn.

Each won deal creates one customer (a subscription) with its ARR and contract
term. CS capacity is ramped: a CSM carries ``accounts_per_csm x productivity``
accounts (the team's ``ramp`` at their tenure), and the team's capacity is the
sum over the CSMs on the team. A new customer goes to the CSM with the lowest
load relative to their ramped capacity, so a CSM at productivity 0 gets none
while a colleague can take them. Onboarding succeeds with a probability that
falls when the team carries more customers than its capacity
(``success * (capacity / load) ** overload_sensitivity``; none without
capacity). At each term end the customer renews with a probability set by
onboarding (plus a per-customer health spread), possibly expanding or
contracting, or churns.

Customers are taken in order of their start; a customer's onboarding depends
only on the load left by earlier ones, so one pass in time order is exact.

Random numbers are keyed by lead (:func:`salesim.engine.random_streams.per_lead_uniforms`):
the customer from lead ``lead_id`` gets the same onboarding duration and
onboarding uniform, health, and renewal, change and change-size uniforms at
each term end, whatever changed upstream.
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from salesim.engine.random_streams import RandomStreams, per_lead_uniforms
from salesim.model.key_order import KeyOrder
from salesim.model.start_state import ExistingBook
from salesim.model.workforce import Roster
from salesim.scenario.schema import CS, Scenario
from salesim.scenario.schema import Customers as CustomerTerms
from salesim.scenario.units import DAYS_PER_MONTH

# days: tenure-month edges are checked this much early, far above float rounding
EDGE_MARGIN = 1e-6

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
    existing: int = 0  # the first ``existing`` customers came with the start state

    def event(self, customer: int, at: float, kind: str, change: float) -> None:
        self.event_customer.append(customer)
        self.event_at.append(at)
        self.event_kind.append(kind)
        self.event_change.append(change)


def serve_customers(scenario: Scenario, cs: CS, name: str, roster: Roster,
                    streams: RandomStreams, opportunity: np.ndarray, start_at: np.ndarray,
                    arr: np.ndarray, lead_id: np.ndarray, lead_count: int,
                    existing: ExistingBook | None = None) -> Customers:
    """Run the customer life, from signature to the horizon, of every won deal handed to
    CS team ``name`` (settings ``cs``, random stream named after the team).

    ``lead_id`` is the lead each deal came from (ids ``1..lead_count``, each at most
    once): it keys the customer's random numbers.
    """
    terms = scenario.customers
    horizon = scenario.meta.horizon_days
    term = terms.contract_term.days
    order = np.argsort(start_at, kind="stable")
    # term ends that can fall before the horizon (customers start on day 0 or later)
    renewal_cycles = 0
    while term * (renewal_cycles + 1) < horizon:
        renewal_cycles += 1
    # per lead: onboarding duration, onboarding, health; then at each term end whether
    # it renews, whether it changes (expands or contracts) and by how much
    draws = _keyed_draws(streams, name, np.asarray(lead_id, dtype=np.int64)[order],
                         lead_count, 3 + 3 * renewal_cycles)
    onboarding_days = cs.onboarding_duration.sampler().quantile(draws[:, 0])
    onboarding_u = draws[:, 1]
    health = (terms.health_noise * special.ndtri(draws[:, 2]) if terms.health_noise > 0
              else np.zeros(len(order)))
    # rows as Python lists: each customer reads its own, number by number
    renew_u = draws[:, 3::3].tolist()
    change_u = draws[:, 4::3].tolist()
    expansion = terms.expansion.size.sampler().quantile(draws[:, 5::3]).tolist()
    contraction = terms.contraction.size.sampler().quantile(draws[:, 5::3]).tolist()
    term_ends = [term * k for k in range(1, renewal_cycles + 1)]

    starts = roster.hired_at.tolist()
    ends = roster.left_at.tolist()
    ramp = roster.ramp
    per_csm = cs.accounts_per_csm
    load = [0] * len(roster)
    carried = 0  # every live customer with a CSM, including the book of those who left
    churns: list[tuple[float, int]] = []  # (churn time, csm index) of customers who will churn
    owner: list[int] = []
    customers = Customers()
    if existing is not None and len(existing):
        _existing_customers(scenario, name, roster, streams, existing, customers, load,
                            owner, churns)
        carried = sum(load)

    team = _Books(starts, ends, ramp, per_csm, load)
    churned_from: list[int] = []
    for position, index in enumerate(order.tolist()):
        now = float(start_at[index])
        while churns and churns[0][0] <= now:
            _, csm = heapq.heappop(churns)
            load[csm] -= 1
            carried -= 1
            churned_from.append(csm)
        for csm in churned_from:
            team.load_changed(csm)
        churned_from.clear()
        # each CSM on the team carries a book ramped with their tenure; the customers of
        # those who left stay and are carried by the team
        team.advance(now)
        active, capacity = team.active, team.capacity
        success = cs.onboarding_success
        if capacity <= 0:
            success = 0.0
        elif carried + 1 > capacity:
            success *= (capacity / (carried + 1)) ** cs.overload_sensitivity
        csm, csm_id = -1, -1
        if active:
            # the lowest load for their ramped book (none for a CSM without a book while
            # a colleague has one); with no book on the team, the fewest customers
            csm = (team.lowest_load_for_book() if capacity > 0
                   else min(active, key=load.__getitem__))
            load[csm] += 1
            team.load_changed(csm)
            carried += 1
            csm_id = int(roster.rep_ids[csm])
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
        renewals, churned, value = _term_ends(
            customers, customer, value, [now + after for after in term_ends], horizon,
            chance, renew_u[position], change_u[position], expansion[position],
            contraction[position], terms)
        if not math.isnan(churned) and csm >= 0:
            heapq.heappush(churns, (churned, csm))
        customers.renewals.append(renewals)
        customers.churned_at.append(churned)
        customers.arr.append(value)
    _reassign_leavers(customers, owner, roster)
    return customers


def _keyed_draws(streams: RandomStreams, name: str, lead_id: np.ndarray, lead_count: int,
                 columns: int) -> np.ndarray:
    """Per customer, ``columns`` uniforms keyed by lead; deals open on the first day
    (ids above ``lead_count``) from their own stream."""
    opening = lead_id > lead_count
    if not opening.any():
        return per_lead_uniforms(streams.generator(name), lead_id, lead_count, columns)
    draws = np.empty((len(lead_id), columns))
    draws[~opening] = per_lead_uniforms(streams.generator(name), lead_id[~opening],
                                        lead_count, columns)
    keys = lead_id[opening] - lead_count
    draws[opening] = per_lead_uniforms(streams.generator(f"start_state/{name}/won"), keys,
                                       int(keys.max()), columns)
    return draws


def _existing_customers(scenario: Scenario, name: str, roster: Roster,
                        streams: RandomStreams, existing: ExistingBook,
                        customers: Customers, load: list[int], owner: list[int],
                        churns: list[tuple[float, int]]) -> None:
    """The start state's customers: on the books on day one, onboarded, renewing at
    their next renewal date and every term after."""
    terms = scenario.customers
    horizon = scenario.meta.horizon_days
    term = terms.contract_term.days
    n = len(existing)
    cycles = max(1, int(np.ceil(horizon / term)) + 1)
    draws = streams.generator(f"start_state/{name}/customers").random((n, 1 + 3 * cycles))
    health = (terms.health_noise * special.ndtri(draws[:, 0]) if terms.health_noise > 0
              else np.zeros(n))
    expansion = terms.expansion.size.sampler().quantile(draws[:, 3::3]).tolist()
    contraction = terms.contraction.size.sampler().quantile(draws[:, 3::3]).tolist()
    renew_u = draws[:, 1::3].tolist()
    change_u = draws[:, 2::3].tolist()
    term_ends = [term * k for k in range(cycles)]
    active = np.flatnonzero((roster.hired_at <= 0) & (roster.left_at > 0)).tolist()
    for index in range(n):
        csm = int(existing.csm[index])
        if not 0 <= csm < len(roster) or csm not in active:
            csm = min(active, key=load.__getitem__) if active else -1
        if csm >= 0:
            load[csm] += 1
        owner.append(csm)
        value = float(existing.arr[index])
        customer = len(customers.start_at)
        begun = float(existing.start_at[index])
        customers.opportunity.append(-1)
        customers.csm_id.append(int(roster.rep_ids[csm]) if csm >= 0 else -1)
        customers.start_at.append(begun)
        customers.initial_arr.append(value)
        customers.event(customer, begun, "new", value)
        customers.onboarded.append(True)
        customers.onboarded_at.append(NAN)
        chance = min(max(terms.renewal.onboarded + float(health[index]), 0.0), 1.0)
        renewals, churned, value = _term_ends(
            customers, customer, value,
            [float(existing.renewal_at[index]) + after for after in term_ends], horizon, chance,
            renew_u[index], change_u[index], expansion[index], contraction[index], terms)
        if not math.isnan(churned) and csm >= 0:
            heapq.heappush(churns, (churned, csm))
        customers.renewals.append(renewals)
        customers.churned_at.append(churned)
        customers.arr.append(value)
    customers.existing = n


def _term_ends(customers: Customers, customer: int, value: float, ends: list[float],
               horizon: float, chance: float, renew_u: list[float], change_u: list[float],
               expansion: list[float], contraction: list[float], terms: CustomerTerms
               ) -> tuple[int, float, float]:
    """A customer's term ends at times ``ends`` (until the horizon): at each it renews
    with probability ``chance`` (its uniform ``renew_u``), then may expand or contract
    (``change_u`` and the sizes drawn for that term end), or churns and stops.

    Records the events; returns the renewals, the churn time (NaN: none) and the ARR
    at the end.
    """
    renewals = 0
    for cycle, at in enumerate(ends):
        if at >= horizon:
            break
        if renew_u[cycle] >= chance:
            customers.event(customer, at, "churn", -value)
            return renewals, at, 0.0
        renewals += 1
        customers.event(customer, at, "renewal", 0.0)
        u = change_u[cycle]
        if u < terms.expansion.probability:
            change = value * float(expansion[cycle])
            customers.event(customer, at, "expansion", change)
            value += change
        elif u < terms.expansion.probability + terms.contraction.probability:
            change = min(value, value * float(contraction[cycle]))
            customers.event(customer, at, "contraction", -change)
            value -= change
    return renewals, NAN, value


class _Books:
    """The CSMs employed as customers arrive (times never go back): each one's ramped
    book, the team's capacity (their sum, in CSM order) and the CSMs with a book by
    (load / book, CSM), so the next customer's CSM is found without a scan of the team.

    A book changes only at a hire, a leave or a tenure month's edge, so each is worked
    out then, exactly as at every customer (the edges are checked a little early and
    the month decided by the same arithmetic).
    """

    def __init__(self, starts: list[float], ends: list[float], ramp: tuple[float, ...],
                 per_csm: float, load: list[int]) -> None:
        self.starts, self.ramp, self.per_csm, self.load = starts, ramp, per_csm, load
        self.changes = sorted((at, csm) for csm in range(len(starts))
                              for at in (starts[csm], ends[csm]) if not math.isnan(at))
        self.next_change = 0
        self.ends = ends
        self.active: list[int] = []
        self.capacity = 0.0
        self.month = [NAN] * len(starts)
        self.book = [0.0] * len(starts)
        self.edges: list[tuple[float, int]] = []  # (a little before a month edge, csm)
        self.at_edge: set[int] = set()  # CSMs whose edge is due or within the margin
        self.by_load = KeyOrder()

    def advance(self, now: float) -> None:
        """Bring the team up to ``now``."""
        touched = False
        changes = self.changes
        while self.next_change < len(changes) and changes[self.next_change][0] <= now:
            csm = changes[self.next_change][1]
            self.next_change += 1
            employed = self.starts[csm] <= now < self.ends[csm]
            if employed and csm not in self.active:
                bisect.insort(self.active, csm)
                self.at_edge.add(csm)
            elif not employed and csm in self.active:
                self.active.remove(csm)
                self.at_edge.discard(csm)
                self.month[csm] = NAN
            self.load_changed(csm)
            touched = True
        while self.edges and self.edges[0][0] <= now:
            csm = heapq.heappop(self.edges)[1]
            if not math.isnan(self.month[csm]):
                self.at_edge.add(csm)
        for csm in list(self.at_edge):
            month = (now - self.starts[csm]) // DAYS_PER_MONTH
            if month == self.month[csm]:
                continue  # within the margin before the edge: looked at again next time
            self.at_edge.discard(csm)
            self.month[csm] = month
            self.book[csm] = self.per_csm * _ramped(self.ramp, month)
            self.load_changed(csm)
            touched = True
            if month < len(self.ramp):  # after the ramp the book stays as it is
                edge = self.starts[csm] + (month + 1) * DAYS_PER_MONTH - EDGE_MARGIN
                heapq.heappush(self.edges, (edge, csm))
        if touched:
            self.capacity = sum(self.book[csm] for csm in self.active)

    def load_changed(self, csm: int) -> None:
        """``csm``'s load, book or employment just changed."""
        book = self.book[csm]
        employed = not math.isnan(self.month[csm])
        self.by_load.place(csm, self.load[csm] / book if employed and book > 0 else None)

    def lowest_load_for_book(self) -> int:
        """The employed CSM with a book with the lowest load for it (the first CSM of
        those tied); only while some CSM has a book."""
        return next(iter(self.by_load))


def _ramped(ramp: tuple[float, ...], month: float) -> float:
    """Productivity in tenure ``month`` (:meth:`Roster.productivity`, inlined: it runs
    for every CSM at every new customer)."""
    if month < 0:
        return 0.0
    return ramp[int(month)] if month < len(ramp) else 1.0


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
