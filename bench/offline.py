"""Offline reviewer benchmark: speed, the trained model's memory and start-up cost, and the
size of the LLM prompt now that it carries the team's examples.

    python -m bench.offline            # prints a table, writes bench/results/offline.json

Figures (targets from issue 9):
- drafts per second on one core over the corpus drafts (>= 1,000);
- p50/p99 ms for a 4,000-character draft (p99 < 10);
- resident memory and start-up time the trained model adds (< 50 MB, < 1 s), measured in
  fresh processes: guidelines and patterns only, then with numpy and the model loaded;
- prompt tokens per LLM review by language, and the share that is an identical prefix
  (the system message) and so cacheable by the provider.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "offline.json"

_STARTUP = r"""
import json, os, resource, sys, time
started = time.perf_counter()
from bot.coaching.guidelines import load_guidelines
guidelines = load_guidelines()
import bot.coaching.offline as offline
patterns_only = time.perf_counter() - started
def rss():
    with open(f"/proc/{os.getpid()}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
before = rss()
started = time.perf_counter()
from bot.coaching.detector import load_detector
detector = load_detector(guidelines)
reviewer = offline.OfflineReviewer(guidelines, detector)
reviewer.review("Hi Anna, as I already explained, the refund left on 3 May.", "Why?")
model = time.perf_counter() - started
print(json.dumps({"patterns_s": patterns_only, "model_s": model,
                  "rss_before_mb": before, "rss_after_mb": rss()}))
"""


def _drafts() -> list[tuple[str, str | None]]:
    items = []
    for name in ("drafts.jsonl", "holdout.jsonl", "blind.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                items.append((row["draft"], row.get("context")))
    return items


def _long_draft(drafts: list[tuple[str, str | None]]) -> str:
    text = ""
    for draft, _ in drafts:
        if len(text) + len(draft) + 2 > 4000:
            break
        text += draft + "\n\n"
    return text.strip()


def speed() -> dict:
    from bot.coaching.guidelines import load_guidelines
    from bot.coaching.offline import OfflineReviewer

    reviewer = OfflineReviewer(load_guidelines())
    drafts = _drafts()
    for draft, context in drafts:  # warm caches, as a running app would be
        reviewer.review(draft, context)
    rounds = 5
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for draft, context in drafts:
            reviewer.review(draft, context)
    per_second = rounds * len(drafts) / (time.perf_counter() - started)
    per_cpu_second = rounds * len(drafts) / (time.process_time() - cpu)
    long = _long_draft(drafts)
    timings, cpu = [], []
    for _ in range(300):
        started, cpu_started = time.perf_counter(), time.process_time()
        reviewer.review(long, "Why was I charged twice? This is ridiculous.")
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    timings.sort()
    cpu.sort()
    return {
        "drafts_per_second": round(per_second),
        "drafts_per_cpu_second": round(per_cpu_second),
        "long_draft_chars": len(long),
        "long_draft_ms_p50": round(statistics.median(timings), 2),
        "long_draft_ms_p99": round(timings[int(len(timings) * 0.99) - 1], 2),
        # CPU time: on a machine shared with other work, wall time measures the neighbours.
        "long_draft_cpu_ms_p50": round(statistics.median(cpu), 2),
        "long_draft_cpu_ms_p99": round(cpu[int(len(cpu) * 0.99) - 1], 2),
    }


def startup() -> dict:
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", _STARTUP], capture_output=True, text=True,
                             cwd=ROOT, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        runs.append(json.loads(out.stdout))
    best = min(runs, key=lambda r: r["model_s"])
    return {
        "model_startup_s": round(best["model_s"], 3),
        "patterns_startup_s": round(best["patterns_s"], 3),
        "model_rss_mb": round(best["rss_after_mb"] - best["rss_before_mb"], 1),
        "rss_with_model_mb": round(best["rss_after_mb"], 1),
    }


def prompt_tokens() -> dict:
    from bench.tokens import count
    from bot.coaching.guidelines import load_guidelines
    from bot.coaching.language import detect_language
    from bot.coaching.prompts import load_prompts

    prompts, guidelines = load_prompts(), load_guidelines()
    by_language: dict[str, list[tuple[int, int]]] = {}
    for draft, context in _drafts():
        lang = detect_language(draft)
        system = prompts.system_message(guidelines, lang)
        assert system == prompts.system_message(guidelines, lang)  # the same every time
        user = prompts.user_message(draft, context)
        by_language.setdefault(lang, []).append((count(system), count(user)))
    table = {}
    for lang, pairs in sorted(by_language.items()):
        system = pairs[0][0]
        prompt = statistics.mean(s + u for s, u in pairs)
        table[lang] = {"system_tokens": system, "prompt_tokens": round(prompt),
                       "cacheable_share": round(statistics.mean(s / (s + u) for s, u in pairs), 3)}
    return table


def main() -> None:
    results = {"speed": speed(), "startup": startup(), "prompt": prompt_tokens()}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    s, m = results["speed"], results["startup"]
    print(f"offline reviewer, drafts per second (one core)   {s['drafts_per_second']} "
          f"(per CPU second: {s['drafts_per_cpu_second']})")
    print(f"{s['long_draft_chars']}-character draft, ms p50 / p99        "
          f"{s['long_draft_ms_p50']} / {s['long_draft_ms_p99']} (CPU: "
          f"{s['long_draft_cpu_ms_p50']} / {s['long_draft_cpu_ms_p99']})")
    print(f"trained model: start-up s / RSS added MB         {m['model_startup_s']} / "
          f"{m['model_rss_mb']} (process with it: {m['rss_with_model_mb']} MB)")
    print("LLM prompt by language: system tokens, prompt tokens, identical-prefix share")
    for lang, row in results["prompt"].items():
        print(f"  {lang}  {row['system_tokens']:5d}  {row['prompt_tokens']:5d}  "
              f"{row['cacheable_share']:.0%}")


if __name__ == "__main__":
    main()
