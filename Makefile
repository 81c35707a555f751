# PneumoScan: `make run` starts the app, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_APP := $(VENV)/.app-installed
STAMP_TEST := $(VENV)/.test-installed
STAMP_BUILD := $(VENV)/.build-installed

.PHONY: run cli test test-cluster test-pacs test-timing test-fast lint train convert bench bundle bundle-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP_APP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[report]"
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev,train]"
	touch $@ $(STAMP_APP)

run: $(STAMP_APP)
	$(BIN)/pneumoscan-gui $(ARGS)

cli: $(STAMP_APP)
	$(BIN)/pneumoscan screen $(or $(ARGS),../shared/data/fullres) -o report.csv

test: $(STAMP_TEST)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not bundle and not cluster and not timing and not pacs"

# GUI responsiveness (a timing measurement, retried): not part of `make test`
test-timing: $(STAMP_TEST)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m timing tests/desktop

STAMP_CLUSTER := $(VENV)/.cluster-installed
$(STAMP_CLUSTER): pyproject.toml $(STAMP_TEST)
	$(BIN)/pip install -q -e ".[dev,train,cluster]"
	touch $@

# the Ray engine against the local engine on a local Ray instance (CI runs it as its own step)
test-cluster: $(STAMP_CLUSTER)
	$(BIN)/python -m pytest -m cluster tests/engines

# the DICOM node against Orthanc and dcmtk (apt-get install orthanc dcmtk; .ci/run does it)
test-pacs: $(STAMP_TEST)
	$(BIN)/python -m pytest -m pacs tests/node_pacs

test-fast: $(STAMP_TEST)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

train: $(STAMP_TEST)
	$(BIN)/python -m training.train

convert: $(STAMP_TEST)
	$(BIN)/python -m convert $(RUN)

$(STAMP_BUILD): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev,build]"
	touch $@ $(STAMP_APP)

bundle: $(STAMP_BUILD)
	$(BIN)/pyinstaller --noconfirm --log-level WARN build.spec

bundle-test: bundle
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m bundle tests/bundle

bench: $(STAMP_TEST)
	$(BIN)/python -m benchmarks.bench_decode
	$(BIN)/python -m benchmarks.bench_model
	$(BIN)/python -m benchmarks.bench_bundle

clean:
	rm -rf build dist .pytest_cache
