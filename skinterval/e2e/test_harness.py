"""The end-to-end helpers themselves: the accessibility check can fail, and the
vendor files are served from node_modules through staticfiles."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from playwright.sync_api import expect

from skinterval.e2e.browser import assert_accessible, axe, log_in

pytestmark = pytest.mark.e2e

BAD_PAGE = """<!doctype html><html lang="en"><head><title>Bad</title></head><body>
<main><h1>Bad</h1>
<p style="color:#bbb;background:#fff">Grey on white is hard to read.</p>
<form><input type="text" name="q"></form></main></body></html>"""


def test_the_accessibility_check_fails_on_serious_violations(browser):
    page = browser.new_page()
    try:
        page.set_content(BAD_PAGE)
        found = {v["id"]: v["impact"] for v in axe(page)}
        assert found.get("color-contrast") == "serious"
        assert found.get("label") == "critical"
        with pytest.raises(AssertionError) as failure:
            assert_accessible(page)
    finally:
        page.close()
    message = str(failure.value)
    assert "2 serious or critical accessibility violation(s)" in message
    assert "[serious] color-contrast" in message
    assert "[critical] label" in message
    assert 'input[type="text"]' in message or "input" in message


@pytest.mark.parametrize(
    "path", ["vendor/htmx/htmx.min.js", "vendor/fullcalendar/index.global.min.js"]
)
def test_vendor_files_are_served_by_staticfiles(live_server, browser, path):
    assert static(path) == f"{settings.STATIC_URL}{path}"
    page = browser.new_page()
    try:
        response = page.goto(f"{live_server.url}{static(path)}")
        assert response is not None
        assert response.status == 200
        assert "javascript" in response.headers["content-type"]
    finally:
        page.close()


@pytest.mark.django_db(transaction=True)
def test_htmx_posts_carry_the_csrf_token_from_the_body(page, world_a):
    """base.html sets hx-headers on <body>: an hx-post anywhere passes Django's
    CSRF check (here: logging out, which only accepts a POST)."""
    log_in(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic A")
    page.evaluate(
        """url => {
            const button = document.createElement("button");
            button.textContent = "htmx log out";
            button.setAttribute("hx-post", url);
            button.setAttribute("hx-swap", "none");
            document.querySelector("main").append(button);
            htmx.process(button);
        }""",
        reverse("accounts:logout"),
    )
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="htmx log out").click()
    # Without the token Django answers 403; logging out redirects to the login page.
    assert posted.value.status == 302

    page.goto(reverse("clinics:overview"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
