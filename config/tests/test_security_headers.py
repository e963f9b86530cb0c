"""HTTPS, browser security headers, cookies and the Content-Security-Policy.

The production settings come from the environment, so they are read by running
`config.settings` in a child process with a production environment (as
docs/deploy.md sets it); the pages' real responses are then checked in this
process with exactly those values. `manage.py check --deploy` runs as operators
run it. See docs/decisions/0018-content-security-policy.md and docs/deploy.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from skinterval.testing import PASSWORD

BASE_DIR = Path(django_settings.BASE_DIR)
HOST = "clinic.example"
ONE_YEAR = 365 * 24 * 3600
FROM_PROXY = {"HTTP_X_FORWARDED_PROTO": "https"}

# What a production deployment sets (docs/deploy.md); nothing else is inherited.
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": HOST,
    "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
    "SKINTERVAL_BASE_URL": f"https://{HOST}",
}
SECURITY_SETTINGS = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
]
DUMP_SETTINGS = (
    "import json, sys, django; django.setup(); from django.conf import settings; "
    "print(json.dumps({n: getattr(settings, n) for n in sys.argv[1:]}))"
)


def run_with(
    env: dict[str, str], *args: str, tmp: Path
) -> subprocess.CompletedProcess[str]:
    """A child Python in the checkout with the real settings module and only
    `env` (plus PATH and an empty data folder), as a server would start."""
    full_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SKINTERVAL_VAR_DIR": str(tmp / "var"),
        **env,
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def settings_under(env: dict[str, str], tmp: Path) -> dict[str, Any]:
    done = run_with(env, "-c", DUMP_SETTINGS, *SECURITY_SETTINGS, tmp=tmp)
    assert done.returncode == 0, done.stderr
    values: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return values


@pytest.fixture(scope="module")
def production_values(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return settings_under(PRODUCTION_ENV, tmp_path_factory.mktemp("production"))


@pytest.fixture
def production(settings: Any, production_values: dict[str, Any]) -> Client:
    """A client of this process with production's settings, for real requests
    to the production host name."""
    for name, value in production_values.items():
        setattr(settings, name, tuple(value) if isinstance(value, list) else value)
    settings.ALLOWED_HOSTS = [HOST]
    return Client(HTTP_HOST=HOST)


def test_production_settings_turn_on_https_hsts_and_secure_cookies(
    production_values,
):
    assert production_values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": ONE_YEAR,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
    }


def test_hsts_redirect_and_proxy_header_follow_the_environment(tmp_path):
    values = settings_under(
        {
            **PRODUCTION_ENV,
            "DJANGO_SECURE_HSTS_SECONDS": "600",
            "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "0",
            "DJANGO_SECURE_HSTS_PRELOAD": "1",
            "DJANGO_SECURE_SSL_REDIRECT": "off",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Scheme: https",
        },
        tmp_path,
    )
    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SCHEME", "https"]


def test_a_malformed_proxy_header_stops_start_up(tmp_path):
    done = run_with(
        {**PRODUCTION_ENV, "DJANGO_SECURE_PROXY_SSL_HEADER": "https"},
        "-c",
        DUMP_SETTINGS,
        tmp=tmp_path,
    )
    assert done.returncode != 0
    assert "DJANGO_SECURE_PROXY_SSL_HEADER" in done.stderr


def test_demo_mode_keeps_plain_http_on_localhost_working(tmp_path):
    """`make demo` serves http://127.0.0.1:8000: no redirect to HTTPS, no HSTS,
    and cookies a browser keeps over plain HTTP (else login would fail)."""
    values = settings_under({"SKINTERVAL_DEMO": "1"}, tmp_path)
    assert values["DEBUG"] is True
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False


@pytest.mark.django_db
def test_a_real_page_sends_every_security_header(production):
    response = production.get(reverse("accounts:login"), **FROM_PROXY)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == (
        f"max-age={ONE_YEAR}; includeSubDomains"
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    nonce = nonce_of(response)
    assert csp_directives(response) == {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": f"'self' 'nonce-{nonce}'",
        "img-src": "'self' data:",
        "font-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(production):
    response = production.get(reverse("accounts:login"))
    assert response.status_code == 301
    assert response["Location"] == f"https://{HOST}{reverse('accounts:login')}"
    assert "Strict-Transport-Security" not in response  # only sent over HTTPS


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_httponly_and_lax(production, pat):
    page = production.get(reverse("accounts:login"), **FROM_PROXY)
    assert_cookie_flags(page.cookies["csrftoken"])

    logged_in = production.post(
        reverse("accounts:login"),
        {"username": pat.username, "password": PASSWORD},
        **FROM_PROXY,
    )
    assert logged_in.status_code == 302
    assert_cookie_flags(logged_in.cookies["sessionid"])


@pytest.mark.django_db
def test_csp_nonce_is_new_for_every_response_and_on_every_script(client):
    """The nonce in the header is the one on the page's scripts, and a new one
    each time (a nonce an attacker could learn from one page would be useless
    as a barrier on the next)."""
    seen = []
    for _ in range(2):
        response = client.get(reverse("accounts:login"))
        nonce = nonce_of(response)
        scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
        assert scripts, "the page has no script to check"
        for tag in scripts:
            assert f'nonce="{nonce}"' in tag, tag
        seen.append(nonce)
    assert seen[0] != seen[1]
    assert all(len(n) >= 22 for n in seen)  # 16 random bytes, base64


def nonce_of(response: Any) -> str:
    match = re.search(r"'nonce-([A-Za-z0-9+/=]+)'", response["Content-Security-Policy"])
    assert match is not None, response["Content-Security-Policy"]
    return match.group(1)


def csp_directives(response: Any) -> dict[str, str]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def assert_cookie_flags(morsel: Any) -> None:
    assert morsel["secure"] is True
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"


# ------------------------------------------------------------- check --deploy


def _vendor_files_present() -> bool:
    present = all(Path(p).is_dir() for p in django_settings.VENDOR_STATIC.values())
    if not present and os.environ.get("CI", "").lower() == "true":
        pytest.fail("node_modules/ is missing: run make install")
    return present


def check_deploy(env: dict[str, str], tmp: Path) -> subprocess.CompletedProcess[str]:
    if not _vendor_files_present():
        pytest.skip("node_modules/ is missing (staticfiles.W004): run make install")
    return run_with(
        env, "manage.py", "check", "--deploy", "--fail-level", "WARNING", tmp=tmp
    )


def test_check_deploy_passes_with_the_production_environment(tmp_path):
    done = check_deploy(PRODUCTION_ENV, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize(
    ("change", "warning"),
    [
        ({"DJANGO_SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"DJANGO_SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"DJANGO_DEBUG": "1"}, "security.W018"),
    ],
)
def test_check_deploy_fails_when_a_protection_is_turned_off(tmp_path, change, warning):
    done = check_deploy({**PRODUCTION_ENV, **change}, tmp_path)
    assert done.returncode != 0
    assert warning in done.stderr
