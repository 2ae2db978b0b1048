"""List the offline reviewer's misses and false alarms on an eval file, with the layer that fired.

    python -m bench.offline_misses tests/data/holdout.jsonl [--text]

Each line: the draft's id, what it was labelled, what was found, and for every finding the
layer behind it: ``pattern`` (a phrase pattern), ``model`` (the sentence classifier, with its
score), ``missing`` (something the draft lacks, driven by the customer classifier or the
context patterns, with the customer signals) or ``shout``. ``--text`` also prints the draft
(for reading at the terminal only; never paste it into the corpus).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from bot.coaching.guidelines import load_guidelines
from bot.coaching.offline import OfflineReviewer
from bot.coaching.rewrite import Hit


def _layers(reviewer: OfflineReviewer, draft: str, context: str | None) -> list[str]:
    """Re-run the checks and name the layer of each hit."""
    seen: list[tuple[Hit, str]] = []
    original = reviewer._check

    def check(guideline, texts, lang, signals, parts, scored):  # noqa: ANN001, ANN202
        hits = original(guideline, texts, lang, signals, parts, scored)
        by_span = {(s.start, s.end): sc for s, sc in scored}
        for hit in hits:
            if hit.missing:
                layer = (f"missing(up={signals.upset:.2f} fb={signals.feedback:.2f} "
                         f"rude={signals.rude:.2f})")
            elif (hit.start, hit.end) in by_span:
                score = by_span[hit.start, hit.end][hit.guideline]
                layer = f"model({score:.2f}>={reviewer._threshold(hit.guideline, signals):.2f})"
            else:
                layer = "pattern"
            seen.append((hit, layer))
        return hits

    reviewer._check = check  # type: ignore[method-assign]
    try:
        review = reviewer.review(draft, context)
    finally:
        del reviewer._check
    shouts = [f"{g}:shout" for g in review.guideline_ids if g not in {h.guideline for h, _ in seen}]
    return [f"{h.guideline}:{layer} «{draft[h.start:h.end][:60]}»" for h, layer in seen] + shouts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--text", action="store_true")
    args = parser.parse_args()
    reviewer = OfflineReviewer(load_guidelines())
    missed: Counter = Counter()
    alarms: Counter = Counter()
    for path in args.files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            ident = row.get("id") or f"{path.name}:{number}"
            review = reviewer.review(row["draft"], row.get("context"), row.get("language"))
            found = set(review.guideline_ids)
            expected = set(row.get("violations") or ())
            lang = row.get("language") or review.language
            wrong_verdict = (review.verdict == "needs_work") != row["needs_work"]
            if not wrong_verdict and found >= expected:
                continue
            for g in expected - found:
                missed[g, lang] += 1
            if not row["needs_work"]:
                for g in found:
                    alarms[g, lang] += 1
            kind = "FALSE ALARM" if not row["needs_work"] and found else (
                "MISSED DRAFT" if wrong_verdict else "missed guideline")
            print(f"{ident} [{kind}] expected={sorted(expected)} found={sorted(found)}")
            for layer in _layers(reviewer, row["draft"], row.get("context")):
                if layer.split(":")[0] not in expected or not row["needs_work"]:
                    print(f"    {layer}")
            if args.text:
                print(f"    context: {row.get('context')}\n    draft: {row['draft']}")
    print("\nmissed (guideline, lang):", sorted(missed.items()))
    print("false alarms on good drafts (guideline, lang):", sorted(alarms.items()))


if __name__ == "__main__":
    main()
