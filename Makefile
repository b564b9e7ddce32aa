# The two commands a new user needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run worker test install install-dev lint bench bench-pages bench-live clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: reinstall only when a lock file changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(PIP) install --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt | $(BIN)/python
	$(PIP) install --require-hashes -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: export DEBUG ?= 1
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py setup_demo
	@# bookclub/serve.py: uvicorn with --no-proxy-headers unless BEHIND_PROXY is on; LAN=1 serves phones.
	@# The worker sends the club emails in the background beside it; it stops when the server does.
	$(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m bookclub.serve --host $(HOST) --port $(PORT) $(if $(filter 1 true yes on,$(LAN)),--lan)

# The background worker alone (emails, reminders, closing votes), e.g. beside a server started by hand.
worker: install
	$(BIN)/python manage.py run_worker

# In parallel, one worker per core (pytest-xdist); TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto
test: install-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Benchmarks (see README.md): figures go to the terminal and to bench/results/.
bench: bench-pages bench-live

# The benchmarks run servers with DEBUG off, which needs an email backend chosen on purpose.
bench-pages bench-live: export EMAIL_BACKEND ?= django.core.mail.backends.console.EmailBackend
bench-pages: install-dev
	$(BIN)/python -m bench.pages $(BENCH_PAGES_ARGS)

bench-live: install-dev
	ulimit -n 8192 2>/dev/null || true; $(BIN)/python -m bench.live $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) staticfiles
