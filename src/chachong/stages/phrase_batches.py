"""Stock-phrase mining by batches of documents: what each batch computes and what merges them.

The local engine mines the whole corpus as one batch; the Dask engine makes a batch of each
partition, on the worker that holds its documents, and merges on one task. Per batch, in order:

1. :func:`phrase_batch`: the batch's joined text (phrase_text.py), its groups and which of its
   texts hold writing (:func:`written`: the independent documents fix ``min_docs``);
2. :func:`batch_counts`: its shortest n-grams counted per hash bucket; the batches' counts are
   summed (``phrase_ngrams.heavy_buckets``);
3. :func:`batch_grams` and :func:`batch_pairs`: the distinct (hash, group) pairs of its n-grams in heavy buckets; the
   union of the batches' pairs counts each n-gram's groups exactly, a group whose documents lie
   in several batches once (``phrase_ngrams.merge_pairs``);
4. :func:`batch_windows`: the windows of the n-grams found frequent, with what the rest of the
   mining reads of them (``phrase_windows.WindowPiece``); ``phrases.mine_windows`` mines the
   joined pieces.

A batch and its n-grams in heavy buckets stay where they were made (a worker's memory) between
the steps; only the counts, the pairs and the windows leave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chachong.config import AuditConfig
from chachong.stages.phrase_ngrams import Table, bucket_counts, distinct_pairs, heavy_grams
from chachong.stages.phrase_text import JoinedText, build_text
from chachong.stages.phrase_windows import WindowPiece, window_piece


@dataclass
class Batch:
    """One batch of texts being mined: its texts, joined text, each text's group (numbered for
    the whole corpus)."""

    texts: list[str]
    text: JoinedText
    group: np.ndarray

    @property
    def chars(self) -> int:
        return self.text.n


def written(texts: Iterable[str]) -> np.ndarray:
    """Whether each text holds any writing (a blank text is no independent document)."""
    return np.fromiter((bool(t.strip()) for t in texts), dtype=bool)


def phrase_batch(texts: Sequence[str], group: np.ndarray, config: AuditConfig,
                 exclude: Sequence[Sequence[tuple[int, int]]] | None, corpus: Any, piece: int) -> Batch:
    """A batch of ``texts`` of groups ``group``; ``exclude``, ``corpus`` as ``phrases.mine_phrases``,
    ``piece`` as :class:`~chachong.stages.phrase_text.JoinedText`."""
    texts = list(texts)
    return Batch(texts, build_text(texts, config, exclude, corpus, piece), np.asarray(group, np.int64))


def batch_counts(batch: Batch, length: int, bits: int, cap: int) -> np.ndarray:
    """The batch's ``length``-grams per hash bucket (``phrase_ngrams.bucket_counts``)."""
    return bucket_counts(batch.text, length, bits, cap)


def batch_grams(batch: Batch, length: int, heavy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions and hashes of the batch's ``length``-grams in ``heavy`` buckets (kept with the batch)."""
    return heavy_grams(batch.text, length, heavy)


def batch_pairs(batch: Batch, grams: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (hash, group) pairs of the batch's n-grams ``grams`` (:func:`batch_grams`)."""
    pos, h = grams
    return distinct_pairs(h, batch.group[batch.text.doc(pos)])


def batch_windows(batch: Batch, grams: tuple[np.ndarray, np.ndarray], table: Table, length: int) -> WindowPiece:
    """The batch's windows of its ``grams`` frequent in the whole corpus (``table``)."""
    pos, h = grams
    return window_piece(batch.text, batch.texts, pos[table.lookup(h) > 0], length)


__all__ = ["Batch", "batch_counts", "batch_grams", "batch_pairs", "batch_windows", "phrase_batch", "written"]
