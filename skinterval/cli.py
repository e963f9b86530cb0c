"""The `skinterval` console command.

Subcommands share one parser so later ones (`optimize`) slot in beside `plan`.
Invalid input exits 2 with one line per problem on standard error, never a
traceback. This module must not import Django: it runs the pure domain only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from skinterval import cli_optimize
from skinterval.domain.assessment import parse_assessment
from skinterval.domain.errors import DomainError, InvalidInput
from skinterval.domain.planning import plan_series
from skinterval.domain.protocol import DEFAULT_PROTOCOL, Protocol, loads_protocol
from skinterval.domain.render import dumps_plan, render_text
from skinterval.domain.ruleset import Rules, load_rules

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INVALID = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are reported like every other invalid input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise InvalidInput([f"{self.prog}: {message}"])


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="skinterval", description="Skinterval command-line tools.")
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser
    )
    plan = commands.add_parser(
        "plan",
        help="plan a micro-needling series from one assessment (JSON)",
        description="Read one assessment (assessment.schema.json) and print its plan.",
    )
    plan.add_argument(
        "file", nargs="?", default="-", help="assessment JSON file, or - for stdin"
    )
    plan.add_argument(
        "--format",
        choices=("json", "text"),
        default=None,
        help="output format (default: text on a terminal, json otherwise)",
    )
    plan.add_argument(
        "--protocol", help="clinic protocol (TOML) overriding rule defaults"
    )
    plan.set_defaults(handler=run_plan)
    cli_optimize.add_parser(commands)
    return parser


def _read(path: str, stdin: TextIO, label: str) -> str:
    try:
        if path == "-":
            return stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput([f"{label}: not valid UTF-8 text"]) from None
    except OSError as exc:
        raise InvalidInput(
            [f"{label}: cannot read {path}: {exc.strerror or exc}"]
        ) from None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed in JSON")


def decode_json(text: str) -> object:
    """JSON text -> value, with a one-line error naming the position."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            [
                f"(root): not valid JSON: {exc.msg} "
                f"at line {exc.lineno} column {exc.colno}"
            ]
        ) from None
    except ValueError as exc:
        raise InvalidInput([f"(root): not valid JSON: {exc}"]) from None


def load_protocol_file(path: str | None, rules: Rules) -> Protocol:
    if path is None:
        return DEFAULT_PROTOCOL
    return loads_protocol(_read(path, sys.stdin, "protocol"), rules)


def run_plan(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    rules = load_rules()
    protocol = load_protocol_file(args.protocol, rules)
    assessment = parse_assessment(decode_json(_read(args.file, stdin, "input")))
    plan = plan_series(assessment, protocol, rules)
    fmt = args.format or ("text" if stdout.isatty() else "json")
    stdout.write(render_text(plan) if fmt == "text" else dumps_plan(plan))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `skinterval` console script; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        code: int = args.handler(args, sys.stdout, sys.stdin)
        return code
    except InvalidInput as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return EXIT_INVALID
    except DomainError as exc:
        print(f"skinterval: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
