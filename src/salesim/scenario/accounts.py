"""The account world in a scenario: the ``accounts:`` universe and ``territories:``.

``accounts:`` describes every company the organisation could sell to, in one of
two forms.

Generated from a spec::

    accounts:
      count: 20000                      # split among segments by share
      segments:
        smb:        {share: 90%, employees: {lognormal: {median: 12, p90: 60}},
                     revenue: {lognormal: {median: 150M, p90: 1.2B}}}
        enterprise: {share: 10%, employees: {lognormal: {median: 1500, p90: 8000}},
                     revenue: {lognormal: {median: 40B, p90: 300B}},
                     potential_cap: 60M}
      industries: {manufacturing: 30%, retail: 25%, it: 20%, services: 25%}
      regions:    {kanto: 45%, kansai: 25%, chubu: 15%, other: 15%}

(``count`` per segment instead of ``share`` fixes each segment's size.)

Loaded from a company list, CSV or Parquet, shaped like a company database
export (columns ``name, industry, employees, region, revenue``; optional
``account_id, segment, potential``)::

    accounts:
      file: data/companies.parquet      # relative to the scenario file
      size_bands: {smb: 1-99, mid: 100-999, enterprise: 1000+}

``size_bands`` give each row its segment from its employee count when the file
has no ``segment`` column (or leaves it blank).

**Potential** is an account's annual ARR potential: what it could spend with us
in a year. Unless a file gives it, it is ``potential_share`` of the account's
annual revenue (default 0.2%: a share of revenue an organisation spends on one
business application), capped at ``potential_cap`` when one is given, since the
largest companies do not spend in proportion to their size. Both can be set for
the whole universe and, in the generated form, per segment.

``territories:`` carves the accounts among teams, keyed by team name::

    territories:
      Enterprise AE:
        named_accounts: [Toyota, 4721]         # names (text) or account ids (numbers)
        covers: [{segments: [enterprise]}]
        balance: both                          # potential | workload | both
        on_rep_leaving: hold                   # hold | split | house
        fit: {industry: 1.5}
      Commercial AE:
        covers: [{regions: [kanto, kansai]}, {}]   # an empty rule takes what is left

An account goes to the first team that claims it: named accounts first (every
team's list), then each team's ``covers`` rules in the order written, teams in
the order written. Within a rule the conditions must all hold (region and
industry and segment and employee band); an empty list means "any". Accounts no
rule takes are uncovered. Each team's accounts are then balanced across its
territories (``territories``, by default one per seat). With ``split_by: region``
(or ``industry``, ``segment``) every territory stays within one region: the team's
territories are shared among the regions in proportion to their potential (at
least one each), then balanced within each region.

**Fit** is the win-rate multiplier a rep gets on accounts of the industry (and
of the segment) that holds the largest share of potential in their own
territory: the assumption is that a rep whose book is mostly one industry
learns it and wins more there, so carving by industry and carving by region give
different results.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer, WithJsonSchema, field_validator, model_validator

from salesim.scenario.fields import Money, MoneyDist, Name, NumberDist, Rate
from salesim.scenario.problems import Problem, share_problem, unknown_names
from salesim.scenario.section import Section

TERRITORY_TEAM_KINDS: tuple[str, ...] = ("ae",)
"""Team kinds that own territories (outbound ``bdr`` teams join when they exist)."""

UNSPECIFIED = "unspecified"
"""The industry or region of an account whose spec or file does not say."""

DEFAULT_POTENTIAL_SHARE = 0.002
MAX_ACCOUNTS = 50_000_000


# ----------------------------------------------------------------------------- size bands

_BAND_TEXT = re.compile(r"\s*([0-9][0-9,_]*)\s*(?:(\+)|(?:-|–|~|〜|\.\.)\s*([0-9][0-9,_]*))\s*")


class SizeBand(Section):
    """A range of employee counts, both ends included: ``100-999``, ``1000+``,
    ``{min: 100, max: 999}``. ``max`` left out means no upper limit."""

    min: int = Field(default=0, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _text_form(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _BAND_TEXT.fullmatch(value)
            if not match:
                raise ValueError(f"'{value}' is not a size band: write e.g. '1-99' or '1000+'")
            low, plus, high = match.groups()
            return {"min": int(low.replace(",", "").replace("_", "")),
                    "max": None if plus else int(high.replace(",", "").replace("_", ""))}
        if isinstance(value, list | tuple) and len(value) == 2:
            return {"min": value[0], "max": value[1]}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> SizeBand:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"ends ({self.max}) below where it starts ({self.min})")
        return self

    def overlaps(self, other: SizeBand) -> bool:
        high = self.max if self.max is not None else float("inf")
        other_high = other.max if other.max is not None else float("inf")
        return self.min <= other_high and other.min <= high

    def __str__(self) -> str:
        return f"{self.min}+" if self.max is None else f"{self.min}-{self.max}"


SizeBandValue = Annotated[
    SizeBand,
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"anyOf": [
        {"type": "string",
         "pattern": r"^\s*[0-9][0-9,_]*\s*(\+|(-|–|~|〜|\.\.)\s*[0-9][0-9,_]*)\s*$",
         "examples": ["1-99", "1000+"]},
        {"type": "object", "properties": {"min": {"type": "integer", "minimum": 0},
                                          "max": {"type": "integer", "minimum": 0}},
         "additionalProperties": False},
    ]}),
]
"""A size band as written in a scenario, and written back as ``"100-999"``."""


# ----------------------------------------------------------------------------- accounts


class SegmentAccounts(Section):
    """The accounts of one segment in a generated universe.

    ``employees`` and ``revenue`` are drawn with a rank correlation (bigger
    companies tend to have bigger revenue; see ``Accounts.size_revenue_correlation``).
    """

    share: Rate | None = Field(default=None, description="Share of accounts.count.")
    count: int | None = Field(default=None, ge=0, le=MAX_ACCOUNTS)
    employees: NumberDist = Field(description="Employees per account (rounded, at least 1).")
    revenue: MoneyDist = Field(description="Annual revenue per account.")
    potential_share: Rate | None = Field(
        default=None, description="Potential as a share of revenue (default: the universe's).")
    potential_cap: Money | None = Field(
        default=None, description="Largest potential of one account (default: the universe's).")

    @model_validator(mode="after")
    def _share_or_count(self) -> SegmentAccounts:
        if (self.share is None) == (self.count is None):
            raise ValueError("give either share (of accounts.count) or count")
        return self


class Accounts(Section):
    """The account universe: generated (``segments``) or loaded (``file``)."""

    file: str | None = Field(default=None, description="CSV or Parquet company list, "
                             "relative to the scenario file.")
    size_bands: dict[Name, SizeBandValue] | None = Field(
        default=None, description="Segment of a listed company by its employee count.")
    count: int | None = Field(default=None, ge=1, le=MAX_ACCOUNTS,
                              description="Accounts to generate, split by segment share.")
    segments: dict[Name, SegmentAccounts] | None = None
    industries: dict[Name, Rate] | None = Field(
        default=None, description="Industry mix of generated accounts (shares).")
    regions: dict[Name, Rate] | None = Field(
        default=None, description="Region mix of generated accounts (shares).")
    size_revenue_correlation: float = Field(
        default=0.8, ge=0, le=1,
        description="Correlation of employees and revenue (on the normal-score scale).")
    potential_share: Rate = Field(
        default=DEFAULT_POTENTIAL_SHARE, description="Potential as a share of revenue.")
    potential_cap: Money | None = Field(
        default=None, description="Largest potential of one account.")

    @field_validator("file")
    @classmethod
    def _file_kind(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().endswith((".csv", ".parquet", ".pq")):
            raise ValueError(f"'{value}' is neither a .csv nor a .parquet file")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> Accounts:
        if (self.file is None) == (self.segments is None):
            raise ValueError("give either file (a company list) or segments (to generate)")
        if self.file is not None:
            written = [name for name in ("count", "industries", "regions")
                       if getattr(self, name) is not None]
            if written:
                raise ValueError(f"{', '.join(written)} only apply to a generated universe; "
                                 "a company list brings its own")
            return self
        assert self.segments is not None
        if self.size_bands is not None:
            raise ValueError("size_bands only apply to a company list (file)")
        if not self.segments:
            raise ValueError("needs at least one segment")
        shares = [s.share is not None for s in self.segments.values()]
        if any(shares) and not all(shares):
            raise ValueError("give every segment a share, or every segment a count")
        if all(shares) and self.count is None:
            raise ValueError("segment shares need accounts.count (the total to generate)")
        if not all(shares) and self.count is not None:
            raise ValueError("count is the sum of the segments' counts here; leave it out")
        return self

    @property
    def generated(self) -> bool:
        return self.file is None

    @property
    def industry_mix(self) -> dict[str, float]:
        return dict(self.industries) if self.industries else {UNSPECIFIED: 1.0}

    @property
    def region_mix(self) -> dict[str, float]:
        return dict(self.regions) if self.regions else {UNSPECIFIED: 1.0}

    def segment_counts(self) -> dict[str, int]:
        """Accounts per segment of a generated universe; shares of ``count`` are
        rounded by largest remainder, so the counts add up to ``count`` exactly.

        >>> spec = Accounts.model_validate({"count": 10, "segments": {
        ...     "a": {"share": 0.55, "employees": 5, "revenue": 1000},
        ...     "b": {"share": 0.45, "employees": 50, "revenue": 9000}}})
        >>> spec.segment_counts()
        {'a': 6, 'b': 4}
        """
        assert self.segments is not None
        if self.count is None:
            return {name: seg.count or 0 for name, seg in self.segments.items()}
        exact = {name: (seg.share or 0.0) * self.count for name, seg in self.segments.items()}
        counts = {name: int(value) for name, value in exact.items()}
        short = self.count - sum(counts.values())
        by_remainder = sorted(exact, key=lambda name: -(exact[name] - counts[name]))
        for name in by_remainder[:max(short, 0)]:
            counts[name] += 1
        return counts


def accounts_problems(accounts: Accounts, segment_names: list[str]) -> list[Problem]:
    """Rules tying ``accounts:`` to the scenario's segments, at the path each concerns:
    mixes that do not add to 100%, segment names the scenario does not have, size
    bands that overlap."""
    problems: list[Problem] = []
    if accounts.segments is not None:
        problems += unknown_names(("accounts", "segments"), list(accounts.segments),
                                   segment_names, "segments")
        if accounts.count is not None:
            shares = {name: seg.share or 0.0 for name, seg in accounts.segments.items()}
            if (p := share_problem(("accounts", "segments"), shares, "segment shares")):
                problems.append(p)
    for key in ("industries", "regions"):
        mix = getattr(accounts, key)
        if mix is not None and (p := share_problem(("accounts", key), mix, f"{key} shares")):
            problems.append(p)
    if accounts.size_bands is not None:
        problems += unknown_names(("accounts", "size_bands"), list(accounts.size_bands),
                                   segment_names, "segments")
        bands = list(accounts.size_bands.items())
        for index, (name, band) in enumerate(bands):
            for other, other_band in bands[:index]:
                if band.overlaps(other_band):
                    problems.append(Problem(
                        ("accounts", "size_bands", name),
                        f"{band} overlaps {other} ({other_band})",
                        "a company's employee count must fall in one band only"))
    return problems


# ----------------------------------------------------------------------------- territories


class CoverRule(Section):
    """Accounts a team covers: every condition written must hold; a list left out
    (or empty) means any. An empty rule ``{}`` takes every account still unclaimed."""

    regions: tuple[Name, ...] = ()
    industries: tuple[Name, ...] = ()
    segments: tuple[Name, ...] = ()
    employees: SizeBandValue | None = Field(default=None,
                                            description="Employee band, e.g. 100-999.")


class Fit(Section):
    """Win-rate multipliers a rep gets on accounts of their territory's focus: the
    industry (segment) holding the largest share of the territory's potential."""

    industry: float = Field(default=1.0, gt=0, le=10)
    segment: float = Field(default=1.0, gt=0, le=10)


