#!/usr/bin/env bash
# Serve the demo: the background worker (calendar optimizer runs), the message
# sender (emails printed to this console) and the development server, stopped
# together with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export SKINTERVAL_DEMO=1
.venv/bin/python manage.py db_worker --queue-name '*' --no-reload --interval 1 &
worker=$!
.venv/bin/python manage.py send_due_messages --interval 5 &
sender=$!
trap 'kill "$worker" "$sender" 2>/dev/null || true' EXIT INT TERM
.venv/bin/python manage.py runserver "${1:-127.0.0.1:8000}"
