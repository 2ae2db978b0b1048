"""How long the weekly digest's figures take for a team with a million reviews, on PostgreSQL.

    python -m bench.digest [--reviews 1000000] [--runs 5] [--url postgresql+psycopg://...]

The URL defaults to ``BENCH_DATABASE_URL``, then ``TEST_DATABASE_URL``. The rows are made by
the database itself (``generate_series``) in a schema of their own, dropped afterwards: the
team's reviews spread over the last 8 weeks (the digest's whole window, the worst case),
about one finding per review, a vote on one review in ten, and as many reviews again from
other workspaces, which the queries have to skip. Then VACUUM ANALYZE, as autovacuum would
have done, and the digest is computed ``--runs`` times (the first one warms the cache).

The rows are filled at the schema revision before the digest's roll-up, so that the roll-up
migration then fills it from them, as it would on an installation upgraded with a year of
reviews; its time is printed. ``--tz`` places the week boundaries (Pacific/Auckland cuts each
UTC day nearest its middle: the most quarter-hour rows to read).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, make_url, text

from bot.coaching.guidelines import load_guidelines
from bot.digest.compute import team_digest
from bot.storage import Storage
from bot.storage.migrate import migrate
from tests.storage.storage_helpers import empty_postgres_schema

TEAM = "TBENCH"
# The revision before the digest roll-up: rows are filled there, then the roll-up migration
# backfills from them.
ROLLUP_REVISION_BEFORE = "0005"
GUIDELINES = ("dont-argue", "thank-feedback", "solution-first", "no-blame", "empathy",
              "ownership")  # stay-calm never fires: a guideline with no findings


def fill(url: str, reviews: int, now: datetime) -> float:
    """Insert the rows; returns the seconds it took."""
    started = time.monotonic()
    engine = create_engine(url)
    window_s = int(timedelta(weeks=8).total_seconds())
    guideline_array = "ARRAY[" + ", ".join(f"'{g}'" for g in GUIDELINES) + "]"
    with engine.begin() as conn:
        for team, count in ((TEAM, reviews), ("TOTHER", reviews)):
            conn.execute(text("""
                INSERT INTO reviews (team_id, channel_id, user_id, entry_point, verdict,
                    engine, model, latency_ms, prompt_tokens, completion_tokens,
                    cached_tokens, reasoning_tokens, fallback, created_at)
                SELECT :team, 'C' || (i % 20), 'U' || (i % 250),
                    (ARRAY['command', 'reaction', 'watch', 'shortcut'])[1 + i % 4],
                    CASE WHEN i % 5 < 2 THEN 'ok' ELSE 'needs_work' END,
                    CASE WHEN i % 10 = 0 THEN 'offline' ELSE 'llm' END,
                    'gpt-6-luna', 500 + (i::bigint * 7919) % 4000, 944, 71, 0, 0,
                    i % 97 = 0,
                    :now - make_interval(secs => (i::bigint * 7919) % :window)
                FROM generate_series(1, :count) AS i
            """), {"team": team, "count": count, "now": now, "window": window_s})
        conn.execute(text(f"""
            INSERT INTO review_findings (review_id, guideline_id, position, team_id, user_id,
                created_at)
            SELECT id, ({guideline_array})[1 + id % {len(GUIDELINES)}], 0, team_id, user_id,
                created_at
            FROM reviews WHERE verdict = 'needs_work'
        """))
        conn.execute(text(f"""
            INSERT INTO review_findings (review_id, guideline_id, position, team_id, user_id,
                created_at)
            SELECT id, ({guideline_array})[1 + (id / 7) % {len(GUIDELINES)}], 1, team_id,
                user_id, created_at
            FROM reviews WHERE verdict = 'needs_work' AND id % 3 = 0
            ON CONFLICT DO NOTHING
        """))
        conn.execute(text("""
            INSERT INTO review_feedback (review_id, user_id, helpful, updated_at)
            SELECT id, user_id, id % 4 <> 0, created_at FROM reviews WHERE id % 10 = 0
        """))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.digest", description=__doc__)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL")
                        or os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--tz", default="Europe/Tallinn",
                        help="the channel's time zone, which places the week boundaries")
    parser.add_argument("--keep", metavar="SCHEMA",
                        help="use (and keep) this schema; fill it only if it has no reviews")
    args = parser.parse_args(argv)
    if not args.url or not args.url.startswith("postgresql"):
        print("bench.digest needs PostgreSQL: pass --url or set BENCH_DATABASE_URL",
              file=sys.stderr)
        return 2
    guidelines = load_guidelines().ids
    now = datetime.now(UTC).replace(microsecond=0)
    with _schema(args.url, args.keep) as url:
        storage = Storage(url)
        with storage.engine.connect() as conn:
            stored = conn.execute(text("SELECT to_regclass('reviews') IS NOT NULL")).scalar_one()
            if stored:
                stored = conn.execute(text("SELECT count(*) FROM reviews")).scalar_one()
        if not stored:
            # The rows go in as an older version would have stored them; the roll-up is then
            # filled by its migration, as it would be on an existing installation.
            migrate(storage.engine, ROLLUP_REVISION_BEFORE)
            print(f"filling: {args.reviews:,} reviews in {TEAM} and as many elsewhere ...",
                  flush=True)
            print(f"filled in {fill(url, args.reviews, now):.0f} s")
        started = time.monotonic()
        before, after = storage.upgrade()
        if before != after:
            print(f"migrated {before} -> {after} (roll-up backfill) in "
                  f"{time.monotonic() - started:.0f} s")
            # Not on the app's engine: its statement timeout is far shorter than a VACUUM.
            vacuum = create_engine(url, isolation_level="AUTOCOMMIT")
            with vacuum.connect() as conn:
                conn.execute(text("VACUUM ANALYZE review_rollup"))
                conn.execute(text("VACUUM ANALYZE finding_rollup"))
            vacuum.dispose()
        with storage.engine.connect() as conn:
            now = conn.execute(text("SELECT max(created_at) FROM reviews")).scalar_one()
            findings = conn.execute(text("SELECT count(*) FROM review_findings")).scalar_one()
            votes = conn.execute(text("SELECT count(*) FROM review_feedback")).scalar_one()
            rollup = conn.execute(text("SELECT count(*) FROM review_rollup")).scalar_one()
            finding_rollup = conn.execute(text("SELECT count(*) FROM finding_rollup")
                                          ).scalar_one()
        print(f"{findings:,} findings and {votes:,} votes in all; roll-up rows: {rollup:,} "
              f"(reviews and votes), {finding_rollup:,} (findings)")
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            digest = team_digest(storage, TEAM, (now + timedelta(days=1)).date(),
                                 args.tz, guidelines)
            timings.append(time.perf_counter() - started)
        storage.close()
    drafts = sum(week.drafts or 0 for week in digest.weeks)
    print(f"digest of {drafts:,} reviews over {len(digest.weeks)} weeks in {args.tz} "
          f"({len(digest.guidelines)} guidelines), {args.runs} runs")
    print(f"  first run (cold cache): {timings[0] * 1000:.0f} ms")
    warm = timings[1:] or timings
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"  load average during the run (1, 5, 15 min; {os.cpu_count()} CPUs): {load}")
    print(f"  warm: median {statistics.median(warm) * 1000:.0f} ms, "
          f"best {min(warm) * 1000:.0f} ms, worst {max(warm) * 1000:.0f} ms (target < 1000)")
    return 0



@contextmanager
def _schema(server_url: str, keep: str | None) -> Iterator[str]:
    if not keep:
        with empty_postgres_schema(server_url) as url:
            yield url
        return
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{keep}"'))
    admin.dispose()
    yield make_url(server_url).update_query_dict(
        {"options": f"-csearch_path={keep}"}
    ).render_as_string(hide_password=False)


if __name__ == "__main__":
    raise SystemExit(main())
