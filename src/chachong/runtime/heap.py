"""Giving freed heap memory back to the system."""

from __future__ import annotations

import ctypes


def trim_heap() -> None:
    """Give freed heap memory back to the system (glibc only; elsewhere nothing happens).

    glibc keeps what each worker thread freed in that thread's own heap for reuse; after
    preparing, that is 100 MB or more nobody will use, counted in the RSS every later stage
    starts from (and after the pair stage, the fingerprint index's thread's temporaries).
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


__all__ = ["trim_heap"]
