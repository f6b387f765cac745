# The two commands of the README: `make demo` and `make test`.
# Both work on a fresh machine with python3 and make; they create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCALE ?= 1

.PHONY: demo test lint docs bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/csi demo

test: $(STAMP)
	bash tests/run_tests.sh

lint: $(STAMP)
	$(BIN)/ruff check .

docs: $(STAMP)
	$(BIN)/python -m csi.warehouse.dictionary > docs/data-dictionary.md

bench: $(STAMP)
	$(BIN)/python -m bench.run --scale $(SCALE)

clean:
	rm -rf $(VENV) demo landing reports .csi warehouse.duckdb warehouse.duckdb.wal warehouse.read.duckdb data_docs
