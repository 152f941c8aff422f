"""A persistent index of reference documents, for ``chachong check`` in CI.

An index lasts between runs, grows as documents are accepted and answers a check in well
under a second. It holds, per document, its key, title, source, text (zlib-compressed, so
copied passages can be shown), paragraph offsets and winnowed fingerprints; per indexed
paragraph its MinHash signature (raw little-endian ``uint32``); and two inverted tables, LSH
band key -> paragraph (similar paragraphs) and fingerprint -> document (copied passages of
``min_span`` characters or more), from which a check draws its candidate reference documents. Nothing is pickled: every stored value is text, JSON or a raw
little-endian array, so nothing read from an index file or a Redis server can execute code.

Two backends, chosen by the URI:

- a file path: an embedded SQLite database (one file). WAL mode and a busy timeout let
  many readers and writers share it; every ``add``, ``remove`` and ``build`` is one
  transaction, so a process killed half-way leaves the index exactly as it was;
- ``redis://host:port/db`` (``?prefix=name:`` to share a server between indices): an index
  shared by many CI runners. Each document is written in one MULTI/EXEC transaction (an
  interrupted ``add`` keeps the documents written before it, whole), guarded by WATCH so that
  concurrent writers of one document key do not interleave.

The index records what makes signatures comparable (:func:`layout`: shingle kind and size,
normalisation, MinHash scheme, permutations and seed, LSH band layout, the signature format
and Unicode version, the tool's major.minor version) and refuses, with a one-line message
naming the fix, to mix them with other settings.

A document's key is its source path as given (``docs/a.txt``); documents cut from one
compilation get ``#01``, ``#02``, ... after it (``汇编.txt#03``). Adding a key again replaces
that document; adding it unchanged does nothing.

>>> layout(AuditConfig())["bands"], layout(AuditConfig())["rows"]
(42, 3)
>>> document_keys(["a.txt", "b.txt", "b.txt"])
['a.txt', 'b.txt#01', 'b.txt#02']
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chachong.runtime.arrays import unique
from chachong.version import __version__
from chachong.config import AuditConfig, ConfigError
from chachong.stages.prepare import Corpus, prepare
from chachong.stages.lsh import band_key, choose_bands
from chachong.model import Document, Paragraph, Skipped
from chachong.stages.candidates import ESTIMATE_SLACK
from chachong.text.shingle import kgram_values

SCHEMA = "chachong.index/1"
# Bump when normalize/shingle/signature change what they produce for the same text: old
# signatures would then silently stop matching new ones.
SIGNATURE_FORMAT = 1
_PAR_BITS = 20  # paragraph id = document id << 20 | paragraph index
_MAX_PARAGRAPHS = 1 << _PAR_BITS
_BUSY_SECONDS = 120.0  # a writer waits this long for another writer's transaction
_CHUNK = 900  # host parameters per SQL statement (old SQLite builds allow 999)
_WINNOW_K = 8  # k-gram of the winnowed fingerprints: rarely shared by chance, leaves a window of 6 for 13
# a fingerprint in more documents than this is stock phrasing: it proposes no candidate (and
# would make a check pull half the index); the audit's passage finder caps occurrences alike
_MAX_FINGERPRINT_DOCS = 64

Progress = Callable[[str], None]


class IndexStoreError(Exception):
    """The index cannot be used as asked; the message (one line) names the index and the fix."""


@dataclass(frozen=True)
class IndexedDocument:
    """One document as the index lists it."""

    key: str
    title: str
    source: str
    chars: int
    paragraphs: int
    indexed_paragraphs: int
    digest: str


@dataclass
class AddResult:
    """What :meth:`Index.add` did, by document key."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- settings


def layout(config: AuditConfig) -> dict[str, Any]:
    """The settings that must agree for two signatures (and band keys) to be comparable."""
    bands, rows = (config.bands, config.rows) if config.bands else choose_bands(config.threshold, config.num_perm)
    return {
        **config.signature_key(),
        "bands": int(bands),
        "rows": int(rows),
        "min_paragraph_chars": config.min_paragraph_chars,
        "min_span": config.min_span,
        "signature_format": SIGNATURE_FORMAT,
        "unicode": unicodedata.unidata_version,
        "tool": ".".join(__version__.split(".")[:2]),
    }


_OPTION = {"shingle": "--shingle", "k": "--k", "num_perm": "--num-perm", "seed": "--seed",
           "mask_digits": "--mask-digits/--no-mask-digits",
           "mask_placeholders": "--mask-placeholders/--no-mask-placeholders",
           "min_paragraph_chars": "--min-paragraph-chars", "min_span": "--min-span"}


