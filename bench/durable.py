"""Durable review jobs, both set-ups: the embedded ``serve`` (SQLite, reviews in-process) and
``serve`` plus ``tone-coach worker`` processes on PostgreSQL.

``python -m bench.durable [--quick] [--database-url URL]`` prints a table and writes
``bench/results/durable.json``. PostgreSQL figures need ``--database-url`` (or
``TEST_DATABASE_URL``); each run uses a schema of its own, dropped afterwards.

Figures: ack p99 at 50 concurrent requests, end-to-end overhead beyond the model's latency, 200
drafts at once with a 2 s model (last review posted), and reviews per CPU-second of every
process involved, with one worker process and with two.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.fake_model import start_fake_model
from bench.run import ROOT, WATCHED, Bench, ServedApp, machine, ms, python_workload_ms
from tests.fakes.slack_api import FakeSlack

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Workers:
    """``tone-coach worker`` processes beside the served app."""

    def __init__(self, env: dict, workdir: Path, count: int) -> None:
        self.processes = [
            subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env, cwd=workdir,
                             stdout=subprocess.DEVNULL)
            for _ in range(count)]
        self._wait_until_started()

    def _wait_until_started(self, timeout: float = 90.0) -> None:
        """Until every worker is idle: start-up (imports, the offline model, connecting) costs
        a CPU-second or two, which must not be counted as the reviews' CPU. A fixed sleep was
        too short on a busy machine and doubled the figure for two workers."""
        time.sleep(1.0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = [cpu_seconds(pid) for pid in self.pids()]
            time.sleep(0.5)
            busy = [cpu_seconds(pid) - was for pid, was in zip(self.pids(), before, strict=True)]
            if max(busy) < 0.03:
                return
        raise SystemExit("the workers did not settle after start-up")

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(30)


class DurableBench(Bench):
    def ack_at_50(self, app: ServedApp, slack: FakeSlack) -> dict:
        commands, events = [], []
        for round_number in range(self.plan.rounds[50]):
            before = len(slack.calls_to("response_url"))
            commands += app.send([app.command(self.draft(),
                                              slack.response_url(f"a{round_number}-{i}"))
                                  for i in range(50)])[1]
            slack.wait_for("response_url", before + 50, timeout=120)
            before = len(slack.calls_to("chat.postMessage"))
            posted = [(draft, slack.add_message(WATCHED, draft, user="UBENCH",
                                                ts=f"{time.time():.6f}"))
                      for draft in (self.draft() for _ in range(50))]
            events += app.send([app.message_event(d, ts) for d, ts in posted])[1]
            slack.wait_for("chat.postMessage", before + 50, timeout=120)
        return {"command": ms(commands), "event": ms(events)}

    def two_hundred(self, app: ServedApp, slack: FakeSlack, pids: list[int]) -> dict:
        names = [f"d200-{time.monotonic_ns()}-{i}" for i in range(200)]
        before = len(slack.calls_to("response_url"))
        cpu_before = [cpu_seconds(pid) for pid in pids]
        starts, _ = app.send([app.command(self.draft(), slack.response_url(n)) for n in names])
        calls = slack.wait_for("response_url", before + 200, timeout=180)[before:]
        by_process = [round(cpu_seconds(pid) - was, 2) for pid, was in zip(pids, cpu_before,
                                                                           strict=True)]
        cpu = sum(by_process)
        last = max(c.at for c in calls) - min(starts)
        return {"last_posted_s": round(last, 2), "cpu_s": round(cpu, 2),
                "cpu_s_by_process": by_process,  # the app first, then each worker
                "reviews_per_cpu_s": round(200 / cpu, 1) if cpu else None}


def run_embedded(bench: DurableBench, latency: float) -> dict:
    with ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory())
        slack = FakeSlack().start()
        stack.callback(slack.stop)
        model, _ = start_fake_model(latency)
        stack.callback(model.stop)
        app = ServedApp(slack, model.base_url, Path(workdir),
                        {"LOG_LEVEL": "ERROR", "TONE_COACH_WORKERS": "200"})
        stack.callback(app.stop)
        bench.warm_up(app, slack)
        speed = [typical_speed()]
        results = {"ack_50": bench.ack_at_50(app, slack)}
        speed.append(typical_speed())
        results["end_to_end"] = bench.end_to_end(app, slack)
        speed.append(typical_speed())
        results["drafts_200"] = bench.two_hundred(app, slack, [app.process.pid])
        speed.append(typical_speed())
        return {**results, "python_workload_ms": speed}


def typical_speed() -> float:
    """The fixed workload's median time, taken between phases. A figure well above the best
    the machine printed at the start means it was slowed down at that moment; a usual figure
    does not prove the phases around it were not (see the README's durable figures)."""
    return python_workload_ms(typical=True)


def run_postgres(bench: DurableBench, latency: float, server_url: str,
                 worker_nice: int | None = None) -> dict:
    from tests.storage.storage_helpers import empty_postgres_schema

    results: dict = {}
    with ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory())
        url = stack.enter_context(empty_postgres_schema(server_url))
        slack = FakeSlack().start()
        stack.callback(slack.stop)
        model, _ = start_fake_model(latency)
        stack.callback(model.stop)
        extra = {"DATABASE_URL": url, "TONE_COACH_SERVE_WORKERS": "0", "LOG_LEVEL": "ERROR",
                 "TONE_COACH_WORKERS": "200"}
        if worker_nice is not None:
            extra["TONE_COACH_WORKER_NICE"] = str(worker_nice)
        app = ServedApp(slack, model.base_url, Path(workdir), extra)
        stack.callback(app.stop)
        env = {**app_env(app), **extra, "LOG_LEVEL": os.environ.get("BENCH_WORKER_LOG", "ERROR")}
        for count in (1, 2):
            workers = Workers(env, Path(workdir), count)
            try:
                bench.warm_up(app, slack)
                key = f"workers_{count}"
                speed = [typical_speed()]
                results[key] = {"drafts_200": bench.two_hundred(
                    app, slack, [app.process.pid, *workers.pids()])}
                speed.append(typical_speed())
                if count == 2:
                    results[key]["ack_50"] = bench.ack_at_50(app, slack)
                    speed.append(typical_speed())
                    results[key]["end_to_end"] = bench.end_to_end(app, slack)
                    speed.append(typical_speed())
                results[key]["python_workload_ms"] = speed
            finally:
                workers.stop()
    return results


