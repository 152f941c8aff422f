"""Stock phrases on Dask: the batches of ``stages.phrase_batches``, one per partition, merged on one task.

Each partition's task finds its boilerplate (``boilerplate.boilerplate_batch``: the client merges
them, ``merge_boilerplate``) and makes a batch of its documents (their joined text from the
partition's prepared arrays, less that boilerplate) on the worker that holds them; the batch
stays there. Then, with the merges on single tasks:

1. the batches' written-text flags and sizes give ``min_docs`` and the hash buckets (a task);
2. each batch counts its shortest n-grams per bucket; one task sums them (heavy buckets);
3. each batch sends the distinct (hash, group) pairs of its n-grams in heavy buckets; one task
   takes their union and keeps the n-grams in ``min_docs`` groups (``phrase_ngrams.merge_pairs``);
4. each batch sends its windows of those n-grams (``phrase_windows.WindowPiece``: a few % of
   its text), and the stock task mines the joined windows (``phrases.mine_windows``).

No task receives every document's text; the stock task receives the windows and the runs jieba
reads. Every function here but :func:`start` and :func:`finish` (the client's) is a task run on a worker
(named ``phrase_*``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chachong.config import AuditConfig
from chachong.engine.dask.partitions import Part


def phrase_boilerplate(part: Part):
    """The partition's boilerplate (``boilerplate.boilerplate_batch``; the client merges them)."""
    from chachong.stages.boilerplate import boilerplate_batch

    return boilerplate_batch(part.corpus.documents)


def phrase_batch(part: Part, found, config: AuditConfig, group: np.ndarray, piece: int):
    """The partition's batch (``phrase_batches.phrase_batch``): its documents less their boilerplate
    ``found`` (a document's intervals are those of the merged boilerplate: only the kinds of its
    lines depend on the other partitions)."""
    from chachong.stages.boilerplate import merge_boilerplate
    from chachong.stages.phrase_batches import phrase_batch as make_batch
    from chachong.stages.stock import not_content

    docs = part.corpus.documents
    exclude = not_content(merge_boilerplate([found]))
    return make_batch([d.text for d in docs], group, config, exclude, part.corpus, piece)


def phrase_size(batch) -> tuple[int, np.ndarray]:
    """Canonical characters of the batch and which of its texts hold writing."""
    from chachong.stages.phrase_batches import written

    return batch.chars, written(batch.texts)


def phrase_plan(config: AuditConfig, group: np.ndarray, sizes: list) -> dict[str, Any]:
    """``min_docs``, whether mining can find anything, and the hash buckets' bits, for all batches."""
    from chachong.stages.phrase_ngrams import bucket_bits
    from chachong.stages.phrases import mining_threshold

    chars = sum(n for n, _ in sizes)
    min_docs, ok = mining_threshold(config, group, np.concatenate([w for _, w in sizes]))
    return {"min_docs": min_docs, "bits": bucket_bits(chars),
            "ok": ok and chars >= config.phrase_min_chars, "chars": chars}


def phrase_counts(batch, config: AuditConfig, p: dict) -> np.ndarray | None:
    from chachong.stages.phrase_batches import batch_counts

    return batch_counts(batch, config.phrase_min_chars, p["bits"], p["min_docs"]) if p["ok"] else None


def phrase_heavy(parts: list, p: dict) -> np.ndarray | None:
    from chachong.stages.phrase_ngrams import heavy_buckets

    return heavy_buckets(parts, p["min_docs"]) if p["ok"] else None


def phrase_grams(batch, config: AuditConfig, heavy_: np.ndarray | None):
    from chachong.stages.phrase_batches import batch_grams

    return None if heavy_ is None else batch_grams(batch, config.phrase_min_chars, heavy_)


def phrase_pairs(batch, grams_):
    from chachong.stages.phrase_batches import batch_pairs

    return None if grams_ is None else batch_pairs(batch, grams_)


def phrase_table(parts: list, p: dict):
    from chachong.stages.phrase_ngrams import merge_pairs

    return merge_pairs(parts, p["min_docs"]) if p["ok"] else None


def phrase_pieces(batch, grams_, config: AuditConfig, table_):
    from chachong.stages.phrase_batches import batch_windows

    return None if table_ is None else batch_windows(batch, grams_, table_, config.phrase_min_chars)


def phrase_mine(pieces_: list, group: np.ndarray, config: AuditConfig, p: dict, table_) -> tuple[list, list, dict]:
    """The stock task: the phrases of the joined windows and the text they cover, and what it
    received and did (bytes of the pieces, counts of ``mine_phrases``' stats)."""
    from chachong.stages.phrases import coverage, mine_windows

    work = {"chars": p["chars"], "min_documents": p["min_docs"], "window_chars": 0, "segmented_chars": 0,
            "candidates": 0, "phrases": 0}
    phrases = mine_windows(pieces_, group, config, p["min_docs"], table_, work) if p["ok"] else []
    work["received_bytes"] = sum(x.nbytes for x in pieces_ if x is not None)
    return phrases, coverage(phrases, group.size), work


def start(client, parts: list, doc_cuts: list[tuple[int, int]], config: AuditConfig, groups: list[int],
          piece: int) -> tuple[list, Any, list]:
    """Submit the boilerplate and stock-phrase tasks (nothing is waited for): the futures of the
    partitions' boilerplate, of (phrases, coverage, work) and of the batches' sizes (``phrase_size``:
    which documents hold writing)."""
    group = np.unique(np.asarray(groups, np.int64), return_inverse=True)[1].reshape(-1).astype(np.int64)

    def submit(fn, *args):
        return client.submit(fn, *args, pure=False, priority=10)

    found = [submit(phrase_boilerplate, part) for part in parts]
    batches = [submit(phrase_batch, part, f, config, group[lo:hi], piece)
               for part, f, (lo, hi) in zip(parts, found, doc_cuts)]
    sizes = [submit(phrase_size, b) for b in batches]
    p = submit(phrase_plan, config, group, sizes)
    h = submit(phrase_heavy, [submit(phrase_counts, b, config, p) for b in batches], p)
    g = [submit(phrase_grams, b, config, h) for b in batches]
    t = submit(phrase_table, [submit(phrase_pairs, b, x) for b, x in zip(batches, g)], p)
    pieces = [submit(phrase_pieces, b, x, config, t) for b, x in zip(batches, g)]
    return found, submit(phrase_mine, pieces, group, config, p, t), sizes


def finish(client, config: AuditConfig, groups: list[int], started: tuple) -> tuple[Any, tuple, np.ndarray, dict]:
    """(stage cache, covered, written, work) for ``stock.annotate_stock`` from :func:`start`'s futures
    (``started``: the boilerplate, the stock task, the sizes, the warnings): the partitions' boilerplate
    merged here (``boilerplate.merge_boilerplate``), and which documents hold writing from the batches'
    sizes (read from the client's texts, 0.4 s at 600k paragraphs)."""
    from chachong.runtime.stagecache import StageCache
    from chachong.stages.boilerplate import TrailerNote, merge_boilerplate
    from chachong.stages.stock import remember_stock, stock_key

    found, job, sizes, warnings = started
    phrases, cover, work = job.result()
    written = np.concatenate([w for _, w in client.gather(sizes)])
    boilerplate = merge_boilerplate(client.gather(found), [w for w in warnings if isinstance(w, TrailerNote)])
    cache = StageCache()
    remember_stock(cache, config, groups, boilerplate, phrases)
    return cache, (stock_key(config, groups), cover), written, work


__all__ = ["finish", "start"]
