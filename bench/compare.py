"""Compare the durable benchmark's figures of an earlier commit with the working tree's.

``python -m bench.compare REV [--pairs N] [--only embedded|postgres] [--quick]`` checks REV
out into a temporary git worktree and runs ``python -m bench.durable`` there and here,
alternately, ``N`` pairs of runs, then prints one row per run. This machine's speed moves by
up to two times within minutes, so a figure compares only with the run beside it: a pair,
not a mean of separate batches. The reviews per CPU-second column shows how fast the machine
was.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.run import ROOT

FIGURES = {  # column -> path in bench.durable's JSON
    "emb ack cmd/event": (("embedded", "ack_50", "command", "p99_ms"),
                          ("embedded", "ack_50", "event", "p99_ms")),
    "emb e2e p99": (("embedded", "end_to_end", "overhead", "p99_ms"),),
    "pg ack cmd/event": (("postgres", "workers_2", "ack_50", "command", "p99_ms"),
                         ("postgres", "workers_2", "ack_50", "event", "p99_ms")),
    "pg e2e p99": (("postgres", "workers_2", "end_to_end", "overhead", "p99_ms"),),
    "emb rev/CPU-s": (("embedded", "drafts_200", "reviews_per_cpu_s"),),
}


def run_durable(tree: Path, json_path: Path, options: list[str]) -> dict:
    """One ``bench.durable`` run of the code in ``tree``; its JSON figures."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "bench.durable", "--json", str(json_path), *options]
    subprocess.run(command, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads(json_path.read_text())


def row(label: str, results: dict) -> str:
    cells = []
    for paths in FIGURES.values():
        values = []
        for path in paths:
            data: object = results
            for key in path:
                data = data.get(key) if isinstance(data, dict) else None
            values.append("-" if data is None else str(data))
        cells.append(" / ".join(values))
    return "| " + " | ".join([label, *cells]) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("rev", help="the commit to compare with (the working tree is 'after')")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--only", choices=["embedded", "postgres"])
    parser.add_argument("--quick", action="store_true", help="bench.durable's short runs")
    args = parser.parse_args(argv)
    options = (["--only", args.only] if args.only else []) + (["--quick"] if args.quick else [])
    with tempfile.TemporaryDirectory() as scratch:
        before = Path(scratch) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(before), args.rev],
                       cwd=ROOT, check=True)
        try:
            print("| run | " + " | ".join(FIGURES) + " |")
            print("|---" * (len(FIGURES) + 1) + "|")
            for pair in range(1, args.pairs + 1):
                for label, tree in ((f"{args.rev[:8]} #{pair}", before),
                                    (f"working tree #{pair}", ROOT)):
                    results = run_durable(tree, Path(scratch) / "figures.json", options)
                    print(row(label, results), flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT,
                           check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
