"""The real `skinterval plan` command, run as a subprocess."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from skinterval.cli import build_parser, run_plan
from skinterval.domain.contracts import load_schema
from skinterval.domain.tests.factories import data

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skinterval.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_plan_from_stdin_prints_schema_valid_json_by_default():
    result = run("plan", stdin=json.dumps(data()))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    jsonschema.validate(out, load_schema("plan.schema.json"))
    assert out["decision"] == "proceed"
    assert result.stderr == ""


def test_output_is_byte_identical_and_sorted(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps(data(history={"herpes_simplex_history": True})))
    first, second = run("plan", str(path)), run("plan", str(path), "--format", "json")
    assert first.stdout == second.stdout
    assert (
        first.stdout
        == json.dumps(
            json.loads(first.stdout), sort_keys=True, indent=2, ensure_ascii=False
        )
        + "\n"
    )


def test_text_format_is_readable():
    result = run("plan", "-", "--format", "text", stdin=json.dumps(data()))
    assert result.returncode == 0
    assert result.stdout.startswith("Decision: PROCEED")
    assert "Schedule" in result.stdout
    assert "Sources" in result.stdout


def test_defer_and_decline_exit_zero():
    for parts, decision in (
        ({"exam": {"active_herpes": True}}, "defer"),
        (
            {
                "patient": {
                    "birth_date": "1990-01-01",
                    "fitzpatrick": 2,
                    "pregnant": True,
                }
            },
            "decline",
        ),
    ):
        result = run("plan", stdin=json.dumps(data(**parts)))
        assert result.returncode == 0
        assert json.loads(result.stdout)["decision"] == decision


def test_protocol_file_is_applied_and_cited(tmp_path):
    proto = tmp_path / "clinic.toml"
    proto.write_text(
        'name = "Clinic B"\ninterval_target_days = 42\ninterval_max_days = 56\n'
    )
    result = run("plan", "--protocol", str(proto), stdin=json.dumps(data()))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["interval_days"]["target"] == 42
    assert "Clinic B" in out["evidence"]["policy:interval_target_days"]["citation"]


def _mutate(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = raw
    for key in parents:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return raw


DELETE = object()

# (what is wrong, path to change, new value, expected line on stderr)
INVALID: list[tuple[str, str, Any, str]] = [
    (
        "unknown area",
        "scars.0.area",
        "cheek",
        "scars[0].area: 'cheek' is not one of forehead, temples, periorbital",
    ),
    (
        "unknown kind",
        "scars.0.kind",
        "pitted",
        "scars[0].kind: 'pitted' is not one of rolling",
    ),
    (
        "wrong type",
        "patient.fitzpatrick",
        "3",
        "patient.fitzpatrick: expected integer, got string '3'",
    ),
    (
        "bool for int",
        "patient.fitzpatrick",
        True,
        "patient.fitzpatrick: expected integer, got boolean true",
    ),
    (
        "out of range",
        "patient.fitzpatrick",
        7,
        "patient.fitzpatrick: 7 is above the maximum 6",
    ),
    ("grade range", "scars.0.grade", 0, "scars[0].grade: 0 is below the minimum 1"),
    (
        "bad date",
        "assessed_on",
        "2025-02-30",
        "assessed_on: '2025-02-30' is not a valid date",
    ),
    (
        "date shape",
        "patient.birth_date",
        "1/2/1990",
        "patient.birth_date: '1/2/1990' is not a valid date",
    ),
    (
        "missing field",
        "patient.birth_date",
        DELETE,
        "patient.birth_date: required field missing",
    ),
    ("missing scars", "scars", DELETE, "scars: required field missing"),
    ("empty scars", "scars", [], "scars: needs at least 1 item(s)"),
    ("unknown field", "patient.age", 30, "patient.age: unknown field"),
    (
        "bad enum in history",
        "history.diabetes",
        "yes",
        "history.diabetes: 'yes' is not one of none, controlled, uncontrolled",
    ),
    (
        "nullable date",
        "history.radiotherapy_to_area_on",
        5,
        "history.radiotherapy_to_area_on: expected a date string",
    ),
    (
        "device depth",
        "device",
        {"name": "pen", "max_depth_mm": 0},
        "device.max_depth_mm: 0 must be greater than 0",
    ),
    (
        "future date",
        "history.isotretinoin",
        {"status": "stopped", "stopped_on": "2026-01-01"},
        "history.isotretinoin.stopped_on: 2026-01-01 is after assessed_on 2025-03-03",
    ),
    (
        "reaction enum",
        "prior_sessions",
        [{"on": "2025-01-01", "reaction": "rash"}],
        "prior_sessions[0].reaction: 'rash' is not one of expected",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [pytest.param(p, v, e, id=label) for label, p, v, e in INVALID],
)
def test_invalid_input_exits_2_naming_the_field(path, value, expected):
    result = run("plan", stdin=json.dumps(_mutate(data(), path, value)))
    assert result.returncode == 2
    assert result.stdout == ""
    assert any(line.startswith(expected) for line in result.stderr.splitlines()), (
        result.stderr
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (("plan",), "not json", "(root): not valid JSON"),
        (("plan",), "", "(root): not valid JSON"),
        (("plan",), '{"a": NaN}', "(root): not valid JSON"),
        (("plan",), "[1, 2]", "(root): expected object, got array"),
        (("plan", "/no/such/file.json"), "", "input: cannot read /no/such/file.json"),
        (("plan", "--protocol", "/no/such.toml"), "{}", "protocol: cannot read"),
        (("plan", "--format", "xml"), "{}", "skinterval plan: argument --format"),
        ((), "", "skinterval: the following arguments are required"),
    ],
)
def test_unreadable_input_exits_2_without_traceback(args, stdin, expected):
    result = run(*args, stdin=stdin)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_protocol_file_exits_2_one_line_per_problem(tmp_path):
    proto = tmp_path / "bad.toml"
    proto.write_text(
        "interval_min_days = 7\n[zone_depth_mm.cheeks]\nmin = 1\nmax = 4\n"
    )
    result = run("plan", "--protocol", str(proto), stdin=json.dumps(data()))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert "Traceback" not in result.stderr


def test_binary_input_file_exits_2(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(b"\xff\xfe\x00")
    result = run("plan", str(path))
    assert result.returncode == 2
    assert "input: not valid UTF-8" in result.stderr


def test_cli_does_not_import_django():
    code = "import sys, skinterval.cli; print('django' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert result.stdout.strip() == "False"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stdout", "starts"), [(_Terminal(), "Decision:"), (io.StringIO(), "{")]
)
def test_format_defaults_to_text_on_a_terminal_and_json_otherwise(stdout, starts):
    args = build_parser().parse_args(["plan", "-"])
    code = run_plan(args, stdout, io.StringIO(json.dumps(data())))
    assert code == 0
    assert stdout.getvalue().startswith(starts)
