"""Helpers for the end-to-end tests: Chromium, screenshots and axe-core checks.

Chromium is Debian's (`/usr/bin/chromium`, installed by scripts/ensure_chromium.sh);
Playwright never downloads a browser here. axe-core comes from node_modules/ at the
version pinned in package-lock.json and is injected from disk, with no network.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page

from skinterval.accounts.two_factor import needs_second_factor, usable_code
from skinterval.testing import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = Path(settings.VAR_DIR) / "screenshots"
# Screenshots are copied here (committed) for docs/screens.md, since var/ is ignored.
DOCS_SCREENS_DIR = Path(settings.BASE_DIR) / "docs" / "screens"
SCREENS_MD = DOCS_SCREENS_DIR.parent / "screens.md"
VIEWPORT = {"width": 1280, "height": 800}
BLOCKING_IMPACTS = ("serious", "critical")

_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# A Monday morning in January: tests that set the clock to it get screenshots
# whose dates never change.
MONDAY = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def e2e_required() -> bool:
    """Under CI the end-to-end tests must run: a missing browser fails them."""
    return os.environ.get("CI", "").lower() == "true"


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the real login form and wait for the page it leads to.

    Staff then pass the two-factor page with the code their authenticator app
    would show (the login gets a confirmed device with the tests' key first, if
    it has none; a seeded demo login keeps its own)."""
    device = _authenticator_of(username)
    page.goto(reverse("accounts:login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if device is None:
        return
    verify = reverse("accounts:otp_verify")
    page.wait_for_url(lambda url: verify in url)
    device.refresh_from_db()
    page.get_by_label(OTP_CODE_LABEL).fill(usable_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: verify not in url)
    page.wait_for_load_state()


OTP_CODE_LABEL = "6-digit code from your authenticator app"


def _authenticator_of(username: str) -> Any:
    from django.contrib.auth import get_user_model

    from skinterval.testing import totp_device_for

    user = get_user_model().objects.filter(username=username).first()
    if user is None or not needs_second_factor(user):
        return None
    return totp_device_for(user)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as var/screenshots/<name>.png and docs/screens/<name>.png.

    The docs copy is rewritten only when its bytes change, so a re-run that renders
    the same pixels leaves the working tree clean; docs/screens.md must show it.
    """
    if not _NAME.fullmatch(name):
        raise ValueError(f"Screenshot names are lowercase words with dashes: {name!r}")
    if f"](screens/{name}.png)" not in SCREENS_MD.read_text(encoding="utf-8"):
        raise AssertionError(
            f"docs/screens.md does not show screens/{name}.png: add it with a caption"
        )
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    DOCS_SCREENS_DIR.mkdir(parents=True, exist_ok=True)
    docs_copy = DOCS_SCREENS_DIR / path.name
    if not docs_copy.exists() or docs_copy.read_bytes() != path.read_bytes():
        shutil.copyfile(path, docs_copy)
    return path


def axe(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now and return its violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's
        # Content-Security-Policy does not govern: an inline <script> added to
        # the page would be refused, and the pages are tested under their policy.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const results = await window.axe.run(document, {
                resultTypes: ["violations"],
            });
            return results.violations;
        }"""
    )
    return violations


def console_problem(kind: str, text: str) -> str | None:
    """What a browser console message says is wrong with the page, or None.

    Any message about the Content-Security-Policy fails a test whatever its level
    ("Refused to apply inline style …", "Loading the font … violates the following
    Content Security Policy directive …"): the pages run under their real policy,
    so whatever it blocked is broken for users too. A failed load is reported
    with its address by the response listener instead."""
    if "Content Security Policy" in text or text.startswith("Refused to"):
        return f"CSP violation: {text}"
    if kind == "error" and not text.startswith("Failed to load resource"):
        return f"console: {text}"
    return None


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:200]}")
            summary = node.get("failureSummary") or ""
            for detail in summary.splitlines():
                lines.append(f"       {detail.strip()}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail on any serious or critical axe-core violation, listing each one."""
    blocking = [v for v in axe(page) if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        raise AssertionError(
            f"{len(blocking)} serious or critical accessibility violation(s) on "
            f"{page.url}:\n{format_violations(blocking)}"
        )
