"""What an audit keeps of its own work so that re-thresholding answers in a moment.

:meth:`chachong.api.AuditResult.rethreshold` audits the same prepared corpus at other
settings. Most of the work does not depend on the settings it changes, or depends on them
only through inputs that can be compared:

- the verified candidate pairs (:class:`chachong.stages.candidates.Candidates`) serve any stricter
  threshold or containment: they are re-filtered, not proposed and verified again;
- the seed hits of the fingerprint index depend on ``min_span`` and on which documents are
  independent (the stock rule); they are kept per such key;
- passages do not depend on the pairing thresholds: a re-threshold aligns the verified
  paragraph pairs of the first audit too (unless one of them is now a stock paragraph), so
  raising a threshold keeps the passages and re-filters the pairs;
- the passages of one document pair depend only on what was aligned there (its verified
  paragraph regions and seed hits) and ``min_span``: a pair whose inputs are unchanged
  reuses its passages, report records and paragraph pieces; a longer ``min_span`` than one
  aligned before re-filters that one's passages (a passage stays when one of its pieces
  between paragraph breaks matches that many characters exactly);
- stock phrases depend on the phrase settings and on the groups of copied documents;
  boilerplate on the documents alone.

So a re-threshold costs the re-filtering, the pairs whose inputs changed, and the
bookkeeping of paragraph pairs and copy ratios. Every key holds exactly what the work
depends on, so a cached answer is the answer a fresh computation gives, with three
deliberate differences: candidates proposed for a lower threshold than asked for (LSH
recall is higher there, so a pair a fresh audit would miss by chance can be found);
passages of paragraph pairs the first audit verified and a stricter threshold no longer
does (a fresh audit finds most of them from its seeds, the rest are copies all the same);
and passages re-filtered for a longer span (a fresh alignment at that span can stitch a
passage's ends differently where a shorter exact run lies next to it).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def digest(*parts: Any) -> bytes:
    """A short stable key for arrays and plain values (for cache keys, not for security).

    >>> digest(np.array([1, 2]), 3) == digest(np.array([1, 2]), 3)
    True
    >>> digest(np.array([1, 2])) == digest(np.array([2, 1]))
    False
    """
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(str(p.dtype).encode())
            h.update(np.ascontiguousarray(p).tobytes())
        else:
            h.update(repr(p).encode())
        h.update(b"\x00")
    return h.digest()


@dataclass
class StageCache:
    """Intermediate results of one audit, reused by its re-thresholds (see the module docstring)."""

    candidates: Any = None  # chachong.stages.candidates.Candidates
    hits: dict[bytes, np.ndarray] = field(default_factory=dict)
    # (min_span, a, b, the pair's regions, its seed hits as bytes) -> [(DocumentMatch, Passage without id, pieces)]
    passages: dict[tuple, list] = field(default_factory=dict)
    spans: set[int] = field(default_factory=set)  # min_span values aligned so far
    region_pairs: frozenset[tuple[int, int]] | None = None  # the first audit's verified paragraph pairs
    phrases: dict[bytes, Any] = field(default_factory=dict)
    boilerplate: Any = None
    # whole-corpus facts that no setting a re-threshold may change affects
    doc_jaccard: dict[tuple[int, int], float] = field(default_factory=dict)
    doc_signatures: Any = None
    doc_digests: Any = None

    def copy(self) -> "StageCache":
        """An independent cache with the same entries (entries themselves are shared, never changed)."""
        cands = self.candidates
        if cands is not None:
            cands = dataclasses.replace(cands, runs=cands.runs.copy())
        return StageCache(cands, dict(self.hits), dict(self.passages), set(self.spans), self.region_pairs,
                          dict(self.phrases),
                          self.boilerplate, dict(self.doc_jaccard), self.doc_signatures, self.doc_digests)

    def trim(self, limit: int = 4) -> None:
        """Forget all but the newest ``limit`` entries of the keyed caches of whole-corpus results."""
        for d in (self.hits, self.phrases):
            while len(d) > limit:
                d.pop(next(iter(d)))


__all__ = ["StageCache", "digest"]