AccountKey = Annotated[int, Field(ge=0)] | Name


class TeamTerritories(Section):
    """How one team's accounts are chosen and divided among its territories."""

    named_accounts: tuple[AccountKey, ...] = Field(
        default=(), description="Accounts this team owns whatever the rules say: names "
        "(text) or account ids (numbers).")
    covers: tuple[CoverRule, ...] = Field(default=(), description="Rules, taken in order.")
    territories: int | None = Field(
        default=None, ge=1, le=100_000, description="Territories to carve (default: seats).")
    balance: Literal["potential", "workload", "both"] = Field(
        default="both", description="Balance potential, account count (workload), or both.")
    split_by: Literal["region", "industry", "segment"] | None = Field(
        default=None, description="Keep each territory within one region, industry or "
        "segment: territories are shared among them by potential, then balanced within.")
    on_rep_leaving: Literal["hold", "split", "house"] = Field(
        default="hold", description="hold for the backfill, split among the team, or make "
        "them house accounts.")
    fit: Fit = Fit()

    @model_validator(mode="after")
    def _claims_something(self) -> TeamTerritories:
        if not self.named_accounts and not self.covers:
            raise ValueError("claims no accounts: give covers rules or named_accounts "
                             "(covers: [{}] takes every account left)")
        return self


