# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
# One virtualenv per Python: `make test PYTHON=python3.13 VENV=.venv-3.13` (.ci/run).
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The address in the links the site makes to itself (feeds, sitemaps, canonical and
# republished links): where `make run` serves, unless SITE_URL is set.
SITE_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

# `make run` and `make test` are for a developer's machine: DEBUG on, the development
# secret key allowed, and the embedded PostgreSQL unless DATABASE_URL is set.
export DJANGO_DEBUG ?= 1

.PHONY: run test lint format migrate demo bench clean vendor-ckeditor

# The virtualenv is rebuilt only when a requirements file changes.
$(BIN)/.runtime-installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Newsroom needs Python 3.11 or newer; set PYTHON=python3.x")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.dev-installed: $(BIN)/.runtime-installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The embedded PostgreSQL (without DATABASE_URL) comes with the development requirements.
migrate: $(BIN)/.dev-installed
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

# The background task worker runs beside the server; when the server stops (Ctrl-C),
# the worker and its reloader are stopped with it (bash's job control: its own group).
run: SHELL := bash
run: demo
	@echo "Serving Newsroom at http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	@export SITE_URL=$(SITE_URL); set -m; \
	$(BIN)/python manage.py db_worker & trap 'kill -TERM -- -$$! 2>/dev/null' EXIT; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(BIN)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint node_modules/.package-lock.json
	$(BIN)/python manage.py makemigrations --check --dry-run
	@if [ -d tests/js ]; then \
	  if command -v node >/dev/null; then node --test tests/js/; \
	  else echo "SKIPPED: JavaScript tests need Node.js 18+ (https://nodejs.org or apt-get install nodejs)"; fi; \
	fi
	$(BIN)/pytest $(PYTEST_ARGS)

# Throughput and latency of real pages on a 100,000-article archive (bench/run.py),
# each page interleaved with a baseline view. Needs wrk and redis-cli, and nginx for
# the micro-cache figures (apt-get install wrk redis-tools nginx-light). The first
# run generates the archive (minutes). BENCH_DB names its database (newsroom_bench).
bench: $(BIN)/.dev-installed
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# axe-core for the accessibility browser tests, pinned in package-lock.json and
# installed again only when that changes. Without npm those tests are skipped.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch $@; \
	else echo "SKIPPED: accessibility tests need npm for axe-core (https://nodejs.org or apt-get install npm)"; fi

# CKEditor 5's browser build, from the ckeditor5 npm package pinned in package-lock.json,
# copied into static/vendor/ckeditor5/<version>/, where it is committed so that `make run`
# and the production image need no Node.js. After changing the pin: run this, then set
# richtext.widgets.CKEDITOR_VERSION (a test checks both).
vendor-ckeditor: $(BIN)/.runtime-installed
	npm ci --no-audit --no-fund
	$(BIN)/python manage.py vendor_ckeditor

clean:
	rm -rf $(VENV) .pgdata staticfiles .pytest_cache .ruff_cache node_modules
