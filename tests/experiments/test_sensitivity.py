"""sensitivity(): on a scenario built so that the answer is known. Deals are fixed by
the replication seeds (common random numbers) and the deal size is a fixed amount, so
bookings are exactly proportional to the deal size; CS headcount has no say in new
bookings."""

from pathlib import Path

import pytest

from salesim.experiments.sensitivity import SOBOL_COLUMNS, TORNADO_COLUMNS, sensitivity

KNOWN = """\
meta: {name: Known, start: 2027-01-01, horizon: 3 months}
segments:
  smb: {share: 100%, deal_size: 10k}
channels:
  inbound: {leads_per_month: 60}
sdr: {headcount: 2}
ae:
  headcount: 2
  stages:
    discovery: {conversion: 50%, duration: 1 week}
cs: {headcount: 1}
"""


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sensitivity") / "known.yaml"
    path.write_text(KNOWN)
    return path


def test_deal_size_matters_and_cs_does_not(known: Path) -> None:
    result = sensitivity(known, ["cs.headcount=1..5", "segments.smb.deal_size=5k..15k"],
                         samples=16, reps=1, seed=2, workers=2, progress=False)
    tornado = result.tornado()
    assert list(tornado.columns) == list(TORNADO_COLUMNS)
    assert tornado["key"].tolist() == ["segments.smb.deal_size", "cs.headcount"]
    deal, cs = tornado.to_dict("records")
    # bookings proportional to the deal size: half and one and a half times the base
    assert deal["base"] > 0
    assert deal["at_low"] == pytest.approx(0.5 * deal["base"])
    assert deal["at_high"] == pytest.approx(1.5 * deal["base"])
    assert (cs["at_low"], cs["at_high"], cs["swing"]) == (cs["base"], cs["base"], 0.0)

    sobol = result.sobol().set_index("key")
    assert list(result.sobol().columns) == list(SOBOL_COLUMNS)
    # the input that does nothing explains nothing, exactly
    assert sobol.loc["cs.headcount"].tolist() == [0.0] * 6
    # the input that drives bookings explains it, clearly above the other one
    assert sobol.loc["segments.smb.deal_size", "S1_low"] > sobol.loc["cs.headcount", "S1_high"]
    assert sobol.loc["segments.smb.deal_size", "ST_low"] > 0.2
    assert sobol.loc["segments.smb.deal_size", "S1_low"] <= 1 <= sobol.loc[
        "segments.smb.deal_size", "ST_high"]
    assert result.points == 5 + 16 * (2 + 2)


@pytest.mark.parametrize(("vary", "samples", "message"), [
    ([], 8, "at least one"),
    (["cs.headcount=1..2", "cs.headcount=1..3"], 8, "only once"),
    (["cs.headcount=1..2"], 6, "power of two"),
])
def test_bad_designs(known: Path, vary: list[str], samples: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sensitivity(known, vary, samples=samples, workers=1)
