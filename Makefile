# kolshop — `make demo` to try it, `make test` to test it. Everything runs from .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install packages demo test test-postgres serve bench migrate clean screenshots

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "kolshop needs Python 3.11, got " + sys.version'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

migrate: install
	DJANGO_SETTINGS_MODULE=settings.dev $(BIN)/python manage.py migrate --no-input -v0

demo: migrate
	HOST=$(HOST) PORT=$(PORT) DJANGO_SETTINGS_MODULE=settings.dev $(BIN)/python manage.py load_demo
	HOST=$(HOST) PORT=$(PORT) DJANGO_SETTINGS_MODULE=settings.dev $(BIN)/python manage.py runserver $(HOST):$(PORT)

packages:
	bash .ci/debian-packages.sh

test: install packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite against a throwaway PostgreSQL 15 that the script installs and starts itself.
test-postgres: install packages
	bash .ci/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

# Measures kolshop against baselines in the same run, on a throwaway PostgreSQL (BENCH_DB=sqlite for
# SQLite). QUICK=1: fewer rounds, under two minutes (CI runs it so, to prove it works; never timed).
bench: install packages
ifeq ($(BENCH_DB),sqlite)
	$(BIN)/python -m bench $(if $(QUICK),--quick)
else
	PG_PORT=54339 bash .ci/with-postgres.sh $(BIN)/python -m bench $(if $(QUICK),--quick)
endif

# The production shape on this machine: PostgreSQL, Redis, gunicorn (several workers), the task
# worker and the scheduler (Procfile). SERVE_SMOKE=1 runs the HTTP smoke test through it and stops.
serve: install
	HOST=$(HOST) PORT=$(PORT) bash .ci/serve.sh

# Refreshes the README's creator-studio and storefront screenshots (docs/screenshots/) with Debian's chromium.
screenshots: install packages
	KOLSHOP_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/browser/test_readme_screenshots.py -q -p no:randomly

clean:
	rm -rf $(VENV) var
