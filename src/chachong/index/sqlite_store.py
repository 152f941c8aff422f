"""The SQLite backend of the index: one embedded database file.

WAL mode and a busy timeout let many readers and writers share the file; every ``add``,
``remove`` and ``build`` is one transaction (:meth:`SQLiteStore.write`), so a process killed
half-way leaves the index exactly as it was. Tables (format ``chachong.index/2``, 1 KB pages):
``meta`` (the JSON meta record; the text dictionary ``zdict``; the bucket sizes ``buckets``;
the counts of ``documents``, of ``postings`` stored and of ``dead`` ones, of removed documents),
``documents``
(key, title, source, counts, digest, the text deflated against ``zdict``, packed paragraph
bounds, which paragraphs are indexed, their signature sketches) and the two inverted tables
``band_buckets`` and ``fp_buckets`` (bucket -> packed postings, :mod:`chachong.index.postings`).
A removed document's postings stay until they are a quarter of all (:meth:`SQLiteStore.compact`);
lookups skip documents no longer listed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from chachong.index import postings
from chachong.index.layout import IndexStoreError
from chachong.index.rows import (IndexedDocument, Prepared, Progress, compress_text, decompress_text, digest,
                                 make_zdict, pack_bounds, rebuild_document, sketch, unpack_bounds)
from chachong.model import Document
from chachong.runtime.arrays import unique

_BUSY_SECONDS = 120.0  # a writer waits this long for another writer's transaction
_CHUNK = 900  # host parameters per SQL statement (old SQLite builds allow 999)
_PAGE_SIZE = 1024
_MMAP_BYTES = 1 << 30
_COMPACT_SHARE = 0.25  # postings of removed documents are dropped once they are this share of all

_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused, so a stale posting cannot alias
    key TEXT NOT NULL UNIQUE, title TEXT NOT NULL, source TEXT NOT NULL, line INTEGER NOT NULL,
    chars INTEGER NOT NULL, paragraphs INTEGER NOT NULL, indexed INTEGER NOT NULL, digest TEXT NOT NULL,
    band_postings INTEGER NOT NULL, fp_postings INTEGER NOT NULL,
    text BLOB NOT NULL, bounds BLOB NOT NULL, mask BLOB NOT NULL, sketch BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS band_buckets (bucket INTEGER PRIMARY KEY, n INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS fp_buckets (bucket INTEGER PRIMARY KEY, n INTEGER NOT NULL, data BLOB NOT NULL);
"""
_TABLES = {"bands": "band_buckets", "fingerprints": "fp_buckets"}


