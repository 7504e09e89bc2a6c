# The two commands of the README: `make demo` and `make test`. Both create .venv when
# it is missing and install the project into it; nothing else needs to be set up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= result/demo
DEMO_EPOCHS ?= 17

.PHONY: demo test test-fast lint clean

# The demo starts afresh each time; `ignite-gen train gan --resume` continues a run instead.
demo: $(VENV)/.installed
	rm -rf $(DEMO_OUT)
	$(BIN)/ignite-gen train gan --epochs $(DEMO_EPOCHS) --out $(DEMO_OUT) --device auto
	@echo "outputs in $(DEMO_OUT)/: log.jsonl, loss.png, fid.png, images/, snapshots; try: $(BIN)/ignite-gen montage $(DEMO_OUT)"

# Lint, formatting and strict type checks (mypy's settings are in setup.cfg) come
# first: CI fails on any of them before the slower test suite starts.
# Two workers (pytest-xdist): many tests wait on processes they start, so two at a time
# keep both of CI's cores busy. One torch thread each: two threads per worker would
# oversubscribe the two cores and slow the suite down.
test: lint
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -n 2

# For quick iteration: every test but those that start processes, kill runs, train on
# several processes or need the metric classifiers (markers declared in setup.cfg); no
# lint. Like `make test`, it fails when pytest collects no test (exit code 5).
test-fast: $(VENV)/.installed-dev
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -n 2 \
		-m "not subprocess and not sigkill and not distributed and not slow"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check ignite_gen tests examples benchmarks
	$(BIN)/ruff format --check ignite_gen tests examples benchmarks
	$(BIN)/mypy

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: setup.cfg setup.py pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: setup.cfg setup.py pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) result *.egg-info
