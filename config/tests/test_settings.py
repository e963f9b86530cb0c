"""Settings read from the environment fail loudly and default to safe values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
import django
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "debug": settings.DEBUG,
    "engine": db["ENGINE"],
    "name": str(db.get("NAME")),
    "options": {k: str(v) for k, v in db.get("OPTIONS", {}).items()},
    "hasher": settings.PASSWORD_HASHERS[0],
    "demo": settings.DEMO_MODE,
}))
"""


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "SKINTERVAL_"))
    }
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SKINTERVAL_VAR_DIR": str(tmp_path / "var"),
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = load_settings(tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_defaults_to_off(tmp_path):
    result = load_settings(tmp_path, DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is False


def test_demo_mode_turns_debug_on(tmp_path):
    result = load_settings(tmp_path, SKINTERVAL_DEMO="1")
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["debug"] is True
    assert loaded["demo"] is True


def test_malformed_boolean_names_the_variable(tmp_path):
    result = load_settings(tmp_path, DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='maybe' is not a boolean" in result.stderr


def test_sqlite_is_the_default_with_immediate_transactions_and_wal(tmp_path):
    result = load_settings(tmp_path, DJANGO_SECRET_KEY="x" * 50)
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["name"] == str(tmp_path / "var" / "db.sqlite3")
    assert loaded["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in loaded["options"]["init_command"]
    assert int(loaded["options"]["timeout"]) >= 1


def test_database_url_selects_postgresql(tmp_path):
    result = load_settings(
        tmp_path,
        DJANGO_SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://u:p@db.example.test:5432/skinterval",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["name"] == "skinterval"


def test_a_database_url_that_is_not_postgres_is_refused(tmp_path):
    result = load_settings(
        tmp_path, DJANGO_SECRET_KEY="x" * 50, DATABASE_URL="mysql://u:p@h/db"
    )
    assert result.returncode != 0
    assert "postgres://" in result.stderr


def test_passwords_are_hashed_with_argon2_by_default(tmp_path):
    result = load_settings(tmp_path, DJANGO_SECRET_KEY="x" * 50)
    assert json.loads(result.stdout)["hasher"].endswith("Argon2PasswordHasher")


@pytest.mark.parametrize(
    ("raw", "message"),
    [("abc", "is not an integer"), ("0", "must be at least 1")],
)
def test_integer_settings_are_validated(tmp_path, raw, message):
    result = load_settings(
        tmp_path, DJANGO_SECRET_KEY="x" * 50, SQLITE_BUSY_TIMEOUT_S=raw
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_the_stylesheet_is_found_by_staticfiles():
    from django.contrib.staticfiles import finders

    assert finders.find("skinterval/app.css") is not None
