# Two entry points that work on a fresh machine:
#   make reproduce   venv + install + fetch MNIST + CPU-scale reproduction + report
#   make test        venv + install + test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.tradeoff-installed
TORCH  ?= torch==2.13.0
BUILD  ?= reports/build

.PHONY: venv test lint reproduce reproduce-data reproduce-theory reproduce-linear reproduce-deep report bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

venv: $(STAMP)

# pytest exits 5 when it collects no test: report that loudly instead of passing silently.
test: venv
	@$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

lint: venv
	$(BIN)/ruff check .

# Each step writes result files under $(BUILD)/results and figures under $(BUILD)/figures;
# the report is built from those files alone.
reproduce-data: venv
	$(BIN)/tradeoff data fetch mnist

reproduce-theory: venv
	$(BIN)/tradeoff --build-dir $(BUILD) theory all

reproduce-linear: reproduce-data
	$(BIN)/tradeoff --build-dir $(BUILD) linear fig5

reproduce-deep: reproduce-data
	$(BIN)/tradeoff --build-dir $(BUILD) deep reproduce --scale quick --datasets mnist

report: venv
	$(BIN)/tradeoff --build-dir $(BUILD) report

reproduce: reproduce-theory reproduce-linear reproduce-deep
	$(MAKE) report
	@echo "report: $(BUILD)/report.md and $(BUILD)/report.html"

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(BUILD)
