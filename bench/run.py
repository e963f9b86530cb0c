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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
