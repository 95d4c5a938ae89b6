# storydiff: `make demo` sets up and runs the bundled example; `make test` sets up and runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test lint bench clean system-deps

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first: 2.13.0 is the CPU build; anything else pulls a GPU build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[models,web,spark,dev]'
	$(BIN)/python -m storydiff.analyze.embed --build  # distil model2vec, export MiniLM to ONNX (torch, once)
	$(BIN)/python -m storydiff.analyze.language --build  # the language identifier, unpacked once
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the browser tests need (chromium); installed only when missing.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

demo: setup
	$(BIN)/storydiff compare examples/harbour-fire/*.html examples/harbour-fire/*.txt examples/harbour-fire/*.json --date 2031-06-12
	$(BIN)/storydiff compare examples/harbour-fire/*.html examples/harbour-fire/*.txt examples/harbour-fire/*.json --date 2031-06-12 --format html --output report.html
	@echo "wrote report.html"

test: setup system-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: setup
	for b in bench/*_bench.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info report.html