def app_env(app: ServedApp) -> dict:
    """The served app's environment, for its workers."""
    raw = Path(f"/proc/{app.process.pid}/environ").read_bytes()
    return dict(item.decode().split("=", 1) for item in raw.split(b"\0") if b"=" in item)


def table(results: dict) -> str:
    rows = [("figure", "embedded serve (SQLite)", "serve + 2 workers (PostgreSQL)", "target")]
    emb = results.get("embedded", {})
    pg = results.get("postgres", {}).get("workers_2", {})
    pg1 = results.get("postgres", {}).get("workers_1", {})

    def get(data: dict, *path: str) -> str:
        for key in path:
            if not isinstance(data, dict) or key not in data:
                return "-"
            data = data[key]
        return " / ".join(map(str, data)) if isinstance(data, list) else str(data)

    rows += [
        ("ack p99, 50 concurrent commands, ms", get(emb, "ack_50", "command", "p99_ms"),
         get(pg, "ack_50", "command", "p99_ms"), "< 100"),
        ("ack p99, 50 concurrent events, ms", get(emb, "ack_50", "event", "p99_ms"),
         get(pg, "ack_50", "event", "p99_ms"), "< 100"),
        ("end-to-end overhead p50 / p99, ms",
         f"{get(emb, 'end_to_end', 'overhead', 'p50_ms')} / "
         f"{get(emb, 'end_to_end', 'overhead', 'p99_ms')}",
         f"{get(pg, 'end_to_end', 'overhead', 'p50_ms')} / "
         f"{get(pg, 'end_to_end', 'overhead', 'p99_ms')}", "p99 < 250"),
        ("200 drafts at once, 2 s model: last posted, s",
         get(emb, "drafts_200", "last_posted_s"), get(pg, "drafts_200", "last_posted_s"), "< 6"),
        ("reviews per CPU-second (all processes), 200 drafts",
         get(emb, "drafts_200", "reviews_per_cpu_s"),
         f"{get(pg1, 'drafts_200', 'reviews_per_cpu_s')} with 1 worker, "
         f"{get(pg, 'drafts_200', 'reviews_per_cpu_s')} with 2", ""),
        ("200 drafts with 1 worker: last posted, s", "",
         get(pg1, "drafts_200", "last_posted_s"), ""),
        ("machine: fixed workload, median ms, between phases",
         get(emb, "python_workload_ms"), get(pg, "python_workload_ms"), ""),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(row)) + " |"
             for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from bench.run import FULL, QUICK

    parser = argparse.ArgumentParser(prog="python -m bench.durable", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--only", choices=["embedded", "postgres"], help="one set-up only")
    parser.add_argument("--worker-nice", type=int, help="TONE_COACH_WORKER_NICE for the workers "
                        "(default: the app's own, 10)")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "durable.json"))
    args = parser.parse_args(argv)
    bench = DurableBench(QUICK if args.quick else FULL, args.latency)
    results: dict = {"machine": machine(), "model_latency_s": args.latency}
    if args.only != "postgres":
        results["embedded"] = run_embedded(bench, args.latency)
    if args.database_url and args.only != "embedded":
        results["postgres"] = run_postgres(bench, args.latency, args.database_url,
                                           args.worker_nice)
        results["worker_nice"] = args.worker_nice
    print(table(results))
    print(f"machine: {results['machine']['cpus']} CPUs; a fixed Python workload took "
          f"{results['machine']['python_workload_ms']} ms (lower is faster)")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
