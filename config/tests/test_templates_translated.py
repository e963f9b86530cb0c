"""Every word a user reads in a template is marked for translation.

Reads each template with Django's own lexer and looks at the plain text between
tags (outside `{% translate %}` / `{% blocktranslate %}`, scripts and styles) and
at the attributes people read (`aria-label`, `title`, `alt`, `placeholder`,
`label`). Any word there is text that `makemessages` would never see.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

TEMPLATES = Path(__file__).resolve().parents[2] / "skinterval" / "templates"
READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "label"}
# The product's name and units are the same in every language.
NOT_TRANSLATED = {"Skinterval", "mm"}
WORD = re.compile(r"[^\W\d_]{2,}")
BLOCK_START = ("blocktranslate", "blocktrans")
BLOCK_END = ("endblocktranslate", "endblocktrans")


class _Reader(HTMLParser):
    """Collects text and read attributes, skipping scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.in_code += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._check(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.in_code = max(0, self.in_code - 1)

    def handle_data(self, data: str) -> None:
        if not self.in_code:
            self._check(data)

    def _check(self, text: str) -> None:
        words = [w for w in WORD.findall(text) if w not in NOT_TRANSLATED]
        if words:
            self.found.append(" ".join(text.split()))


def untranslated(source: str) -> list[str]:
    """The pieces of user-visible text in `source` that are not marked.

    The template is reduced to its HTML: variables and tags become nothing, and
    what `{% blocktranslate %}` and `{% comment %}` enclose is dropped. Then an
    HTML parser reads the text and attributes a user sees."""
    html: list[str] = []
    in_block = in_comment = False
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            word = token.contents.split()[0]
            in_block = word in BLOCK_START or (in_block and word not in BLOCK_END)
            in_comment = word == "comment" or (in_comment and word != "endcomment")
        elif token.token_type == TokenType.TEXT and not (in_block or in_comment):
            html.append(token.contents)
    reader = _Reader()
    reader.feed("".join(html))
    reader.close()
    return reader.found


def test_the_checker_finds_unmarked_text():
    assert untranslated("<p>Hello {% translate 'there' %}</p>") == ["Hello"]
    assert untranslated('<button aria-label="Close">×</button>') == ["Close"]
    assert untranslated("{% blocktranslate %}Hi {{ n }}{% endblocktranslate %}") == []
    assert untranslated("<script>const a = 'code';</script>") == []
    assert untranslated('<a href="{% url "x" %}" class="button">{{ n }}</a>') == []


def test_every_template_marks_its_text_for_translation():
    problems = {
        str(path.relative_to(TEMPLATES)): found
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (found := untranslated(path.read_text(encoding="utf-8")))
    }
    assert not problems, f"Text not marked for translation: {problems}"
