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
	@# First pass: zero-shot suggestions everywhere (kept where people then decide, so the
	@# machine can be compared with them).
	$(QK) code $(PROJECT) --codebook codebook/codebook.yaml
	@# A consultant has coded the first seven interviews by hand (the dev gold set's labels);
	@# a second consultant coded two of them blind, for the agreement between coders.
	$(QK) import-codings $(PROJECT) benchmarks/data/gold_dev.jsonl --coder consultante \
	  $(foreach i,01 02 03 04 05 06 07,--interview entretien_$(i))
	$(QK) import-codings $(PROJECT) benchmarks/data/second_coder.jsonl --coder analyste
	$(QK) agreement $(PROJECT) --coders consultante,analyste --include-auto
	@# Second pass: the auto-coder learns from those decisions for the other seven interviews.
	$(QK) code $(PROJECT) --codebook codebook/codebook.yaml
	$(QK) topics $(PROJECT)
	$(QK) report $(PROJECT) -o $(DEMO)/rapport.docx
	$(QK) export $(PROJECT) --format xlsx -o $(DEMO)/etude.xlsx
	$(QK) export $(PROJECT) --format qdpx -o $(DEMO)/etude.qdpx
	@echo "Demo project: $(PROJECT)"
	@echo "Outputs: $(DEMO)/rapport.docx $(DEMO)/etude.xlsx $(DEMO)/etude.qdpx"

test: venv
	@# One worker per core; a file's tests stay together, so module fixtures are built once.
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile

app: venv
	@test -f $(PROJECT) || $(MAKE) demo
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --browser.gatherUsageStats false \
	  -- $(PROJECT)

bench: venv
	$(BIN)/python benchmarks/bench_import.py
	@test -f $(PROJECT) || $(MAKE) demo
	$(BIN)/python benchmarks/bench_autocode.py --project $(PROJECT)
	$(BIN)/python benchmarks/bench_report.py --project $(PROJECT)
	$(BIN)/python benchmarks/bench_review.py
	$(BIN)/python benchmarks/bench_topics.py --project $(PROJECT)

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean-demo:
	rm -rf $(DEMO)
