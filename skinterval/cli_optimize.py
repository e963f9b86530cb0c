"""`skinterval optimize INSTANCE.json` — the calendar optimizer from a file.

Contract: shared/contracts §4. The solution (JSON) goes to standard output and
progress to standard error; exit 0 with any status, 2 for an invalid instance or
arguments (one line per problem, naming the JSON path), never a traceback. Every
solution passes the independent validator before it is printed. No Django here.

`skinterval.cli` mounts this with `add_parser`; `python -m skinterval.cli_optimize`
runs it alone with the same arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from skinterval.domain.optimizer import schedule
from skinterval.domain.optimizer_model import (
    InvalidInstance,
    Progress,
    dumps_solution,
    parse_instance,
)
from skinterval.domain.schedule_validator import validate_solution

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INVALID = 2


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the `optimize` subcommand on the `skinterval` parser."""
    parser = subparsers.add_parser(
        "optimize",
        help="place pending series sessions on a clinic calendar (JSON in and out)",
        description=(
            "Read a schedule instance (schedule-instance.schema.json) and print a "
            "solution (schedule-solution.schema.json); progress goes to stderr."
        ),
    )
    _arguments(parser)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("instance", help="instance JSON file, or - for stdin")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="solver time limit (default 60)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="solver threads; 1 (the default) is deterministic for a given seed",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N")
    parser.add_argument(
        "--method",
        choices=("cp-sat", "greedy"),
        default="cp-sat",
        help="cp-sat (default) or the greedy first-fit baseline",
    )
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    return run(args, stdout=stdout, stdin=stdin)


def _read(path: str, stdin: TextIO) -> str:
    try:
        if path == "-":
            return stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInstance(["(root): not valid UTF-8 text"]) from None
    except OSError as exc:
        raise InvalidInstance(
            [f"(root): cannot read {path}: {exc.strerror or exc}"]
        ) from None


def _decode(text: str) -> object:
    def reject(name: str) -> object:
        raise ValueError(f"{name} is not allowed in JSON")

    try:
        return json.loads(text, parse_constant=reject)
    except json.JSONDecodeError as exc:
        raise InvalidInstance(
            [
                f"(root): not valid JSON: {exc.msg} "
                f"at line {exc.lineno} column {exc.colno}"
            ]
        ) from None
    except ValueError as exc:
        raise InvalidInstance([f"(root): not valid JSON: {exc}"]) from None


def _check_arguments(args: argparse.Namespace) -> None:
    problems = []
    if not args.time_limit > 0:
        problems.append(f"--time-limit: {args.time_limit} is not a positive number")
    if args.workers < 1:
        problems.append(f"--workers: {args.workers} is below the minimum 1")
    if problems:
        raise InvalidInstance(problems)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def run(
    args: argparse.Namespace,
    *,
    stdout: TextIO | None = None,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the `optimize` subcommand for parsed arguments; returns the exit code."""
    out, err = stdout or sys.stdout, stderr or sys.stderr

    def progress(p: Progress) -> None:
        print(
            f"optimize: {p.elapsed_s:7.2f} s  objective {_fmt(p.objective)}  "
            f"bound {_fmt(p.bound)}  ({p.phase})",
            file=err,
            flush=True,
        )

    try:
        _check_arguments(args)
        instance = parse_instance(_decode(_read(args.instance, stdin or sys.stdin)))
        solution = schedule(
            instance,
            method=args.method,
            time_limit_s=args.time_limit,
            workers=args.workers,
            seed=args.seed,
            progress=progress,
        )
        problems = validate_solution(instance, solution)
        if problems:
            for line in problems:
                print(f"optimize: invalid solution (a defect): {line}", file=err)
            return EXIT_INTERNAL
        out.write(dumps_solution(solution, instance) + "\n")
        out.flush()
        print(
            f"optimize: {solution.status}, {len(solution.assignments)} placed, "
            f"{len(solution.unscheduled)} unscheduled, gap {_fmt(solution.gap)}",
            file=err,
        )
        return EXIT_OK
    except InvalidInstance as exc:
        for line in exc.problems:
            print(line, file=err)
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # never a traceback on the command line
        print(f"optimize: internal error: {type(exc).__name__}: {exc}", file=err)
        return EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry: `python -m skinterval.cli_optimize INSTANCE.json ...`."""
    parser = argparse.ArgumentParser(
        prog="skinterval optimize", description=__doc__.splitlines()[0]
    )
    _arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
