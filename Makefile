# Zhibiao: `make run` (virtualenv + install + whole pipeline on corpora/) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   := data
CORPUS := corpora
GOLD   := gold
STAMP  := $(VENV)/.installed

.PHONY: run test lint eval bench bench-numbers fuzz kill-runs train evaluate-models clean segment extract tables distclean readme

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/zhibiao run $(CORPUS) --out $(DATA)

test: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks

eval: $(STAMP)
	$(BIN)/zhibiao eval --gold $(GOLD) $(DATA)

# Fit the models with the thresholds of the last nested evaluation (minutes) ...
train: $(STAMP)
	$(BIN)/zhibiao train --corpora $(CORPUS) --gold $(GOLD) --out models

# ... and the nested leave-one-source-out evaluation that chooses them (tens of minutes), when
# features, rules or labelled data change.
evaluate-models: $(STAMP)
	$(BIN)/zhibiao evaluate-models --corpora $(CORPUS) --gold $(GOLD) --out models

# Pipeline stages one at a time on corpora/ into data/; each re-runs only when its inputs
# (the previous stage's output, rules/, pipeline/ code) changed. `make clean` is the clean
# stage, not a file cleaner (that is `make distclean`). The runner's own cache also skips
# pages and stages that did not change.
STAGE_DEPS := $(STAMP) $(wildcard rules/*) $(shell find pipeline -name "*.py")
CORPUS_FILES := $(shell find $(CORPUS) -type f 2>/dev/null)

$(DATA)/.clean.stamp: $(CORPUS_FILES) $(STAGE_DEPS)
	$(BIN)/zhibiao clean $(CORPUS) --out $(DATA)
	touch $@

$(DATA)/.segment.stamp: $(DATA)/.clean.stamp $(STAGE_DEPS)
	$(BIN)/zhibiao segment $(DATA)
	touch $@

$(DATA)/.extract.stamp: $(DATA)/.segment.stamp $(STAGE_DEPS)
	$(BIN)/zhibiao extract $(DATA)
	touch $@

$(DATA)/.tables.stamp: $(DATA)/.extract.stamp
	$(BIN)/zhibiao tables $(DATA)
	touch $@

clean: $(DATA)/.clean.stamp
segment: $(DATA)/.segment.stamp
extract: $(DATA)/.extract.stamp
tables: $(DATA)/.tables.stamp

# Throughput, scaling, memory, re-runs, Dask and CPU per stage (a few minutes on 2 cores; its archives
# stay in bench-data/, which `make distclean` removes). A larger run: make bench BENCH_ARGS="--mb 200".
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_pipeline.py $(BENCH_ARGS)

# 10^5 generated and mutated pages and archives through the reader and every stage, in process
# (about 50 minutes on one core); prints crashes, hangs and wrong outputs. The test suite runs 150.
FUZZ_INPUTS ?= 100000
fuzz: $(STAMP)
	$(BIN)/python benchmarks/fuzz.py --inputs $(FUZZ_INPUTS) --repro $(DATA)/fuzz-repro

# SIGKILL a --jobs 2 run at random moments ten times, re-run, compare with an uninterrupted run
# and look for processes left behind.
kill-runs: $(STAMP)
	$(BIN)/python benchmarks/kill_runs.py --kills 10

# Quantity readers side by side (ours, Recognizers-Text, JioNLP) on the gold quotes; peers are the
# optional [bench] extra: a peer that cannot install is skipped by the bench, which says why.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[bench]' || echo "bench-numbers: the optional peers did not install; they will be skipped"
	touch $@

bench-numbers: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench_numbers.py

distclean:
	rm -rf $(VENV) $(DATA) bench-data

# Rewrite the README's table section from the schemas in pipeline/tables.py.
readme: $(STAMP)
	$(BIN)/python -c "import re, pathlib; from pipeline.tables import columns_markdown as c; p = pathlib.Path('README.md'); s = p.read_text(encoding='utf-8'); p.write_text(re.sub(r'<!-- schema:start -->.*<!-- schema:end -->', lambda m: '<!-- schema:start -->\n' + c().strip() + '\n<!-- schema:end -->', s, flags=re.S), encoding='utf-8')"
