"""matplotlib's SVG documents as elements of an HTML page, for every chart we draw.

Several charts share a page, so their ids are prefixed with a key; the size is
left to CSS; and the element gets `role="img"` with a title and a description
for screen readers.

The page's Content-Security-Policy refuses inline styles (docs/decisions/
0018-content-security-policy.md), and matplotlib writes every colour, line and
font as a `style="…"` attribute plus one `<style>*{…}</style>` rule. Each of
those properties is also an SVG presentation attribute, which the policy does
not govern, so the styles are rewritten as attributes: `style="fill: #fff;
stroke-width: 0.8"` becomes `fill="#fff" stroke-width="0.8"`, and the `*{…}` rule
becomes attributes of the root element, inherited by everything that does not
set its own (as the rule and the element's own style did before).
"""

from __future__ import annotations

import re

from django.utils.html import escape

_ID = re.compile(r'\bid="([^"]+)"')
_URL_REF = re.compile(r"url\(#([^)]+)\)")
_HREF = re.compile(r'xlink:href="#([^"]+)"')
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>\s*", re.DOTALL)
_UNIVERSAL_RULE = re.compile(r"\s*\*\s*\{([^}]*)\}\s*")
_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_ROOT = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\s(width|height)="[^"]*"')

# Every property matplotlib's SVG writer puts in a style; all are presentation
# attributes in SVG 1.1 and 2.
_PRESENTATION = frozenset(
    {
        "fill",
        "fill-opacity",
        "fill-rule",
        "opacity",
        "stroke",
        "stroke-opacity",
        "stroke-width",
        "stroke-linejoin",
        "stroke-linecap",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-miterlimit",
        "font-family",
        "font-size",
        "font-style",
        "font-variant",
        "font-weight",
        "font-stretch",
        "text-anchor",
        "stop-color",
        "stop-opacity",
        "clip-path",
    }
)


def _attributes(declarations: str) -> str:
    """`fill: #fff; stroke-width: 0.8` as ` fill="#fff" stroke-width="0.8"`.

    The text comes from a double-quoted attribute or a style element of
    matplotlib's XML, so it is already escaped for a double-quoted attribute.
    A property that has no attribute form is an error: dropping it would change
    the chart without anyone noticing.
    """
    parts = []
    for declaration in declarations.split(";"):
        name, sep, value = (p.strip() for p in declaration.partition(":"))
        if not name:
            continue
        if not sep or name not in _PRESENTATION or '"' in value:
            raise ValueError(f"no SVG presentation attribute for {declaration!r}")
        parts.append(f' {name}="{value}"')
    return "".join(parts)


def _root_defaults(svg: str) -> tuple[str, str]:
    """The document without its `<style>` elements, and their `*{…}` rules as
    root attributes; any other rule is an error (module doc)."""
    defaults = []
    for match in _STYLE_ELEMENT.finditer(svg):
        rule = _UNIVERSAL_RULE.fullmatch(match.group(1))
        if rule is None:
            raise ValueError(f"unexpected style rule in a chart: {match.group(1)!r}")
        defaults.append(_attributes(rule.group(1)))
    return _STYLE_ELEMENT.sub("", svg), "".join(defaults)


def embed_svg(
    svg: str, *, key: str, title: str, description: str, css_class: str
) -> str:
    """The `<svg>` element of a matplotlib SVG document, ready for a page (module
    doc). matplotlib escapes the text it writes; title and description are
    escaped here."""
    svg = svg[svg.index("<svg") :]
    svg = _METADATA.sub("", svg)
    svg, defaults = _root_defaults(svg)
    svg = _STYLE_ATTR.sub(lambda m: _attributes(m.group(1)), svg)
    svg = _ID.sub(lambda m: f'id="{key}-{m.group(1)}"', svg)
    svg = _URL_REF.sub(lambda m: f"url(#{key}-{m.group(1)})", svg)
    svg = _HREF.sub(lambda m: f'xlink:href="#{key}-{m.group(1)}"', svg)
    root = _ROOT.search(svg)
    if root is None:  # pragma: no cover - matplotlib always writes one
        raise ValueError("no <svg> element")
    opening = _SIZE.sub("", root.group(0))[:-1] + (
        f'{defaults} class="{css_class}" role="img" focusable="false"'
        f' aria-labelledby="{key}-title {key}-desc">'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(description)}</desc>'
    )
    return svg[: root.start()] + opening + svg[root.end() :]
