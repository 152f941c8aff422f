"""A persistent index of reference documents, for ``chachong check`` in CI: the :class:`Index`.

An index lasts between runs, grows as documents are accepted and answers a check in well
under a second. It holds, per document, its key, title, source, text (compressed, so copied
passages can be shown and candidates verified) and paragraph offsets, a sketch of each indexed
paragraph's MinHash signature, and two inverted tables, LSH band key -> document (similar
paragraphs) and fingerprint -> document (copied passages of ``min_span`` characters or more),
from which a check draws its candidate reference documents (:meth:`Index.candidates`,
:mod:`chachong.index.lookup`). In SQLite that takes about 3.7 bytes a character of indexed text
(:mod:`chachong.index.rows`, :mod:`chachong.index.postings`). Nothing is pickled.

A build reads and prepares its documents 20 M characters at a time, or takes a corpus the audit
prepared (``Index.build(uri, result.corpus)``: nothing is shingled or signed again), and is
atomic: one that fails half-way leaves the index it was replacing.

Two backends, chosen by the URI: a file path, an embedded SQLite database
(:mod:`chachong.index.sqlite_store`); ``redis://host:port/db``, an index shared by many CI
runners (:mod:`chachong.index.redis_store`).

The index records what makes signatures comparable and refuses to mix them with other
settings (:mod:`chachong.index.layout`). Adding a document key again replaces that document;
adding it unchanged does nothing (:func:`document_keys`, :func:`~chachong.index.rows.digest`).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chachong.config import AuditConfig
from chachong.index.layout import (SCHEMA, IndexStoreError, index_meta, layout, require_compatible,
                                   require_schema, run_config)
from chachong.index.redis_store import RedisStore
from chachong.index.lookup import candidate_documents
from chachong.index.rows import IndexedDocument, Progress, band_keys, document_keys, prepare_rows, with_band_keys
from chachong.index.sqlite_store import SQLiteStore
from chachong.model import Document, Skipped
from chachong.stages.fingerprints import window
from chachong.stages.prepare import Corpus, document_batches, prepare


_BATCH_CHARS = 20_000_000  # characters prepared and written at a time (about 1.5 GB of arrays)


@dataclass
class AddResult:
    """What :meth:`Index.add` did, by document key."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _is_redis(uri: str) -> bool:
    return uri.startswith(("redis://", "rediss://", "unix://"))


