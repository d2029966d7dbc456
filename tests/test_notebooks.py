"""The workshop notebooks run from top to bottom in a real Jupyter kernel, show
charts, and never show a number in e-notation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
E_NOTATION = re.compile(r"\d\.?\d*e[+-]\d\d")


def execute(path: Path, extra_cell: str, settings: str = "") -> tuple[dict[str, Any], Any]:
    """Run ``path`` in its own folder, with ``settings`` run right after its settings
    cell (the first code cell) and ``extra_cell`` at the end; return what that last
    cell prints and the executed notebook."""
    notebook = nbformat.read(path, as_version=4)
    first = next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code")
    if settings:
        notebook.cells.insert(first + 1, nbformat.v4.new_code_cell(settings))
    notebook.cells.append(nbformat.v4.new_code_cell(extra_cell))
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    for cell in notebook.cells[:-1]:
        for output in getattr(cell, "outputs", []):
            shown = output.get("text", "") + "".join(
                str(output.get("data", {}).get(kind, "")) for kind in ("text/plain",
                                                                       "text/html"))
            found = E_NOTATION.search(shown)
            assert found is None, f"{path.name}: {found.group()} in {cell.source[:60]!r}"
    printed = "".join(o.text for o in notebook.cells[-1].outputs if o.output_type == "stream")
    result: dict[str, Any] = json.loads(printed)
    return result, notebook


def images(notebook: Any) -> int:
    """How many PNG images the notebook's cells show."""
    return sum("image/png" in output.get("data", {}) for cell in notebook.cells
               for output in getattr(cell, "outputs", []))


def test_notebooks_are_stored_without_outputs() -> None:
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert [p.name for p in paths] == ["comp_design_workshop.ipynb",
                                       "headcount_workshop.ipynb", "quickstart.ipynb",
                                       "territory_workshop.ipynb", "what_if.ipynb"]
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs, path.name
                assert cell.execution_count is None, path.name


def test_what_if_notebook_compares_two_plans() -> None:
    result, notebook = execute(NOTEBOOKS / "what_if.ipynb", """
import json
first_year = {name: float(company_wide(e, "sales_cost", "year")["p50"].iloc[0])
              for name, e in plans.items()}
print(json.dumps({
    "headcount": {"base": base.ae.headcount, "variant": variant.ae.headcount},
    "replications": {name: len(e.replications) for name, e in plans.items()},
    "columns": sorted({str(c[0]) for c in side_by_side.columns}),
    "chance": chances["P(bookings >= target)"].tolist(),
    "first_year_sales_cost": first_year,
    "cost_difference": float(differences.set_index("metric").at["total_cost",
                                                                "mean_difference"]),
}))
""", settings="REPLICATIONS = 4")
    assert result["headcount"] == {"base": 14, "variant": 18}
    assert result["replications"] == {"base": 4, "variant": 4}
    assert result["columns"] == ["base", "variant"]
    chance = result["chance"]
    assert all(0.0 <= value <= 1.0 for value in chance)
    # four more AEs from day one instead of during 2027: they are paid all year
    cost = result["first_year_sales_cost"]
    assert cost["variant"] > cost["base"]
    assert result["cost_difference"] > 0
    assert images(notebook) == 3  # two fan charts and the plan comparison


def test_quickstart_runs_and_shows_charts() -> None:
    result, notebook = execute(NOTEBOOKS / "quickstart.ipynb", """
import json
print(json.dumps({"reps": ensemble.reps, "summary": repr(ensemble.summary())}))
""", settings="REPLICATIONS = 3")
    assert result["reps"] == 3
    assert "$" in result["summary"]
    assert images(notebook) == 9


def test_workshop_sliders_rerun_and_redraw() -> None:
    result, _ = execute(NOTEBOOKS / "headcount_workshop.ipynb", """
import json
before = state["ensemble"].summary().loc["headcount_end_ae", "mean"]
runs, figures = state["runs"], list(state["figures"])
sliders["hires"].value = sliders["hires"].value + 4   # as if moved in the browser
after = state["ensemble"].summary().loc["headcount_end_ae", "mean"]
print(json.dumps({
    "runs": [runs, state["runs"]],
    "headcount": [float(before), float(after)],
    "redrawn": all(new is not old for new, old in zip(state["figures"], figures)),
    "figures": len(state["figures"]),
    "reps": state["ensemble"].reps,
}))
""", settings="REPLICATIONS = 3")
    assert result["runs"] == [1, 2]  # the slider's change ran the plan again
    assert result["redrawn"] is True
    assert result["figures"] == 3
    assert result["reps"] == 3
    before, after = result["headcount"]
    # four more requisitions in February, filled within months, same random numbers
    assert 2.5 <= after - before <= 4.0


