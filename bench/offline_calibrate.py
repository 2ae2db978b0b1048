"""Try each guideline's whole-draft margin and the customer "upset" bar, one at a time.

    python -m bench.offline_calibrate tests/data/drafts.jsonl tests/data/holdout.jsonl \
        tests/data/blind.jsonl tests/data/blind_v2/*.jsonl

For every setting it prints, per file, verdict accuracy / false-alarm rate, and the recall of
each guideline on the last file. The margins in ``bot.coaching.offline.DRAFT_MARGINS`` were
chosen from this table by hand: a step is kept only when it raises recall without adding a
false alarm on any file. Never run it on a blind set that has not been scored yet.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from bot.coaching import offline
from bot.coaching.guidelines import load_guidelines
from bot.coaching.offline import OfflineReviewer

MARGINS = (0.0, 0.05, 0.1, 0.15)
UPSET = (0.6, 0.65, 0.7, 0.75, 0.8)


def _score(reviewer: OfflineReviewer, rows: list[dict]) -> tuple[float, float, dict[str, float]]:
    right = alarms = good = 0
    found: Counter = Counter()
    missed: Counter = Counter()
    for row in rows:
        review = reviewer.review(row["draft"], row.get("context"), row.get("language"))
        said = review.verdict == "needs_work"
        right += said == row["needs_work"]
        if not row["needs_work"]:
            good += 1
            alarms += said
        for guideline in row.get("violations") or ():
            (found if guideline in review.guideline_ids else missed)[guideline] += 1
    recall = {g: found[g] / (found[g] + missed[g]) for g in found | missed}
    return right / len(rows), alarms / max(good, 1), recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    files: dict[str, list[dict]] = {}
    for path in args.files:
        lines = path.read_text(encoding="utf-8").splitlines()
        files.setdefault(path.parent.name if path.parent.name.startswith("blind_") else path.stem,
                         []).extend(json.loads(line) for line in lines if line.strip())
    reviewer = OfflineReviewer(load_guidelines())
    detector = reviewer.detector
    shipped_margins = dict(offline.DRAFT_MARGINS)
    shipped_upset = detector.thresholds["customer:upset"]

    def show(label: str) -> None:
        results = {name: _score(reviewer, rows) for name, rows in files.items()}
        cells = " ".join(f"{name}:{acc:.3f}/{fa:.2f}" for name, (acc, fa, _) in results.items())
        recall = list(results.values())[-1][2]
        print(f"{label:<24} {cells}  recall: "
              + " ".join(f"{g}={recall[g]:.2f}" for g in sorted(recall)))

    show("shipped")
    for value in UPSET:
        detector.thresholds["customer:upset"] = value
        show(f"upset>={value}")
    detector.thresholds["customer:upset"] = shipped_upset
    for guideline in detector.guideline_ids:
        for margin in MARGINS:
            offline.DRAFT_MARGINS = {**shipped_margins, guideline: margin}
            show(f"{guideline}+{margin}")
    offline.DRAFT_MARGINS = shipped_margins


if __name__ == "__main__":
    main()