class Index:
    """A persistent reference index (SQLite file or Redis), see the module docstring.

    Open with :meth:`open`; ``config`` is the settings of this run (default: the settings the
    index was built with, updated by ``settings``). Use as a context manager to close it.
    """

    def __init__(self, store: Any, uri: str, config: AuditConfig, meta: dict[str, Any]) -> None:
        self._store = store
        self.uri = uri
        self.config = config
        self.meta = meta
        lay = layout(config)
        self.bands, self.rows = lay["bands"], lay["rows"]

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, uri: str | os.PathLike[str], config: AuditConfig | None = None, *, create: bool = False,
             settings: Mapping[str, Any] | None = None) -> Index:
        """Open (``create=True``: or create) the index at ``uri``.

        Raises :class:`IndexStoreError` when there is no index (and ``create`` is false), when
        it cannot be read, or when ``config`` makes signatures that cannot be mixed with it.
        """
        uri = os.fspath(uri)
        store = RedisStore(uri, create) if _is_redis(uri) else SQLiteStore(uri, create)
        try:
            meta = store.meta()
            if meta is None and not create:
                raise IndexStoreError(f"{store.where}: no index here; create it with: chachong index build "
                                      f"{store.where} PATH...")
            if meta is None:
                config = run_config(config, None, settings, store.where)
                store.start(index_meta(config))  # a concurrent creator may have won
                meta = store.meta()
            require_schema(meta, store.where)
            config = run_config(config, meta, settings, store.where)
            require_compatible(meta, config, store.where)
        except BaseException:
            store.close()
            raise
        return cls(store, uri, config, meta)

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Index:  # noqa: PYI034 - Python 3.10 has no typing.Self
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- writing

    def add(self, inputs: Sequence[str | os.PathLike[str]] | Sequence[Document], *,
            keys: Sequence[str] | None = None, progress: Progress | None = None, strict: bool = True) -> AddResult:
        """Add documents (files, folders or :class:`Document` objects); a known key is replaced.

        SQLite: all of them in one transaction (a killed process leaves the index as it was);
        Redis: one transaction per document. ``strict``: an input that cannot be read raises
        :class:`IndexStoreError` before anything is written (else it is listed in ``skipped``).
        """
        return self._add(inputs, keys=keys, progress=progress, reset=False, strict=strict)

    @classmethod
    def build(cls, uri: str | os.PathLike[str],
              inputs: Sequence[str | os.PathLike[str]] | Sequence[Document] | Corpus,
              config: AuditConfig | None = None, *, settings: Mapping[str, Any] | None = None,
              progress: Progress | None = None, strict: bool = True) -> AddResult:
        """Create the index at ``uri``, or replace a whole existing one, with these documents.

        ``inputs``: files and folders, :class:`Document` objects, or a corpus the audit prepared
        already (``AuditResult.corpus``, :func:`chachong.stages.prepare.prepare`), whose
        signatures and canonical text are used as they are (nothing is shingled or signed again).
        The index records ``config`` (default: the corpus's settings, or the default settings;
        updated by ``settings``), whatever an existing index at ``uri`` was built with. Atomic: a
        build that fails half-way leaves the index as it was (SQLite: one transaction; Redis: a
        new generation of keys that replaces the old one with one SET once it is whole).
        """
        uri = os.fspath(uri)
        store = RedisStore(uri, True) if _is_redis(uri) else SQLiteStore(uri, True)
        try:
            prepared = inputs if isinstance(inputs, Corpus) else None
            config = run_config(config or (prepared.config if prepared is not None else None), None, settings,
                                store.where)
            index = cls(store, uri, config, index_meta(config))
            store.begin_build()
            if prepared is not None:
                index._same_signatures(prepared)
                result = index._write(prepared, prepared.documents, None, progress or (lambda _s: None),
                                      AddResult(), reset=True)
            else:
                result = index._add(inputs, keys=None, progress=progress, reset=True, strict=strict)
            store.finish_build()
            return result
        finally:
            store.close()

    def add_corpus(self, corpus: Corpus, *, keys: Sequence[str] | None = None,
                   progress: Progress | None = None) -> AddResult:
        """Add the documents of a corpus the audit prepared already (:func:`chachong.stages.prepare.prepare`):
        its signatures and canonical text are used as they are, nothing is shingled or signed again.
        The corpus must be prepared with this index's signature settings."""
        self._same_signatures(corpus)
        return self._write(corpus, corpus.documents, keys, progress or (lambda _s: None), AddResult(), reset=False)

    def _same_signatures(self, corpus: Corpus) -> None:
        if corpus.config.signature_key() != self.config.signature_key():
            raise IndexStoreError(f"{self._store.where}: the corpus was prepared with other signature settings "
                                  "than the index's; prepare it with the index's settings (Index.config)")

    def _add(self, inputs: Any, *, keys: Sequence[str] | None, progress: Progress | None,
             reset: bool, strict: bool) -> AddResult:
        say = progress or (lambda _s: None)
        say("read")
        result = AddResult()
        docs = self._documents(inputs, result)
        if strict and result.skipped:
            first = result.skipped[0]
            more = f" (and {len(result.skipped) - 1} more)" if len(result.skipped) > 1 else ""
            raise IndexStoreError(f"{first.path}: {first.reason}{more}; nothing was added")
        if reset and not docs:
            raise IndexStoreError(f"{self._store.where}: no documents to build the index from; give files or folders")
        return self._write(None, docs, keys, say, result, reset)

    def _write(self, corpus: Corpus | None, docs: Sequence[Document], keys: Sequence[str] | None, say: Progress,
               result: AddResult, reset: bool) -> AddResult:
        """Write ``docs`` (prepared as ``corpus``, or prepared here a batch at a time) under ``keys``."""
        keys = list(keys) if keys is not None else document_keys([d.source for d in docs])
        if len(keys) != len(docs) or len(set(keys)) != len(keys):
            raise IndexStoreError(f"{self._store.where}: give one distinct key per document")
        with self._store.write():
            if reset:
                self._store.clear()
                self._store.set_meta(index_meta(self.config), replace=True)
                self.meta = self._store.meta() or self.meta
            # sizes the buckets of a new index: band keys of every paragraph, winnowed fingerprints
            # at 2 / (w + 1) of the characters
            chars = sum(len(d.text) for d in docs)
            self._store.plan(sum(len(d.paragraphs) for d in docs) * self.bands,
                             int(chars * 2 / (window(self.config.min_span)[1] + 1)), [d.text for d in docs])
            start = 0
            for lo, hi in document_batches(docs, _BATCH_CHARS):
                if corpus is None:
                    say("sign")
                    part = prepare(docs[lo:hi], self.config)
                    rows = prepare_rows(part, keys[lo:hi])
                    del part
                else:
                    rows = prepare_rows(corpus, keys, range(lo, hi))
                self._write_rows(with_band_keys(rows, self.bands, self.rows), result, say, start, len(docs))
                start = hi
            self._store.flush()
        return result

    def _write_rows(self, rows: list, result: AddResult, say: Progress, first: int, total: int) -> None:
        say("write")
        todo = []
        for r in rows:
            found = self._store.find(r.key)
            if found is None:
                result.added.append(r.key)
            elif found[1] == r.digest:
                result.unchanged.append(r.key)
                continue
            else:
                result.replaced.append(r.key)
                if isinstance(self._store, SQLiteStore):
                    self._store.delete(found[0], self.bands, self.rows)
            todo.append(r)  # Redis replaces inside each document's own transaction
        self._store.insert(todo, self.bands, self.rows, say, first, total)

    def _documents(self, inputs: Any, result: AddResult) -> list[Document]:
        items = list(inputs)
        if items and all(isinstance(x, Document) for x in items):
            return items
        if any(isinstance(x, Document) for x in items):
            raise TypeError("give either paths or Document objects, not both")
        from chachong.stages.load import load_documents

        docs, skipped, warnings = load_documents(items, self.config)
        result.skipped.extend(skipped)
        result.warnings.extend(warnings)
        return docs

    def remove(self, names: Sequence[str]) -> list[str]:
        """Remove documents by key, or every document of a source path; returns the keys removed.

        Raises :class:`IndexStoreError` naming the first unknown name (and removes nothing).
        """
        with self._store.write():
            known = self._store.keys()
            by_source: dict[str, list[str]] = defaultdict(list)
            for k in known:
                by_source[k.rsplit("#", 1)[0] if "#" in k else k].append(k)
            chosen: list[str] = []
            for name in names:
                name = Path(name).as_posix() if name not in known else name
                hits = [name] if name in known else by_source.get(name, [])
                if not hits:
                    raise IndexStoreError(f"{self._store.where}: no document {name!r} in the index; list the keys "
                                          f"with: chachong index info {self._store.where} --documents")
                chosen.extend(h for h in hits if h not in chosen)
            for k in chosen:
                self._store.delete(known[k], self.bands, self.rows)
        return chosen

    # ---------------------------------------------------------------- reading

    def documents(self) -> list[IndexedDocument]:
        """Every indexed document, in the order they were added."""
        with self._store.read():
            return self._store.listing()

    def __len__(self) -> int:
        return self._store.count()

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._store.find(key) is not None

    def info(self) -> dict[str, Any]:
        """Settings, layout and counts (for ``chachong index info``)."""
        with self._store.read():
            counts = self._store.counts()
        out: dict[str, Any] = {"index": self._store.where,
                               "backend": "redis" if isinstance(self._store, RedisStore) else "sqlite",
                               "schema": SCHEMA, "created_by": self.meta.get("created_by"),
                               "layout": self.meta["layout"], "settings": self.meta["config"], **counts}
        if isinstance(self._store, SQLiteStore):
            out["bytes"] = sum(os.path.getsize(p) for p in (self.uri, self.uri + "-wal") if os.path.exists(p))
        return out

    def verify(self) -> list[str]:
        """Consistency problems (none for a sound index): orphan rows, counts, texts against digests."""
        with self._store.read():
            return self._store.verify(self.bands, self.rows)

    def candidates(self, corpus: Corpus, documents: Sequence[int]) -> list[int]:
        """Index ids of the documents that may share copied text with ``corpus.documents[documents]``.

        A superset of what the audit's own pairing would verify: documents with a paragraph
        sharing an LSH band whose estimated Jaccard is near the threshold (as in
        :mod:`chachong.stages.candidates`), and documents sharing a winnowed fingerprint, i.e. possibly an
        exact run of ``min_span`` characters (a fingerprint in more than
        ``MAX_FINGERPRINT_DOCS`` documents is stock phrasing and proposes nothing); see
        :mod:`chachong.index.lookup`.
        """
        with self._store.read():
            return candidate_documents(self._store, corpus, documents, self.config,
                                       int(self.meta["layout"]["min_span"]), self.bands, self.rows)

    def fetch(self, doc_ids: Sequence[int]) -> list[tuple[str, Document]]:
        """(key, document) of indexed documents by index id, in index order (ids are placeholders)."""
        with self._store.read():
            return [(key, doc) for _, key, doc in self._store.fetch(doc_ids)]

    def keys(self) -> dict[str, int]:
        """Document key -> index id, in the order they were added."""
        return self._store.keys()


__all__ = ["AddResult", "Index", "IndexStoreError", "IndexedDocument", "band_keys", "document_keys", "layout"]
