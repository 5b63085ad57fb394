# Every target installs what it needs on first use: a clean clone needs only Python 3.11+.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install browser test lint demo run migrate bench messages clean

$(STAMP): pyproject.toml
	@# A .venv that is a symlink (dangling, or a loop) is no environment: start afresh.
	test -x $(PY) || { test ! -L $(VENV) || rm $(VENV); $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The .po catalogues are compiled in memory at start-up (bot/i18n.py): no build step.
install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/mypy

# The web chat's browser tests drive Debian's Chromium. Installed here where we may (root
# with apt-get, as in CI); elsewhere those tests skip and say why.
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
	      || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }; \
	  else echo "no Chromium at $(CHROMIUM) and no way to install it: the browser tests skip"; fi; }

# In parallel processes (most tests wait on sockets, so more workers than cores pay off)
# and in a random order; the seed is printed first. PYTEST_ARGS adds options, e.g.
# `make test PYTEST_ARGS="--randomly-seed=1234"` repeats that run's order.
TEST_WORKERS ?= 4
test: install lint browser
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

demo: install
	$(PY) -m bot demo

run: install
	$(PY) -m bot run

migrate: install
	$(PY) -m bot migrate

bench: install
	@for f in bench/[!_]*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# Re-extract the texts and merge them into every catalogue (then translate the new ones).
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F locales/babel.cfg -k __ -k lazy_gettext --no-location \
		--sort-output --project smm-storefront-bot -o locales/messages.pot bot handlers
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching \
		--ignore-obsolete
	$(PY) -m bot.i18n

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
