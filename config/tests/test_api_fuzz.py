"""Schema fuzzing of the JSON API over real HTTP (schemathesis).

The real server (pytest-django's `live_server`) answers; schemathesis loads
`/api/openapi.json` from it and, for every operation, sends generated requests —
valid ones (with clinic A's real ids and with generated ids) and invalid ones — as
Alice (a token from `create_api_token`) and anonymously. Every answer must be no
server error, carry a documented status code and content type, and match the
documented schema. Runs in `make test`'s SQLite pass only (marker `fuzz`).
"""

from io import StringIO
from typing import Any
from uuid import UUID

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from config.api import api
from skinterval.testing import make_plan

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

MAX_EXAMPLES = 25  # per operation, per kind of run; deterministic (derandomize)
ANONYMOUS_EXAMPLES = 5

# Unknown query parameters are ignored, as HTTP APIs commonly do; do not count
# them as invalid requests that should have been refused.
CONFIG = schemathesis.Config.from_dict(
    {"generation": {"allow-extra-parameters": False}}
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _operation_keys() -> list[str]:
    return sorted(
        f"{method.upper()} {path}"
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    )


def _real_ids(world: Any) -> dict[str, Any]:
    """Clinic A's objects, so that valid requests also reach the happy paths."""
    plan = make_plan(world.patient, world.practitioner, approve=True)
    return {
        "patient_id": str(world.patient.pk),
        "plan_id": plan.pk,
        "practitioner_id": world.practitioner.pk,
        "plan_session_id": plan.sessions.get(number=1).pk,
    }


def _own_birth_date(world: Any):
    """Valid assessments for clinic A's patient carry the patient's birth date (the
    API refuses any other), so that generated assessments reach the engine."""

    def fix(case):
        body = case.body
        if isinstance(body, dict) and isinstance(body.get("patient"), dict):
            body["patient"]["birth_date"] = world.patient.born_on.isoformat()
        return case

    return fix


def _sent_as_valid(case: Any) -> bool:
    """Whether a negative case reaches the server as a valid request, so that
    accepting it is right. Its headers may be negated: the API's operations
    declare no header of their own, so that is the Authorization header, which
    the test replaces with a real token. Its query may be negated into values
    that are the same on the wire as valid ones (`[false]` for a boolean goes
    out as `to_review=false`). Anything else negated makes it a real negative."""
    negated = {
        location
        for location, info in case.meta.components.items()
        if info.mode is schemathesis.GenerationMode.NEGATIVE
    }
    if not negated <= {ParameterLocation.HEADER, ParameterLocation.QUERY}:
        return False
    params = {p.name: p for p in case.operation.query}
    query = case.query or {}
    if any(p.is_required and name not in query for name, p in params.items()):
        return False
    for name, value in query.items():
        sent = _on_the_wire(value)
        schema = params[name].definition["schema"] if name in params else None
        if schema is None or not sent or not all(_fits(v, schema) for v in sent):
            return False
    return True


def _on_the_wire(value: Any) -> list[str]:
    if isinstance(value, list):
        return [text for item in value for text in _on_the_wire(item)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return ["null" if value is None else str(value)]


# The words pydantic reads as a boolean.
_BOOLEAN_WORDS = {
    "true",
    "false",
    "1",
    "0",
    "yes",
    "no",
    "on",
    "off",
    "t",
    "f",
    "y",
    "n",
}


def _fits(text: str, schema: dict[str, Any]) -> bool:
    """Whether a query value as sent fits the parameter's schema, for the
    kinds of schema the API's query parameters use (anything else: no)."""
    if "anyOf" in schema:
        return any(_fits(text, branch) for branch in schema["anyOf"])
    kind = schema.get("type")
    if kind == "boolean":
        return text.lower() in _BOOLEAN_WORDS
    if kind == "integer":
        try:
            number = int(text)
        except ValueError:
            return False
        return schema.get("minimum", number) <= number <= schema.get("maximum", number)
    if kind == "string" and schema.get("format") == "uuid":
        try:
            UUID(text)
        except ValueError:
            return False
        return True
    return False


def _run(case_strategy, examples: int, check) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: keep it fast
        suppress_health_check=list(HealthCheck),
    )
    @given(case=case_strategy)
    def run(case):
        check(case)

    run()


@pytest.mark.parametrize("key", _operation_keys())
def test_operation_survives_fuzzing(key, live_server, world_a):
    out = StringIO()
    call_command("create_api_token", world_a.practitioner.user.username, stdout=out)
    auth = {"Authorization": f"Bearer {out.getvalue().strip()}"}
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/openapi.json", config=CONFIG
    )
    method, path = key.split(" ", 1)
    operation = schema[path][method]
    ids = _real_ids(world_a)
    fixed = {k: v for k, v in ids.items() if "{" + k + "}" in path}

    def call(headers: dict[str, str] | None, checks: list[Any]):
        def check(case) -> None:
            response = case.call(base_url=live_server.url, headers=headers)
            used = checks
            if headers is not None and _sent_as_valid(case):
                used = [c for c in checks if c is not negative_data_rejection]
            case.validate_response(response, checks=used, headers=headers)

        return check

    positive = schemathesis.GenerationMode.POSITIVE
    negative = schemathesis.GenerationMode.NEGATIVE
    # Valid requests with real ids, then with generated ids, then invalid ones.
    if fixed:
        strategy = operation.as_strategy(positive, path_parameters=fixed)
        if key == "POST /api/patients/{patient_id}/plans":
            strategy = strategy.map(_own_birth_date(world_a))
        _run(
            strategy,
            MAX_EXAMPLES,
            call(auth, [*CHECKS, ignored_auth]),
        )
    _run(operation.as_strategy(positive), MAX_EXAMPLES, call(auth, CHECKS))
    _run(
        operation.as_strategy(negative),
        MAX_EXAMPLES,
        call(auth, [*CHECKS, negative_data_rejection]),
    )
    # Anonymous: always 401, in the error format.
    _run(operation.as_strategy(positive), ANONYMOUS_EXAMPLES, call(None, CHECKS))
