"""Read the forms of a rendered page as a browser would: each form's action,
method and fields, and the values a person submitting it unchanged would send.

The bad-input tests post what the page itself offers, so a field added to a form
is fuzzed without anyone listing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

# Input types a person types into (their value is theirs, and must survive an error).
TYPED = {"text", "search", "email", "tel", "url", "password", "textarea"}


@dataclass
class Field:
    name: str
    kind: str  # text/email/…/textarea, number, date, time, hidden, select, radio, …
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)

    @property
    def typed(self) -> bool:
        """A value the person types (not picked from what the page offers)."""
        return self.kind in TYPED or self.kind in {"number", "date", "time"}


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: list[Field] = field(default_factory=list)

    def named(self, name: str) -> list[Field]:
        return [f for f in self.fields if f.name == name]

    def names(self) -> set[str]:
        return {f.name for f in self.fields}

    def baseline(self, tick: bool = True) -> dict[str, Any]:
        """What the unchanged form sends: its values, the first choice of every
        radio group and select without one, every checkbox ticked (so that
        "I agree" boxes are agreed) unless `tick` is false, and no submit button
        (added by the caller)."""
        data: dict[str, Any] = {}
        for f in self.fields:
            if f.kind in {"submit", "file"} or f.name == "csrfmiddlewaretoken":
                continue
            if f.kind == "checkbox":
                if not (tick or f.checked):
                    continue
                data.setdefault(f.name, [])
                data[f.name].append(f.value or "on")
            elif f.kind == "radio":
                if f.checked or f.name not in data:
                    data[f.name] = f.value
            elif f.kind == "select":
                data[f.name] = f.value or next((o for o in f.options if o), "")
            else:
                data[f.name] = f.value
        return {
            k: (v[0] if isinstance(v, list) and len(v) == 1 else v)
            for k, v in data.items()
        }


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: str | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = Form(
                action=a.get("action", ""),
                method=a.get("method", "get").lower(),
                enctype=a.get("enctype", ""),
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or "name" not in a:
            if tag == "option" and self._select is not None:
                self._option_start(a)
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in {"button", "image", "reset"}:
                kind = "submit"
            form.fields.append(
                Field(a["name"], kind, a.get("value", ""), "checked" in a)
            )
        elif tag == "button":
            form.fields.append(Field(a["name"], "submit", a.get("value", "")))
        elif tag == "select":
            self._select = Field(a["name"], "select")
            form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea")
            form.fields.append(self._textarea)

    def _option_start(self, a: dict[str, str]) -> None:
        assert self._select is not None
        value = a.get("value", "")
        self._select.options.append(value)
        if "selected" in a:
            self._select.value = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            # Django renders a newline right after <textarea>, which browsers drop.
            text = self._textarea.value + data
            self._textarea.value = text[1:] if text.startswith("\n") else text


def forms_of(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.forms
