"""Whether a path argument names a reference index (``chachong index build``) rather than files to read."""

from __future__ import annotations

import os

_SQLITE = b"SQLite format 3\x00"


def is_index_uri(value: str) -> bool:
    """A Redis URI, or a file that is a SQLite database (an index built by ``chachong index build``).

    >>> is_index_uri("redis://localhost:6379/0"), is_index_uri("docs/")
    (True, False)
    """
    if value.startswith(("redis://", "rediss://", "unix://")):
        return True
    try:
        if not os.path.isfile(value):
            return False
        with open(value, "rb") as fh:
            return fh.read(len(_SQLITE)) == _SQLITE
    except OSError:
        return False


__all__ = ["is_index_uri"]
