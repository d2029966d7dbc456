"""The workshop notebooks run from top to bottom in a real Jupyter kernel."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(path: Path, extra_cell: str) -> dict[str, object]:
    """Run ``path`` in its own folder, then ``extra_cell``, and return what that cell prints."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(extra_cell))
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    printed = "".join(o.text for o in notebook.cells[-1].outputs if o.output_type == "stream")
    result: dict[str, object] = json.loads(printed)
    return result


def test_notebooks_are_stored_without_outputs() -> None:
    for path in NOTEBOOKS.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs, path.name
                assert cell.execution_count is None, path.name


def test_what_if_notebook_compares_two_plans() -> None:
    result = execute(NOTEBOOKS / "what_if.ipynb", """
import json
first_year = {name: float(company_wide(e, "sales_cost", "year")["p50"].iloc[0])
              for name, e in plans.items()}
print(json.dumps({
    "headcount": {"base": base.ae.headcount, "variant": variant.ae.headcount},
    "replications": {name: len(e.replications) for name, e in plans.items()},
    "columns": sorted({str(c[0]) for c in side_by_side.columns}),
    "chance": chances["P(bookings >= target)"].tolist(),
    "first_year_sales_cost": first_year,
}))
""")
    assert result["headcount"] == {"base": 14, "variant": 18}
    assert result["replications"] == {"base": 16, "variant": 16}
    assert result["columns"] == ["base", "variant"]
    chance = result["chance"]
    assert isinstance(chance, list)
    assert all(0.0 <= value <= 1.0 for value in chance)
    # four more AEs from day one instead of during 2027: they are paid all year
    cost = result["first_year_sales_cost"]
    assert isinstance(cost, dict)
    assert cost["variant"] > cost["base"]
