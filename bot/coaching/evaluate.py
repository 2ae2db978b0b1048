"""Score a reviewer against a labelled corpus of drafts (``tone-coach eval``)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.coaching.language import detect_language
from bot.coaching.review import Review
from bot.coaching.rewrite import facts, is_fragment, layout, markup_tokens
from bot.coaching.text import numbers, sentences


@dataclass(frozen=True)
class LabelledDraft:
    """One line of an eval file."""

    draft: str
    needs_work: bool
    context: str | None = None
    violations: tuple[str, ...] = ()
    language: str | None = None


@dataclass
class EvalReport:
    """Verdict accuracy, per language and per guideline, and how well rewrites keep facts."""

    total: int = 0
    correct: int = 0
    good_drafts: int = 0
    false_alarms: int = 0
    by_language: dict[str, list[int]] = field(default_factory=dict)  # lang -> [correct, total]
    true_pos: Counter = field(default_factory=Counter)
    false_pos: Counter = field(default_factory=Counter)
    false_neg: Counter = field(default_factory=Counter)
    rewrites: int = 0
    rewrites_kept_numbers: int = 0
    integrity: Counter = field(default_factory=Counter)  # see Integrity

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.good_drafts if self.good_drafts else 0.0

    @property
    def numbers_kept(self) -> float:
        return self.rewrites_kept_numbers / self.rewrites if self.rewrites else 1.0

    @property
    def needs_work_recall(self) -> float | None:
        bad = self.total - self.good_drafts
        return self.caught / bad if bad else None

    caught: int = 0

    def _integrity_lines(self) -> list[str]:
        i = self.integrity
        return [
            "",
            "rewrite integrity (drafts flagged needs work)",
            f"  untouched sentences kept  {_share(i['untouched_kept'], i['untouched'])}",
            f"  markup tokens kept        {_share(i['markup_kept'], i['markup'])}",
            f"  paragraphs kept           {_share(i['layout_kept'], self.rewrites)}",
            f"  facts kept                {_share(i['facts_kept'], i['facts'])}",
            f"  fragments produced        {i['fragments']} (in {i['changed']} changed or added "
            "sentences)",
            f"  not rescued, example shown {i['not_rescued']}",
        ]

    def precision(self, guideline: str) -> float | None:
        found = self.true_pos[guideline] + self.false_pos[guideline]
        return self.true_pos[guideline] / found if found else None

    def recall(self, guideline: str) -> float | None:
        actual = self.true_pos[guideline] + self.false_neg[guideline]
        return self.true_pos[guideline] / actual if actual else None

    def add(self, item: LabelledDraft, review: Review) -> None:
        said_needs_work = review.verdict == "needs_work"
        right = said_needs_work == item.needs_work
        self.total += 1
        self.correct += right
        if not item.needs_work:
            self.good_drafts += 1
            self.false_alarms += said_needs_work
        else:
            self.caught += said_needs_work
        language = item.language or review.language
        tally = self.by_language.setdefault(language, [0, 0])
        tally[0] += right
        tally[1] += 1
        found, expected = set(review.guideline_ids), set(item.violations)
        for guideline in found | expected:
            if guideline in found and guideline in expected:
                self.true_pos[guideline] += 1
            elif guideline in found:
                self.false_pos[guideline] += 1
            else:
                self.false_neg[guideline] += 1
        if said_needs_work:
            self.rewrites += 1
            rewrite_numbers = Counter(numbers(review.rewrite))
            self.rewrites_kept_numbers += not (Counter(numbers(item.draft)) - rewrite_numbers)
            self.integrity.update(integrity(item.draft, review))

    def format(self) -> str:
        """A plain-text table for the terminal."""
        lines = [
            f"drafts            {self.total}",
            f"verdict accuracy  {self.accuracy:.3f}",
            f"false alarms      {self.false_alarm_rate:.3f} "
            f"({self.false_alarms} of {self.good_drafts} good drafts)",
            f"numbers kept      {self.numbers_kept:.3f} ({self.rewrites_kept_numbers} of "
            f"{self.rewrites} rewrites kept every number of the draft)",
            *self._integrity_lines(),
            "",
            "language  accuracy  drafts",
        ]
        for language, (right, total) in sorted(self.by_language.items()):
            lines.append(f"{language:<9} {right / total:8.3f}  {total:6d}")
        lines += ["", "needs-work recall "
                  f"{_fmt(self.needs_work_recall)} (of {self.total - self.good_drafts} drafts)"]
        lines += ["", "guideline        precision  recall  support"]
        guidelines = sorted(set(self.true_pos) | set(self.false_pos) | set(self.false_neg))
        for guideline in guidelines:
            support = self.true_pos[guideline] + self.false_neg[guideline]
            lines.append(
                f"{guideline:<16} {_fmt(self.precision(guideline)):>9}  "
                f"{_fmt(self.recall(guideline)):>6}  {support:7d}"
            )
        return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _share(kept: int, total: int) -> str:
    return f"{kept / total if total else 1.0:.3f} ({kept} of {total})"


def _skeleton(text: str) -> list[str]:
    """Each line's shape: blank, or its indentation and bullet/quote marker."""
    shapes = []
    for line in text.split("\n"):
        marker = re.match(r"\s*(?:[-*•–]\s|\d+[.)]\s|>\s?)?", line)
        shapes.append("" if not line.strip() else "|" + (marker.group(0) if marker else ""))
    return shapes


