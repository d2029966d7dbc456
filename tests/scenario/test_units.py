"""Units as planners write them: durations, rates, money and months."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from pydantic import TypeAdapter, ValidationError

from salesim.scenario.fields import DurationValue, GrowthRate, Money, Month, PositiveDuration, Rate
from salesim.scenario.units import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    Duration,
    UnitError,
    add_months,
    format_month,
    months_between,
    parse_money,
    parse_month,
    parse_number,
    parse_rate,
)

MINUTE = 1 / 1440
HOUR = 1 / 24
BUSINESS_DAY = 7 / 5

DURATIONS = [
    # seconds and minutes
    ("30 s", 30 / 86_400, "second"),
    ("30 seconds", 30 / 86_400, "second"),
    ("30秒", 30 / 86_400, "second"),
    ("5 min", 5 * MINUTE, "minute"),
    ("5min", 5 * MINUTE, "minute"),
    ("5 minutes", 5 * MINUTE, "minute"),
    ("5 MIN", 5 * MINUTE, "minute"),
    ("5分", 5 * MINUTE, "minute"),
    ("５分", 5 * MINUTE, "minute"),  # full-width digit
    # hours
    ("2h", 2 * HOUR, "hour"),
    ("2 hours", 2 * HOUR, "hour"),
    ("1.5 hr", 1.5 * HOUR, "hour"),
    (".5 h", 0.5 * HOUR, "hour"),
    ("2時間", 2 * HOUR, "hour"),
    # days
    ("3 days", 3.0, "day"),
    ("3d", 3.0, "day"),
    ("1 day", 1.0, "day"),
    ("3日", 3.0, "day"),
    ("1,000 days", 1000.0, "day"),
    ("1_000 days", 1000.0, "day"),
    ("+3 days", 3.0, "day"),
    # business days
    ("3 business days", 3 * BUSINESS_DAY, "business_day"),
    ("1 business day", BUSINESS_DAY, "business_day"),
    ("3 Business  Days", 3 * BUSINESS_DAY, "business_day"),
    ("3 working days", 3 * BUSINESS_DAY, "business_day"),
    ("3bd", 3 * BUSINESS_DAY, "business_day"),
    ("3営業日", 3 * BUSINESS_DAY, "business_day"),
    ("3 営業日", 3 * BUSINESS_DAY, "business_day"),
    # weeks
    ("2 weeks", 14.0, "week"),
    ("2w", 14.0, "week"),
    ("2 wks", 14.0, "week"),
    ("2週", 14.0, "week"),
    ("2週間", 14.0, "week"),
    # months
    ("6 months", 6 * DAYS_PER_MONTH, "month"),
    ("1 month", DAYS_PER_MONTH, "month"),
    ("6 mo", 6 * DAYS_PER_MONTH, "month"),
    ("6ヶ月", 6 * DAYS_PER_MONTH, "month"),
    ("6か月", 6 * DAYS_PER_MONTH, "month"),
    ("6カ月", 6 * DAYS_PER_MONTH, "month"),
    ("6ケ月", 6 * DAYS_PER_MONTH, "month"),
    # years
    ("1 year", DAYS_PER_YEAR, "year"),
    ("2 yrs", 2 * DAYS_PER_YEAR, "year"),
    ("1y", DAYS_PER_YEAR, "year"),
    ("1年", DAYS_PER_YEAR, "year"),
    ("1.5e1 days", 15.0, "day"),
    # a bare number, or text without a unit, is days
    (3, 3.0, "day"),
    (2.5, 2.5, "day"),
    ("4", 4.0, "day"),
]


@pytest.mark.parametrize(("written", "days", "unit"), DURATIONS)
def test_duration_forms(written: object, days: float, unit: str) -> None:
    duration = Duration.parse(written)
    assert duration.unit == unit
    assert duration.days == pytest.approx(days, rel=1e-12)
    assert duration.minutes == pytest.approx(days * 1440, rel=1e-12)


@pytest.mark.parametrize(("written", "days", "unit"), DURATIONS)
def test_duration_text_reads_back(written: object, days: float, unit: str) -> None:
    duration = Duration.parse(written)
    assert Duration.parse(str(duration)) == duration


def test_duration_text_is_singular_for_one() -> None:
    assert str(Duration.parse("1 business day")) == "1 business day"
    assert str(Duration.parse("2 business days")) == "2 business days"
    assert str(Duration.parse("1.5 months")) == "1.5 months"
    assert str(Duration.parse("90 min")) == "90 min"


def test_business_day_is_seven_fifths_of_a_day() -> None:
    assert Duration.parse("5 business days").days == pytest.approx(7.0)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2 fortnights", "unknown time unit 'fortnights'"),
        ("soon", "'soon' is not a duration"),
        ("1,5 days", "decimal comma"),
        ("6m", "'6m' is ambiguous: 'm' could be minutes or months"),
        ("6 M", "write '6 min' or '6 months'"),
        (True, "expected a duration"),
        (None, "got NoneType"),
        ([1, 2], "got list"),
    ],
)
def test_duration_rejections(written: object, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        Duration.parse(written)


def test_duration_field_refuses_negative_and_infinite() -> None:
    field = TypeAdapter(DurationValue)
    assert field.validate_python("0 days") == Duration(0, "day")
    with pytest.raises(ValidationError, match="cannot be negative"):
        field.validate_python("-2 days")
    with pytest.raises(ValidationError, match="finite"):
        field.validate_python(math.inf)
    with pytest.raises(ValidationError, match="longer than zero"):
        TypeAdapter(PositiveDuration).validate_python("0 months")


def test_duration_field_serialises_as_written() -> None:
    field = TypeAdapter(DurationValue)
    assert field.dump_python(field.validate_python("3営業日"), mode="json") == "3 business days"
    assert field.dump_python(field.validate_python(2.5), mode="json") == "2.5 days"


# ----------------------------------------------------------------------------- rates


@pytest.mark.parametrize(
    ("written", "rate"),
    [
        ("35%", 0.35),
        ("35 %", 0.35),
        (" 12.5% ", 0.125),
        ("100%", 1.0),
        ("0%", 0.0),
        (0.35, 0.35),
        ("0.35", 0.35),
        (1, 1.0),
        (0, 0.0),
    ],
)
def test_rate_forms(written: object, rate: float) -> None:
    assert parse_rate(written) == pytest.approx(rate)
    assert TypeAdapter(Rate).validate_python(written) == pytest.approx(rate)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (35, r"35 is not a rate.*did you mean 35%\?"),
        ("35", r"did you mean 35%\?"),
        (1.5, r"did you mean 1\.5%\?"),
        ("1,5%", "is not a rate"),
        ("35%%", "is not a rate"),
        ("abc", "'abc' is not a rate"),
        (True, "yes/no"),
        (None, "got NoneType"),
    ],
)
def test_rate_rejections(written: object, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_rate(written)


@pytest.mark.parametrize(("written", "shown"), [("140%", "140%"), (-0.1, "-10%"), ("-5%", "-5%")])
def test_rate_field_stays_within_zero_and_one(written: object, shown: str) -> None:
    with pytest.raises(ValidationError, match=f"{shown} is outside 0%..100%"):
        TypeAdapter(Rate).validate_python(written)


@pytest.mark.parametrize(
    ("written", "growth"),
    [("20%", 0.2), ("-5%", -0.05), ("150%", 1.5), (0.3, 0.3), ("0.3", 0.3), (2, 2.0)],
)
def test_growth_rates_may_be_negative_or_above_one(written: object, growth: float) -> None:
    assert TypeAdapter(GrowthRate).validate_python(written) == pytest.approx(growth)


@pytest.mark.parametrize("written", ["fast", "1,5%", True, "-150%"])
def test_growth_rate_rejections(written: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(GrowthRate).validate_python(written)


# ----------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        (12000, 12000.0),
        (12.5, 12.5),
        ("12000", 12000.0),
        ("12,000", 12000.0),
        ("12,000.50", 12000.5),
        ("12_000", 12000.0),
        ("12k", 12_000.0),
        ("12K", 12_000.0),
        ("$12k", 12_000.0),
        ("12k USD", 12_000.0),
        ("12 usd", 12.0),
        ("1.2M", 1_200_000.0),
        ("1.2m", 1_200_000.0),
        ("1.2mm", 1_200_000.0),
        ("1.5bn", 1_500_000_000.0),
        ("2B", 2_000_000_000.0),
        ("€5k", 5_000.0),
        ("£5k", 5_000.0),
        ("¥1,200万", 12_000_000.0),
        ("120万円", 1_200_000.0),
        ("3億円", 300_000_000.0),
    ],
)
def test_money_forms(written: object, amount: float) -> None:
    assert parse_money(written) == pytest.approx(amount)


@pytest.mark.parametrize(
    ("written", "currency", "message"),
    [
        ("12k EUR", "USD", "'12k EUR' is in EUR but the scenario's currency is USD"),
        ("$12k", "EUR", "is in USD but the scenario's currency is EUR"),
        ("120万円", "USD", "is in JPY"),
        ("$12k EUR", None, "names two currencies"),
        ("twelve", None, "is not an amount of money"),
        ("1,5k", None, "is not an amount of money"),
        (True, None, "expected an amount of money"),
        ([12], None, "got list"),
    ],
)
def test_money_rejections(written: object, currency: str | None, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_money(written, currency)


@pytest.mark.parametrize(("written", "currency"), [("12k", "EUR"), ("12k usd", "USD"),
                                                   ("¥500万", "jpy"), ("€3k", "EUR")])
def test_money_in_the_scenario_currency_is_accepted(written: str, currency: str) -> None:
    assert parse_money(written, currency) > 0


def test_money_field_refuses_negative_and_infinite() -> None:
    field = TypeAdapter(Money)
    assert field.validate_python("12k") == 12_000.0
    with pytest.raises(ValidationError, match="cannot be negative"):
        field.validate_python("-5k")
    with pytest.raises(ValidationError, match="finite"):
        field.validate_python(math.nan)


def test_money_field_checks_currency_from_context() -> None:
    field = TypeAdapter(Money)
    assert field.validate_python("12k EUR", context={"currency": "EUR"}) == 12_000.0
    with pytest.raises(ValidationError, match="is in EUR"):
        field.validate_python("12k EUR", context={"currency": "USD"})


@pytest.mark.parametrize(("written", "number"), [("1200", 1200.0), ("1,200", 1200.0),
                                                 ("1_200", 1200.0), ("1.5e3", 1500.0),
                                                 ("-2.5", -2.5)])
def test_numbers(written: str, number: float) -> None:
    assert parse_number(written) == number


@pytest.mark.parametrize("written", ["1,5", "12,00", "1.2.3", "", "k"])
def test_numbers_refused(written: str) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        parse_number(written)


# ----------------------------------------------------------------------------- months


@pytest.mark.parametrize(
    ("written", "month"),
    [
        ("2027-03", dt.date(2027, 3, 1)),
        ("2027-3", dt.date(2027, 3, 1)),
        (" 2027-12 ", dt.date(2027, 12, 1)),
        ("2027-03-15", dt.date(2027, 3, 1)),
        (dt.date(2027, 3, 15), dt.date(2027, 3, 1)),
        (dt.datetime(2027, 3, 15, 10, 30), dt.date(2027, 3, 1)),
    ],
)
def test_month_forms(written: object, month: dt.date) -> None:
    assert parse_month(written) == month
    assert TypeAdapter(Month).validate_python(written) == month


@pytest.mark.parametrize("written", ["2027-13", "March 2027", 202703, "27-03", "2027-00"])
def test_month_rejections(written: object) -> None:
    with pytest.raises(UnitError, match="is not a month: write it as YYYY-MM"):
        parse_month(written)


def test_month_arithmetic() -> None:
    assert format_month(dt.date(2027, 3, 1)) == "2027-03"
    assert TypeAdapter(Month).dump_python(dt.date(2027, 3, 1), mode="json") == "2027-03"
    assert add_months(dt.date(2027, 11, 1), 2) == dt.date(2028, 1, 1)
    assert add_months(dt.date(2027, 1, 1), -1) == dt.date(2026, 12, 1)
    assert add_months(dt.date(2027, 1, 1), 36) == dt.date(2030, 1, 1)
    assert months_between(dt.date(2027, 1, 1), dt.date(2029, 12, 31)) == 35
    assert months_between(dt.date(2027, 5, 1), dt.date(2027, 2, 1)) == -3
