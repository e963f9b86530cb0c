"""Skinterval settings: one file, read from the environment (see docs/configuration.md).

Defaults are safe for production: DEBUG is off and SECRET_KEY is then required.
`make demo` sets SKINTERVAL_DEMO=1, which turns DEBUG on and allows the demo seed.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_proxy_ssl_header, env_str

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
    # Staff logins: a TOTP second factor and lockout after failed logins
    # (docs/decisions/0017-staff-two-factor-and-lockout.md).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
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
    # Behind our reverse proxies, REMOTE_ADDR becomes the visitor's address, for
    # the audit log, the lockout and the rate limits (docs/deploy.md).
    "skinterval.ops.client_address.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy with a per-request nonce (request.csp_nonce).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(); staff who have not passed their second factor
    # reach nothing but the login, two-factor and public pages.
    "django_otp.middleware.OTPMiddleware",
    "skinterval.accounts.middleware.StaffSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Who read or changed patient data, from where: docs/audit.md.
    "skinterval.audit.context.AuditTrailMiddleware",
    # Turns a locked-out login attempt into the lockout page (last, as axes asks).
    "axes.middleware.AxesMiddleware",
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
        # Django turns psycopg's prepared statements off; its own queries are
        # bound on the client and never prepared either way. Only the booking
        # fast path asks for a prepared statement (planned once per connection,
        # appointments/fastpath.py), and it needs this to be on. Behind a pooler
        # in transaction mode, PgBouncer needs `max_prepared_statements`.
        config.setdefault("OPTIONS", {})["prepare_threshold"] = 5
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
# axes refuses a locked-out username+address pair before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after failed logins (django-axes, docs/configuration.md). The lock is on
# the pair username + address: an attacker elsewhere cannot lock a user out of
# every place, and one address cannot guess at one login without limit.
AXES_FAILURE_LIMIT = env_int("SKINTERVAL_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(
    minutes=env_int("SKINTERVAL_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_CALLABLE = "skinterval.accounts.lockout.locked_out_response"
AXES_CLIENT_IP_CALLABLE = "skinterval.accounts.lockout.client_address"
# Successful logins are in the audit log already; no second, unbounded table.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no start-up banner in every command's output
# Whether a process seals its own audit events into the hash chain right after
# their commit. On PostgreSQL the sealer service does (`manage.py
# seal_audit_log`, docs/deploy.md), so that web workers do no seal work; SQLite
# runs one write at a time and seals in the committing thread (audit/sealing.py).
AUDIT_SEAL_AFTER_COMMIT = env_bool(
    "SKINTERVAL_AUDIT_SEAL_AFTER_COMMIT",
    DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
)
# How many reverse proxies of ours stand in front (nginx: 1). Each appends to
# X-Forwarded-For; the visitor is the entry the outermost one wrote.
SKINTERVAL_TRUSTED_PROXIES = env_int("SKINTERVAL_TRUSTED_PROXIES", 0, minimum=0)
# Second factor (django-otp): the name authenticator apps show for the entry.
OTP_TOTP_ISSUER = env_str("SKINTERVAL_TOTP_ISSUER", "Skinterval")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_TIMEOUT_S", 30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True  # the age above is an idle timeout
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# No script reads the CSRF cookie: htmx sends the token from hx-headers in
# base.html and the calendar from its form.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# HTTPS (docs/deploy.md). Off in debug and demo mode, which serve plain HTTP on
# 127.0.0.1. HSTS defaults to a year for this host and its subdomains; preloading
# is a commitment for the whole domain that only its owner can make, so it is off
# unless asked for (and Django's reminder about it, security.W021, is silenced).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int(
    "DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600, minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Behind a TLS-terminating proxy that sets it: "X-Forwarded-Proto: https".
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("DJANGO_SECURE_PROXY_SSL_HEADER")
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy (django-csp; docs/decisions/0018-content-security-policy.md):
# only this site's own files; inline <script>/<style> only with the request's nonce
# (FullCalendar's injected <style> takes it from the page's script tags); images
# and fonts also as data: URLs; no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        # FullCalendar's style sheet carries its arrow icons as a data: font.
        "font-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

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

# Request size limits. A form or JSON body (files aside) over 1 MiB, or a form
# with more than 1,000 fields or 10 files, is refused before any view reads it:
# 400 with the "request refused" page, 413 in the API's error format. The
# largest real body (a plan with every scar and procedure row) is a few KB, and
# photos have their own limit (photos/imaging.py MAX_BYTES), checked as they
# arrive. Files past FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    # No feed, unsubscribe or offer token from a logged request path.
    "filters": {"redact_tokens": {"()": "skinterval.ops.log_filters.RedactTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # axes logs every login with its (masked) name at INFO; the audit log has
    # them already, so only its warnings and errors.
    "loggers": {"axes": {"level": "WARNING"}},
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
