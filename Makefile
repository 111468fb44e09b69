# Two commands a new user needs: `make demo` and `make test`. Everything else is a helper.
# uv is bootstrapped into .tools/ with the machine's Python, then installs from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: help env test lint typecheck check bench demo tour interop-deps browser-deps messages clean

help:
	@echo "make test    run the whole test suite (creates .venv from uv.lock)"
	@echo "make demo    the service with demo data on SQLite (http://127.0.0.1:8000)"
	@echo "make tour    a guided tour of the command line: keys, issue, verify, credit"
	@echo "make check   lint + type checks"
	@echo "make bench   print throughput figures"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

env: $(UV)
	$(UV) sync --locked --all-extras --python $(PYTHON) --quiet

# The JavaScript implementation used by the interop tests, axe-core for the browser tests and the
# wallet-side clients of the wallet pickup tests (skipped with a reason when npm is missing, a failure
# under CI=true).
interop-deps:
	@if command -v npm >/dev/null 2>&1; then \
	  (cd tests/interop && npm ci --silent --no-audit --no-fund) && (cd tests/browser && npm ci --silent --no-audit --no-fund) && \
	  (cd tests/wallet && npm ci --silent --no-audit --no-fund); \
	else echo "npm not found: interop and browser tests will be skipped"; fi

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser of its own).
# Needs root; without Chromium the browser tests are skipped with a reason (a failure under CI=true).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found (apt-get install chromium as root): browser tests will be skipped"; fi; \
	fi

# After changing page strings: extract them and merge them into each catalogue, then translate the
# new entries in issuer/locale/<lang>/LC_MESSAGES/messages.po (a test lists what is missing).
messages: env
	$(UV) run --no-sync pybabel extract -F babel.cfg --no-location --sort-output --omit-header -w 110 -o issuer/locale/messages.pot issuer
	$(UV) run --no-sync pybabel update -i issuer/locale/messages.pot -d issuer/locale --ignore-obsolete -w 110

# Tests run on every core (pytest-xdist); each test has its own SQLite file or PostgreSQL database.
PYTEST_WORKERS ?= auto
test: env interop-deps browser-deps
	$(UV) run --no-sync pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: env
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .

typecheck: env
	$(UV) run --no-sync mypy

check: lint typecheck

bench: env
	$(UV) run --no-sync python -m bench

# The service on SQLite with demo data, at http://127.0.0.1:8000 (DEMO_ARGS="--port 9000" to change).
demo: env
	$(UV) run --no-sync badges demo $(DEMO_ARGS)

# The five-minute tour of the command line: keys, issue, verify, credit.
tour: env
	bash scripts/demo_tour.sh

clean:
	rm -rf $(TOOLS) .venv .mypy_cache .ruff_cache .pytest_cache tests/interop/node_modules tests/wallet/node_modules
