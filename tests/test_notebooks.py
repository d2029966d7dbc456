"""The workshop notebooks run from top to bottom in a real Jupyter kernel, show
charts, and never show a number in e-notation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
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
    assert [p.name for p in paths] == ["headcount_workshop.ipynb", "quickstart.ipynb",
                                       "what_if.ipynb"]
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
