"""The persistent index (chachong.index.index): SQLite file and a real Redis server.

Build, add, remove, query and reopen on both backends; two processes adding at once lose
nothing; a process killed in the middle of ``add`` leaves a readable, consistent index; an
index built with other settings is refused with a one-line message naming the fix.
"""

from __future__ import annotations

import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from chachong.cli import main
from chachong.config import AuditConfig
from chachong.stages.fingerprints import winnowed_hashes
from chachong.stages.prepare import prepare
from chachong.index.index import Index, IndexStoreError, band_keys, document_keys, layout

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "compilation.txt"
_HAN = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000))


# --------------------------------------------------------------------------- fixtures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_server():
    """A throw-away redis-server on 127.0.0.1 (installed by .ci/setup.sh)."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (.ci/setup.sh installs the Debian package)")
    port = _free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.kill()
    proc.wait()


@pytest.fixture(params=["sqlite", "redis"])
def uri(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "refs.db")
    base = request.getfixturevalue("redis_server")
    return f"{base}?prefix=t{uuid.uuid4().hex[:8]}:"  # one index per test on the shared server


def salad(seed: int, paragraphs: int = 6, length: int = 80) -> list[str]:
    """Paragraphs of random Han characters: two different seeds share no 13-character run."""
    rnd = random.Random(seed)
    return ["".join(rnd.choice(_HAN) for _ in range(length)) + "。" for _ in range(paragraphs)]


def write_doc(folder: Path, name: str, title: str, paragraphs: list[str]) -> Path:
    path = folder / name
    path.write_text(title + "\n" + "\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


def docs_for(paths, config=None):
    from chachong.stages.load import load_documents

    docs, skipped, _ = load_documents([str(p) for p in paths], config or AuditConfig())
    assert not skipped
    return docs


def candidate_keys(idx: Index, paths) -> list[str]:
    docs = docs_for(paths, idx.config)
    ids = idx.candidates(prepare(docs, idx.config), range(len(docs)))
    return [k for k, _ in idx.fetch(ids)]


# --------------------------------------------------------------------------- behaviour


def test_build_add_remove_query_reopen(uri, tmp_path):
    a = write_doc(tmp_path, "a.txt", "甲单位工作总结", salad(1))
    b = write_doc(tmp_path, "b.txt", "乙单位工作总结", salad(2))
    c = write_doc(tmp_path, "c.txt", "丙单位工作总结", salad(3))
    res = Index.build(uri, [a, b])
    assert sorted(res.added) == sorted([a.as_posix(), b.as_posix()])
    # a new document: two fresh paragraphs and one paragraph of b copied with a small edit
    copied = salad(2)[3]
    new = write_doc(tmp_path, "new.txt", "新单位工作总结", salad(9, 2) + [copied[:40] + "改" + copied[41:]])
    with Index.open(uri) as idx:
        assert len(idx) == 2
        assert candidate_keys(idx, [new]) == [b.as_posix()]
        assert candidate_keys(idx, [c]) == []
        assert idx.verify() == []
    # reopen: add one, add the same again (unchanged), change one (replaced)
    with Index.open(uri) as idx:
        assert idx.add([c]).added == [c.as_posix()]
        assert idx.add([c]).unchanged == [c.as_posix()]
        write_doc(tmp_path, "c.txt", "丙单位工作总结", salad(3)[:3] + [copied])
        assert idx.add([c]).replaced == [c.as_posix()]
        assert [d.key for d in idx.documents()] == [a.as_posix(), b.as_posix(), c.as_posix()]
        assert sorted(candidate_keys(idx, [new])) == sorted([b.as_posix(), c.as_posix()])
        assert idx.verify() == []
    with Index.open(uri) as idx:
        assert idx.remove([b.as_posix()]) == [b.as_posix()]
        assert candidate_keys(idx, [new]) == [c.as_posix()]
        with pytest.raises(IndexStoreError, match="no document 'nope.txt'"):
            idx.remove(["nope.txt"])
        info = idx.info()
        assert info["documents"] == 2 and info["indexed_paragraphs"] == 6 + 4
        assert info["band_keys"] == 10 * layout(AuditConfig())["bands"]
        assert idx.verify() == []
    # the stored document comes back with its text and paragraph offsets
    with Index.open(uri) as idx:
        [(key, doc)] = idx.fetch([idx.keys()[a.as_posix()]])
        original = docs_for([a])[0]
        assert (key, doc.title, doc.text) == (a.as_posix(), original.title, original.text)
        assert [(p.start, p.end, p.line) for p in doc.paragraphs] == \
               [(p.start, p.end, p.line) for p in original.paragraphs]


def test_compilation_documents_get_numbered_keys(uri):
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    res = Index.build(uri, [EXAMPLE])
    assert len(res.added) == 10 and res.added[0].endswith("compilation.txt#01")
    with Index.open(uri) as idx:
        # removing by path removes every document cut from it
        assert len(idx.remove([res.added[0].split("#")[0]])) == 10
        assert len(idx) == 0 and idx.verify() == []


def test_other_settings_are_refused(uri, tmp_path):
    a = write_doc(tmp_path, "a.txt", "甲单位工作总结", salad(1))
    Index.build(uri, [a], AuditConfig(num_perm=64))
    with pytest.raises(IndexStoreError) as err:
        Index.open(uri, AuditConfig())
    msg = str(err.value)
    assert "num_perm=64" in msg and "this run 128" in msg and "chachong index build" in msg and "\n" not in msg
    # the index's own settings are used when none are given; changing a non-signature setting is fine
    with Index.open(uri) as idx:
        assert idx.config.num_perm == 64
    with Index.open(uri, settings={"min_span": 20, "containment": 0.9}) as idx:
        assert idx.config.min_span == 20
    for change, words in (({"threshold": 0.8}, "LSH bands"), ({"k": 4}, "k=5"),
                          ({"mask_digits": False}, "mask_digits"), ({"min_paragraph_chars": 10}, "min_paragraph")):
        with pytest.raises(IndexStoreError, match=words):
            Index.open(uri, settings=change)
    # adding with other settings is refused too; the CLI says so in one line, exit code 2
    r = CliRunner().invoke(main, ["index", "add", uri, str(a), "--seed", "7"])
    assert r.exit_code == 2 and "seed=1" in r.output and "this run 7" in r.output
    r = CliRunner().invoke(main, ["check", str(a), "--index", uri, "--k", "4"])
    assert r.exit_code == 2 and "k=5" in r.output and "Traceback" not in r.output
    # build replaces the whole index, settings included
    Index.build(uri, [a])
    with Index.open(uri, AuditConfig()) as idx:
        assert idx.config.num_perm == 128 and len(idx) == 1


def test_missing_and_foreign_indexes(tmp_path):
    with pytest.raises(IndexStoreError, match="no index here; create it with: chachong index build"):
        Index.open(tmp_path / "none.db")
    assert not (tmp_path / "none.db").exists()  # looking did not create it
    text = tmp_path / "notes.txt"
    text.write_text("不是数据库" * 100, encoding="utf-8")
    with pytest.raises(IndexStoreError, match="not a chachong index"):
        Index.open(text)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(IndexStoreError, match="another program"):
        Index.open(other, create=True)
    r = CliRunner().invoke(main, ["index", "info", str(tmp_path / "none.db")])
    assert r.exit_code == 2 and r.output.count("\n") == 1


def test_unreadable_input_adds_nothing(uri, tmp_path):
    a = write_doc(tmp_path, "a.txt", "甲单位工作总结", salad(1))
    Index.build(uri, [a])
    with Index.open(uri) as idx:
        with pytest.raises(IndexStoreError, match="missing.txt.*nothing was added"):
            idx.add([write_doc(tmp_path, "b.txt", "乙", salad(2)), tmp_path / "missing.txt"])
        assert len(idx) == 1


def test_sqlite_stores_raw_arrays(tmp_path):
    """Sketches are raw bytes: the low 3 bits of the pipeline's signatures, bit-packed (no pickle)."""
    a = write_doc(tmp_path, "a.txt", "甲单位工作总结", salad(1))
    db = tmp_path / "refs.db"
    Index.build(db, [a])
    corpus = prepare(docs_for([a]), AuditConfig())
    with sqlite3.connect(db) as con:
        (sk, indexed), = con.execute("SELECT sketch, indexed FROM documents").fetchall()
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    bits = np.unpackbits(np.frombuffer(sk, np.uint8).reshape(indexed, -1), axis=1)
    assert bits.shape[1] == 128 * 3
    low = bits.reshape(indexed, 128, 3) @ np.array([1, 2, 4])
    assert np.array_equal(low, corpus.signatures & 7)
    assert mode == "wal"


