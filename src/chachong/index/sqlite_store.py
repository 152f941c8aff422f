"""The SQLite backend of the index: one embedded database file.

WAL mode and a busy timeout let many readers and writers share the file; every ``add``,
``remove`` and ``build`` is one transaction (:meth:`SQLiteStore.write`), so a process killed
half-way leaves the index exactly as it was. Tables: ``meta`` (the JSON meta record),
``documents`` (key, title, source, text (zlib), digest, raw little-endian bounds and
fingerprints), ``paragraphs`` (paragraph id -> raw ``uint32`` signature), and the inverted
tables ``bands`` (LSH band key -> paragraph id) and ``fingerprints`` (fingerprint -> document id).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from chachong.index.layout import IndexStoreError
from chachong.index.rows import (PAR_BITS, IndexedDocument, Prepared, Progress, band_keys, compress_text,
                                 digest, from_bytes, rebuild_document, to_bytes)
from chachong.model import Document

_BUSY_SECONDS = 120.0  # a writer waits this long for another writer's transaction
_CHUNK = 900  # host parameters per SQL statement (old SQLite builds allow 999)

_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused, so a stale paragraph id cannot alias
    key TEXT NOT NULL UNIQUE, title TEXT NOT NULL, source TEXT NOT NULL, line INTEGER NOT NULL,
    chars INTEGER NOT NULL, digest TEXT NOT NULL, text BLOB NOT NULL, bounds BLOB NOT NULL, wfp BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS paragraphs (pid INTEGER PRIMARY KEY, sig BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, pid INTEGER NOT NULL, PRIMARY KEY (key, pid))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fingerprints (hash INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (hash, doc))
    WITHOUT ROWID;
"""