def incompatibility(recorded: Mapping[str, Any], wanted: Mapping[str, Any]) -> str | None:
    """Why signatures made under ``wanted`` cannot be mixed with an index made under ``recorded``.

    >>> incompatibility(layout(AuditConfig()), layout(AuditConfig(threshold=0.7)))
    'LSH bands 42x3 (threshold 0.5 or --bands/--rows), this run 32x4'
    >>> incompatibility(layout(AuditConfig()), layout(AuditConfig(min_paragraph_chars=30))) is None
    True
    """
    for name in ("shingle", "k", "num_perm", "seed", "scheme", "mask_digits", "mask_placeholders"):
        if recorded.get(name) != wanted.get(name):
            return f"{name}={recorded.get(name)} ({_OPTION.get(name, name)}), this run {wanted.get(name)}"
    if (recorded.get("bands"), recorded.get("rows")) != (wanted.get("bands"), wanted.get("rows")):
        return (f"LSH bands {recorded.get('bands')}x{recorded.get('rows')} (threshold "
                f"{recorded.get('threshold', 0.5)} or --bands/--rows), this run {wanted.get('bands')}x{wanted.get('rows')}")
    # an index of paragraphs >= 20 characters serves a check that looks at >= 30, not >= 10; its
    # fingerprints catch every copy of >= min_span characters, so any longer span too
    for name in ("min_paragraph_chars", "min_span"):
        if int(wanted.get(name, 0)) < int(recorded.get(name, 0)):
            return f"{name}={recorded.get(name)} ({_OPTION[name]} at least that), this run {wanted.get(name)}"
    for name, what in (("signature_format", "signature format"), ("unicode", "Unicode version"),
                       ("tool", "chachong version")):
        if recorded.get(name) != wanted.get(name):
            return f"{what} {recorded.get(name)}, this run {wanted.get(name)}"
    return None


def document_keys(sources: Sequence[str]) -> list[str]:
    """Stable keys for documents given by their ``source``: the source, or ``source#NN`` when shared."""
    count = Counter(sources)
    seen: dict[str, int] = defaultdict(int)
    out = []
    for s in sources:
        if count[s] == 1:
            out.append(s)
        else:
            seen[s] += 1
            out.append(f"{s}#{seen[s]:0{max(2, len(str(count[s])))}d}")
    return out


