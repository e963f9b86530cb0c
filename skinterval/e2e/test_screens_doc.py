"""docs/screens.md shows every screenshot the end-to-end tests copy to docs/screens/."""

from __future__ import annotations

import re

import pytest

from skinterval.e2e.browser import DOCS_SCREENS_DIR, SCREENS_MD

pytestmark = pytest.mark.e2e


def test_every_screenshot_is_shown_and_every_image_exists():
    shown = set(re.findall(r"\]\(screens/([a-z0-9-]+\.png)\)", SCREENS_MD.read_text()))
    on_disk = {p.name for p in DOCS_SCREENS_DIR.glob("*.png")}
    assert shown, "docs/screens.md shows no screenshot"
    assert on_disk - shown == set(), "screenshots missing from docs/screens.md"
    assert shown - on_disk == set(), "docs/screens.md shows images that do not exist"
