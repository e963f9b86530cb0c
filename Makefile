# Skinterval — everything the project needs is installed by these targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
CHECK_ENV := DJANGO_SETTINGS_MODULE=config.test_settings
# `check --deploy` as a production server runs it (docs/deploy.md): the real
# settings with DEBUG off and a throw-away random secret key.
DEPLOY_CHECK_ENV := DJANGO_SETTINGS_MODULE=config.settings DJANGO_DEBUG=0 \
	DJANGO_ALLOWED_HOSTS=skinterval.example \
	DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')"

.PHONY: install demo test check bench clean

install: $(VENV)/installed node_modules/.installed

# Rebuilt whenever pyproject.toml changes.
$(VENV)/installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Front-end libraries at the versions pinned in package-lock.json; re-run whenever
# the lock file changes. Django serves them under static/vendor/ (config/settings.py).
node_modules/.installed: package-lock.json package.json
	@command -v npm >/dev/null 2>&1 || { echo "!! npm is missing: install Node.js and npm (apt-get install -y npm)." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: install
	SKINTERVAL_DEMO=1 $(MANAGE) migrate --no-input
	SKINTERVAL_DEMO=1 $(MANAGE) seed_demo
	@echo
	@echo "Skinterval demo: http://127.0.0.1:8000  (logins above, password: demo)"
	scripts/demo_serve.sh 127.0.0.1:8000

test: install
	scripts/test.sh

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(CHECK_ENV) $(BIN)/mypy .
	$(BIN)/lint-imports
	$(CHECK_ENV) $(MANAGE) makemigrations --check --dry-run
	$(DEPLOY_CHECK_ENV) $(MANAGE) check --deploy --fail-level WARNING

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
