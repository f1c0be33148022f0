# Two entry points that work on a fresh machine:
#   make reproduce   venv + install + fetch MNIST + CPU-scale reproduction + report
#   make test        venv + install + test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.tradeoff-installed
TORCH  ?= torch==2.13.0
BUILD  ?= reports/build
# The exact versions that were tested: make test, make reproduce and CI install these; `make lock` refreshes them
# (and pylock.toml, the same lock in the PEP 751 format with each tested wheel's SHA-256).
LOCK   := requirements.txt

.PHONY: venv lock test lint reproduce reproduce-data reproduce-theory reproduce-linear reproduce-deep reproduce-long reproduce-frontier report bench clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c $(LOCK) "$(TORCH)" setuptools wheel
	$(BIN)/python -m pip install -q -c $(LOCK) --no-build-isolation -e ".[test]"
	touch $@

venv: $(STAMP)

# Resolve pyproject.toml's ranges afresh in a throw-away venv and write the versions pip chose to $(LOCK).
# Then run `make test`; commit the lock only when it passes.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install -q "$(TORCH)" setuptools wheel
	.lock-venv/bin/python -m pip install -q --no-build-isolation -e ".[test,autoattack]"
	{ echo "# The lock: exact versions tested with 'make test' (Python $$(.lock-venv/bin/python -c 'import platform; print(platform.python_version())')). Refresh with 'make lock'."; \
	  echo "# Used as pip constraints (-c), so it only pins what pyproject.toml asks for. torch carries no local label"; \
	  echo "# (+cpu, +cu130), so the same line accepts the CPU and the CUDA builds of that version."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v -E '^(pip)==' | sed -E 's/^(torch==[^+]*)\+.*/\1/' | LC_ALL=C sort -f; \
	} > $(LOCK).tmp && mv $(LOCK).tmp $(LOCK)
	rm -rf .lock-wheels
	.lock-venv/bin/python -m pip download -q --no-deps -d .lock-wheels -r $(LOCK)
	.lock-venv/bin/python .ci/pylock.py $(LOCK) .lock-wheels pylock.toml
	rm -rf .lock-venv .lock-wheels
	@echo "wrote $(LOCK) and pylock.toml; run 'make test' before committing them"

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
	$(BIN)/tradeoff --build-dir $(BUILD) theory gaussian

reproduce-linear: reproduce-data
	$(BIN)/tradeoff --build-dir $(BUILD) linear fig5

reproduce-deep: reproduce-data
	$(BIN)/tradeoff --build-dir $(BUILD) deep reproduce --scale quick --datasets mnist

# The longer CPU scale, its own command (200 runs, 1-1.5 h on 2 cores, not part of `make reproduce`): more ε values,
# seeds and training-set sizes on MNIST. Run `make report` afterwards.
reproduce-long: reproduce-data
	$(BIN)/tradeoff --build-dir $(BUILD) deep reproduce --scale long --datasets mnist

# after theory and deep: the frontier figure puts D's frontier and the deep models beside the linear models
reproduce-frontier: reproduce-data
	$(BIN)/tradeoff --build-dir $(BUILD) data limit --eps 0.1 0.2 0.3 0.4 0.45 0.48 0.49 0.495
	$(BIN)/tradeoff --build-dir $(BUILD) linear frontier

report: venv
	$(BIN)/tradeoff --build-dir $(BUILD) report

reproduce: reproduce-theory reproduce-linear reproduce-deep
	$(MAKE) reproduce-frontier
	$(MAKE) report
	@echo "report: $(BUILD)/report.md and $(BUILD)/report.html"

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(BUILD)