def _chunks(items: Sequence, n: int = _CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


class SQLiteStore:
    """The index in the SQLite file ``path`` (see the module docstring); ``create``: make it if missing."""

    def __init__(self, path: str, create: bool) -> None:
        self.where = path
        self._dict: bytes | None = None
        self._pending: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {k: [] for k in _TABLES}
        p = Path(path)
        if p.is_dir():
            raise IndexStoreError(f"{path}: is a folder; give the index file (e.g. {p / 'refs.db'})")
        if not p.exists():
            if not create:
                raise IndexStoreError(f"{path}: no index here; create it with: chachong index build {path} PATH...")
            if not p.parent.is_dir():
                raise IndexStoreError(f"{path}: folder {p.parent} does not exist; create it first")
        try:
            self.db = sqlite3.connect(path, timeout=_BUSY_SECONDS, isolation_level=None)
            # small pages: bucket rows of ~1.5 KB and texts of a few KB fill them (4 KB pages hold two
            # buckets: 4.2 instead of 3.7 bytes a character), and an add rewrites little of the file
            self.db.execute(f"PRAGMA page_size={_PAGE_SIZE}")  # only takes effect on a new file
            self._retry(lambda: self.db.execute("PRAGMA journal_mode=WAL").fetchone())
            # WAL + NORMAL survives a killed process (not a power cut) at a fraction of FULL's fsyncs
            self.db.execute("PRAGMA synchronous=NORMAL")
            # a check reads a few thousand scattered pages: mapped, they cost no read() each
            self.db.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise IndexStoreError(f"{path}: not a chachong index ({exc}); give the file made by "
                                  "chachong index build") from exc
        if tables and "meta" not in tables:
            raise IndexStoreError(f"{path}: an SQLite database of another program, not a chachong index; "
                                  "choose another file")
        if "meta" not in tables and create:
            with self.write():
                for statement in _SQLITE_SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)

    def _retry(self, fn: Callable[[], Any]) -> Any:
        # switching to WAL needs a moment without other connections; busy_timeout does not cover it
        import time

        for attempt in range(200):
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 199:
                    raise
                time.sleep(0.05)

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction; taking the write lock at BEGIN avoids deadlocked upgrades."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise IndexStoreError(f"{self.where}: cannot write ({exc}); another process holds the index, "
                                  "or the file is read-only") from exc
        try:
            yield
            self.flush()
            self.db.execute("COMMIT")
        except BaseException:
            self._pending = {k: [] for k in _TABLES}
            self._dict = None
            self.db.execute("ROLLBACK")
            raise

    @contextmanager
    def read(self) -> Iterator[None]:
        """One snapshot for several reads, so a concurrent writer is seen wholly or not at all."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    # meta
    def meta(self) -> dict[str, Any] | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE name='index'").fetchone()
        except sqlite3.OperationalError:
            return None
        return json.loads(row[0]) if row else None

    def set_meta(self, meta: Mapping[str, Any], replace: bool) -> None:
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        self.db.execute(f"{verb} INTO meta(name, value) VALUES ('index', ?)", (json.dumps(meta, sort_keys=True),))

    def start(self, meta: Mapping[str, Any]) -> None:
        """Record ``meta`` in a new, empty index (a concurrent creator may have won)."""
        with self.write():
            self.set_meta(meta, replace=False)

    def _value(self, name: str) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def _put(self, name: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)", (name, value))

    def _zdict(self) -> bytes:
        if self._dict is None:
            self._dict = bytes(self._value("zdict") or b"")
        return self._dict

    def _bits(self) -> dict[str, tuple[int, int]] | None:
        """(bucket bits, residual bits) of each inverted table, fixed when the index got its first documents."""
        raw = self._value("buckets")
        return {k: (int(v[0]), int(v[1])) for k, v in json.loads(raw).items()} if raw else None

    def clear(self) -> None:
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "band_buckets" not in tables:  # an index of an older layout, rebuilt: its tables go
            for table in tables - {"meta", "sqlite_sequence"}:
                self.db.execute(f"DROP TABLE {table}")
            for statement in _SQLITE_SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
        for table in ("band_buckets", "fp_buckets", "documents"):
            self.db.execute(f"DELETE FROM {table}")
        self.db.execute("DELETE FROM meta WHERE name != 'index'")
        self._dict = None

    def begin_build(self) -> None:
        """A build is one transaction (:meth:`write`): nothing to prepare."""

    def finish_build(self) -> None:
        """Give back the pages a smaller rebuild freed (VACUUM is a transaction too)."""
        if int(self.db.execute("PRAGMA freelist_count").fetchone()[0]):
            self.db.execute("VACUUM")

    # documents
    def find(self, key: str) -> tuple[int, str] | None:
        row = self.db.execute("SELECT id, digest FROM documents WHERE key=?", (key,)).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def keys(self) -> dict[str, int]:
        return {k: int(i) for k, i in self.db.execute("SELECT key, id FROM documents ORDER BY id")}

    def count(self) -> int:
        """Documents indexed, kept in meta: a count(*) reads a page per 20 documents (50 ms at 6 M paragraphs)."""
        return int(self._value("documents") or 0)

    def delete(self, doc_id: int, bands: int, rows: int) -> None:
        """Drop the document; its postings stay until :meth:`compact` (lookups skip documents not listed)."""
        row = self.db.execute("SELECT band_postings + fp_postings FROM documents WHERE id=?", (doc_id,)).fetchone()
        if row is None:
            return
        self.db.execute("DELETE FROM documents WHERE id=?", (doc_id,))
        self._put("documents", self.count() - 1)
        dead = int(self._value("dead") or 0) + int(row[0])
        self._put("dead", dead)
        if dead > _COMPACT_SHARE * max(int(self._value("postings") or 0), 1):
            self.compact()

    def compact(self) -> None:
        """Rewrite every bucket without the postings of removed documents."""
        live = np.array([r[0] for r in self.db.execute("SELECT id FROM documents ORDER BY id")], dtype=np.int64)
        for table in _TABLES.values():
            for bucket, n, data in self.db.execute(f"SELECT bucket, n, data FROM {table}").fetchall():
                residual, docs = postings.decode(data, int(n), self.where)
                keep = np.isin(docs, live)
                if keep.all():
                    continue
                if keep.any():
                    data, n = postings.encode(residual[keep], docs[keep])
                    self.db.execute(f"UPDATE {table} SET n=?, data=? WHERE bucket=?", (n, data, bucket))
                else:
                    self.db.execute(f"DELETE FROM {table} WHERE bucket=?", (bucket,))
        self._put("dead", 0)
        self._put("postings", sum(int(self.db.execute(f"SELECT coalesce(sum(n), 0) FROM {t}").fetchone()[0])
                                  for t in _TABLES.values()))

    def plan(self, band_postings: int, fingerprints: int, texts: Sequence[str]) -> None:
        """Size a new index's buckets for about this many postings, and make its text dictionary."""
        if self._bits() is None:
            self._put("buckets", json.dumps(
                {"bands": (postings.bucket_bits(band_postings), postings.RESIDUAL_BITS["bands"]),
                 "fingerprints": (postings.bucket_bits(fingerprints), postings.RESIDUAL_BITS["fingerprints"])},
                sort_keys=True))
        if self._value("zdict") is None and texts:
            self._dict = make_zdict(texts)
            self._put("zdict", self._dict)

    def insert(self, docs: Sequence[Prepared], bands: int, rows: int, progress: Progress, first: int = 0,
               total: int | None = None) -> None:
        """Write the documents; their postings wait in memory (12 bytes each) for :meth:`flush`."""
        if not docs:
            return
        if self._bits() is None:
            self.plan(sum(int(d.pidx.size) for d in docs) * bands, sum(int(d.wfp.size) for d in docs),
                      [d.text for d in docs])
        zdict, bits = self._zdict(), self._bits()
        assert bits is not None
        for n, d in enumerate(docs, 1):
            split = {"bands": postings.split(d.band.ravel() if d.pidx.size else np.zeros(0, np.int64),
                                             *bits["bands"]),
                     "fingerprints": postings.split(d.wfp, *bits["fingerprints"])}
            own = {k: unique((b.astype(np.uint64) << np.uint64(32)) | r.astype(np.uint64))
                   for k, (b, r) in split.items()}
            mask = np.zeros(len(d.bounds), dtype=bool)
            mask[d.pidx] = True
            cur = self.db.execute(
                "INSERT INTO documents(key, title, source, line, chars, paragraphs, indexed, digest, band_postings, "
                "fp_postings, text, bounds, mask, sketch) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (d.key, d.title, d.source, d.line, len(d.text), len(d.bounds), int(d.pidx.size), d.digest,
                 int(own["bands"].size), int(own["fingerprints"].size), compress_text(d.text, zdict),
                 pack_bounds(d.bounds), np.packbits(mask).tobytes(), sketch(d.sigs).tobytes()))
            doc_id = int(cur.lastrowid)
            if doc_id >= 1 << 32:
                raise IndexStoreError(f"{self.where}: document ids are used up; rebuild the index")
            for k, u in own.items():
                self._pending[k].append((u, np.full(u.size, doc_id, dtype=np.uint32)))
            progress(f"write {first + n}/{total if total is not None else len(docs)}")
        self._put("documents", self.count() + len(docs))

    def flush(self) -> None:
        """Merge the postings of the documents written since the last flush into their buckets."""
        for kind, table in _TABLES.items():
            parts, self._pending[kind] = self._pending[kind], []
            if parts:
                both = np.concatenate([u for u, _ in parts])
                owner = np.concatenate([o for _, o in parts])
                del parts
                self._add_postings(table, both, owner)

    def _add_postings(self, table: str, packed: np.ndarray, docs: np.ndarray) -> None:
        """Merge postings (``bucket << 32 | residual``, document) into the buckets of ``table``."""
        order = np.argsort(packed, kind="stable")
        packed, docs = packed[order], docs[order]
        bucket = (packed >> np.uint64(32)).astype(np.int64)
        residual = (packed & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        starts = np.flatnonzero(np.concatenate(([True], bucket[1:] != bucket[:-1])))
        ends = np.append(starts[1:], bucket.size)
        old: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if int(self.db.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)").fetchone()[0]):
            for part in _chunks(bucket[starts].tolist()):
                for b, n, data in self.db.execute(
                        f"SELECT bucket, n, data FROM {table} WHERE bucket IN ({','.join('?' * len(part))})", part):
                    old[int(b)] = postings.decode(data, int(n), self.where)
        out = []
        grown = 0  # postings stored, kept in meta so that a removal need not add up every bucket
        for s, e in zip(starts.tolist(), ends.tolist()):
            b = int(bucket[s])
            r, d = residual[s:e], docs[s:e]
            if b in old:
                r, d = np.concatenate([old[b][0], r]), np.concatenate([old[b][1], d])
                grown -= old[b][0].size
            data, n = postings.encode(r, d)
            grown += n
            out.append((b, n, data))
        self.db.executemany(f"INSERT OR REPLACE INTO {table}(bucket, n, data) VALUES (?,?,?)", out)
        self._put("postings", int(self._value("postings") or 0) + grown)

    # queries
    def _hits(self, kind: str, keys: np.ndarray) -> np.ndarray:
        """(key, document) for every posting of ``kind`` whose bucket and residual equal a key's."""
        bits = self._bits()
        if bits is None or not keys.size:
            return np.zeros((0, 2), dtype=np.int64)
        bucket, residual = postings.split(keys.astype(np.int64), *bits[kind])
        table = _TABLES[kind]
        rows: list[tuple[int, int, bytes]] = []
        for part in _chunks(unique(bucket).tolist()):
            rows.extend(self.db.execute(
                f"SELECT bucket, n, data FROM {table} WHERE bucket IN ({','.join('?' * len(part))})", part))
        rows.sort(key=lambda r: r[0])
        q, d = postings.find(rows, (bucket.astype(np.uint64) << np.uint64(32)) | residual, self.where)
        return np.stack([keys[q].astype(np.int64), d], axis=1)

    def _live(self, found: np.ndarray) -> np.ndarray:
        """The rows of ``found`` (key, document) whose document is still listed."""
        if not len(found) or not int(self._value("dead") or 0):
            return found
        ids = unique(found[:, 1])
        live = []
        for part in _chunks(ids.tolist()):
            live.extend(r[0] for r in self.db.execute(
                f"SELECT id FROM documents WHERE id IN ({','.join('?' * len(part))})", part))
        return found[np.isin(found[:, 1], np.array(live, dtype=np.int64))]

    def band_hits(self, keys: np.ndarray) -> np.ndarray:
        """(band key, document) of the documents with a paragraph that may have one of ``keys``."""
        return self._live(self._hits("bands", keys))

    def fingerprint_hits(self, hashes: np.ndarray, limit: int) -> np.ndarray:
        """(fingerprint, document) of the documents that may hold one of ``hashes``, leaving out
        fingerprints held by more than ``limit`` documents."""
        found = self._live(self._hits("fingerprints", hashes))
        if not len(found):
            return found
        found = np.unique(found, axis=0)
        _h, inv, counts = np.unique(found[:, 0], return_inverse=True, return_counts=True)
        return found[counts[inv] <= limit]

    def sketches(self, doc_ids: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Document id -> (its indexed paragraphs, their sketches :func:`~chachong.index.rows.sketch`)."""
        out = {}
        for part in _chunks(list(doc_ids)):
            for did, n, indexed, mask, sk in self.db.execute(
                    "SELECT id, paragraphs, indexed, mask, sketch FROM documents "
                    f"WHERE id IN ({','.join('?' * len(part))})", part):
                pidx = np.flatnonzero(np.unpackbits(np.frombuffer(mask, np.uint8))[:n]).astype(np.int64)
                arr = np.frombuffer(sk, np.uint8)
                if pidx.size != indexed or (indexed and arr.size % indexed):
                    raise IndexStoreError(f"{self.where}: damaged index record; rebuild the index "
                                          "(chachong index build)")
                out[int(did)] = (pidx, arr.reshape(indexed, -1) if indexed else arr.reshape(0, 0))
        return out

    def _document(self, key: str, title: str, source: str, line: int, chars: int, n: int, text: bytes,
                  bounds: bytes) -> Document:
        return rebuild_document(title, source, line, decompress_text(text, chars, self._zdict(), key, self.where),
                                unpack_bounds(bounds, n, self.where))

    def fetch(self, doc_ids: Sequence[int]) -> list[tuple[int, str, Document]]:
        out = []
        for part in _chunks(list(doc_ids)):
            for did, key, title, source, line, chars, n, text, bounds in self.db.execute(
                    "SELECT id, key, title, source, line, chars, paragraphs, text, bounds FROM documents "
                    f"WHERE id IN ({','.join('?' * len(part))})", part):
                out.append((int(did), key, self._document(key, title, source, line, chars, n, text, bounds)))
        return sorted(out, key=lambda t: t[0])

    def listing(self) -> list[IndexedDocument]:
        return [IndexedDocument(key, title, source, chars, n, indexed, dig)
                for key, title, source, chars, n, indexed, dig in self.db.execute(
                    "SELECT key, title, source, chars, paragraphs, indexed, digest FROM documents ORDER BY id")]

    def counts(self) -> dict[str, int]:
        """Documents, paragraphs, band keys (indexed paragraphs x bands) and postings stored."""
        q = lambda sql: int(self.db.execute(sql).fetchone()[0])
        indexed = q("SELECT coalesce(sum(indexed), 0) FROM documents")
        meta = self.meta() or {}
        return {"documents": self.count(),
                "paragraphs": q("SELECT coalesce(sum(paragraphs), 0) FROM documents"),
                "indexed_paragraphs": indexed,
                "band_keys": indexed * int(meta.get("layout", {}).get("bands", 0)),
                "fingerprints": q("SELECT coalesce(sum(fp_postings), 0) FROM documents"),
                "postings": q("SELECT coalesce(sum(n), 0) FROM band_buckets")
                + q("SELECT coalesce(sum(n), 0) FROM fp_buckets")}

    def verify(self, bands: int, rows: int) -> list[str]:
        problems = []
        ok = self.db.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            problems.append(f"SQLite quick_check: {ok}")
        own: dict[int, tuple[int, int]] = {}
        for did, key, title, source, line, chars, n, text, bounds, dig, nb, nf in self.db.execute(
                "SELECT id, key, title, source, line, chars, paragraphs, text, bounds, digest, band_postings, "
                "fp_postings FROM documents"):
            own[int(did)] = (int(nb), int(nf))
            try:
                doc = self._document(key, title, source, line, chars, n, text, bounds)
            except IndexStoreError as exc:
                problems.append(str(exc))
                continue
            if digest(doc.title, doc.text) != dig:
                problems.append(f"{key}: text does not match its digest")
        try:
            self.sketches(list(own))
        except IndexStoreError as exc:
            problems.append(str(exc))
        found = {did: [0, 0] for did in own}
        stray = 0
        for i, table in enumerate(_TABLES.values()):
            for _b, n, data in self.db.execute(f"SELECT bucket, n, data FROM {table}"):
                try:
                    _r, docs = postings.decode(data, int(n), self.where)
                except IndexStoreError as exc:
                    problems.append(str(exc))
                    continue
                ids, counts = np.unique(docs, return_counts=True)
                for did, c in zip(ids.tolist(), counts.tolist()):
                    if did in found:
                        found[did][i] += c
                    else:
                        stray += c
        wrong = [did for did, c in found.items() if tuple(c) != own[did]]
        if wrong:
            problems.append(f"{len(wrong)} documents whose postings do not match their records")
        if len(own) != self.count():
            problems.append(f"{len(own)} documents, {self.count()} recorded")
        stored = sum(sum(c) for c in found.values()) + stray
        if stored != int(self._value("postings") or 0):
            problems.append(f"{stored} postings stored, {self._value('postings') or 0} recorded")
        if stray != int(self._value("dead") or 0):
            problems.append(f"{stray} postings of removed documents, {self._value('dead') or 0} recorded")
        return problems


__all__ = ["SQLiteStore"]