def test_document_keys_are_unique():
    assert document_keys(["x.csv#row 2", "x.csv#row 3", "a.txt"]) == ["x.csv#row 2", "x.csv#row 3", "a.txt"]
    assert len(set(document_keys(["c.txt"] * 120))) == 120


def _edited(text: str, rate: float, rnd: random.Random) -> str:
    return "".join(rnd.choice(_HAN) if rnd.random() < rate else c for c in text)


def _full_key_candidates(index_docs, new_docs, cfg: AuditConfig) -> set[str]:
    """The documents the index must draw, by the rule on full band keys, signatures and fingerprints."""
    from chachong.index.lookup import MAX_FINGERPRINT_DOCS
    from chachong.stages.candidates import ESTIMATE_SLACK
    from chachong.stages.fingerprints import winnowed_hashes
    from chachong.stages.lsh import band_keys

    lay = layout(cfg)
    ref, new = prepare(index_docs, cfg), prepare(new_docs, cfg)
    ok_r = ref.canonical_length() >= cfg.min_paragraph_chars
    ok_n = new.canonical_length() >= cfg.min_paragraph_chars
    kr, kn = band_keys(ref.signatures, lay["bands"], lay["rows"]), band_keys(new.signatures, lay["bands"], lay["rows"])
    out = set()
    for p in np.flatnonzero(ok_r):
        for q in np.flatnonzero(ok_n):
            if np.isin(kr[p], kn[q]).any() and (ref.signatures[p] == new.signatures[q]).mean() >= \
                    cfg.threshold - ESTIMATE_SLACK:
                out.add(int(ref.par_doc[p]))
    held = [set(winnowed_hashes(ref.cps[ref.doc_offsets[d]:ref.doc_offsets[d + 1]], cfg.min_span).tolist())
            for d in range(len(index_docs))]
    for d in range(len(new_docs)):
        for h in winnowed_hashes(new.cps[new.doc_offsets[d]:new.doc_offsets[d + 1]], cfg.min_span).tolist():
            holders = [i for i, hs in enumerate(held) if h in hs]
            if len(holders) <= MAX_FINGERPRINT_DOCS:
                out.update(holders)
    return {index_docs[i].source for i in out}


