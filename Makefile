# Two commands do everything on a fresh clone: `make run` and `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
PYTHON ?= python3
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast lint bench eval eval-heldout install browser-deps

# Create the virtualenv and install everything once (again when pyproject.toml changes).
# torch is pinned to the local CPU wheel first: any other torch pulls GBs of CUDA packages.
# The [llm] extra builds llama-cpp-python from source (~5 min, once).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[llm,test,lint]'
	touch $@

install: $(STAMP)

## Run the chatbot: builds the index if it is missing, then serves http://127.0.0.1:7860
run: $(STAMP)
	$(BIN)/chatbot serve

## Everything CI runs: lint, types, unit, integration (real models) and browser tests.
test: $(STAMP) browser-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy core ingest chatbot
	$(BIN)/pytest

## Unit tests only (fake embedder, fake LLM; under a minute).
test-fast: $(STAMP)
	$(BIN)/pytest tests/unit -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy core ingest chatbot

## Browser tests drive Debian's Chromium (Playwright's own browser download fails offline).
browser-deps:
	@test -x /usr/bin/chromium || scripts/install-chromium

## Benchmark: retrieval latency, time to first token, answer time, peak memory.
bench: $(STAMP)
	$(BIN)/python scripts/bench.py

## Every question set against its own corpus (seed, ../shared/corpora/foreign), with the
## bundled LLM and without it, as one table. eval-heldout runs the held-aside sets (run them last).
eval: $(STAMP)
	$(BIN)/python scripts/eval_suite.py

eval-heldout: $(STAMP)
	$(BIN)/python scripts/eval_suite.py --heldout