def digest(title: str, text: str) -> str:
    """Content digest of a document (title and text)."""
    import hashlib  # not at module level: OpenSSL's start-up is wasted on a check that adds nothing

    return hashlib.sha256(f"{title}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """LSH band keys (n, bands) int64 of signature rows (the same hashing as :mod:`chachong.stages.lsh`)."""
    out = np.empty((sig.shape[0], bands), dtype=np.uint64)
    for b in range(bands):
        out[:, b] = band_key(sig, b, rows)
    return out.view(np.int64)


def _mix(v: np.ndarray) -> np.ndarray:
    # winnowing keeps minima, so the values must look uniform: splitmix64's finaliser
    with np.errstate(over="ignore"):
        v = (v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        v = (v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return v ^ (v >> np.uint64(31))


def winnowed(cps: np.ndarray, min_span: int) -> np.ndarray:
    """Winnowed fingerprints (unique, sorted int64) of one canonical text.

    The minimum hash of every window of ``min_span - k + 1`` consecutive k-grams is kept, so
    two texts sharing an exact run of ``min_span`` characters share a fingerprint (Schleimer,
    Wilkerson and Aiken 2003), at about 2 / (window + 1) fingerprints per character.

    >>> from chachong.text.normalize import codepoints
    >>> a = winnowed(codepoints("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳"), 13)
    >>> b = winnowed(codepoints("天地玄黄乙丙丁戊己庚辛壬癸子丑寅卯"), 13)
    >>> bool(np.intersect1d(a, b).size), a.size
    (True, 2)
    """
    k = max(1, min(_WINNOW_K, min_span))
    w = max(1, min_span - k + 1)
    if cps.size < min_span:
        return np.zeros(0, np.int64)  # too short to hold a copy that counts
    v = _mix(kgram_values(cps, k))
    idx = np.argmin(np.lib.stride_tricks.sliding_window_view(v, w), axis=1)
    return unique(v[idx + np.arange(idx.size)]).view(np.int64)


# --------------------------------------------------------------------------- prepared rows


@dataclass
class _Prepared:
    """One document turned into the rows an index stores."""

    key: str
    title: str
    source: str
    line: int
    text: str
    digest: str
    bounds: np.ndarray  # (n, 3) int64: start, end, line of every paragraph
    pidx: np.ndarray  # indices of the indexed paragraphs (long enough)
    sigs: np.ndarray  # (len(pidx), num_perm) uint32
    wfp: np.ndarray  # winnowed fingerprints of the document (int64)
    band: np.ndarray | None = None  # (len(pidx), bands) LSH band keys (int64), see _with_band_keys


def _with_band_keys(rows: list[_Prepared], bands: int, n_rows: int) -> list[_Prepared]:
    """Fill in the band keys of all documents at once (one numpy pass per band, not per document)."""
    if rows:
        keys = band_keys(np.concatenate([r.sigs for r in rows]), bands, n_rows)
        cuts = np.cumsum([r.pidx.size for r in rows])[:-1]
        for r, k in zip(rows, np.split(keys, cuts)):
            r.band = k
    return rows


def _prepare_rows(corpus: Corpus, keys: Sequence[str]) -> list[_Prepared]:
    cfg = corpus.config
    lengths = corpus.canonical_length()
    out = []
    for d, doc in enumerate(corpus.documents):
        if len(doc.paragraphs) >= _MAX_PARAGRAPHS:
            raise IndexStoreError(f"{doc.source}: {len(doc.paragraphs)} paragraphs, more than an index holds "
                                  f"({_MAX_PARAGRAPHS - 1}); split the document")
        first = int(corpus.par_first[d])
        glob = np.arange(first, first + len(doc.paragraphs))
        keep = glob[lengths[glob] >= max(cfg.min_paragraph_chars, 1)] if glob.size else glob
        bounds = np.array([(p.start, p.end, p.line) for p in doc.paragraphs], dtype=np.int64).reshape(-1, 3)
        out.append(_Prepared(
            key=keys[d], title=doc.title, source=doc.source, line=doc.line, text=doc.text,
            digest=digest(doc.title, doc.text), bounds=bounds, pidx=(keep - first).astype(np.int64),
            sigs=np.ascontiguousarray(corpus.signatures[keep], dtype=np.uint32),
            wfp=winnowed(corpus.cps[corpus.doc_offsets[d]:corpus.doc_offsets[d + 1]], cfg.min_span),
        ))
    return out


def _to_bytes(a: np.ndarray, dtype: str) -> bytes:
    return np.ascontiguousarray(a, dtype=dtype).tobytes()


def _from_bytes(data: bytes | None, dtype: str, where: str) -> np.ndarray:
    size = np.dtype(dtype).itemsize
    if data is None or len(data) % size:
        raise IndexStoreError(f"{where}: damaged index record; rebuild the index (chachong index build)")
    return np.frombuffer(data, dtype=dtype)


def _rebuild_document(key: str, title: str, source: str, line: int, text_z: bytes, bounds_b: bytes,
                      where: str) -> Document:
    try:
        text = zlib.decompress(text_z).decode("utf-8", "surrogatepass")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise IndexStoreError(f"{where}: damaged text of {key} ({exc}); rebuild the index") from exc
    b = _from_bytes(bounds_b, "<i8", where).reshape(-1, 3)
    paras = tuple(Paragraph(f"x:p{i + 1}", "x", i, int(s), int(e), int(ln), text[int(s):int(e)])
                  for i, (s, e, ln) in enumerate(b))
    return Document("x", title, source, text, line, paras)


# --------------------------------------------------------------------------- SQLite

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


class _SQLiteStore:
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
        lo, hi = doc_id << _PAR_BITS, ((doc_id + 1) << _PAR_BITS) - 1
        found = self.db.execute("SELECT pid, sig FROM paragraphs WHERE pid BETWEEN ? AND ?", (lo, hi)).fetchall()
        band_rows = []
        if found:
            sigs = np.stack([_from_bytes(sig, "<u4", self.where) for _, sig in found])
            for (pid, _), keys in zip(found, band_keys(sigs, bands, rows).tolist()):
                band_rows.extend((k, pid) for k in keys)
        wfp = self.db.execute("SELECT wfp FROM documents WHERE id=?", (doc_id,)).fetchone()[0]
        self.db.executemany("DELETE FROM bands WHERE key=? AND pid=?", band_rows)
        self.db.executemany("DELETE FROM fingerprints WHERE hash=? AND doc=?",
                            ((int(h), doc_id) for h in _from_bytes(wfp, "<i8", self.where)))
        self.db.execute("DELETE FROM paragraphs WHERE pid BETWEEN ? AND ?", (lo, hi))
        self.db.execute("DELETE FROM documents WHERE id=?", (doc_id,))

    def insert(self, docs: Sequence[_Prepared], bands: int, rows: int, progress: Progress) -> None:
        par_rows: list[tuple] = []
        band_parts: list[np.ndarray] = []
        fp_parts: list[np.ndarray] = []
        for n, d in enumerate(docs, 1):
            cur = self.db.execute(
                "INSERT INTO documents(key, title, source, line, chars, digest, text, bounds, wfp) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                (d.key, d.title, d.source, d.line, len(d.text), d.digest,
                 zlib.compress(d.text.encode("utf-8", "surrogatepass"), 6), _to_bytes(d.bounds, "<i8"),
                 _to_bytes(d.wfp, "<i8")))
            doc_id = int(cur.lastrowid)
            pids = (doc_id << _PAR_BITS) + d.pidx
            par_rows.extend((int(p), _to_bytes(s, "<u4")) for p, s in zip(pids, d.sigs))
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
                got_s.append(_from_bytes(sig, "<u4", self.where))
        sigs = np.stack(got_s) if got_s else np.zeros((0, num_perm), np.uint32)
        return np.array(got_p, dtype=np.int64), sigs

    def fetch(self, doc_ids: Sequence[int]) -> list[tuple[int, str, Document]]:
        out = []
        for part in _chunks(list(doc_ids)):
            for did, key, title, source, line, text, bounds in self.db.execute(
                    "SELECT id, key, title, source, line, text, bounds FROM documents "
                    f"WHERE id IN ({','.join('?' * len(part))})", part):
                out.append((int(did), key, _rebuild_document(key, title, source, line, text, bounds, self.where)))
        return sorted(out, key=lambda t: t[0])

    def listing(self) -> list[IndexedDocument]:
        out = []
        for did, key, title, source, chars, dig, bounds in self.db.execute(
                "SELECT id, key, title, source, chars, digest, length(bounds) FROM documents ORDER BY id"):
            n = self.db.execute("SELECT count(*) FROM paragraphs WHERE pid BETWEEN ? AND ?",
                                (did << _PAR_BITS, ((did + 1) << _PAR_BITS) - 1)).fetchone()[0]
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
        orphans = q(f"SELECT count(*) FROM paragraphs WHERE (pid >> {_PAR_BITS}) NOT IN (SELECT id FROM documents)")
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
                doc = _rebuild_document(key, title, source, line, text, bounds, self.where)
            except IndexStoreError as exc:
                problems.append(str(exc))
                continue
            if digest(doc.title, doc.text) != dig:
                problems.append(f"{key}: text does not match its digest")
        return problems


# --------------------------------------------------------------------------- Redis


class _RedisStore:
    """Keys (all under the prefix, default ``chachong:``):

    ``meta`` JSON string; ``next`` document id counter; ``keys`` hash key -> id (the listing);
    ``key:<sha1 of key>`` string -> id (one per key, WATCHed by writers of that key);
    ``doc:<id>`` hash: key, title, source, line, chars, digest, text (zlib), and raw
    little-endian arrays bounds, pidx (indexed paragraphs), sigs, wfp (fingerprints);
    ``b:<band key>`` sets of paragraph ids; ``f:<fingerprint>`` sets of document ids;
    ``stats`` hash of counters.
    """

    _FIELDS = ("key", "pidx", "sigs", "wfp")

    def __init__(self, uri: str, create: bool) -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - redis is in the test extra
            raise IndexStoreError(f"{uri}: the redis client is not installed; pip install redis") from exc
        from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

        self.redis_mod = redis
        parts = urlsplit(uri)
        query = parse_qs(parts.query)
        self.p = query.pop("prefix", ["chachong:"])[0].encode()
        clean = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
        # never echo a password in messages
        self.where = uri if not parts.password else uri.replace(f":{parts.password}@", ":***@")
        try:
            self.r = redis.Redis.from_url(clean, socket_timeout=60, socket_connect_timeout=5)
            self.r.ping()
        except (redis.RedisError, ValueError) as exc:
            raise IndexStoreError(f"{self.where}: cannot reach Redis ({exc}); start the server or fix the URI") \
                from exc
        if not create and self.r.get(self.k("meta")) is None:
            raise IndexStoreError(f"{self.where}: no index here; create it with: chachong index build "
                                  f"{self.where} PATH...")

    def k(self, *parts: Any) -> bytes:
        return self.p + b":".join(x if isinstance(x, bytes) else str(x).encode() for x in parts)

    @contextmanager
    def write(self) -> Iterator[None]:
        yield  # atomic per document (MULTI/EXEC), see the module docstring

    @contextmanager
    def read(self) -> Iterator[None]:
        yield

    def close(self) -> None:
        self.r.close()

    def meta(self) -> dict[str, Any] | None:
        raw = self.r.get(self.k("meta"))
        return json.loads(raw) if raw else None

    def set_meta(self, meta: Mapping[str, Any], replace: bool) -> None:
        self.r.set(self.k("meta"), json.dumps(meta, sort_keys=True), nx=not replace)

    def clear(self) -> None:
        batch: list[bytes] = []
        for name in self.r.scan_iter(match=self.p + b"*", count=1000):
            batch.append(name)
            if len(batch) >= 1000:
                self.r.delete(*batch)
                batch = []
        if batch:
            self.r.delete(*batch)

    def _keyref(self, key: str) -> bytes:
        import hashlib

        return self.k("key", hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest())

    def find(self, key: str) -> tuple[int, str] | None:
        did = self.r.get(self._keyref(key))
        if did is None:
            return None
        dig = self.r.hget(self.k("doc", int(did)), "digest")
        return int(did), (dig or b"").decode()

    def count(self) -> int:
        return int(self.r.hlen(self.k("keys")))

    def keys(self) -> dict[str, int]:
        raw = self.r.hgetall(self.k("keys"))
        return dict(sorted(((k.decode("utf-8", "surrogatepass"), int(v)) for k, v in raw.items()),
                           key=lambda t: t[1]))

    def _queue_delete(self, pipe: Any, doc_id: int, rec: Sequence[bytes | None], bands: int, rows: int) -> None:
        key, pidx, sigs, wfp = rec
        if key is None:
            return
        idx = _from_bytes(pidx, "<i8", self.where)
        pids = (doc_id << _PAR_BITS) + idx
        if idx.size:
            s = _from_bytes(sigs, "<u4", self.where).reshape(idx.size, -1)
            for pid, row in zip(pids.tolist(), band_keys(s, bands, rows).tolist()):
                for bk in row:
                    pipe.srem(self.k("b", bk), pid)
        f = _from_bytes(wfp, "<i8", self.where)
        for h in f.tolist():
            pipe.srem(self.k("f", h), doc_id)
        pipe.delete(self.k("doc", doc_id))
        pipe.hdel(self.k("keys"), key)
        pipe.hincrby(self.k("stats"), "documents", -1)
        pipe.hincrby(self.k("stats"), "indexed_paragraphs", -int(idx.size))
        pipe.hincrby(self.k("stats"), "band_keys", -int(idx.size) * bands)
        pipe.hincrby(self.k("stats"), "fingerprints", -int(f.size))

    def _transact(self, key: str, body: Callable[[Any, int | None, Any], None]) -> None:
        """Run ``body(pipe, old_id, old_record)`` in MULTI/EXEC, again while another writer of ``key`` races us."""
        ref = self._keyref(key)
        with self.r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(ref)
                    old = pipe.get(ref)
                    old_id = int(old) if old is not None else None
                    rec = pipe.hmget(self.k("doc", old_id), *self._FIELDS) if old_id is not None else None
                    pipe.multi()
                    body(pipe, old_id, rec)
                    pipe.execute()
                    return
                except self.redis_mod.WatchError:
                    continue

    def delete(self, doc_id: int, bands: int, rows: int) -> None:
        raw = self.r.hget(self.k("doc", doc_id), "key")
        if raw is None:
            return
        key = raw.decode("utf-8", "surrogatepass")

        def body(pipe: Any, old_id: int | None, rec: Any) -> None:
            if old_id is not None:
                self._queue_delete(pipe, old_id, rec, bands, rows)
                pipe.delete(self._keyref(key))

        self._transact(key, body)

    def insert(self, docs: Sequence[_Prepared], bands: int, rows: int, progress: Progress) -> None:
        for n, d in enumerate(docs, 1):
            new_id = int(self.r.incr(self.k("next")))
            pids = ((new_id << _PAR_BITS) + d.pidx).tolist()
            keys = d.band.tolist() if d.pidx.size else []
            record = {"key": d.key, "title": d.title, "source": d.source, "line": d.line, "chars": len(d.text),
                      "digest": d.digest, "text": zlib.compress(d.text.encode("utf-8", "surrogatepass"), 6),
                      "bounds": _to_bytes(d.bounds, "<i8"), "pidx": _to_bytes(d.pidx, "<i8"),
                      "sigs": _to_bytes(d.sigs, "<u4"), "wfp": _to_bytes(d.wfp, "<i8")}

            def body(pipe: Any, old_id: int | None, rec: Any, d: _Prepared = d, new_id: int = new_id,
                     pids: list = pids, keys: list = keys, record: dict = record) -> None:
                if old_id is not None:
                    self._queue_delete(pipe, old_id, rec, bands, rows)
                pipe.hset(self.k("doc", new_id), mapping=record)
                for pid, row in zip(pids, keys):
                    for bk in row:
                        pipe.sadd(self.k("b", bk), pid)
                for h in d.wfp.tolist():
                    pipe.sadd(self.k("f", h), new_id)
                pipe.set(self._keyref(d.key), new_id)
                pipe.hset(self.k("keys"), d.key, new_id)
                pipe.hincrby(self.k("stats"), "documents", 1)
                pipe.hincrby(self.k("stats"), "indexed_paragraphs", len(pids))
                pipe.hincrby(self.k("stats"), "band_keys", len(pids) * bands)
                pipe.hincrby(self.k("stats"), "fingerprints", int(d.wfp.size))

            self._transact(d.key, body)
            progress(f"write {n}/{len(docs)}")

    def lookup_bands(self, keys: np.ndarray) -> np.ndarray:
        klist = keys.tolist()
        with self.r.pipeline(transaction=False) as pipe:
            for k in klist:
                pipe.smembers(self.k("b", k))
            found = pipe.execute()
        out = [(k, int(p)) for k, members in zip(klist, found) for p in members]
        return np.array(out, dtype=np.int64).reshape(-1, 2)

    def lookup_fingerprints(self, hashes: np.ndarray, limit: int) -> set[int]:
        hl = hashes.tolist()
        with self.r.pipeline(transaction=False) as pipe:
            for h in hl:
                pipe.scard(self.k("f", h))
            cards = pipe.execute()
        small = [h for h, c in zip(hl, cards) if 0 < c <= limit]
        with self.r.pipeline(transaction=False) as pipe:
            for h in small:
                pipe.smembers(self.k("f", h))
            found = pipe.execute()
        return {int(d) for members in found for d in members}

    def paragraph_info(self, pids: np.ndarray, num_perm: int) -> tuple[np.ndarray, np.ndarray]:
        wanted = set(pids.tolist())
        docs = sorted({p >> _PAR_BITS for p in wanted})
        with self.r.pipeline(transaction=False) as pipe:
            for did in docs:
                pipe.hmget(self.k("doc", did), "pidx", "sigs")
            recs = pipe.execute()
        got_p, got_s = [], []
        for did, (pidx, sigs) in zip(docs, recs):
            if pidx is None:
                continue  # removed since the lookup
            idx = _from_bytes(pidx, "<i8", self.where)
            s = _from_bytes(sigs, "<u4", self.where).reshape(idx.size, -1) if idx.size else None
            for j, i in enumerate(idx.tolist()):
                pid = (did << _PAR_BITS) + i
                if pid in wanted and s is not None:
                    got_p.append(pid)
                    got_s.append(s[j])
        sig = np.stack(got_s) if got_s else np.zeros((0, num_perm), np.uint32)
        return np.array(got_p, dtype=np.int64), sig

    def fetch(self, doc_ids: Sequence[int]) -> list[tuple[int, str, Document]]:
        ids = sorted(doc_ids)
        with self.r.pipeline(transaction=False) as pipe:
            for did in ids:
                pipe.hmget(self.k("doc", did), "key", "title", "source", "line", "text", "bounds")
            recs = pipe.execute()
        out = []
        for did, rec in zip(ids, recs):
            if rec[0] is None:
                continue  # removed since the lookup
            key, title, source, line = (x.decode("utf-8", "surrogatepass") for x in rec[:4])
            out.append((did, key, _rebuild_document(key, title, source, int(line), rec[4], rec[5], self.where)))
        return out

    def listing(self) -> list[IndexedDocument]:
        keys = self.keys()
        with self.r.pipeline(transaction=False) as pipe:
            for did in keys.values():
                pipe.hmget(self.k("doc", did), "title", "source", "chars", "digest", "bounds", "pidx")
            recs = pipe.execute()
        out = []
        for key, rec in zip(keys, recs):
            if rec[0] is None:
                continue
            out.append(IndexedDocument(key, rec[0].decode("utf-8", "surrogatepass"),
                                       rec[1].decode("utf-8", "surrogatepass"), int(rec[2]), len(rec[4]) // 24,
                                       len(rec[5]) // 8, rec[3].decode()))
        return out

    def counts(self) -> dict[str, int]:
        stats = {k.decode(): int(v) for k, v in self.r.hgetall(self.k("stats")).items()}
        docs = self.listing()
        return {"documents": len(docs), "paragraphs": sum(d.paragraphs for d in docs),
                "indexed_paragraphs": stats.get("indexed_paragraphs", 0), "band_keys": stats.get("band_keys", 0),
                "fingerprints": stats.get("fingerprints", 0)}

    def verify(self, bands: int, rows: int) -> list[str]:
        problems = []
        keys = self.keys()
        live_pars: set[int] = set()
        live_docs: set[int] = set()
        n_fp = 0
        for key, did in keys.items():
            rec = self.r.hmget(self.k("doc", did), "title", "source", "line", "text", "bounds", "digest",
                               "pidx", "sigs", "wfp")
            if rec[0] is None:
                problems.append(f"{key}: listed but its record is missing")
                continue
            live_docs.add(did)
            if self.r.get(self._keyref(key)) != str(did).encode():
                problems.append(f"{key}: key reference does not point at document {did}")
            try:
                doc = _rebuild_document(key, rec[0].decode("utf-8", "surrogatepass"),
                                        rec[1].decode("utf-8", "surrogatepass"), int(rec[2]), rec[3], rec[4],
                                        self.where)
            except IndexStoreError as exc:
                problems.append(str(exc))
                continue
            if digest(doc.title, doc.text) != rec[5].decode():
                problems.append(f"{key}: text does not match its digest")
            idx = _from_bytes(rec[6], "<i8", self.where)
            live_pars.update(((did << _PAR_BITS) + idx).tolist())
            wfp = _from_bytes(rec[8], "<i8", self.where)
            n_fp += wfp.size
            with self.r.pipeline(transaction=False) as pipe:
                if idx.size:
                    s = _from_bytes(rec[7], "<u4", self.where).reshape(idx.size, -1)
                    for i, row in zip(idx.tolist(), band_keys(s, bands, rows).tolist()):
                        for bk in row:
                            pipe.sismember(self.k("b", bk), (did << _PAR_BITS) + i)
                for h in wfp.tolist():
                    pipe.sismember(self.k("f", h), did)
                if not all(pipe.execute()):
                    problems.append(f"{key}: band keys or fingerprints missing")
        for pattern, live in ((b"b:*", live_pars), (b"f:*", live_docs)):
            for name in self.r.scan_iter(match=self.p + pattern, count=1000):
                stray = [m for m in self.r.smembers(name) if int(m) not in live]
                if stray:
                    problems.append(f"{name.decode()}: {len(stray)} entries of nothing indexed")
                    break
        stats = {k.decode(): int(v) for k, v in self.r.hgetall(self.k("stats")).items()}
        expected = {"documents": len(live_docs), "indexed_paragraphs": len(live_pars),
                    "band_keys": len(live_pars) * bands, "fingerprints": n_fp}
        if any(stats.get(k, 0) != v for k, v in expected.items()):
            problems.append(f"counters {stats} do not match the records {expected}")
        return problems


# --------------------------------------------------------------------------- the index


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
        store = _RedisStore(uri, create) if _is_redis(uri) else _SQLiteStore(uri, create)
        try:
            meta = store.meta()
            if meta is None and not create:
                raise IndexStoreError(f"{store.where}: no index here; create it with: chachong index build "
                                      f"{store.where} PATH...")
            if meta is None:
                config = cls._config(config, None, settings, store.where)
                with store.write():
                    store.set_meta(cls._meta(config), replace=False)  # a concurrent creator may have won
                meta = store.meta()
            if not isinstance(meta, dict) or meta.get("schema") != SCHEMA:
                raise IndexStoreError(f"{store.where}: index format {meta.get('schema') if isinstance(meta, dict) else '?'}"
                                      f" is not {SCHEMA}; rebuild it with this chachong: chachong index build")
            config = cls._config(config, meta, settings, store.where)
            cls._require_compatible(meta, config, store.where)
        except BaseException:
            store.close()
            raise
        return cls(store, uri, config, meta)

    @staticmethod
    def _config(config: AuditConfig | None, meta: Mapping[str, Any] | None, settings: Mapping[str, Any] | None,
                where: str) -> AuditConfig:
        try:
            if config is None:
                # settings a newer chachong recorded and this one does not know do not bear on signatures
                known = {f.name for f in dataclasses.fields(AuditConfig)}
                base = {k: v for k, v in (meta["config"] if meta else {}).items() if k in known}
                base.update(settings or {})
                return AuditConfig.from_mapping(base)
            return config.replace(**dict(settings or {}))
        except (ConfigError, TypeError) as exc:
            raise IndexStoreError(f"{where}: {exc}") from exc

    @staticmethod
    def _meta(config: AuditConfig) -> dict[str, Any]:
        return {"schema": SCHEMA, "layout": {**layout(config), "threshold": config.threshold},
                "config": config.to_dict(), "created_by": f"chachong {__version__}"}

    @staticmethod
    def _require_compatible(meta: Mapping[str, Any], config: AuditConfig, where: str) -> None:
        why = incompatibility(meta["layout"], layout(config))
        if why:
            raise IndexStoreError(f"{where}: index built with {why}; drop the differing setting to use the "
                                  f"index's own, or rebuild it: chachong index build {where} PATH...")

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
    def build(cls, uri: str | os.PathLike[str], inputs: Sequence[str | os.PathLike[str]] | Sequence[Document],
              config: AuditConfig | None = None, *, settings: Mapping[str, Any] | None = None,
              progress: Progress | None = None, strict: bool = True) -> AddResult:
        """Create the index at ``uri``, or replace a whole existing one, with these documents.

        The index records ``config`` (default settings updated by ``settings``), whatever an
        existing index at ``uri`` was built with. SQLite: one transaction.
        """
        uri = os.fspath(uri)
        store = _RedisStore(uri, True) if _is_redis(uri) else _SQLiteStore(uri, True)
        try:
            config = cls._config(config, None, settings, store.where)
            index = cls(store, uri, config, cls._meta(config))
            return index._add(inputs, keys=None, progress=progress, reset=True, strict=strict)
        finally:
            store.close()

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
        keys = list(keys) if keys is not None else document_keys([d.source for d in docs])
        if len(keys) != len(docs) or len(set(keys)) != len(keys):
            raise IndexStoreError(f"{self._store.where}: give one distinct key per document")
        say("sign")
        rows = _with_band_keys(_prepare_rows(prepare(docs, self.config), keys) if docs else [], self.bands,
                               self.rows)
        say("write")
        with self._store.write():
            if reset:
                self._store.clear()
                self._store.set_meta(self._meta(self.config), replace=True)
                self.meta = self._store.meta() or self.meta
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
                    if isinstance(self._store, _SQLiteStore):
                        self._store.delete(found[0], self.bands, self.rows)
                todo.append(r)  # Redis replaces inside each document's own transaction
            self._store.insert(todo, self.bands, self.rows, say)
        return result

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
                               "backend": "redis" if isinstance(self._store, _RedisStore) else "sqlite",
                               "schema": SCHEMA, "created_by": self.meta.get("created_by"),
                               "layout": self.meta["layout"], "settings": self.meta["config"], **counts}
        if isinstance(self._store, _SQLiteStore):
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
        ``_MAX_FINGERPRINT_DOCS`` documents is stock phrasing and proposes nothing).
        """
        cfg = self.config
        lengths = corpus.canonical_length()
        spans = [np.arange(int(corpus.par_first[d]), int(corpus.par_first[d]) + len(corpus.documents[d].paragraphs))
                 for d in documents]
        mine = np.concatenate(spans).astype(np.int64) if spans else np.zeros(0, np.int64)
        mine = mine[lengths[mine] >= max(cfg.min_paragraph_chars, 1)]
        docs: set[int] = set()
        with self._store.read():
            if mine.size:
                # LSH: (band key, new paragraph) -> indexed paragraphs with that key
                keys = band_keys(corpus.signatures[mine], self.bands, self.rows)
                flat_keys, flat_par = keys.ravel(), np.repeat(mine, self.bands)
                pairs = _join(flat_keys, flat_par, self._store.lookup_bands(unique(flat_keys)))
                if len(pairs):
                    pids, sigs = self._store.paragraph_info(unique(pairs[:, 1]), cfg.num_perm)
                    row = {p: i for i, p in enumerate(pids.tolist())}
                    pairs = pairs[np.array([p in row for p in pairs[:, 1].tolist()], dtype=bool)]
                    if len(pairs):
                        ref = sigs[[row[p] for p in pairs[:, 1].tolist()]]
                        est = (corpus.signatures[pairs[:, 0]] == ref).mean(axis=1)
                        docs.update((pairs[est >= cfg.threshold - ESTIMATE_SLACK, 1] >> _PAR_BITS).tolist())
            # copied passages: documents sharing a winnowed fingerprint
            fps = [winnowed(corpus.cps[corpus.doc_offsets[d]:corpus.doc_offsets[d + 1]], cfg.min_span)
                   for d in documents]
            if fps:
                docs |= self._store.lookup_fingerprints(unique(np.concatenate(fps)), _MAX_FINGERPRINT_DOCS)
        return sorted(docs)

    def fetch(self, doc_ids: Sequence[int]) -> list[tuple[str, Document]]:
        """(key, document) of indexed documents by index id, in index order (ids are placeholders)."""
        with self._store.read():
            return [(key, doc) for _, key, doc in self._store.fetch(doc_ids)]

    def keys(self) -> dict[str, int]:
        """Document key -> index id, in the order they were added."""
        return self._store.keys()


def _join(keys: np.ndarray, values: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Pairs (value, hit pid) for every ``keys[i] == hits[j, 0]``; unique rows."""
    if not len(hits):
        return np.zeros((0, 2), dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    sk, sv = keys[order], values[order]
    lo = np.searchsorted(sk, hits[:, 0], side="left")
    hi = np.searchsorted(sk, hits[:, 0], side="right")
    n = hi - lo
    rep = np.repeat(np.arange(len(hits)), n)
    pos = np.repeat(lo, n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
    out = np.stack([sv[pos], hits[rep, 1]], axis=1)
    return np.unique(out, axis=0) if len(out) else out.reshape(0, 2)


__all__ = ["AddResult", "Index", "IndexStoreError", "IndexedDocument", "band_keys", "document_keys", "layout"]
