"""Skinterval settings: one file, read from the environment (see docs/configuration.md).

Defaults are safe for production: DEBUG is off and SECRET_KEY is then required.
`make demo` sets SKINTERVAL_DEMO=1, which turns DEBUG on and allows the demo seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SKINTERVAL_VAR_DIR", str(BASE_DIR / "var")))

DEMO_MODE = env_bool("SKINTERVAL_DEMO", False)
DEBUG = env_bool("DJANGO_DEBUG", DEMO_MODE)

_DEV_SECRET_KEY = "insecure-development-key-only-for-debug-and-demo"  # noqa: S105
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET_KEY if DEBUG else None)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "ninja",  # serves the Swagger UI of /api/docs from its own static files
    "django_tasks",
    "django_tasks_db",
    "skinterval.accounts",
    "skinterval.clinics",
    "skinterval.patients",
    "skinterval.plans",
    "skinterval.appointments",
    "skinterval.charting",
    "skinterval.reminders",
    "skinterval.outcomes",
    "skinterval.portal",
    "skinterval.booking",
    "skinterval.audit",
    "skinterval.photos",
    "skinterval.interop",
    "skinterval.ops",
    "skinterval.demo",
]

# Background work (the calendar optimizer, later messages): Django's tasks API
# (backported), queued in the database and run by `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": env_str(
            "SKINTERVAL_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"
        )
    }
}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Who read or changed patient data, from where: docs/audit.md.
    "skinterval.audit.context.AuditTrailMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "skinterval" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "skinterval.clinics.context_processors.staff_context",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    """PostgreSQL from DATABASE_URL, or the embedded SQLite file under var/.

    SQLite runs in WAL mode with a busy timeout, and every transaction starts with
    BEGIN IMMEDIATE so that check-then-insert booking code is serialised.
    """
    url = env_str("DATABASE_URL", "")
    if url:
        if not url.startswith(("postgres://", "postgresql://")):
            raise ImproperlyConfigured(
                "DATABASE_URL must be a postgres:// URL (SQLite is used without it)."
            )
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
        return config
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "db.sqlite3",
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT_S", 20, minimum=1),
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
            ),
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {
        "NAME": f"{_VALIDATORS}.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_TIMEOUT_S", 30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True  # the age above is an idle timeout
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "skinterval" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end libraries come from the npm registry at the versions pinned in
# package-lock.json (`make install` runs `npm ci` into node_modules/) and are served
# under static/vendor/<name>/. Settings only name the folders: when node_modules/ is
# missing, Django's checks warn (staticfiles.W004) instead of start-up failing.
NODE_MODULES_DIR = BASE_DIR / "node_modules"
VENDOR_STATIC = {
    "vendor/htmx": NODE_MODULES_DIR / "htmx.org" / "dist",
    "vendor/fullcalendar": NODE_MODULES_DIR / "fullcalendar",
}
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [
    BASE_DIR / "skinterval" / "static",
    *VENDOR_STATIC.items(),
]

# Clinical photos (docs/photos.md): stored under random names in this folder, which
# no URL serves (not MEDIA_ROOT, not static); read only through the permission-
# checked, audited photo view. A system check refuses a folder inside a served one.
SKINTERVAL_PHOTO_DIR = Path(
    env_str("SKINTERVAL_PHOTO_DIR", str(VAR_DIR / "private-media" / "photos"))
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Email: printed to the console in debug and demo mode, sent by SMTP otherwise
# (Django's EMAIL_HOST/EMAIL_PORT/... defaults). Links in emails sent outside a
# request (waitlist offers) start with SKINTERVAL_BASE_URL.
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "webmaster@localhost")
SKINTERVAL_BASE_URL = env_str(
    "SKINTERVAL_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "http://localhost"
).rstrip("/")

# Messages to patients (skinterval/reminders, docs/messages.md). SMTP is set by
# Django's own EMAIL_* settings, read here from the environment; the worker hands
# each message over with a timeout well inside its lease.
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT_S", 30, minimum=1)
# Text messages: a dotted path to a class with send(*, to, body, message_id); the
# default sends nothing (and then no text message is scheduled).
SKINTERVAL_SMS_BACKEND = env_str(
    "SKINTERVAL_SMS_BACKEND", "skinterval.reminders.sms.NoOpSmsBackend"
)
# The right-hand side of every message's Message-ID (<skinterval.outbox.ID@...>).
SKINTERVAL_MESSAGE_ID_DOMAIN = env_str(
    "SKINTERVAL_MESSAGE_ID_DOMAIN",
    SKINTERVAL_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0],
)
# For skinterval.reminders.mail.JsonLinesEmailBackend (tests, benchmark).
SKINTERVAL_EMAIL_FILE = env_str("SKINTERVAL_EMAIL_FILE", str(VAR_DIR / "email.jsonl"))
