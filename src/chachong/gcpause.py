"""Cyclic garbage collection paused while a stage builds many small objects.

Aligning passages and building a report make hundreds of thousands of small acyclic objects
(tuples, lists, dicts) while the whole corpus is alive; every automatic collection they
trigger walks millions of objects none of which is garbage (a third of the alignment at
100k paragraphs, 40 % of building and writing a report). Reference counting still frees
everything.

>>> import gc
>>> with paused_gc():
...     gc.isenabled()
False
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Cyclic garbage collection off inside the block, restored after it."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


__all__ = ["paused_gc"]
