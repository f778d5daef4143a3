# The two commands: `make demo` and `make test`. Both set everything up on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install demo serve test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and exactly this version: the CPU build on disk; anything else pulls a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/memfeed demo

serve: $(STAMP)
	$(BIN)/memfeed serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/pytest -q

# Every speed benchmark at sizes that keep the whole run under ~15 minutes on 2 cores (full sizes and the
# figures: docs/performance.md). memory_locomo.py is evaluation, not speed, and needs a dataset: not run here.
bench: $(STAMP)
	$(BIN)/python bench/bench_index_exclusion.py --n 20000 --queries 50
	$(BIN)/python bench/bench_index_scale.py --sizes 20000,100000 --queries 100 --ef 128
	$(BIN)/python bench/bench_embed.py --n 300 --repeats 2
	$(BIN)/python bench/bench_retrain.py --quick
	$(BIN)/python bench/bench_memory_search.py --total 100000 --per-user 10000 --queries 200
	$(BIN)/python bench/bench_feed_http.py --quick
	$(BIN)/python bench/bench_ingest.py --quick

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
