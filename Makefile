# hgr: every target creates .venv and installs hgr when needed, so a fresh clone needs no other step.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-stamp
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= build/demo

.PHONY: demo test test-random bench lint clean

# What the node and the demo need: hgr and its dependencies, no test or lint tools.
$(RUNTIME): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: hgr needs Python >= 3.11 (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(RUNTIME)

# The test and lint tools on top (pytest, ruff, mypy, and PyTorch's CPU build for the GPU code).
$(STAMP): $(RUNTIME) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The survey report's Chinese PDF embeds them; a machine may have Chromium without them.
CJK_FONTS := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

demo: $(RUNTIME) $(CJK_FONTS)
	$(BIN)/hgr demo $(DEMO_DIR) --force

# The console's browser tests drive Debian's Chromium; the Noto CJK fonts draw its Chinese.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	apt-get install -y -q chromium fonts-noto-cjk >/dev/null || { echo "error: Debian's chromium could not be installed (the console's browser tests need it)"; exit 1; }

$(CJK_FONTS):
	apt-get install -y -q fonts-noto-cjk >/dev/null || { echo "error: Debian's fonts-noto-cjk could not be installed (the Chinese survey report needs them)"; exit 1; }

test: $(STAMP) $(CHROMIUM) $(CJK_FONTS)
	$(BIN)/python -m pytest -n auto --durations=15  # on every core; the slowest tests printed

# The suite in a shuffled order (modules, and tests within each): what an order dependence
# would break. The seed is printed; RANDOM_ORDER_SEED=N replays one order.
test-random: $(STAMP)
	$(BIN)/python -m pytest --random-order $(if $(RANDOM_ORDER_SEED),--random-order-seed=$(RANDOM_ORDER_SEED))

bench: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null 2>&1 || echo "note: Debian's wrk could not be installed; the load benchmark will be skipped"
	@command -v bcftools >/dev/null || apt-get install -y -q bcftools >/dev/null 2>&1 || echo "note: Debian's bcftools could not be installed; the genotype benchmark will be skipped"
	@command -v bgzip >/dev/null || apt-get install -y -q tabix >/dev/null 2>&1 || echo "note: Debian's tabix (bgzip) could not be installed; bench_beacon.py --repeat needs it"
	@command -v plink2 >/dev/null || apt-get install -y -q plink2 >/dev/null 2>&1 || echo "note: Debian's plink2 could not be installed; the relatedness benchmark runs hgr alone"
	@set -e; for script in benchmarks/bench_*.py; do \
		echo "== $$script"; $(BIN)/python $$script; \
	done

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
