# Zhibiao: `make run` (virtualenv + install + whole pipeline on corpora/) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   := data
CORPUS := corpora
GOLD   := gold
STAMP  := $(VENV)/.installed

.PHONY: run test lint eval bench bench-numbers train clean segment extract tables distclean

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

train: $(STAMP)
	$(BIN)/zhibiao train --corpora $(CORPUS) --gold $(GOLD) --out models

distclean:
	rm -rf $(VENV) $(DATA)
