import pytest

from salesim.experiments.targets import Target


@pytest.mark.parametrize(("text", "metric", "op", "value"), [
    ("bookings=30M", "bookings", ">=", 30e6),
    ("bookings >= 1,200,000", "bookings", ">=", 1.2e6),
    ("cac<=$12k", "cac", "<=", 12e3),
    ("win_rate>25%", "win_rate", ">", 0.25),
    ("nrr < 1.1", "nrr", "<", 1.1),
    ("ending_arr=120万", "ending_arr", ">=", 1.2e6),
])
def test_parse(text: str, metric: str, op: str, value: float) -> None:
    target = Target.parse(text)
    assert (target.metric, target.op, target.value) == (metric, op, pytest.approx(value))


def test_label_spells_out_the_operator() -> None:
    assert Target.parse("bookings=30M").label == "bookings >= 30M"


@pytest.mark.parametrize("text", ["bookings", "=30M", "bookings=lots", "bookings=30M EUR"])
def test_bad_targets(text: str) -> None:
    with pytest.raises(ValueError, match="target"):
        Target.parse(text, currency="USD")
