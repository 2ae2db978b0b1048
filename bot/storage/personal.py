"""What is kept about one person, shown to them and erased on request (GDPR articles 15, 17)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date

from sqlalchemy import Connection, delete, func, select, update

from bot.storage import rollup
from bot.storage.audit import to_change
from bot.storage.database import Database
from bot.storage.records import Erased, PersonalData, StoredReview, StoredTally, StoredVote
from bot.storage.schema import (
    Feedback,
    Finding,
    Review,
    SettingsChangeRow,
    finding_rollup,
    review_rollup,
)


class PersonalDataStore:
    """Reads and erases one person's rows in one workspace, and nobody else's."""

    def __init__(self, db: Database,
                 written_first: Callable[[], object] = lambda: None) -> None:
        self.db = db
        # Rows still on their way in (see recorder.py) are the person's too.
        self._written_first = written_first

    def collect(self, team_id: str, user_id: str) -> PersonalData:
        """The person's reviews (newest first, with guideline ids), votes and settings changes."""
        self._written_first()
        with self.db.transaction() as session:
            reviews = session.scalars(
                select(Review)
                .where(Review.team_id == team_id, Review.user_id == user_id)
                .order_by(Review.created_at.desc(), Review.id.desc())
            ).all()
            findings = session.execute(
                select(Finding.review_id, Finding.guideline_id)
                .join(Review, Review.id == Finding.review_id)
                .where(Review.team_id == team_id, Review.user_id == user_id)
                .order_by(Finding.review_id, Finding.position)
            ).all()
            votes = session.execute(
                select(Feedback.review_id, Feedback.helpful, Feedback.updated_at)
                .join(Review, Review.id == Feedback.review_id)
                .where(Review.team_id == team_id, Feedback.user_id == user_id)
                .order_by(Feedback.updated_at.desc())
            ).all()
            changes = session.scalars(
                select(SettingsChangeRow)
                .where(SettingsChangeRow.team_id == team_id, SettingsChangeRow.user_id == user_id)
                .order_by(SettingsChangeRow.created_at.desc())
            ).all()
            guidelines: dict[int, list[str]] = {review.id: [] for review in reviews}
            for review_id, guideline_id in findings:
                guidelines[review_id].append(guideline_id)
            tallies = _tallies(session.connection(), team_id, user_id)
            return PersonalData(
                reviews=[
                    StoredReview(
                        id=r.id, verdict=r.verdict, guidelines=guidelines[r.id], engine=r.engine,
                        entry_point=r.entry_point, created_at=r.created_at,
                        channel_id=r.channel_id,
                    )
                    for r in reviews
                ],
                votes=[StoredVote(review_id, helpful, at) for review_id, helpful, at in votes],
                settings_changes=[to_change(row) for row in changes],
                tallies=tallies,
            )

    def erase(self, team_id: str, user_id: str) -> Erased:
        """Delete the person's reviews (with their findings), votes and roll-up counts, in
        one transaction.

        Settings changes they made stay on record without their name: the channel's history
        still says what changed and when, but no longer who did it. Other people's votes on
        the person's reviews go with the reviews, so they are taken out of the voters' counts.
        """
        self._written_first()
        own_reviews = select(Review.id).where(Review.team_id == team_id)
        theirs = own_reviews.where(Review.user_id == user_id)
        with self.db.transaction() as session:
            # Their reviews first, then the counts, in the order a vote takes its locks, so
            # that a vote arriving now waits instead of deadlocking.
            session.execute(theirs.with_for_update()).all()
            _take_back_votes_on(session.connection(), self.db, team_id, user_id)
            tallies = sum(
                session.execute(
                    delete(table).where(table.c.team_id == team_id, table.c.user_id == user_id)
                ).rowcount
                for table in (review_rollup, finding_rollup)
            )
            votes = session.execute(
                delete(Feedback).where(
                    Feedback.user_id == user_id, Feedback.review_id.in_(own_reviews)
                )
            ).rowcount
            # Findings, and other people's votes on these reviews, go with them (CASCADE).
            reviews = session.execute(
                delete(Review).where(Review.team_id == team_id, Review.user_id == user_id)
            ).rowcount
            changes = session.execute(
                update(SettingsChangeRow)
                .where(SettingsChangeRow.team_id == team_id, SettingsChangeRow.user_id == user_id)
                .values(user_id=None)
            ).rowcount
        return Erased(reviews=reviews, votes=votes, settings_changes=changes, tallies=tallies)


def _take_back_votes_on(connection: Connection, db: Database, team_id: str,
                        user_id: str) -> None:
    """Subtract other people's votes on the person's reviews from those voters' counts."""
    statement = (
        select(Feedback.user_id, Feedback.helpful, Review.entry_point, Review.engine,
               Review.created_at)
        .join(Review, Review.id == Feedback.review_id)
        .where(Review.team_id == team_id, Review.user_id == user_id,
               Feedback.user_id != user_id)
    )
    # Summed per voter and bucket first: one update per roll-up row, not per vote.
    taken: Counter[tuple] = Counter()
    for voter, helpful, entry_point, engine, created_at in connection.execute(statement):
        moment = rollup.quarter_start(created_at)
        taken[(voter, entry_point, engine, moment, helpful)] += 1
    for (voter, entry_point, engine, moment, helpful), count in sorted(taken.items()):
        rollup.add_votes(connection, db.insert, team_id=team_id, voter=voter,
                         entry_point=entry_point, engine=engine, reviewed_at=moment,
                         helpful=-count if helpful else 0, not_helpful=0 if helpful else -count)


def _tallies(connection: Connection, team_id: str, user_id: str) -> list[StoredTally]:
    """The person's roll-up counts per UTC day, newest first."""
    counts = (
        select(review_rollup.c.bucket, func.sum(review_rollup.c.checked),
               func.sum(review_rollup.c.helpful + review_rollup.c.not_helpful))
        .where(review_rollup.c.team_id == team_id, review_rollup.c.user_id == user_id,
               review_rollup.c.span == "day")
        .group_by(review_rollup.c.bucket)
    )
    findings = (
        select(finding_rollup.c.bucket, func.sum(finding_rollup.c.findings))
        .where(finding_rollup.c.team_id == team_id, finding_rollup.c.user_id == user_id,
               finding_rollup.c.span == "day")
        .group_by(finding_rollup.c.bucket)
    )
    found: dict[date, int] = {
        bucket.date(): int(total) for bucket, total in connection.execute(findings)
    }
    days = {bucket.date(): (int(checked), int(votes))
            for bucket, checked, votes in connection.execute(counts)}
    tallies = []
    for day in sorted(days.keys() | found.keys(), reverse=True):
        checked, votes = days.get(day, (0, 0))
        tallies.append(StoredTally(day, checked, found.get(day, 0), votes))
    return tallies
