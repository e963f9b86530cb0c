"""matplotlib's SVG documents as elements of an HTML page, for every chart we draw.

Several charts share a page, so their ids are prefixed with a key; matplotlib's
one style rule starts with `*`, which would reach every SVG of the page, so it is
scoped to the chart's class; the size is left to CSS; and the element gets
`role="img"` with a title and a description for screen readers.
"""

from __future__ import annotations

import re

from django.utils.html import escape

_ID = re.compile(r'\bid="([^"]+)"')
_URL_REF = re.compile(r"url\(#([^)]+)\)")
_HREF = re.compile(r'xlink:href="#([^"]+)"')
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_STYLE_ALL = re.compile(r"(<style[^>]*>)\s*\*\s*\{")
_ROOT = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\s(width|height)="[^"]*"')


def embed_svg(
    svg: str, *, key: str, title: str, description: str, css_class: str
) -> str:
    """The `<svg>` element of a matplotlib SVG document, ready for a page (module
    doc). matplotlib escapes the text it writes; title and description are
    escaped here."""
    svg = svg[svg.index("<svg") :]
    svg = _METADATA.sub("", svg)
    svg = _STYLE_ALL.sub(lambda m: m.group(1) + f"svg.{css_class} *{{", svg)
    svg = _ID.sub(lambda m: f'id="{key}-{m.group(1)}"', svg)
    svg = _URL_REF.sub(lambda m: f"url(#{key}-{m.group(1)})", svg)
    svg = _HREF.sub(lambda m: f'xlink:href="#{key}-{m.group(1)}"', svg)
    root = _ROOT.search(svg)
    if root is None:  # pragma: no cover - matplotlib always writes one
        raise ValueError("no <svg> element")
    opening = _SIZE.sub("", root.group(0))[:-1] + (
        f' class="{css_class}" role="img" focusable="false"'
        f' aria-labelledby="{key}-title {key}-desc">'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(description)}</desc>'
    )
    return svg[: root.start()] + opening + svg[root.end() :]
