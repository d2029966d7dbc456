# The two commands a new user needs:
#   make run    set up, then run the reference scenario end to end (results in out/)
#   make test   set up with dev tools, then ruff, mypy and the test suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SCENARIO ?= scenarios/reference.yaml

.PHONY: run test test-long bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/salesim run $(SCENARIO) --out out/reference

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -n 2

# Tests that run the reference scenario at full scale (minutes, not seconds); CI runs them too.
test-long: $(VENV)/.installed-dev
	$(BIN)/pytest -m long

# Speed and memory of the engine, the metrics and Monte Carlo runs (several minutes);
# add ARGS=--write to record the figures in benchmarks/RESULTS.md.
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/engine.py $(ARGS)
	$(BIN)/python benchmarks/metrics.py $(ARGS)
	$(BIN)/python benchmarks/montecarlo.py $(ARGS)
	$(BIN)/python benchmarks/executors.py $(ARGS)

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
