# qualkit: `make demo` and `make test` are all a fresh clone needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := exports/demo
PROJECT := $(DEMO)/study.qualkit
QK := $(BIN)/qualkit
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: venv demo test app bench lint clean-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# CPU build of torch first and pinned: an unpinned torch pulls gigabytes of CUDA wheels.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	@mkdir -p $(DEMO)
	@test -f $(PROJECT) || $(QK) init $(PROJECT) --name "IA et métiers de cadres (étude exemple)"
	$(QK) codebook check codebook/codebook.yaml
	$(QK) import $(PROJECT) transcripts
	$(QK) status $(PROJECT)
	$(QK) code $(PROJECT) --codebook codebook/codebook.yaml
	@echo "Demo project: $(PROJECT)"

test: venv
	$(BIN)/python -m pytest -q

app: venv
	@test -f $(PROJECT) || $(MAKE) demo
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 -- $(PROJECT)

bench: venv
	$(BIN)/python benchmarks/bench_import.py
	@test -f $(PROJECT) || $(MAKE) demo
	$(BIN)/python benchmarks/bench_autocode.py --project $(PROJECT)

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean-demo:
	rm -rf $(DEMO)