def integrity(draft: str, review: Review) -> Counter:
    """How intact one rewrite is. Counts (kept out of total) of:

    - untouched sentences: draft sentences no finding quotes from, found byte for byte in
      the rewrite (greeting and sign-off included);
    - markup tokens: `*bold*` markers, `code`, mentions, links, :emoji: (as a multiset);
    - layout: the same lines, blank lines, bullets and quotes, in the same order;
    - facts: numbers with the word a date or amount takes, links, e-mails, mentions;
    - fragments: changed or added sentences that cannot stand (see rewrite.is_fragment).
    """
    rewrite = review.rewrite
    counts: Counter = Counter()
    quoted = [f.quote for f in review.findings]
    for sentence in sentences(draft):
        if any(q and (q in sentence.text or sentence.text in q) for q in quoted):
            continue
        counts["untouched"] += 1
        counts["untouched_kept"] += sentence.text in rewrite
    before, after = markup_tokens(draft), markup_tokens(rewrite)
    counts["markup"] += sum(before.values())
    counts["markup_kept"] += sum((before & after).values())
    counts["layout_kept"] += _skeleton(draft) == _skeleton(rewrite)
    before, after = facts(draft), facts(rewrite)
    counts["facts"] += sum(before.values())
    counts["facts_kept"] += sum((before & after).values())
    original = {s.text for s in sentences(draft)}
    shape = layout(rewrite)
    for sentence in sentences(rewrite):
        if sentence.text in original or not shape.in_body(sentence.start):
            continue
        counts["changed"] += 1
        counts["fragments"] += is_fragment(sentence.text)
    counts["not_rescued"] += review.example is not None
    return counts


def read_corpus(path: Path | str) -> list[LabelledDraft]:
    """Read a JSONL eval file; a bad line is reported with its number, an empty file too."""
    items = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row["draft"], str) \
                    or not row["draft"].strip() or not isinstance(row["needs_work"], bool):
                raise TypeError("needs a non-empty 'draft' and a true/false 'needs_work'")
            items.append(
                LabelledDraft(
                    draft=row["draft"],
                    needs_work=bool(row["needs_work"]),
                    context=row.get("context") or None,
                    violations=tuple(row.get("violations") or ()),
                    language=row.get("language") or detect_language(row["draft"]),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled draft ({exc})") from None
    if not items:
        raise ValueError(f"{path}: no labelled drafts in the file")
    return items


def evaluate(
    items: Iterable[LabelledDraft], review: Callable[[str, str | None], Review]
) -> EvalReport:
    """Review every item and tally the results."""
    report = EvalReport()
    for item in items:
        report.add(item, review(item.draft, item.context))
    return report
