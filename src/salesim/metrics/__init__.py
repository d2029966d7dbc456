"""Metrics from records alone: pure functions of the CRM-shaped record tables.

Everything here reads :class:`salesim.records.Records` plus a small
:class:`Plan` (per team: quotas, ramps, costs, capacities; working hours,
horizon), so
the same code runs on simulated records and on a real CRM export with a
hand-written plan. Periods are calendar months, quarters and years clipped to
the horizon, plus ``'total'`` (the whole horizon).

* :func:`kpi_table` - the tidy KPI table; :func:`headline_metrics` - the
  stable headline numbers (:func:`headline_names`).
* :func:`cohort_funnel` (by lead creation period) and :func:`period_funnel`
  (events in the period they happened).
* :func:`attainment` and :func:`attainment_distribution` - quota attainment.
* :func:`bottlenecks` - utilisation, queues and waits per stage.
* :func:`headcount`, :func:`arr_rollforward`, :func:`retention`,
  :func:`costs`, :func:`unit_economics` - the building blocks.

A runnable example on a tiny hand-made CRM export:

>>> import datetime as dt
>>> import pandas as pd
>>> from salesim.records import Records, conform, empty_table
>>> from salesim.metrics import Plan, TeamPlan, headline_metrics, period_funnel
>>> leads = empty_table("leads").reindex(range(2))
>>> leads = leads.assign(lead_id=[1, 2], cycle=0, channel="web", segment="smb", score=50.0,
...                      cost=100.0, sdr_id=7, attempts=1, reschedules=0, status="open",
...                      reason="", valid=[True, pd.NA],
...                      created_at=pd.to_datetime(["2027-03-30 09:00", "2027-03-31 10:00"]),
...                      first_attempt_at=pd.to_datetime(["2027-03-30 09:03",
...                                                       "2027-03-31 11:00"]),
...                      meeting_held_at=pd.to_datetime(["2027-04-02 14:00", None]))
>>> tables = {name: empty_table(name) for name in Records.table_names()}
>>> tables["leads"] = conform("leads", leads)
>>> records = Records(**tables, start=dt.date(2027, 1, 1), end=dt.date(2028, 1, 1))
>>> plan = Plan(teams={"sdr": TeamPlan(), "ae": TeamPlan()})
>>> numbers = headline_metrics(records, plan)
>>> numbers["leads"], numbers["meetings_held"], numbers["speed_to_lead_median_minutes"]
(2.0, 1.0, 31.5)
>>> funnel = period_funnel(records)
>>> funnel.query("stage == 'meetings_held' and count > 0")[["period", "count"]].to_dict("records")
[{'period': '2027-04', 'count': 1}]
"""

from salesim.metrics._tidy import KPI_COLUMNS
from salesim.metrics.attainment import attainment, attainment_distribution
from salesim.metrics.capacity import bottlenecks
from salesim.metrics.finance import arr_rollforward, costs, retention, unit_economics
from salesim.metrics.funnel import FUNNEL_STAGES, cohort_funnel, period_funnel
from salesim.metrics.kpis import (
    HEADLINE_METRICS,
    headline_metrics,
    headline_names,
    kpi_table,
)
from salesim.metrics.periods import PERIOD_TYPES, Horizon, period_labels, period_table
from salesim.metrics.plan import ChannelPlan, Plan, TeamPlan
from salesim.metrics.workforce import headcount, rep_months

__all__ = [
    "FUNNEL_STAGES",
    "HEADLINE_METRICS",
    "KPI_COLUMNS",
    "PERIOD_TYPES",
    "ChannelPlan",
    "Horizon",
    "Plan",
    "TeamPlan",
    "arr_rollforward",
    "attainment",
    "attainment_distribution",
    "bottlenecks",
    "cohort_funnel",
    "costs",
    "headcount",
    "headline_metrics",
    "headline_names",
    "kpi_table",
    "period_funnel",
    "period_labels",
    "period_table",
    "rep_months",
    "retention",
    "unit_economics",
]