def test_candidates_equal_the_full_key_rule_despite_chance_hits(uri, tmp_path, monkeypatch):
    """The compact index keeps a few bits of each key; with fewer still (7 bits of a band key: nearly
    every key meets postings of others; 12 of a fingerprint: one in two), the documents drawn are
    exactly those the full keys, signatures and fingerprints give: copies edited at 5-60 %, short
    exact runs, and a sentence 70 documents share (stock phrasing, which draws none of them)."""
    from chachong.index import index as index_module
    from chachong.index import postings

    monkeypatch.setattr(postings, "RESIDUAL_BITS", {"bands": 1, "fingerprints": 6})
    monkeypatch.setattr(index_module, "_BATCH_CHARS", 3000)  # built ten documents at a time
    rnd = random.Random(5)
    stock = "深入学习贯彻党的二十大精神全面推进各项工作高质量发展取得新成效"
    paths = []
    for i in range(80):
        paras = salad(500 + i, 4)
        if i < 70:
            paras[1] = paras[1][:30] + stock + paras[1][30:]
        paths.append(write_doc(tmp_path, f"r{i:02d}.txt", f"单位{i}工作总结", paras))
    Index.build(uri, paths)
    news = []
    for j, rate in enumerate((0.05, 0.2, 0.3, 0.4, 0.5, 0.6)):
        source = salad(500 + 3 * j, 4)
        run = salad(500 + 3 * j + 1, 4)[2][10:10 + 12 + j]  # 12..17 characters copied exactly
        paras = [_edited(source[0], rate, rnd), salad(900 + j, 1)[0][:40] + run + salad(950 + j, 1)[0][:40],
                 salad(990 + j, 1)[0][:30] + stock]
        news.append(write_doc(tmp_path, f"new{j}.txt", f"新单位{j}", paras))
    cfg = AuditConfig()
    want = _full_key_candidates(docs_for(paths), docs_for(news), cfg)
    assert 3 <= len(want) < 20  # some copies are found, the stock sentence draws nothing
    with Index.open(uri) as idx:
        got = set(candidate_keys(idx, news))
        if not uri.startswith("redis://"):
            # chance hits happen: the postings alone propose documents that verification drops
            corpus = prepare(docs_for(news), cfg)
            keys = band_keys(corpus.signatures, idx.bands, idx.rows)
            assert len(set(idx._store.band_hits(np.unique(keys))[:, 1].tolist())) > 20
            fps = winnowed_hashes(corpus.cps, cfg.min_span)
            assert len(set(idx._store.fingerprint_hits(fps, 72)[:, 1].tolist()) - {
                i for k, i in idx.keys().items() if k in want}) > 5
    assert got == want


