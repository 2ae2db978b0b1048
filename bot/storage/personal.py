"""What is kept about one person, shown to them and erased on request (GDPR articles 15, 17)."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from bot.storage.audit import to_change
from bot.storage.database import Database
from bot.storage.records import Erased, PersonalData, StoredReview, StoredVote
from bot.storage.schema import Feedback, Finding, Review, SettingsChangeRow


class PersonalDataStore:
    """Reads and erases one person's rows in one workspace, and nobody else's."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self, team_id: str, user_id: str) -> PersonalData:
        """The person's reviews (newest first, with guideline ids), votes and settings changes."""
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
            )

    def erase(self, team_id: str, user_id: str) -> Erased:
        """Delete the person's reviews (with their findings) and votes, in one transaction.

        Settings changes they made stay on record without their name: the channel's history
        still says what changed and when, but no longer who did it.
        """
        own_reviews = select(Review.id).where(Review.team_id == team_id)
        with self.db.transaction() as session:
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
        return Erased(reviews=reviews, votes=votes, settings_changes=changes)
