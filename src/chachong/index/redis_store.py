"""The Redis backend of the index: one index shared by many CI runners (``redis://host:port/db``).

``?prefix=name:`` in the URI shares a server between indices. Each document is written in one
MULTI/EXEC transaction (an interrupted ``add`` keeps the documents written before it, whole),
guarded by WATCH so that concurrent writers of one document key do not interleave. The keys are
listed in :class:`RedisStore`.

A build is atomic: it writes a new generation of keys (``<prefix>g<N>:...``) while readers go on
using the current one, then points ``<prefix>current`` at it with one SET and deletes the older
generations. A build that fails half-way leaves the pointer, and so the index, as they were; the
next build deletes its leftovers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from chachong.index.layout import IndexStoreError
from chachong.index.rows import (PAR_BITS, IndexedDocument, Prepared, Progress, band_keys, compress_text,
                                 decompress_text, digest, from_bytes, rebuild_document, sketch, to_bytes)
from chachong.model import Document

class RedisStore:
    """Keys: ``<prefix>current`` (default prefix ``chachong:``) the current generation N, ``<prefix>gens``
    the generation counter, and under ``<prefix>gN:``:

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
        self.base = query.pop("prefix", ["chachong:"])[0].encode()
        self.p = self.base
        clean = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
        # never echo a password in messages
        self.where = uri if not parts.password else uri.replace(f":{parts.password}@", ":***@")
        try:
            self.r = redis.Redis.from_url(clean, socket_timeout=60, socket_connect_timeout=5)
            self.r.ping()
        except (redis.RedisError, ValueError) as exc:
            raise IndexStoreError(f"{self.where}: cannot reach Redis ({exc}); start the server or fix the URI") \
                from exc
        current = self.r.get(self.base + b"current")
        if current is not None:
            self.p = self.base + b"g" + current + b":"
        # else: no index, or one of an older layout under the bare prefix (its meta names its schema)
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

    def _new_generation(self) -> bytes:
        gen = str(int(self.r.incr(self.base + b"gens"))).encode()
        self.p = self.base + b"g" + gen + b":"
        return gen

    def start(self, meta: Mapping[str, Any]) -> None:
        """Create an empty index recording ``meta``, unless a concurrent creator made one first."""
        gen = self._new_generation()
        self.set_meta(meta, replace=False)
        if not self.r.set(self.base + b"current", gen, nx=True):
            self._drop(self.p)
            self.p = self.base + b"g" + self.r.get(self.base + b"current") + b":"

    def begin_build(self) -> None:
        """Write the build into a new generation; readers keep the current one until :meth:`finish_build`."""
        self._new_generation()

    def finish_build(self) -> None:
        """Point ``current`` at the finished generation (one SET), then delete the other generations
        and the keys of the older layout (only names of this index: another index may share the prefix's start)."""
        import re

        gen = self.p[len(self.base) + 1:-1]
        self.r.set(self.base + b"current", gen)
        ours = re.compile(re.escape(self.base) + rb"(g\d+:|(key|doc|b|f):|(meta|next|keys|stats)$)")
        self._delete(name for name in self.r.scan_iter(match=self.base + b"*", count=1000)
                     if not name.startswith(self.p) and ours.match(name))

    def _drop(self, prefix: bytes) -> None:
        self._delete(self.r.scan_iter(match=prefix + b"*", count=1000))

    def _delete(self, names) -> None:
        """Delete these keys, a thousand at a time."""
        batch: list[bytes] = []
        for name in names:
            batch.append(name)
            if len(batch) >= 1000:
                self.r.delete(*batch)
                batch = []
        if batch:
            self.r.delete(*batch)

    def clear(self) -> None:
        self._drop(self.p)

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
        idx = from_bytes(pidx, "<i8", self.where)
        pids = (doc_id << PAR_BITS) + idx
        if idx.size:
            s = from_bytes(sigs, "<u4", self.where).reshape(idx.size, -1)
            for pid, row in zip(pids.tolist(), band_keys(s, bands, rows).tolist()):
                for bk in row:
                    pipe.srem(self.k("b", bk), pid)
        f = from_bytes(wfp, "<i8", self.where)
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

    def plan(self, band_postings: int, fingerprints: int, texts: Sequence[str]) -> None:
        """Nothing to size: one set per key."""

    def flush(self) -> None:
        """Nothing waits: each document is written whole by :meth:`insert`."""

    def insert(self, docs: Sequence[Prepared], bands: int, rows: int, progress: Progress, first: int = 0,
               total: int | None = None) -> None:
        for n, d in enumerate(docs, 1):
            new_id = int(self.r.incr(self.k("next")))
            pids = ((new_id << PAR_BITS) + d.pidx).tolist()
            keys = d.band.tolist() if d.pidx.size else []
            record = {"key": d.key, "title": d.title, "source": d.source, "line": d.line, "chars": len(d.text),
                      "digest": d.digest, "text": compress_text(d.text),
                      "bounds": to_bytes(d.bounds, "<i8"), "pidx": to_bytes(d.pidx, "<i8"),
                      "sigs": to_bytes(d.sigs, "<u4"), "wfp": to_bytes(d.wfp, "<i8")}

            def body(pipe: Any, old_id: int | None, rec: Any, d: Prepared = d, new_id: int = new_id,
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
            progress(f"write {first + n}/{total if total is not None else len(docs)}")

    def band_hits(self, keys: np.ndarray) -> np.ndarray:
        """(band key, document) of the documents with a paragraph that has one of ``keys``."""
        klist = keys.tolist()
        with self.r.pipeline(transaction=False) as pipe:
            for k in klist:
                pipe.smembers(self.k("b", k))
            found = pipe.execute()
        out = {(k, int(p) >> PAR_BITS) for k, members in zip(klist, found) for p in members}
        return np.array(sorted(out), dtype=np.int64).reshape(-1, 2)

    def fingerprint_hits(self, hashes: np.ndarray, limit: int) -> np.ndarray:
        """(fingerprint, document) of the documents holding one of ``hashes``, leaving out
        fingerprints held by more than ``limit`` documents."""
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
        out = sorted((h, int(d)) for h, members in zip(small, found) for d in members)
        return np.array(out, dtype=np.int64).reshape(-1, 2)

    def sketches(self, doc_ids: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Document id -> (its indexed paragraphs, their sketches :func:`~chachong.index.rows.sketch`)."""
        ids = list(doc_ids)
        with self.r.pipeline(transaction=False) as pipe:
            for did in ids:
                pipe.hmget(self.k("doc", did), "pidx", "sigs")
            recs = pipe.execute()
        out = {}
        for did, (pidx, sigs) in zip(ids, recs):
            if pidx is None:
                continue  # removed since the lookup
            idx = from_bytes(pidx, "<i8", self.where).astype(np.int64)
            s = from_bytes(sigs, "<u4", self.where).reshape(idx.size, -1) if idx.size else np.zeros((0, 2), np.uint32)
            out[int(did)] = (idx, sketch(s))
        return out

    def fetch(self, doc_ids: Sequence[int]) -> list[tuple[int, str, Document]]:
        ids = sorted(doc_ids)
        with self.r.pipeline(transaction=False) as pipe:
            for did in ids:
                pipe.hmget(self.k("doc", did), "key", "title", "source", "line", "chars", "text", "bounds")
            recs = pipe.execute()
        out = []
        for did, rec in zip(ids, recs):
            if rec[0] is None:
                continue  # removed since the lookup
            out.append((did, *self._document(rec)))
        return out

    def _document(self, rec: Sequence[bytes]) -> tuple[str, Document]:
        """(key, document) of a record's key, title, source, line, chars, text and bounds."""
        key, title, source, line = (x.decode("utf-8", "surrogatepass") for x in rec[:4])
        text = decompress_text(rec[5], int(rec[4]), b"", key, self.where)
        return key, rebuild_document(title, source, int(line), text, from_bytes(rec[6], "<i8", self.where))

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
            rec = self.r.hmget(self.k("doc", did), "key", "title", "source", "line", "chars", "text", "bounds",
                               "digest", "pidx", "sigs", "wfp")[1:]
            if rec[0] is None:
                problems.append(f"{key}: listed but its record is missing")
                continue
            live_docs.add(did)
            if self.r.get(self._keyref(key)) != str(did).encode():
                problems.append(f"{key}: key reference does not point at document {did}")
            try:
                _k, doc = self._document([key.encode("utf-8", "surrogatepass"), *rec[:6]])
            except IndexStoreError as exc:
                problems.append(str(exc))
                continue
            if digest(doc.title, doc.text) != rec[6].decode():
                problems.append(f"{key}: text does not match its digest")
            idx = from_bytes(rec[7], "<i8", self.where)
            live_pars.update(((did << PAR_BITS) + idx).tolist())
            wfp = from_bytes(rec[9], "<i8", self.where)
            n_fp += wfp.size
            with self.r.pipeline(transaction=False) as pipe:
                if idx.size:
                    s = from_bytes(rec[8], "<u4", self.where).reshape(idx.size, -1)
                    for i, row in zip(idx.tolist(), band_keys(s, bands, rows).tolist()):
                        for bk in row:
                            pipe.sismember(self.k("b", bk), (did << PAR_BITS) + i)
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


__all__ = ["RedisStore"]
