"""Work items on a few threads, results in order, a bounded number in flight.

For steps that spend their time in numpy or pyarrow calls that release the GIL (sorting a
spilled partition, reading a Parquet file): the items run side by side and the caller consumes
each result in the items' order, so what it builds does not depend on the threads.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_order(fn: Callable[[T], R], items: Iterable[T], threads: int) -> Iterator[R]:
    """``fn(item)`` for each item, yielded in the items' order; at most ``threads`` items are
    computed at once and at most ``threads`` results wait to be consumed (memory stays that of a
    few items). ``threads`` <= 1: one after the other on this thread.

    An exception of ``fn`` is raised when its item's turn comes; the items already started finish
    first (the threads are joined before it propagates).

    >>> list(in_order(lambda x: x * x, range(6), 2))
    [0, 1, 4, 9, 16, 25]
    """
    if threads <= 1:
        yield from map(fn, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool:
        pending: deque = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


__all__ = ["in_order"]
