# Two commands for a newcomer: `make run` and `make test`. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Tests never need a real secret; production must set its own (see README).
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-test-only-not-a-secret}
LOCAL_ENV := DEBUG=1 EMAIL_BACKEND=$${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}

.PHONY: install run serve test lint format migrations-check deploy-check css bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The PDF board pack is printed by Chromium, a system package (README, Deploying).
PDF_CHROMIUM ?= /usr/bin/chromium
run: install
	@command -v $(PDF_CHROMIUM) >/dev/null 2>&1 || echo "Note: PDF board packs need Chromium at $(PDF_CHROMIUM): apt-get install chromium fonts-liberation2 (the other formats work without it)."
	$(LOCAL_ENV) $(BIN)/python manage.py migrate --noinput
	$(LOCAL_ENV) $(BIN)/python manage.py seed --demo-users
	$(LOCAL_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# Production-style serving: gunicorn behind the council's proxy, static files
# from whitenoise. Needs SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (README).
GUNICORN_WORKERS ?= 2
# A PDF of a large plan's board pack takes a while to print: past gunicorn's default 30 s.
GUNICORN_TIMEOUT ?= 120
BIND ?= 127.0.0.1:8000
serve: install
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/gunicorn dudley_improve.wsgi --bind $(BIND) --workers $(GUNICORN_WORKERS) --timeout $(GUNICORN_TIMEOUT) \
		--access-logfile - --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}"

# One test process per core (at most four): each has its own test database.
# PYTEST_ARGS="-n 0" runs them in one process.
PYTEST_WORKERS ?= -n auto --maxprocesses 4
test: install
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

# The production settings, as a deployment would have them.
deploy-check: install
	SECRET_KEY=$$($(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))") \
		ALLOWED_HOSTS=improve.example.gov.uk \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

# Rebuild the vendored GOV.UK Frontend CSS (needs Node; the result is committed).
css:
	bash frontend/build.sh

# Workbook import speed and memory: 1,000 KPIs x 100 months, in a throwaway
# SQLite database under /tmp (never the dev database), and with DATABASE_URL set into a
# throwaway database on that PostgreSQL server; each board page cold (cache
# off) at 200 and 2,000 KPIs, with its size and weight; board pages under load,
# read-only and in the submission rush (a figure saved every second), on that
# PostgreSQL server and with REDIS_URL's Redis (its database 14) when they are
# set, with each page's weight as served;
# the 2021 plan's PDF board pack (goal: under 20 s). See README.
# Prints figures for every goal and exits non-zero if any is missed.
bench: install
	@status=0; \
	$(TEST_ENV) $(BIN)/python bench/import_bench.py || status=1; \
	$(TEST_ENV) $(BIN)/python bench/cold_bench.py || status=1; \
	if [ -n "$$DATABASE_URL" ]; then $(TEST_ENV) $(BIN)/python bench/import_bench.py --postgresql || status=1; fi; \
	$(BIN)/python bench/load_bench.py || status=1; \
	$(TEST_ENV) $(BIN)/python bench/pdf_bench.py || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