Territories = dict[Name, TeamTerritories]
"""The ``territories:`` section: one entry per team that owns territories."""


def territory_problems(territories: Mapping[str, TeamTerritories],
                       accounts_spec: Accounts | None,
                       team_kinds: Mapping[str, str]) -> list[Problem]:
    """Rules tying ``territories:`` to the teams and the account universe.

    ``team_kinds`` maps each team name to its kind (``sdr``, ``ae``, ``cs``...).
    Reports, each at its path under ``territories``: a team that does not exist
    (with the closest name as a hint), a team of a kind that owns no territories
    (see :data:`TERRITORY_TEAM_KINDS`), a named account listed twice, and, when
    the universe is generated, segment, industry and region names it does not have.
    Names in rules over a loaded company list are checked once it is loaded
    (:func:`salesim.model.territories.rule_problems`).

    >>> spec = {"Field": TeamTerritories(covers=(CoverRule(),))}
    >>> [p.message for p in territory_problems(spec, None, {"field": "ae"})]
    ["'Field' is not a team", 'territories need an accounts section (the universe to carve)']
    """
    problems: list[Problem] = []
    teams = list(team_kinds)
    for team in territories:
        path: tuple[str | int, ...] = ("territories", team)
        kind = team_kinds.get(team)
        if kind is None:
            close = difflib.get_close_matches(team, teams, n=1, cutoff=0.5)
            hint = (f"did you mean '{close[0]}'?" if close
                    else f"teams: {', '.join(teams)}" if teams else "")
            problems.append(Problem(path, f"'{team}' is not a team", hint))
        elif kind not in TERRITORY_TEAM_KINDS:
            owners = [name for name, k in team_kinds.items() if k in TERRITORY_TEAM_KINDS]
            problems.append(Problem(
                path, f"'{team}' is a team of kind {kind}; only teams of kind "
                f"{' or '.join(TERRITORY_TEAM_KINDS)} own territories",
                f"teams that can: {', '.join(owners)}" if owners else ""))
    if accounts_spec is None and territories:
        problems.append(Problem(("territories",),
                                "territories need an accounts section (the universe to carve)",
                                "add accounts: with a company list (file) or segments"))
    problems += _named_twice(territories)
    if accounts_spec is not None and accounts_spec.generated:
        assert accounts_spec.segments is not None
        problems += cover_name_problems(territories, {
            "segments": list(accounts_spec.segments),
            "industries": list(accounts_spec.industry_mix),
            "regions": list(accounts_spec.region_mix)})
    return problems


def cover_name_problems(territories: Mapping[str, TeamTerritories],
                        known: Mapping[str, list[str]]) -> list[Problem]:
    """Names in ``covers`` rules that the account universe does not have: ``known``
    gives its ``segments``, ``industries`` and ``regions``."""
    problems: list[Problem] = []
    for team, spec in territories.items():
        for index, rule in enumerate(spec.covers):
            for key, names in known.items():
                problems += unknown_names(("territories", team, "covers", index, key),
                                          list(getattr(rule, key)), names, key)
    return problems


def _named_twice(territories: Mapping[str, TeamTerritories]) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[AccountKey, tuple[str, int]] = {}
    for team, spec in territories.items():
        for index, key in enumerate(spec.named_accounts):
            path = ("territories", team, "named_accounts", index)
            what = f"account id {key}" if isinstance(key, int) else f"'{key}'"
            if key in first:
                other, other_index = first[key]
                where = (f"team '{other}'" if other != team
                         else f"this list (item {other_index + 1})")
                problems.append(Problem(path, f"{what} is already named by {where}",
                                        "an account belongs to one team: name it once"))
            else:
                first[key] = (team, index)
    return problems
