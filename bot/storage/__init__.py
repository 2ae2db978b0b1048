"""What Tone Coach keeps, in SQLite or PostgreSQL: see ``Storage``."""

from bot.storage.errors import StorageError
from bot.storage.records import (
    DigestSubscription,
    ReviewRecord,
    StoredReview,
    TipSubscription,
)
from bot.storage.store import Storage

__all__ = [
    "DigestSubscription",
    "ReviewRecord",
    "Storage",
    "StorageError",
    "StoredReview",
    "TipSubscription",
]