def test_an_index_built_from_the_audits_corpus_signs_nothing_again(uri, tmp_path, monkeypatch):
    """``Index.build(uri, result.corpus)`` stores the audit's own signatures and canonical text: with
    signing made to fail, it builds the same index as ``Index.build(uri, paths)`` does."""
    import chachong
    from chachong.stages import prepare as prepare_module

    paths = [write_doc(tmp_path, f"d{i}.txt", f"单位{i}", salad(40 + i)) for i in range(5)]
    new = write_doc(tmp_path, "new.txt", "新", salad(42)[:4] + salad(7, 2))
    result = chachong.audit([str(p) for p in paths])
    Index.build(uri, paths)
    with Index.open(uri) as idx:
        want = ([(d.key, d.digest, d.indexed_paragraphs) for d in idx.documents()], candidate_keys(idx, [new]))

    def no_signing(*_a, **_k):
        raise AssertionError("signed again")

    monkeypatch.setattr(prepare_module, "signatures", no_signing)
    monkeypatch.setattr(prepare_module, "canonicalize_array", no_signing)
    Index.build(uri, result.corpus)
    monkeypatch.undo()
    with Index.open(uri) as idx:
        got = ([(d.key, d.digest, d.indexed_paragraphs) for d in idx.documents()], candidate_keys(idx, [new]))
        assert idx.verify() == []
    assert got == want and want[1] == [paths[2].as_posix()]


_V1_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
    source TEXT NOT NULL, line INTEGER NOT NULL, chars INTEGER NOT NULL, digest TEXT NOT NULL, text BLOB NOT NULL,
    bounds BLOB NOT NULL, wfp BLOB NOT NULL);
