"""Charts embedded in pages carry no inline CSS, which the Content-Security-Policy
refuses (docs/decisions/0018): matplotlib's styles become SVG presentation
attributes with the same values."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import matplotlib
import pytest
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from skinterval.outcomes.svg import embed_svg

SVG = "{http://www.w3.org/2000/svg}"


def matplotlib_svg() -> str:
    """Lines (solid, dashed, semi-transparent), markers, text and a filled area:
    every kind of style the charts use."""
    figure = Figure(figsize=(4, 2))
    FigureCanvasSVG(figure)
    axes = figure.subplots()
    axes.plot([0, 1, 2], [3, 1, 2], marker="o", color="#1d4ed8")
    axes.axvline(1, linestyle="--", color="#4b5563", alpha=0.5)
    axes.fill_between([0, 2], [0, 0], [1, 1], color="#e5e7eb")
    axes.set_title("Scores & visits")
    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as text, as drawn
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def test_an_embedded_chart_has_no_style_attribute_or_element():
    raw = matplotlib_svg()
    # What there is to rewrite.
    assert 'style="' in raw
    assert "<style" in raw

    root = ET.fromstring(  # noqa: S314 - our own output
        embed_svg(raw, key="c1", title="T", description="D", css_class="score-chart")
    )

    elements = list(root.iter())
    assert [e.tag for e in elements if e.tag == f"{SVG}style"] == []
    assert [e.tag for e in elements if "style" in e.attrib] == []
    # matplotlib's `*{stroke-linejoin: round; stroke-linecap: butt}`, inherited.
    assert root.get("stroke-linejoin") == "round"
    assert root.get("stroke-linecap") == "butt"
    # The values moved, unchanged: the blue line, the dashed grey one, the text.
    assert any(e.get("stroke") == "#1d4ed8" for e in elements)
    dashed = next(e for e in elements if e.get("stroke") == "#4b5563")
    assert dashed.get("stroke-dasharray") == "5.55,2.4"
    assert dashed.get("stroke-opacity") == "0.5"
    title = next(e for e in elements if (e.text or "").strip() == "Scores & visits")
    assert title.get("font-size") == "12px"
    assert "DejaVu Sans" in (title.get("font-family") or "")
    assert title.get("text-anchor") == "middle"


def test_a_style_with_no_attribute_form_is_an_error_not_a_silent_change():
    raw = matplotlib_svg().replace('style="', 'style="mix-blend-mode: multiply; ', 1)
    with pytest.raises(ValueError, match="mix-blend-mode"):
        embed_svg(raw, key="c1", title="T", description="D", css_class="score-chart")
