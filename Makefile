# RIF Work-up. `make run` serves the demo on http://127.0.0.1:8000; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_WORKUPS ?= 60
DEMO_PASSWORD ?= rif-demo-2026
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run serve test lint bench load browser-deps clean messages translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# A developer's machine runs with debug on; a deployment sets its own variables instead.
.env:
	printf 'DJANGO_DEBUG=1\n' > .env

install: $(VENV)/.installed .env

# The task worker (PDFs rendered ahead) runs beside the app and stops with it.
WITH_WORKER = $(BIN)/python manage.py worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM;

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py load_catalogue
	$(BIN)/python manage.py seed_demo --workups $(DEMO_WORKUPS) --password '$(DEMO_PASSWORD)'
	@echo ""
	@echo "  RIF Work-up on http://$(HOST):$(PORT)/"
	@echo "  Demo logins: clinician, coordinator, lead; password: $(DEMO_PASSWORD)"
	@echo ""
	$(WITH_WORKER) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# A production-like local run: debug off, collected static files, gunicorn. Plain HTTP on the
# loopback (DJANGO_HTTPS=0); a random secret key is kept in the git-ignored .secret-key.
.secret-key:
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

SERVE_ENV = DJANGO_DEBUG=0 DJANGO_HTTPS=0 DJANGO_SECRET_KEY="$$(cat .secret-key)" \
	DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1

serve: install .secret-key
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(SERVE_ENV) $(BIN)/python manage.py migrate --noinput
	$(SERVE_ENV) $(BIN)/python manage.py createcachetable
	$(SERVE_ENV) $(BIN)/python manage.py load_catalogue
	$(SERVE_ENV) $(BIN)/python manage.py seed_demo --workups $(DEMO_WORKUPS) --password '$(DEMO_PASSWORD)'
	@echo "  RIF Work-up (gunicorn, debug off) on http://$(HOST):$(PORT)/"
	export $(SERVE_ENV); $(WITH_WORKER) GUNICORN_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py workup.wsgi

# Benchmarks print figures (see docs/performance.md); they are not pass/fail tests. PostgreSQL at
# 1,000, 10,000 and 100,000 work-ups (BENCH_PG_URL: a server where databases perf_bench_* may be
# created), SQLite at the first two; BENCH_ARGS="--sizes 1000 10000" for a shorter run.
BENCH_PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
bench: install
	BENCH_PG_URL=$(BENCH_PG_URL) $(BIN)/python bench/run.py $(BENCH_ARGS)

$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

load: install $(VENV)/.bench-installed
	$(BIN)/python bench/load.py $(LOAD_ARGS)

# Browser tests need Debian's Chromium: installed here when running as root.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! command -v pdftotext >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Chromium and poppler-utils with apt (browser and PDF tests)..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
	      fonts-dejavu-core >/dev/null; \
	  else \
	    echo "!!! Chromium or poppler-utils missing and not root: browser/PDF tests will be SKIPPED."; \
	  fi; \
	fi

test: install browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/bandit -q -c pyproject.toml -r workup

# Translations (docs/documents.md, "Languages"). `make messages` brings the .po files up to date
# with the marked strings (needs GNU gettext's xgettext, a developer's tool) and compiles them;
# the compiled .mo files are committed, so a fresh clone and CI need no gettext.
# `make translations` lists what is not marked or not translated (exit 1 if anything).
messages: install
	$(BIN)/python manage.py makemessages -l fr -l tr --add-location file --no-obsolete \
	  -i "tests/*" -i "bench/*" -i "static/*" -i "test-artifacts/*" -i "staticfiles/*"
	$(BIN)/python manage.py compile_translations

translations: install
	$(BIN)/python manage.py check_translations

# Django's deployment checklist with production settings: debug off, a throwaway secret key, a
# real host name, nothing from the environment or a developer's .env. Warnings fail it.
.PHONY: deploy-check
deploy-check: install
	env -i PATH="$$PATH" HOME="$$HOME" DJANGO_ENV_FILE=/nonexistent DJANGO_DEBUG=0 \
	  DJANGO_ALLOWED_HOSTS=rif.example.org \
	  DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles .pytest_cache test-artifacts