CREATE TABLE paragraphs (pid INTEGER PRIMARY KEY, sig BLOB NOT NULL);
CREATE TABLE bands (key INTEGER NOT NULL, pid INTEGER NOT NULL, PRIMARY KEY (key, pid)) WITHOUT ROWID;
CREATE TABLE fingerprints (hash INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (hash, doc)) WITHOUT ROWID;
"""


def test_an_index_of_the_older_layout_is_refused_in_one_line_and_rebuilt(tmp_path):
    """An index of ``chachong.index/1`` (one B-tree row per band key and fingerprint) cannot be read:
    the message names the command that rebuilds it, and that command replaces it in place."""
    import json

    db = tmp_path / "refs.db"
    with sqlite3.connect(db) as con:
        con.executescript(_V1_SCHEMA)
        from chachong.index.layout import index_meta

        meta = {**index_meta(AuditConfig()), "schema": "chachong.index/1"}
        con.execute("INSERT INTO meta VALUES ('index', ?)", (json.dumps(meta),))
    new = write_doc(tmp_path, "new.txt", "新", salad(3))
    r = CliRunner().invoke(main, ["check", str(new), "--index", str(db)])
    assert r.exit_code == 2 and r.output.count("\n") == 1
    assert f"index format chachong.index/1 is not chachong.index/2; rebuild it with this chachong: " \
           f"chachong index build {db} PATH..." in r.output
    a = write_doc(tmp_path, "a.txt", "甲", salad(3))
    assert CliRunner().invoke(main, ["index", "build", str(db), str(a)]).exit_code == 0
    with Index.open(db) as idx:
        assert list(idx.keys()) == [a.as_posix()] and idx.verify() == []
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert not tables & {"paragraphs", "bands", "fingerprints"}


# --------------------------------------------------------------------------- processes

_ADD = """
import sys
from chachong.index.index import Index
with Index.open(sys.argv[1], create=True) as idx:
    idx.add(sys.argv[2:], progress=lambda s: print(s, flush=True))
