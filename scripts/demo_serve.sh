#!/usr/bin/env bash
# Serve the demo: the background worker (calendar optimizer runs, later messages)
# and the development server, stopped together with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export SKINTERVAL_DEMO=1
.venv/bin/python manage.py db_worker --queue-name '*' --no-reload --interval 1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
.venv/bin/python manage.py runserver "${1:-127.0.0.1:8000}"