def test_territory_workshop_compares_designs_and_redraws() -> None:
    result, notebook = execute(NOTEBOOKS / "territory_workshop.ipynb", """
import json
before = {name: e.replications["bookings"].tolist() for name, e in state["designs"].items()}
balance = balance_table(state["designs"])
runs, figures = state["runs"], list(state["figures"])
controls["fit"].value = 2.5   # as if moved in the browser
after = {name: e.replications["bookings"].tolist() for name, e in state["designs"].items()}
print(json.dumps({
    "runs": [runs, state["runs"]],
    "redrawn": all(new is not old for new, old in zip(state["figures"], figures)),
    "figures": len(state["figures"]),
    "reps": {name: e.reps for name, e in state["designs"].items()},
    "bookings": {"before": before, "after": after},
    "ratio": balance["max / min"].to_dict(),
    "gini": balance["gini"].to_dict(),
    "territories": balance["territories"].tolist(),
    "split": {name: {kind: int(e.records[0].accounts.groupby("territory_id")[kind]
                               .nunique().max()) for kind in ("region", "industry")}
              for name, e in state["designs"].items()},
}))
""", settings="REPLICATIONS = 2")
    assert result["runs"] == [1, 2]  # the slider's change ran the designs again
    assert result["redrawn"] is True
    assert result["figures"] == 3     # potential, outcomes, industry minus region
    assert result["reps"] == {"by region": 2, "by industry": 2, "potential only": 2}
    assert images(notebook) == 3
    assert result["territories"] == [8, 8, 8]
    # each split keeps a territory within one region / industry; potential only mixes
    assert result["split"]["by region"]["region"] == 1
    assert result["split"]["by industry"]["industry"] == 1
    assert result["split"]["potential only"]["industry"] > 1
    # balancing on potential alone is even; whole territories per group are not
    ratio, gini = result["ratio"], result["gini"]
    assert ratio["potential only"] < 1.01
    assert gini["potential only"] < 0.005
    assert ratio["by region"] > 1.05
    assert ratio["by industry"] > 1.05
    # a stronger fit: the industry split (every account in its rep's main industry)
    # gains, on the same leads, more than the region split (a mix in each territory)
    before, after = result["bookings"]["before"], result["bookings"]["after"]
    gain = {name: sum(after[name]) / sum(before[name]) for name in before}
    assert gain["by industry"] > 1.1
    assert gain["by industry"] > gain["by region"]


def test_comp_workshop_prices_plans_and_redraws() -> None:
    result, notebook = execute(NOTEBOOKS / "comp_design_workshop.ipynb", """
import json
scenario_curve = {"threshold": 0.4, "cap": 2.5,
                  "tiers": [{"above": 1.0, "rate": 1.5}, {"above": 1.5, "rate": 2}]}
own, _ = ae_costs({"scenario": scenario_curve})
kpis = ensemble.kpis.query("period_type == 'total' and team == 'ae' and rep_id < 0")
kpi = kpis.set_index("metric")["mean"]
priced, figures = state["priced"], list(state["figures"])
table_before = state["table"].to_dict()
sliders["accelerator"].value = 2.5   # as if moved in the browser
table_after = state["table"].to_dict()
sliders["cap"].value = 1.0            # at target: accelerated and straight pay alike
at_target = state["table"].to_dict()
print(json.dumps({
    "priced": [priced, state["priced"]],
    "redrawn": all(new is not old for new, old in zip(state["figures"], figures)),
    "figures": len(state["figures"]),
    "own": {"from_curves": float(own.at["scenario", "average cost (variable)"]),
            "at_mean": float(own.at["scenario", "cost at average attainment"])},
    "kpi": {"from_curves": float(kpi["variable_pay_from_curves"]),
            "at_mean": float(kpi["variable_pay_at_mean_attainment"])},
    "before": table_before, "after": table_after, "at_target": at_target,
    "sdr": sdr_costs.to_dict(),
    "reps": ensemble.reps,
}))
""", settings="REPLICATIONS = 2")
    assert result["reps"] == 2
    assert result["priced"] == [1, 3]  # each slider change priced the plans again
    assert result["redrawn"] is True
    assert result["figures"] == 2
    assert images(notebook) == 3  # SDR pay, AE curves, AE pay and convexity
    # the notebook's pricing of the scenario's own AE plan is the run's pay KPIs
    assert result["own"]["from_curves"] == pytest.approx(result["kpi"]["from_curves"])
    assert result["own"]["at_mean"] == pytest.approx(result["kpi"]["at_mean"])
    before, after = result["before"], result["after"]
    straight, accelerated = "straight line", "accelerated, capped"
    # the straight line does not depend on the accelerator; a steeper one costs more
    assert after["AE pay (year)"][straight] == pytest.approx(before["AE pay (year)"][straight])
    assert after["AE pay (year)"][accelerated] > before["AE pay (year)"][accelerated]
    # the accelerator moves the gap between average pay and pay at average attainment
    # (its sign depends on where the team's mean attainment sits on the curve)
    assert after["convexity gap"][accelerated] != pytest.approx(
        before["convexity gap"][accelerated])
    # capped at target, the accelerated plan pays no more than the straight line
    capped = result["at_target"]
    assert capped["AE pay (year)"][accelerated] <= capped["AE pay (year)"][straight]
    # SDR plans: the same work, priced three ways
    sdr = result["sdr"]["variable pay (year)"]
    assert set(sdr) == {"meetings held only", "valid meetings only", "6:3:1"}
    assert all(value > 0 for value in sdr.values())
    assert len({round(value) for value in sdr.values()}) == 3
