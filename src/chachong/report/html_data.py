"""The encoding of report.html's data block: JSON that is safe inside ``<script>``, and character
intervals packed as small deltas (the page's script unpacks them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")


def script_json(data: Any) -> str:
    r"""JSON that is safe inside ``<script>``: ``<``, ``>``, ``&``, U+2028 and U+2029 escaped.

    No ``</script>`` or ``<!--`` can survive, so document text cannot end the data block.

    >>> script_json({"t": "</script><b>&"})
    '{"t":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}'
    >>> json.loads(script_json(["a\u2028b<"])) == ["a\u2028b<"]
    True
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: _SCRIPT_ESCAPES[m.group()], text)


def merge(intervals: Iterable[Sequence[int]]) -> list[list[int]]:
    out: list[list[int]] = []
    for s, e in sorted((int(iv[0]), int(iv[1])) for iv in intervals):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def pack(intervals: Iterable[Sequence[int]]) -> list[int]:
    """Merged intervals as one flat list of (gap from the previous end, length) pairs.

    Stock phrasing can mark tens of thousands of short intervals; small deltas keep the
    page small (the script unpacks them).

    >>> pack([(5, 9), (12, 20), (7, 10)])
    [5, 5, 2, 8]
    """
    out: list[int] = []
    end = 0
    for s, e in merge(intervals):
        out += [s - end, e - s]
        end = e
    return out


__all__ = ["merge", "pack", "script_json"]
