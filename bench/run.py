"""Run every benchmark module and write var/bench/results.json.

A benchmark is a module `bench/bench_<topic>.py` with a `run() -> list[Result]`
function. Modules are run in name order; each prints what it measures while it runs,
so long benchmarks show progress. The JSON file is a list of
`{"name", "value", "unit", "params"}` objects, exactly as the contract says.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

import bench
from bench.results import Result

RESULTS_PATH = Path("var/bench/results.json")
DOC_PATH = Path("docs/benchmarks.md")
START, END = "<!-- figures:start -->", "<!-- figures:end -->"


def figures_table(results: list[Result]) -> str:
    """The latest figures as a Markdown table, for docs/benchmarks.md."""
    lines = ["| Name | Value | Unit | Params |", "|---|---|---|---|"]
    for r in results:
        params = ", ".join(f"{k}={v}" for k, v in sorted(r.params.items()))
        lines.append(f"| `{r.name}` | {r.value:g} | {r.unit} | {params} |")
    return "\n".join(lines)


def update_doc(results: list[Result], path: Path = DOC_PATH) -> None:
    """Replace the figures between the markers in docs/benchmarks.md."""
    text = path.read_text()
    if START not in text or END not in text:
        return
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{figures_table(results)}\n{END}{tail}")


def discover(only: str | None) -> list[str]:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if m.name.startswith("bench_")
    )
    if only:
        names = [n for n in names if only in n]
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only", help="run only benchmark modules whose name contains this"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    parser.add_argument(
        "--no-doc",
        action="store_true",
        help="do not rewrite the figures table in docs/benchmarks.md",
    )
    args = parser.parse_args(argv)

    results: list[Result] = []
    for name in discover(args.only):
        started = time.perf_counter()
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        module = importlib.import_module(f"bench.{name}")
        produced = module.run()
        results.extend(produced)
        for r in produced:
            print(
                f"[bench]   {r.name} = {r.value:g} {r.unit} {r.params}", file=sys.stderr
            )
        print(
            f"[bench] {name} done in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
            flush=True,
        )

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps([r.as_json() for r in results], indent=2, sort_keys=True) + "\n"
    )
    print(f"[bench] wrote {len(results)} results to {args.output}", file=sys.stderr)
    if not args.only and not args.no_doc:
        update_doc(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
