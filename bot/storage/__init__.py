"""What Tone Coach keeps, in SQLite or PostgreSQL: see ``Storage``."""

from bot.storage.errors import StorageError
from bot.storage.records import (
    DigestSubscription,
    Erased,
    PersonalData,
    ReviewRecord,
    SettingsChange,
    StoredReview,
    StoredTally,
    StoredVote,
    TipSubscription,
)
from bot.storage.store import Storage

__all__ = [
    "DigestSubscription", "Erased", "PersonalData", "ReviewRecord", "SettingsChange",
    "Storage", "StorageError", "StoredReview", "StoredTally", "StoredVote", "TipSubscription",
]