def _chunks(items: Sequence, n: int = _CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


class SQLiteStore:
    """The index in the SQLite file ``path`` (see the module docstring); ``create``: make it if missing."""

    def __init__(self, path: str, create: bool) -> None:
        self.where = path
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
            self._retry(lambda: self.db.execute("PRAGMA journal_mode=WAL").fetchone())
            # WAL + NORMAL survives a killed process (not a power cut) at a fraction of FULL's fsyncs
            self.db.execute("PRAGMA synchronous=NORMAL")
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
            self.db.execute("COMMIT")
        except BaseException:
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

    def clear(self) -> None:
        for table in ("bands", "fingerprints", "paragraphs", "documents"):
            self.db.execute(f"DELETE FROM {table}")

    # documents
    def find(self, key: str) -> tuple[int, str] | None:
        row = self.db.execute("SELECT id, digest FROM documents WHERE key=?", (key,)).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def keys(self) -> dict[str, int]:
        return {k: int(i) for k, i in self.db.execute("SELECT key, id FROM documents ORDER BY id")}

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM documents").fetchone()[0])

    def delete(self, doc_id: int, bands: int, rows: int) -> None:
        lo, hi = doc_id << PAR_BITS, ((doc_id + 1) << PAR_BITS) - 1
        found = self.db.execute("SELECT pid, sig FROM paragraphs WHERE pid BETWEEN ? AND ?", (lo, hi)).fetchall()
        band_rows = []
        if found:
            sigs = np.stack([from_bytes(sig, "<u4", self.where) for _, sig in found])
            for (pid, _), keys in zip(found, band_keys(sigs, bands, rows).tolist()):
                band_rows.extend((k, pid) for k in keys)
        wfp = self.db.execute("SELECT wfp FROM documents WHERE id=?", (doc_id,)).fetchone()[0]
        self.db.executemany("DELETE FROM bands WHERE key=? AND pid=?", band_rows)
        self.db.executemany("DELETE FROM fingerprints WHERE hash=? AND doc=?",
                            ((int(h), doc_id) for h in from_bytes(wfp, "<i8", self.where)))
        self.db.execute("DELETE FROM paragraphs WHERE pid BETWEEN ? AND ?", (lo, hi))
        self.db.execute("DELETE FROM documents WHERE id=?", (doc_id,))

    def insert(self, docs: Sequence[Prepared], bands: int, rows: int, progress: Progress) -> None:
        par_rows: list[tuple] = []
        band_parts: list[np.ndarray] = []
        fp_parts: list[np.ndarray] = []
        for n, d in enumerate(docs, 1):
            cur = self.db.execute(
                "INSERT INTO documents(key, title, source, line, chars, digest, text, bounds, wfp) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                (d.key, d.title, d.source, d.line, len(d.text), d.digest, compress_text(d.text),
                 to_bytes(d.bounds, "<i8"), to_bytes(d.wfp, "<i8")))
            doc_id = int(cur.lastrowid)
            pids = (doc_id << PAR_BITS) + d.pidx
            par_rows.extend((int(p), to_bytes(s, "<u4")) for p, s in zip(pids, d.sigs))
            if pids.size:
                band_parts.append(np.stack([d.band.ravel(), np.repeat(pids, bands)], axis=1))
            fp_parts.append(np.stack([d.wfp, np.full(d.wfp.size, doc_id, dtype=np.int64)], axis=1))
            progress(f"write {n}/{len(docs)}")
        self.db.executemany("INSERT INTO paragraphs(pid, sig) VALUES (?,?)", par_rows)
        # sorted rows go into the B-trees in order: several times faster than random order
        for table, parts in (("bands(key, pid)", band_parts), ("fingerprints(hash, doc)", fp_parts)):
            if parts:
                allr = np.concatenate(parts)
                allr = allr[np.lexsort((allr[:, 1], allr[:, 0]))]
                self.db.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?,?)", map(tuple, allr.tolist()))

    # queries
    def lookup_bands(self, keys: np.ndarray) -> np.ndarray:
        out = []
        for part in _chunks(keys.tolist()):
            out.extend(self.db.execute(f"SELECT key, pid FROM bands WHERE key IN ({','.join('?' * len(part))})",
                                       part).fetchall())
        return np.array(out, dtype=np.int64).reshape(-1, 2)

    def lookup_fingerprints(self, hashes: np.ndarray, limit: int) -> set[int]:
        """Documents holding any of ``hashes``, leaving out hashes held by more than ``limit``."""
        rows = []
        for part in _chunks(hashes.tolist()):
            # at most limit + 1 postings per hash: enough to tell a stock fingerprint, and bounded
            rows.extend(self.db.execute(
                "SELECT hash, doc FROM (SELECT hash, doc, row_number() OVER (PARTITION BY hash) AS n "
                f"FROM fingerprints WHERE hash IN ({','.join('?' * len(part))})) WHERE n <= ?",
                (*part, limit + 1)).fetchall())
        if not rows:
            return set()
        found = np.array(rows, dtype=np.int64)
        _h, inv, counts = np.unique(found[:, 0], return_inverse=True, return_counts=True)
        return set(found[counts[inv] <= limit, 1].tolist())

    def paragraph_info(self, pids: np.ndarray, num_perm: int) -> tuple[np.ndarray, np.ndarray]:
        got_p, got_s = [], []
        for part in _chunks(pids.tolist()):
            for pid, sig in self.db.execute(
                    f"SELECT pid, sig FROM paragraphs WHERE pid IN ({','.join('?' * len(part))})", part):
                got_p.append(pid)
                got_s.append(from_bytes(sig, "<u4", self.where))
        sigs = np.stack(got_s) if got_s else np.zeros((0, num_perm), np.uint32)
        return np.array(got_p, dtype=np.int64), sigs

    def fetch(self, doc_ids: Sequence[int]) -> list[tuple[int, str, Document]]:
        out = []
        for part in _chunks(list(doc_ids)):
            for did, key, title, source, line, text, bounds in self.db.execute(
                    "SELECT id, key, title, source, line, text, bounds FROM documents "
                    f"WHERE id IN ({','.join('?' * len(part))})", part):
                out.append((int(did), key, rebuild_document(key, title, source, line, text, bounds, self.where)))
        return sorted(out, key=lambda t: t[0])

    def listing(self) -> list[IndexedDocument]:
        out = []
        for did, key, title, source, chars, dig, bounds in self.db.execute(
                "SELECT id, key, title, source, chars, digest, length(bounds) FROM documents ORDER BY id"):
            n = self.db.execute("SELECT count(*) FROM paragraphs WHERE pid BETWEEN ? AND ?",
                                (did << PAR_BITS, ((did + 1) << PAR_BITS) - 1)).fetchone()[0]
            out.append(IndexedDocument(key, title, source, chars, bounds // 24, n, dig))
        return out

    def counts(self) -> dict[str, int]:
        q = lambda sql: int(self.db.execute(sql).fetchone()[0])
        return {"documents": q("SELECT count(*) FROM documents"),
                "paragraphs": q("SELECT coalesce(sum(length(bounds)), 0) / 24 FROM documents"),
                "indexed_paragraphs": q("SELECT count(*) FROM paragraphs"),
                "band_keys": q("SELECT count(*) FROM bands"),
                "fingerprints": q("SELECT count(*) FROM fingerprints")}

    def verify(self, bands: int, rows: int) -> list[str]:
        problems = []
        ok = self.db.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            problems.append(f"SQLite quick_check: {ok}")
        q = lambda sql: int(self.db.execute(sql).fetchone()[0])
        orphans = q(f"SELECT count(*) FROM paragraphs WHERE (pid >> {PAR_BITS}) NOT IN (SELECT id FROM documents)")
        if orphans:
            problems.append(f"{orphans} paragraphs of no document")
        n = q("SELECT count(*) FROM bands WHERE pid NOT IN (SELECT pid FROM paragraphs)")
        if n:
            problems.append(f"{n} band rows of no paragraph")
        n = q("SELECT count(*) FROM fingerprints WHERE doc NOT IN (SELECT id FROM documents)")
        if n:
            problems.append(f"{n} fingerprint rows of no document")
        n_par = q("SELECT count(*) FROM paragraphs")
        n_band = q("SELECT count(*) FROM bands")
        if n_band > n_par * bands or n_band < n_par * bands - 16:  # 16: room for 64-bit key collisions
            problems.append(f"{n_band} band rows for {n_par} paragraphs x {bands} bands")
        if q("SELECT count(*) FROM fingerprints") != q("SELECT coalesce(sum(length(wfp)), 0) / 8 FROM documents"):
            problems.append("fingerprint rows do not match the documents' fingerprints")
        for did, key, title, source, line, text, bounds, dig in self.db.execute(
                "SELECT id, key, title, source, line, text, bounds, digest FROM documents"):
            try:
                doc = rebuild_document(key, title, source, line, text, bounds, self.where)
            except IndexStoreError as exc:
                problems.append(str(exc))
                continue
            if digest(doc.title, doc.text) != dig:
                problems.append(f"{key}: text does not match its digest")
        return problems



__all__ = ["SQLiteStore"]
