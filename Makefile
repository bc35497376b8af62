# Zyn: `make run` starts it (PAPER by default), `make test` runs the tests. Both install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: run test lint bench install install-dev clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/zyn run

# The browser tests (tests/bot/web/test_browser.py) need a Chromium: Debian's /usr/bin/chromium when there
# (or ZYN_CHROMIUM), else the one Playwright fetches where the internet allows, else Debian's installed as
# root; when none works this fails and says what to install. The tests never skip.
browser: install-dev
	@if [ -n "$$ZYN_CHROMIUM" ] || [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if timeout 180 $(BIN)/python -m playwright install chromium >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests (about 2 minutes)"; \
		apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null && exit 0; \
	fi; \
	echo "The browser tests need Chromium: run 'sudo apt-get install -y chromium' (Debian/Ubuntu), or" \
	     "'$(BIN)/python -m playwright install chromium', or set ZYN_CHROMIUM to a Chromium binary." >&2; exit 1

# The layer contracts (pyproject [tool.importlinter]) run before the tests, so CI checks them too.
test: install-dev browser
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

bench: install-dev
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
