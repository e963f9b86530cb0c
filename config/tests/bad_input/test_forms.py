"""Bad input in every HTML form: missing fields, wrong types, far dates, huge
numbers, over-long text, NUL, odd Unicode and markup.

For each view in `scenarios.POST_VIEWS` the test reads the form from its page
as a browser would, then sends it once per bad value (one field changed at a
time; each send is rolled back, so every one starts from the same state) and
checks what a person relies on:

- never a server error;
- nothing a browser would run: the raw markup never appears on the answer or on
  any page showing what was stored;
- a refused value is shown back in the form with a message (nothing typed is
  lost), and an accepted one is shown, escaped, where the form's data is shown;
- no NUL character reaches the database (PostgreSQL cannot store one).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.apps import apps
from django.core.cache import cache
from django.db import models, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.html import escape

from config.tests.bad_input import payloads as p
from config.tests.bad_input.html_forms import Field, Form, forms_of
from config.tests.bad_input.scenarios import GET_ONLY, MONDAY, POST_VIEWS, Target


@pytest.fixture(autouse=True)
def _frozen_monday():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture(autouse=True)
def _photo_dir(settings, tmp_path):
    settings.SKINTERVAL_PHOTO_DIR = tmp_path / "photos"


# ------------------------------------------------------------------ the list


def _url_names(resolver: URLResolver, namespace: str = "") -> dict[str, Any]:
    names: dict[str, Any] = {}
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in {"admin", "api"}:  # api: test_api.py here
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names.update(_url_names(entry, inner))
        elif isinstance(entry, URLPattern) and entry.name:
            names[f"{namespace}{entry.name}"] = entry.callback
    return names


def test_every_form_view_is_listed():
    names = _url_names(get_resolver())
    listed = {key.split("/")[0] for key in POST_VIEWS} | GET_ONLY
    missing = sorted(set(names) - listed)
    assert not missing, (
        f"URL patterns in neither POST_VIEWS nor GET_ONLY: {missing}. A view that "
        "takes a form needs a row in config/tests/bad_input/scenarios.py."
    )


def test_views_listed_as_get_only_take_no_post():
    """A view reading `request.POST` (or decorated to take POST) is a form view."""
    names = _url_names(get_resolver())
    posting = []
    for name in sorted(GET_ONLY & set(names)):
        source = inspect.getsource(inspect.unwrap(names[name]))
        if "POST" in source:
            posting.append(name)
    assert not posting, f"These read POST data; list them in POST_VIEWS: {posting}"


# ------------------------------------------------------------------ the checks


@dataclass(frozen=True)
class Mutation:
    label: str
    data: dict[str, Any]
    field: Field | None = None  # the changed field (None: the whole form)
    value: str = ""
    kind: str = ""  # the payload's name
    raw_body: str | None = None


def _values_for(f: Field) -> dict[str, str]:
    if f.kind == "number":
        return p.NUMBER
    if f.kind == "date":
        return p.DATE
    if f.kind == "time":
        return p.TIME
    if f.typed:
        return p.TEXT
    return _hidden_values(f.value)


def _hidden_values(value: str) -> dict[str, str]:
    """A hidden field gets the wrong values for what it holds: an id gets huge
    and non-ASCII digits, an instant a far one; every field letters, NUL and
    markup."""
    wanted = {"letters", "nul", "markup"}
    if value.isascii() and value.isdigit():
        wanted |= {"huge", "superscript-digit"}
    try:
        datetime.fromisoformat(value)
    except ValueError:
        pass
    else:
        wanted.add("far-instant")
    return {k: v for k, v in p.CHOICE.items() if k in wanted}


def _grouped(f: Field) -> bool:
    """Choices Django's forms check themselves (selects, radios, checkboxes,
    formset counts) get each bad value all at once; hidden fields a view may
    read by hand, and everything typed, one field at a time."""
    if f.kind in {"select", "radio", "checkbox"}:
        return True
    return f.name.endswith(
        ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
    )


def _mutations(target: Target, form: Form | None) -> Iterator[Mutation]:
    if form is None:
        base = dict(target.fields or {})
        fields = [Field(name, "hidden", str(value)) for name, value in base.items()]
    else:
        base = {**form.baseline(target.tick), **target.fill}
        fields = [f for f in form.fields if f.kind not in {"submit", "file"}]
        fields = [f for f in fields if f.name != "csrfmiddlewaretoken"]
        # Values the page sends another way (a button's value, a link's query).
        extra = {**_submit(form), **target.fill}
        fields += [Field(k, "hidden", str(v)) for k, v in extra.items()]
    submit = _submit(form)
    yield Mutation("nothing sent", dict(submit))
    yield Mutation("unknown fields", {**base, **submit, "zz": p.MARKUP})
    one_each: dict[str, Field] = {}
    grouped: dict[str, Field] = {}
    for f in fields:
        (grouped if _grouped(f) else one_each).setdefault(f.name, f)
    if grouped:
        for kind, value in p.GROUPED_CHOICE.items():
            changed = dict.fromkeys(grouped, value)
            yield Mutation(
                f"every choice={kind}", {**base, **submit, **changed}, kind=kind
            )
    for f in one_each.values():
        for kind, value in _values_for(f).items():
            yield Mutation(
                f"{f.name}={kind}",
                {**base, **submit, f.name: value},
                field=f,
                value=value,
                kind=kind,
            )
    typed = [f for f in one_each.values() if f.typed]
    if typed:
        # Bytes that are not UTF-8 (an encoded lone surrogate): replaced, not a crash.
        body = urlencode({**base, **submit}, doseq=True)
        for f in typed:
            body += "&" + urlencode({f.name: ""}) + "%ED%A0%80%FF"
        yield Mutation("not UTF-8", {}, raw_body=body)


def _submit(form: Form | None) -> dict[str, str]:
    """The first named submit button, as a browser sends the one clicked."""
    if form is None:
        return {}
    for f in form.fields:
        if f.kind == "submit":
            return {f.name: f.value}
    return {}


def _find_form(target: Target, html: str, page: str) -> Form:
    forms = [
        f
        for f in forms_of(html)
        if f.method == target.method
        and (f.action in {"", page, target.action} or f.action.startswith("?"))
    ]
    if target.pick is not None:
        forms = [f for f in forms if target.pick(f)]
    assert forms, f"no form posting to {target.action} on {page}"
    return forms[0]


def _text_columns() -> list[tuple[Any, list[str]]]:
    columns = []
    for model in apps.get_models():
        texts = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        if texts and not model._meta.proxy:
            columns.append((model, texts))
    return columns


def _nul_rows() -> list[str]:
    """The models with a stored text value holding a NUL (JSON holds it as the
    escape \\u0000, which PostgreSQL's jsonb refuses too). Read in Python: the
    test database is small, and SQLite's LIKE stops at a NUL."""
    found = []
    for model, texts in _text_columns():
        for row in model._base_manager.values_list(*texts):
            text = json.dumps(row, default=str)  # NUL becomes \\u0000
            if "\\u0000" in text:
                found.append(model._meta.label)
                break
    return found


def _shown(value: str, body: str) -> bool:
    """Whether `value` appears escaped in `body` (a date typed as year 1 may come
    back as "1-01-01", which is still that date)."""
    candidates: set[str] = {escape(value), escape(value.strip())}
    if value == "0001-01-01":
        candidates.add("1-01-01")
    return any(c in body for c in candidates)


def _is_html(response: Any) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


class Run:
    """Sends the mutations of one scenario and collects every problem found."""

    def __init__(self, key: str, target: Target, client: Client, clients: Any):
        self.key = key
        self.target = target
        self.client = client
        self.clients = clients
        self.problems: list[str] = []

    def fail(self, mutation: Mutation, message: str) -> None:
        self.problems.append(f"{self.key} [{mutation.label}]: {message}")

    def send(self, mutation: Mutation) -> Any:
        target = self.target
        if mutation.raw_body is not None:
            return self.client.generic(
                "POST" if target.method == "post" else "GET",
                target.action,
                mutation.raw_body,
                content_type="application/x-www-form-urlencoded",
            )
        if target.method == "get":
            return self.client.get(target.action, mutation.data)
        data = dict(mutation.data)
        for name, make in target.files.items():
            data.setdefault(name, make())
        return self.client.post(target.action, data)

    def check(self, mutation: Mutation) -> None:
        cache.clear()  # rate limits: every send is a first try
        if self.target.prepare is not None:
            self.target.prepare(self.client)
        try:
            response = self.send(mutation)
        except Exception as exc:  # a server error, raised by the test client
            self.fail(mutation, f"server error {type(exc).__name__}: {exc}"[:300])
            return
        if response.status_code >= 500:
            self.fail(mutation, f"status {response.status_code}")
            return
        landing = response
        redirected = response.status_code in (301, 302, 303)
        # The page after a redirect shows the flash message and what was stored:
        # read it when the value could show there (markup, or text to find).
        if redirected and response.get("Location") and self._worth_following(mutation):
            landing = self._follow(mutation, response["Location"])
            if landing is None:
                return
        pages = [("answer", landing)]
        self._no_markup(mutation, pages)
        self._nothing_lost(mutation, response, landing)
        if "\x00" in str(mutation.data) or mutation.kind == "nul":
            stored = _nul_rows()
            if stored:
                self.fail(mutation, f"NUL stored in {sorted(set(stored))}")

    def _worth_following(self, mutation: Mutation) -> bool:
        if mutation.raw_body is not None or "<" in str(mutation.data):
            return True
        return mutation.field is not None and mutation.field.name in self.target.stored

    def _follow(self, mutation: Mutation, location: str) -> Any:
        try:
            return self.client.get(location)
        except Exception as exc:
            self.fail(mutation, f"redirect target failed: {exc}"[:300])
            return None

    def _no_markup(self, mutation: Mutation, pages: list[tuple[str, Any]]) -> None:
        for name, response in pages:
            if not _is_html(response):
                continue
            body = response.content.decode(errors="replace")
            for raw in p.RAW_MARKUP:
                if raw in body:
                    self.fail(mutation, f"raw markup {raw!r} on {name}")

    def _nothing_lost(self, mutation: Mutation, response: Any, landing: Any) -> None:
        f = mutation.field
        if f is None or not f.typed:
            return
        if f.kind == "password":  # never shown back, by design
            return
        redirected = response.status_code in (301, 302, 303)
        refused = mutation.kind in p.MUST_REFUSE_TEXT or (
            f.kind in {"number", "date", "time"}
            and mutation.kind in {"letters", "superscript-digit", "no-such-time"}
        )
        if not redirected:
            if not _is_html(response):
                return
            body = response.content.decode(errors="replace")
            if not _shown(mutation.value, body):
                self.fail(mutation, "the form came back without the typed value")
            return
        if refused:
            self.fail(mutation, "a refused value was dropped (redirected away)")
            return
        if f.name in self.target.stored and mutation.kind in {"markup", "unicode"}:
            bodies = [landing.content.decode(errors="replace")]
            shows = self.target.shows()
            for persona, url in shows:
                page = self.clients(persona).get(url)
                self._no_markup(mutation, [(url, page)])
                bodies.append(page.content.decode(errors="replace"))
            if not any(_shown(mutation.value, body) for body in bodies):
                self.fail(mutation, "the accepted value is shown on no page")


def _client_factory(as_user: Any, users: dict[str, Any]) -> Any:
    made: dict[str, Client] = {}

    def client(persona: str) -> Client:
        if persona not in made:
            made[persona] = (
                Client() if persona == "anonymous" else as_user(users[persona])
            )
        return made[persona]

    return client


@pytest.mark.parametrize("key", sorted(POST_VIEWS))
def test_bad_input_in_every_form(key, world_a, pat, as_user):
    scenario = POST_VIEWS[key]
    users = {
        "alice": world_a.practitioner.user,
        "bob": world_a.front_desk.user,
        "olivia": world_a.owner.user,
        "pat": pat,
    }
    clients = _client_factory(as_user, users)
    target = scenario.build(world_a)
    # Logins first: a session made inside a rolled-back send would be lost.
    for persona in {scenario.persona, *(("alice", "bob") if target.stored else ())}:
        clients(persona)
    client = clients(scenario.persona)
    form = None
    if target.page is not None:
        cache.clear()
        if target.prepare is not None:
            with transaction.atomic():
                target.prepare(client)
                page = client.get(target.page)
                transaction.set_rollback(True)
        else:
            page = client.get(target.page)
        assert page.status_code == 200, f"{target.page}: {page.status_code}"
        form = _find_form(target, page.content.decode(), target.page)
        if form.action and not form.action.startswith("?"):
            assert resolve(form.action).url_name == resolve(target.action).url_name
    run = Run(key, target, client, clients)
    for mutation in _mutations(target, form):
        with transaction.atomic():
            run.check(mutation)
            transaction.set_rollback(True)
    assert not run.problems, "\n".join(run.problems)
