# The two commands a new user needs:
#   make run    set up, then run the reference scenario end to end (results in out/)
#   make test   set up with dev tools, then ruff, mypy and the test suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SCENARIO ?= scenarios/reference.yaml
# Debian packages: a CJK font so charts render Japanese names (reports), and
# Chromium for the test that opens the HTML report in a headless browser (dev).
FONT_PACKAGES := fonts-noto-cjk
DEV_PACKAGES  := $(FONT_PACKAGES) chromium

# Installs the Debian packages named in $(1) that are missing; does nothing when
# all are present. Needs apt-get and root (as in CI); otherwise it names them.
define debian_packages
	@missing=""; for package in $(1); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" \
	    || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "warning: please install the Debian packages$$missing" >&2; \
	  fi; \
	fi
endef

.PHONY: run test test-long bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(call debian_packages,$(FONT_PACKAGES))
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(call debian_packages,$(DEV_PACKAGES))
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/salesim run $(SCENARIO) --out out/reference --report
	@echo "HTML report: $(CURDIR)/out/reference/report.html"

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -n 2

# Tests that run the reference scenario at full scale (minutes, not seconds); CI runs them too.
test-long: $(VENV)/.installed-dev
	$(BIN)/pytest -m long

# Speed and memory of the engine, the metrics, Monte Carlo runs and growing lead volume
# (several minutes); add ARGS=--write to record the figures in benchmarks/RESULTS.md.
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/engine.py $(ARGS)
	$(BIN)/python benchmarks/metrics.py $(ARGS)
	$(BIN)/python benchmarks/montecarlo.py $(ARGS)
	$(BIN)/python benchmarks/executors.py $(ARGS)
	$(BIN)/python benchmarks/scaling.py $(ARGS)

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
