# GridGov — two commands: `make run` (set up and serve the demo) and `make test`.
# Needs only Python 3.11 and make. Settings come from the environment (see .env.example).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: run test install migrate seed lint format bench drills clean

run: migrate ## set up everything, seed the demo if empty, serve web + worker + beat
	$(PY) manage.py seed_demo --scale small --if-empty
	@echo "GridGov at http://127.0.0.1:8000  (admin: /admin/, health: /healthz) — Ctrl-C stops all"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho --no-colour start -f Procfile

test: install ## run the test suite (SQLite + filesystem broker unless DATABASE_URL etc. are set)
	CELERY_TASK_DEFAULT_QUEUE=gridgov-tests $(VENV)/bin/pytest

install: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "GridGov needs Python 3.11+"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

migrate: install
	$(PY) manage.py migrate --noinput

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

bench: install ## run every benchmark in bench/
	$(PY) bench/run_all.py

drills: install ## fault drills and follow-up latency on private PostgreSQL and Redis (bench/drills.py; 30+ minutes)
	$(PY) bench/drills.py

clean:
	rm -rf var/broker var/celery-results
