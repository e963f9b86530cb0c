"""The Content-Security-Policy in a real browser (docs/decisions/0018).

Every end-to-end test runs its pages under the policy and fails on any violation
the browser reports (conftest.py, browser.console_problem). This module proves
that the watch works, and covers the pages no other flow opens: the Django admin
and the API's documentation page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from skinterval.e2e.browser import VIEWPORT, console_problem, log_in

pytestmark = pytest.mark.e2e

INJECT = """() => {
    const script = document.createElement("script");
    script.textContent = "window.injectedRan = true;";
    document.body.append(script);
    const box = document.createElement("p");
    box.setAttribute("style", "color: red");
    document.body.append(box);
}"""


@pytest.mark.django_db(transaction=True)
def test_an_injected_inline_script_is_refused_and_fails_the_test(browser, live_server):
    """An inline script and style attribute that carry no nonce (what an XSS
    would inject) do not run, and the end-to-end harness turns the browser's
    report into a failure."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on(
            "console",
            lambda msg: problems.append(console_problem(msg.type, msg.text) or ""),
        )
        response = page.goto(reverse("accounts:login"))
        assert response is not None
        assert (
            "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
        )
        assert [p for p in problems if p] == []

        with page.expect_console_message(
            lambda msg: "Content Security Policy" in msg.text
        ):
            page.evaluate(INJECT)
        assert page.evaluate("() => window.injectedRan") is None
        page.wait_for_timeout(100)  # let the style refusal's message arrive too
    finally:
        context.close()
    refused = [p for p in problems if p.startswith("CSP violation: ")]
    assert any("script" in p for p in refused), problems
    assert any("style" in p for p in refused), problems


@pytest.mark.django_db(transaction=True)
def test_the_admin_works_under_the_policy(page, world_a):
    """The clinic owner's admin: index, a list, and an add form with Django's
    admin scripts (the page fixture fails the test on any CSP violation)."""
    log_in(page, "owner-a")
    response = page.goto(reverse("admin:index"))
    assert response is not None
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    page.goto(reverse("admin:clinics_room_changelist"))
    expect(page.get_by_role("link", name="A room")).to_be_visible()

    page.goto(reverse("admin:clinics_room_add"))
    expect(page.get_by_role("heading", name="Add room")).to_be_visible()
    # RelatedObjectLookups.js adds the "change/add another" links by script.
    page.get_by_label("Name:").fill("Second room")
    page.get_by_label("Location:").select_option(label=world_a.location.name)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("link", name="Second room", exact=True)).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_the_api_documentation_page_works_under_the_policy(page):
    """/api/docs: Swagger UI from ninja's own static files draws the operations."""
    response = page.goto("/api/docs")
    assert response is not None
    assert response.status == 200
    assert "content-security-policy" in response.headers
    expect(page.get_by_text("Skinterval API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
