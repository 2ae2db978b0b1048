"""``tone-coach report``: the digest's figures in the terminal, the chart as a PNG, a CSV.

The same privacy rule as in the channel applies: a lead's spreadsheet shows no cell built
from fewer than three agents either.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.coaching.guidelines import GuidelineError, load_guidelines
from bot.datafile import LANGUAGES
from bot.digest.compute import team_digest
from bot.digest.figures import HIDDEN, Digest
from bot.digest.schedule import DigestScheduleError, parse_timezone
from bot.digest.texts import DigestTextsError, alt_text, load_digest_texts, render_digest
from bot.storage import Storage, StorageError
from bot.storage.records import ENGINES, ENTRY_POINTS


class ReportError(ValueError):
    """Bad input or an unusable database; the message is one line."""


@dataclass(frozen=True)
class ReportSources:
    """Where the report reads from (the CLI fills it from the settings)."""

    database_url: str
    guidelines_file: Path | None = None
    texts_file: Path | None = None


def run_report(sources: ReportSources, team: str | None, weeks: int, png: str | None,
               csv_path: str | None, timezone: str, language: str,
               now: datetime | None = None) -> str:
    """Build the report and write the files; returns what to print. Raises ReportError."""
    if not 1 <= weeks <= 12:
        raise ReportError(f"--weeks must be between 1 and 12 (reviews are kept 90 days), "
                          f"not {weeks}")
    if language not in LANGUAGES:
        raise ReportError(f"unknown language {language!r}: use {', '.join(LANGUAGES)}")
    try:
        zone = parse_timezone(timezone)
        guidelines = load_guidelines(sources.guidelines_file)
        texts = load_digest_texts(sources.texts_file)
    except (DigestScheduleError, GuidelineError, DigestTextsError) as exc:
        raise ReportError(getattr(exc, "problem", str(exc))) from None
    storage = None
    try:
        storage = Storage(sources.database_url)
        storage.check()
        team = team or _only_team(storage)
        # The last week ends at tonight's midnight, so today's reviews are in it.
        today = (now or datetime.now(UTC)).astimezone(ZoneInfo(zone)).date()
        digest = team_digest(storage, team, today + timedelta(days=1), zone, guidelines.ids,
                             weeks)
    except StorageError as exc:
        raise ReportError(str(exc)) from None
    finally:
        if storage is not None:
            storage.close()
    titles = {g.id: g.localized_title(language) for g in guidelines.guidelines}
    if png:
        from bot.digest.chart import render_chart

        _write(png, render_chart(digest, texts, language, titles))
    if csv_path:
        _write(csv_path, digest_csv(digest).encode("utf-8"))
    lines = [render_digest(digest, texts, language, titles).plain(), "",
             alt_text(digest, texts, language, titles)]
    lines += [f"chart written to {png}"] if png else []
    lines += [f"CSV written to {csv_path}"] if csv_path else []
    return "\n".join(lines)


def _only_team(storage: Storage) -> str:
    teams = storage.digests.teams()
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise ReportError("no reviews are stored yet, so there is nothing to report")
    raise ReportError(f"reviews from {len(teams)} workspaces are stored: choose one with "
                      f"--team ({', '.join(teams[:10])})")


def _write(path: str, data: bytes) -> None:
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror}") from None


def digest_csv(digest: Digest) -> str:
    """One row per week, oldest first; a hidden cell is left empty, its status says why."""
    header = ["week_start", "week_end", "status", "drafts", "agents", "fine_first_check_pct",
              "fallbacks", "median_review_s"]
    header += [f"drafts_{ep}" for ep in ENTRY_POINTS]
    header += [f"per_100_{g}" for g in digest.guidelines]
    header += [f"votes_{e}_{kind}" for e in ENGINES for kind in ("helpful", "not_helpful")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for week in digest.weeks:
        fine = None if week.fine_share is None else round(week.fine_share * 100, 1)
        median = None if week.median_seconds is None else round(week.median_seconds, 2)
        row = [week.start.isoformat(), week.end.isoformat(), week.status, week.drafts,
               week.agents, fine, week.fallbacks, median]
        row += [week.entry_points.get(ep) for ep in ENTRY_POINTS]
        row += [_round(week.per_100.get(g)) for g in digest.guidelines]
        for engine in ENGINES:
            votes = week.votes.get(engine, (0, 0)) if week.status != HIDDEN else None
            row += list(votes) if votes else [None, None]
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def main(sources: ReportSources, team: str | None, weeks: int, png: str | None,
         csv_path: str | None, timezone: str, language: str) -> int:
    """The CLI entry: print the report, or one error line; returns the exit code."""
    try:
        print(run_report(sources, team, weeks, png, csv_path, timezone, language))
    except ReportError as exc:
        print(f"tone-coach: error: {exc}", file=sys.stderr)
        return 2
    return 0
