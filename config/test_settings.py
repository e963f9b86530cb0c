"""Settings for the test suite and static checks: production settings with a
throw-away secret key, DEBUG off, and fast or in-memory stand-ins for the outside
world. The database is still chosen by DATABASE_URL, so the same suite runs on
SQLite and on PostgreSQL."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from config.settings import *  # noqa: F403

# Production hashes with Argon2 (config/tests/test_settings.py proves it); the
# suite creates many logins and uses a fast hasher for them.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
# Audit events are sealed by the committing thread, so tests see them sealed at
# once; skinterval/audit/tests/test_sealer_service.py runs the sealer service's
# loop instead, as production on PostgreSQL does.
AUDIT_SEAL_AFTER_COMMIT = True
# Tasks run inside the request that enqueues them, so tests see their effect.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The test client and the e2e live server speak plain HTTP.
SECURE_SSL_REDIRECT = False
# Photos written by the tests go to a throw-away folder, not var/.
SKINTERVAL_PHOTO_DIR = Path(tempfile.gettempdir()) / "skinterval-test-photos"