print("done", flush=True)
"""


def _batch(folder: Path, prefix: str, n: int, seed: int, paragraphs: int = 6) -> list[str]:
    folder.mkdir(exist_ok=True)
    return [str(write_doc(folder, f"{prefix}{i:03d}.txt", f"{prefix}单位{i}工作总结", salad(seed * 1000 + i, paragraphs)))
            for i in range(n)]


def test_two_processes_adding_at_once_lose_nothing(uri, tmp_path):
    Index.build(uri, [write_doc(tmp_path, "seed.txt", "起始文档", salad(7))])
    one = _batch(tmp_path / "one", "a", 25, 1)
    two = _batch(tmp_path / "two", "b", 25, 2)
    procs = [subprocess.Popen([sys.executable, "-c", _ADD, uri, *batch], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for batch in (one, two)]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    with Index.open(uri) as idx:
        keys = set(idx.keys())
        assert keys == {Path(p).as_posix() for p in one + two} | {(tmp_path / "seed.txt").as_posix()}
        assert idx.verify() == []
        assert idx.info()["indexed_paragraphs"] == 51 * 6


def _killed_while_writing(script: str, uri: str, batch: list[str]) -> int:
    """Run ``script`` (an add or a build of ``batch`` into ``uri``) and kill it once its 40th document
    is written; its return code (-SIGKILL when it was killed in time)."""
    proc = subprocess.Popen([sys.executable, "-c", script, uri, *batch], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("write 40/"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=120)
    return proc.returncode


def test_killed_add_leaves_a_consistent_index(uri, tmp_path):
    first = [write_doc(tmp_path, f"s{i}.txt", f"起始文档{i}", salad(100 + i)) for i in range(3)]
    Index.build(uri, first)
    batch = _batch(tmp_path / "big", "k", 400, 5, paragraphs=12)
    # kill it while it writes: after its 40th document went in, long before its 400th
    assert _killed_while_writing(_ADD, uri, batch) == -signal.SIGKILL, "the add finished before it could be killed"
    with Index.open(uri) as idx:
        assert idx.verify() == []
        keys = list(idx.keys())
        assert keys[:3] == [p.as_posix() for p in first]
        if uri.startswith("redis://"):
            # one transaction per document: the documents written before the kill are whole
            assert 3 + 40 <= len(keys) < 3 + 400
        else:
            assert len(keys) == 3  # one transaction per add: as it was
        # and it keeps working
        assert idx.add([write_doc(tmp_path, "after.txt", "之后的文档", salad(999))]).added
        assert idx.verify() == []


def test_readers_see_whole_documents_while_a_writer_adds(tmp_path):
    """WAL: a reader opened during a long write reads the index as it was, without waiting."""
    db = tmp_path / "refs.db"
    Index.build(db, [write_doc(tmp_path, "s.txt", "起始文档", salad(1))])
    batch = _batch(tmp_path / "big", "w", 300, 6, paragraphs=12)
    proc = subprocess.Popen([sys.executable, "-c", _ADD, str(db), *batch], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("write 10/"):
                break
        t = time.perf_counter()
        with Index.open(db) as idx:
            assert len(idx) == 1 and idx.verify() == []
        assert time.perf_counter() - t < 5
    finally:
        proc.communicate(timeout=300)
    with Index.open(db) as idx:
        assert len(idx) == 301


_BUILD = """
import sys
from chachong.index.index import Index
Index.build(sys.argv[1], sys.argv[2:], progress=lambda s: print(s, flush=True))
print("done", flush=True)
"""


def _previous_index(uri: str, tmp_path: Path) -> tuple[list[Path], Path, str]:
    """An index of four documents, a new document copying one of them, and its check report (JSON)."""
    from chachong.index.check import check

    old = [write_doc(tmp_path, f"o{i}.txt", f"旧单位{i}工作总结", salad(200 + i)) for i in range(4)]
    Index.build(uri, old)
    new = write_doc(tmp_path, "new.txt", "新单位工作总结", salad(201)[:3] + salad(5, 2))
    report = check([new], index=uri).to_json()
    assert '"document": "' + old[1].as_posix() in report  # it finds the copy
    return old, new, report


def _still_the_previous_index(uri: str, old: list[Path], new: Path, report: str) -> None:
    from chachong.index.check import check

    assert check([new], index=uri).to_json() == report
    with Index.open(uri) as idx:
        assert [d.key for d in idx.documents()] == [p.as_posix() for p in old]
        assert idx.verify() == []


def _only_the_current_generation(uri: str) -> None:
    """Redis: a finished build leaves no key of an older or failed generation behind."""
    import redis

    base, prefix = uri.split("?prefix=")
    client = redis.Redis.from_url(base)
    current = client.get(f"{prefix}current").decode()
    names = {n.decode() for n in client.scan_iter(match=f"{prefix}*")}
    assert names and all(n.startswith(f"{prefix}g{current}:") or n in (f"{prefix}current", f"{prefix}gens")
                         for n in names)


def test_a_build_failing_half_way_leaves_the_previous_index(uri, tmp_path):
    """An error while a build writes (raised from its progress callback after 3 of 6 documents)
    leaves the index it was replacing usable: the same check report, byte for byte."""
    old, new, report = _previous_index(uri, tmp_path)
    (tmp_path / "next").mkdir()
    others = [write_doc(tmp_path / "next", f"r{i}.txt", f"另一单位{i}", salad(300 + i)) for i in range(6)]

    def fail(step: str) -> None:
        if step == "write 3/6":
            raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError, match="injected failure"):
        Index.build(uri, others, progress=fail)
    _still_the_previous_index(uri, old, new, report)
    # the next build replaces it whole, and the failed build's leftovers go
    Index.build(uri, others)
    with Index.open(uri) as idx:
        assert [d.key for d in idx.documents()] == [p.as_posix() for p in others] and idx.verify() == []
    if uri.startswith("redis://"):
        _only_the_current_generation(uri)


def test_a_killed_build_leaves_the_previous_index(uri, tmp_path):
    old, new, report = _previous_index(uri, tmp_path)
    batch = _batch(tmp_path / "big", "k", 200, 5, paragraphs=12)
    assert _killed_while_writing(_BUILD, uri, batch) == -signal.SIGKILL, "the build finished before it could be killed"
    _still_the_previous_index(uri, old, new, report)


# --------------------------------------------------------------------------- redis specifics


def test_check_against_a_redis_index(redis_server, tmp_path):
    uri = f"{redis_server}?prefix=chk{uuid.uuid4().hex[:6]}:"
    a = write_doc(tmp_path, "a.txt", "甲单位工作总结", salad(1))
    b = write_doc(tmp_path, "b.txt", "乙单位工作总结", salad(2))
    new = write_doc(tmp_path, "new.txt", "新单位工作总结", salad(2)[:5] + salad(8, 1))
    runner = CliRunner()
    assert runner.invoke(main, ["index", "build", uri, str(a), str(b)]).exit_code == 0
    r = runner.invoke(main, ["check", str(new), "--index", uri])
    assert r.exit_code == 1 and b.as_posix() in r.output
    r = runner.invoke(main, ["check", str(write_doc(tmp_path, "fresh.txt", "新", salad(77))), "--index", uri,
                             "--add-on-pass"])
    assert r.exit_code == 0
    with Index.open(uri) as idx:
        assert len(idx) == 3 and idx.verify() == []


def test_a_redis_build_keeps_an_index_whose_prefix_starts_alike(redis_server, tmp_path):
    """A build deletes its own older generations only, not an index under ``<prefix>x:``."""
    base = f"{redis_server}?prefix=pre{uuid.uuid4().hex[:6]}:"
    a = write_doc(tmp_path, "a.txt", "甲", salad(1))
    b = write_doc(tmp_path, "b.txt", "乙", salad(2))
    Index.build(base + "x:", [a])
    Index.build(base, [b])
    Index.build(base, [b])  # a second generation replaces the first
    with Index.open(base + "x:") as idx:
        assert list(idx.keys()) == [a.as_posix()] and idx.verify() == []
    with Index.open(base) as idx:
        assert list(idx.keys()) == [b.as_posix()] and idx.verify() == []


def test_redis_unreachable_is_one_line(tmp_path):
    r = CliRunner().invoke(main, ["index", "info", f"redis://127.0.0.1:{_free_port()}/0"])
    assert r.exit_code == 2 and "cannot reach Redis" in r.output and r.output.count("\n") == 1


def test_no_pickle_in_the_index_path():
    """Nothing read from an index goes through pickle: the modules never name it (np.load included)."""
    files = sorted((ROOT / "src" / "chachong" / "index").glob("*.py"))
    assert len(files) >= 3  # the package: the index, its stores and check
    for path in files:
        name = path.name
        src = path.read_text(encoding="utf-8")
        code = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith("#"))
        for word in ("import pickle", "pickle.", "np.load(", "allow_pickle", "marshal", "eval(", "exec("):
            assert word not in code, f"{name} uses {word}"


def test_settings_recorded_by_a_newer_chachong_are_ignored(tmp_path):
    import json

    db = tmp_path / "refs.db"
    Index.build(db, [write_doc(tmp_path, "a.txt", "甲", salad(1))])
    with sqlite3.connect(db) as con:
        meta = json.loads(con.execute("SELECT value FROM meta WHERE name='index'").fetchone()[0])
        meta["config"]["a_future_setting"] = 3
        con.execute("UPDATE meta SET value=? WHERE name='index'", (json.dumps(meta),))
    with Index.open(db) as idx:
        assert len(idx) == 1 and idx.config == AuditConfig()


# --------------------------------------------------------------------------- packed postings

from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, (1 << 18) - 1), st.integers(0, (1 << 32) - 1)),
                         min_size=1, max_size=40), min_size=1, max_size=6))
def test_packed_buckets_decode_to_their_postings(buckets):
    """Each bucket comes back sorted and unique, whether decoded alone or several at once."""
    from chachong.index import postings

    rows, want_keys, want_docs = [], [], []
    for b, entries in enumerate(buckets):
        r = np.array([e[0] for e in entries], dtype=np.uint32)
        d = np.array([e[1] for e in entries], dtype=np.int64)
        data, n = postings.encode(r, d)
        rows.append((b * 3, n, data))
        pairs = sorted(set(entries))
        assert [x.tolist() for x in postings.decode(data, n, "x")] == [[p[0] for p in pairs], [p[1] for p in pairs]]
        want_keys += [(b * 3 << 32) | p[0] for p in pairs]
        want_docs += [p[1] for p in pairs]
    query = np.array(sorted(set(want_keys)) + [(1 << 40) + 5], dtype=np.uint64)[::-1]
    q, d = postings.find(rows, query, "x")
    assert sorted(zip(query[q].tolist(), d.tolist())) == sorted(zip(want_keys, want_docs))
    with pytest.raises(IndexStoreError, match="damaged posting list"):
        postings.decode(rows[0][2], rows[0][1] + 1, "x")
