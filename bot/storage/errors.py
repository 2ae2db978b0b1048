"""The one exception the storage layer raises on purpose."""


class StorageError(Exception):
    """The database cannot be used: bad ``DATABASE_URL``, unreachable server, bad setting."""
