"""Fixtures for the end-to-end tests: the live Django server and a headless Chromium.

pytest-django's `live_server` serves the test database (SQLite in memory is shared
with its thread) and the static files through the staticfiles finders, so htmx and
the other vendor files load as in production. Playwright's synchronous API keeps an
asyncio loop running in the test thread while the browser is open, which Django's
async-safety check would take for an async context; DJANGO_ALLOW_ASYNC_UNSAFE is set
only while this package's browser is open.

Pages run under the real Content-Security-Policy: any violation the browser
reports fails the test like a console error (browser.console_problem).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skinterval.e2e.browser import (
    AXE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    console_problem,
    e2e_required,
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Every test here is an end-to-end test: `-m "not e2e"` must leave them all out."""
    for item in items:
        if HERE in item.path.resolve().parents and "e2e" not in item.keywords:
            raise pytest.UsageError(f"{item.nodeid} must be marked e2e")


def _unavailable(reason: str) -> None:
    if e2e_required():
        pytest.fail(f"{reason} (CI=true: the end-to-end tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(
            f"Chromium is not installed at {CHROMIUM}: run scripts/ensure_chromium.sh"
        )
    if not AXE_JS.exists():
        _unavailable(f"axe-core is missing at {AXE_JS}: run make install")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[Any]:
    """A fresh browser context (no cookies) on the live server, per test."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORT,
        locale="en-GB",
        timezone_id="Europe/London",
        reduced_motion="reduce",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("console", lambda msg: _console_error(errors, msg))
    page.on("response", lambda response: _broken_resource(errors, response))
    yield page
    context.close()
    assert not errors, "The browser reported errors:\n" + "\n".join(errors)


def _console_error(errors: list[str], msg: Any) -> None:
    """Console errors, and every Content-Security-Policy violation, fail the test
    (browser.console_problem)."""
    problem = console_problem(msg.type, msg.text)
    if problem is not None:
        errors.append(problem)


def _broken_resource(errors: list[str], response: Any) -> None:
    """A page's own status is the test's business, and so is a refusal a script
    asked for and explains (a 409 for a taken time); a broken script, style sheet
    or icon, or any server error, is always a defect."""
    kind = response.request.resource_type
    if response.status >= 500 or (
        response.status >= 400 and kind not in ("document", "fetch", "xhr")
    ):
        errors.append(f"{response.status} for {response.url}")


@pytest.fixture
def clinic_a(world_a):
    """Clinic A ready for micro-needling: fixed chart numbers (so screenshots do not
    depend on test order), Alice working Monday to Friday, and the service."""
    from skinterval import testing as t
    from skinterval.appointments.models import ServiceKind, ServiceType
    from skinterval.clinics.models import QualificationKind

    for n, patient in enumerate((world_a.patient, world_a.other_patient), start=1):
        patient.chart_number = f"A-{n:04d}"
        patient.save(update_fields=["chart_number"])
    for weekday in range(1, 5):
        t.make_working_interval(world_a.practitioner, world_a.location, weekday=weekday)
    world_a.service = ServiceType.objects.create(
        clinic=world_a.clinic,
        kind=ServiceKind.MICRONEEDLING,
        name="Micro-needling",
        duration_min=60,
        buffer_after_min=15,
        needs_device=True,
        required_qualification=QualificationKind.MICRONEEDLING,
    )
    return world_a
