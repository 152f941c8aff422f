"""The Dask engine: the same report.json as the local engine, computed on a real LocalCluster.

Workers are separate processes reached through the scheduler's TCP address, as on a real
cluster; partitions are kept small so that every shuffle and every partition edge is crossed.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from chachong.api import audit
from chachong.cli import main
from chachong.config import AuditConfig, ConfigError
from chachong.engine.dask.engine import audit_dask
from chachong.model import LazyDocuments, outlines
from chachong.report.json import dumps

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "compilation.txt"


@pytest.fixture(scope="module")
def scheduler():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                       silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def client(scheduler):
    c = distributed.Client(scheduler, set_as_default=False)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import synth
    finally:
        sys.path.pop(0)
    path = tmp_path_factory.mktemp("synth") / "corpus.jsonl"
    synth.write_jsonl(synth.generate(3000, seed=7), str(path))
    return path


def test_cli_report_json_is_byte_identical_through_the_scheduler(tmp_path, scheduler):
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    runner = CliRunner()
    fmt = ["--format", "json,csv,html,md"]
    local = runner.invoke(main, ["audit", str(EXAMPLE), "-o", str(tmp_path / "local"), *fmt])
    assert local.exit_code == 0, local.output
    dask = runner.invoke(main, ["audit", str(EXAMPLE), "-o", str(tmp_path / "dask"), *fmt,
                                "--engine", "dask", "--scheduler", scheduler])
    assert dask.exit_code == 0, dask.output
    a = (tmp_path / "local" / "report.json").read_bytes()
    b = (tmp_path / "dask" / "report.json").read_bytes()
    assert a == b
    # every other report is made from the same result, so it is the same too
    names = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "dask").iterdir()) and len(names) > 2
    for name in names:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
    # the example has copies to find, so equality is not two empty reports
    report = json.loads(a)
    assert report["paragraph_pairs"] and report["document_pairs"]
    # the same summary, each naming its own output folder first
    assert dask.stdout.replace(str(tmp_path / "dask"), "OUT") == local.stdout.replace(str(tmp_path / "local"), "OUT")


def shuffled_by(method: str, monkeypatch) -> None:
    """Make the Dask engine's large shuffles use ``method`` ("tasks" or "p2p", Engine.shuffle_method)."""
    from chachong.engine.dask import engine

    monkeypatch.setattr(engine, "TASK_SHUFFLE_PARTITIONS", 10**9 if method == "tasks" else 0)


@pytest.mark.parametrize("method", ["tasks", "p2p"])
def test_example_in_many_partitions(client, method, monkeypatch):
    """Partitions of about 20 paragraphs: the example's copies cross partition edges; the same report
    whichever shuffle moves the rows."""
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    expected = dumps(audit([EXAMPLE]))
    shuffled_by(method, monkeypatch)
    stats: dict = {}
    got = audit_dask([EXAMPLE], client=client, partition_paragraphs=20, stats=stats)
    assert stats["shuffle_method"] == method and dumps(got) == expected


@pytest.mark.parametrize("method", ["tasks", "p2p"])
def test_generated_corpus(generated, client, method, monkeypatch):
    """3,000 synthetic paragraphs with planted near-duplicates and stock phrases, in 8 partitions."""
    local = audit([generated])
    assert len(local.paragraph_pair_records) > 50
    shuffled_by(method, monkeypatch)
    stats: dict = {}
    got = audit_dask([generated], client=client, partition_paragraphs=400, stats=stats)
    assert stats["shuffle_method"] == method and dumps(got) == dumps(local)
    # the client holds the documents' outlines; their texts wait in a file and are read when used
    assert isinstance(got.document_records, LazyDocuments)
    assert all(d.text == "" for d in outlines(got.document_records))
    assert list(got.document_records) == list(local.document_records)


def test_generated_corpus_other_settings(generated, client):
    """Pairing settings reach the workers: a lower threshold and shorter spans, same result."""
    cfg = AuditConfig(threshold=0.3, containment=0.6, min_span=10, stock_min_documents=4)
    local = audit([generated], cfg)
    got = audit_dask([generated], cfg, client=client, partition_paragraphs=700)
    assert dumps(got) == dumps(local)


FORMULA = "坚持以人民为中心的发展思想统筹发展和安全工作"  # 22 characters every unit writes
CLAUSE_POOL = "春夏秋冬东南西北山川河海田园村镇街巷工厂学校医院车站码头仓库桥梁隧道公园广场"


def formula_documents(tmp_path: Path, repeats: int) -> Path:
    """Ten independent reports writing FORMULA ``repeats`` times; units 2i and 2i+1 follow one of
    their formulas with the same single character (a different one per couple), and units 8 and 9
    follow it with a real copy. A character of each unit's own closes the shared text on both sides."""
    import random

    rnd = random.Random(11)
    own = "子丑寅卯辰巳午未申酉"
    follow = {2 * i + j: "金木水火"[i] for i in range(4) for j in range(2)}
    copy = "推进老旧小区改造和城市更新行动落到实处见到实效"
    folder = tmp_path / f"formula_{repeats}"
    folder.mkdir()
    for i in range(10):
        def filler(n: int) -> str:
            return "".join(rnd.choice(CLAUSE_POOL) for _ in range(n))
        paras = [filler(90) + own[i]]
        paras += [own[i] + FORMULA + own[i] + filler(40) for _ in range(repeats - 1)]
        paras.append(own[i] + FORMULA + (follow.get(i) or copy) + own[i] + filler(50))
        paras.append(filler(90))
        (folder / f"{i:02d}.txt").write_text(f"第{i}单位报告\n" + "\n".join(paras) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(("repeats", "settings"), [
    (1, {}),  # the formula is stock: in 10 independent documents
    (7, {"stock_min_documents": 20}),  # not stock, but at more than MAX_OCCURRENCES (64) places
])
def test_formula_and_one_character_seeds_nothing_in_either_engine(tmp_path, client, monkeypatch, repeats, settings):
    """A seed's exact match needs min_span characters outside common k-grams (seeds.free_chars):
    a common formula plus one shared character is no copy, between documents of different partitions too."""
    import numpy as np

    import chachong.stages.seeds as seeds

    cfg = AuditConfig(**settings)
    folder = formula_documents(tmp_path, repeats)
    local = audit([folder], cfg)
    found = {(p.a, p.b) for p in local.passage_records}
    assert found == {("d09", "d10")}  # only the real copy
    got = audit_dask([folder], cfg, client=client, partition_paragraphs=2 * repeats + 3)
    assert dumps(got) == dumps(local)
    # the control: without common text a couple writing the same character is a copy (when the
    # k-gram ending in it is a fingerprint of both: winnowing keeps it for some couples), so an
    # engine without the rule could not give the local result above
    monkeypatch.setattr(seeds, "common_hashes", lambda fps: np.zeros(0, dtype=np.uint64))
    without = {(p.a, p.b) for p in audit([folder], cfg).passage_records}
    couples = {("d01", "d02"), ("d03", "d04"), ("d05", "d06"), ("d07", "d08")}
    assert without - found <= couples and len(without & couples) >= 2


def test_folder_with_bad_inputs(tmp_path, client):
    """Files read on workers, in the local engine's order; skipped inputs and warnings in place."""
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    folder = tmp_path / "in"
    folder.mkdir()
    text = EXAMPLE.read_text(encoding="utf-8")
    (folder / "b.txt").write_text(text, encoding="utf-8")
    (folder / "a.txt").write_text(text.replace("2023", "2024"), encoding="gb18030")
    (folder / "c.docx").write_bytes(b"not a zip file")
    (folder / "sub").mkdir()
    (folder / "sub" / "d.md").write_text(text[: len(text) // 2], encoding="utf-8")
    inputs = [folder, tmp_path / "missing.txt", folder / "b.txt", tmp_path / "x.xyz"]
    (tmp_path / "x.xyz").write_text("?", encoding="utf-8")
    local = audit(inputs)
    assert local.skipped and len(local.document_records) > 20
    got = audit_dask(inputs, client=client, partition_paragraphs=30)
    assert dumps(got) == dumps(local)


def test_identical_short_documents_in_different_partitions(tmp_path, client):
    """Identical documents too short to pair or align are still an identical pair, across partitions."""
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    text = EXAMPLE.read_text(encoding="utf-8")
    (tmp_path / "a.txt").write_text("通知\n请各单位按时报送。\n", encoding="utf-8")
    (tmp_path / "m.txt").write_text(text, encoding="utf-8")
    (tmp_path / "z.txt").write_text("通知\n请各单位按时报送。\n", encoding="utf-8")
    local = audit([tmp_path])
    first, last = local.document_records[0].id, local.document_records[-1].id
    assert any((p.a, p.b, p.kind) == (first, last, "identical") for p in local.document_pair_records)
    assert dumps(audit_dask([tmp_path], client=client, partition_paragraphs=25)) == dumps(local)


def test_nothing_readable(tmp_path, client):
    inputs = [tmp_path / "missing.txt", tmp_path]
    local = audit(inputs)
    assert not local.document_records and len(local.skipped) == 2
    assert dumps(audit_dask(inputs, client=client)) == dumps(local)


def test_documents_given_directly(client):
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    from chachong.stages.load import load_documents

    docs, _, _ = load_documents([EXAMPLE], AuditConfig())
    assert dumps(audit_dask(docs, client=client, partition_paragraphs=15)) == dumps(audit(docs))


def test_the_workers_tell_which_documents_hold_writing_and_their_quotes(client, monkeypatch):
    """The stock and attribution stages get from the workers what they would read of the client's texts:
    which documents hold writing (a blank one given directly does not) and every document's quote spans."""
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    from chachong.model import Document, Paragraph
    from chachong.stages import attribution, stock
    from chachong.stages.load import load_documents

    docs, _, _ = load_documents([EXAMPLE], AuditConfig())
    docs.insert(2, Document("x1", "空", "x1.txt", " \n　", 1, (Paragraph("x1:p001", "x1", 0, 0, 3, 1, " \n　"),)))
    seen: dict = {}
    real_stock, real_attribution = stock.annotate_stock, attribution.annotate_attribution

    def annotate_stock(result, *args):
        seen["written"] = list(args[2])
        return real_stock(result, *args)

    def annotate_attribution(result, drop=True, spans=None):
        seen["spans"] = spans
        return real_attribution(result, drop, spans)

    monkeypatch.setattr(stock, "annotate_stock", annotate_stock)
    monkeypatch.setattr(attribution, "annotate_attribution", annotate_attribution)
    got = audit_dask(docs, client=client, partition_paragraphs=15)
    monkeypatch.undo()
    assert seen["written"] == [bool(d.text.strip()) for d in docs] and not seen["written"][2]
    assert seen["spans"] == {d.id: attribution.quote_spans(d.text) for d in docs}
    assert any(seen["spans"].values())
    assert dumps(got) == dumps(audit(docs))


def test_documents_with_their_own_paragraph_ids(client):
    """Paragraph records whose ids are not "<document>:pNNN" (documents built by a caller): the blocks
    key their paragraph pairs by the ids they have."""
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    from chachong.model import Document, Paragraph
    from chachong.stages.load import load_documents

    docs, _, _ = load_documents([EXAMPLE], AuditConfig())
    own = [Document(d.id, d.title, d.source, d.text, d.line,
                    tuple(Paragraph(f"{d.id}#{k}", d.id, k, p.start, p.end, p.line, p.text)
                          for k, p in enumerate(d.paragraphs)), d.ocr_confidence) for d in docs]
    local = audit(own)
    assert local.paragraph_pair_records and local.paragraph_pair_records[0].a.count("#") == 1
    assert dumps(audit_dask(own, client=client, partition_paragraphs=15)) == dumps(local)


def test_a_failed_audit_stops_fetching_the_texts(client, monkeypatch):
    """An audit that fails after the texts' fetch started raises its own error, and the client goes on."""
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    from chachong.engine.dask.engine import Engine

    def broken(self, *args):
        raise RuntimeError("the alignment failed")

    monkeypatch.setattr(Engine, "align", broken)
    with pytest.raises(RuntimeError, match="the alignment failed"):
        audit_dask([EXAMPLE], client=client, partition_paragraphs=15)
    assert client.submit(sum, [1, 2], pure=False).result() == 3


def test_documents_sent_between_partitions_rebuild_the_prepared_corpus():
    """partitions.document_batch (packed: 16-bit code points, 8-bit steps of the starts, the ends as
    their exceptions, the documents' signatures instead of their paragraphs') and corpus_of give prepare's
    arrays for batches of documents taken from anywhere in a partition, one batch after another, and for
    texts the packing cannot hold (a code point past U+FFFF, a canonical character 300 characters after
    the one before: that batch goes as it is), a document with no canonical character, and batches not
    packed (the block's own documents)."""
    import numpy as np

    from chachong.engine.dask.partitions import corpus_of, document_batch, document_digests, document_signatures
    from chachong.model import Document, Paragraph
    from chachong.stages import docpairs
    from chachong.stages.load import load_documents
    from chachong.stages.prepare import prepare

    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    cfg = AuditConfig()
    docs, _, _ = load_documents([EXAMPLE], cfg)
    odd = "本段含有生僻字\U00020000与\U0002A6A5，随后是" + "—" * 300 + "很长的一串标点之后再有正文内容三十个字符以上的段落文字。"
    docs.append(Document("x1", "x1", "x1.txt", odd, 1, (Paragraph("x1:p001", "x1", 0, 0, len(odd), 1, odd),)))
    docs.insert(3, Document("y1", "y1", "y1.txt", "……", 1, (Paragraph("y1:p001", "y1", 0, 0, 2, 1, "……"),)))
    whole = prepare(docs, cfg, threads=1)
    assert whole.doc_offsets[3] == whole.doc_offsets[4]  # y1: no canonical character
    n = len(docs)
    picks = [[2, 3, 5], [0, n - 1], [1, 4], [n - 2]]
    sigs, digests = docpairs.document_signatures(whole, None), docpairs.document_digests(whole, None)
    for pack in (True, False):
        batches = [document_batch(whole, pick, 100, sigs, digests, pack=pack) for pick in picks]
        assert batches[0].indices == [102, 103, 105] and batches[0].documents == [docs[i] for i in picks[0]]
        if pack:
            assert [b.cps.dtype.name for b in batches[:3]] == ["uint16", "uint32", "uint16"]
            assert [b.stepped for b in batches[:3]] == [True, False, True]
        else:
            assert not any(b.stepped for b in batches) and batches[0].cps.dtype == np.uint32
        got = corpus_of(batches, cfg)
        assert "signatures" not in vars(got)  # made only when a stage reads them (the comparison below does)
        want = prepare([docs[i] for pick in picks for i in pick], cfg, threads=1)
        assert got.documents == want.documents
        for name in ("cps", "orig_start", "orig_end", "doc_offsets", "par_doc", "par_bounds", "set_hashes",
                     "set_offsets", "signatures"):
            g, w = np.asarray(getattr(got, name)), np.asarray(getattr(want, name))
            assert g.dtype == w.dtype and g.tolist() == w.tolist(), (pack, name)
        # the documents' signatures and digests come along: a block's StageCache holds them, its paragraphs' are not made
        assert document_signatures(batches, cfg).tolist() == docpairs.document_signatures(want, None).tolist()
        assert document_digests(batches).tolist() == docpairs.document_digests(want, None).tolist()
        at, _, _ = want.orig_end.exceptions_of(np.array([0]), np.array([want.cps.size]))
        assert at.size and (at > want.doc_offsets[1]).any()  # masked runs (numbers) past the first document
        if pack:
            # what leaves a partition: a character's code point in 2 bytes, its start in 1, its shingle in 4,
            # and no paragraph signatures (unpacked: 4 + 4 + 4 bytes a character and 512 a paragraph)
            packed = [batches[0], batches[2]]
            n = sum(len(d.paragraphs) for b in packed for d in b.documents)
            sent = sum(v.nbytes for b in packed for v in vars(b).values() if isinstance(v, np.ndarray))
            chars = sum(int(b.chars.sum()) for b in packed)
            assert sent < 7.5 * chars + 64 * n < 12 * chars + whole.signatures[0].nbytes * n
            own = sum(v.nbytes for v in vars(batches[0]).values() if isinstance(v, np.ndarray))
            assert sys.getsizeof(batches[0]) >= own + sum(sys.getsizeof(d.text) for d in batches[0].documents)


def test_api_dispatch_and_errors(scheduler):
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    assert dumps(audit([EXAMPLE], engine="dask", scheduler=scheduler)) == dumps(audit([EXAMPLE]))
    with pytest.raises(ConfigError, match="engine must be local or dask"):
        audit([EXAMPLE], engine="spark")
    res = CliRunner().invoke(main, ["audit", str(EXAMPLE), "--scheduler", scheduler, "-o", "unused"])
    assert res.exit_code == 2 and "--engine dask" in res.output and "Traceback" not in res.output


def test_unreachable_scheduler_is_one_line(tmp_path):
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    res = CliRunner().invoke(main, ["audit", str(EXAMPLE), "-o", str(tmp_path), "--engine", "dask",
                                    "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.output and "Traceback" not in res.output


def test_local_engine_does_not_import_dask(tmp_path):
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    code = (
        "import sys, chachong\n"
        f"r = chachong.audit([{str(EXAMPLE)!r}])\n"
        "assert r.paragraph_pair_records\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_references_and_metadata_give_the_same_report(tmp_path, client):
    """Reference texts (r01...) read on workers first, units from file names: the local report."""
    sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib does not
    from attribution_corpus import PATTERN, write_corpus

    refs, docs = write_corpus(tmp_path)
    settings = {"references": (str(refs),), "meta_pattern": PATTERN}
    local = audit([docs], **settings)
    assert local.reference_records and set(local.passage_classes.values()) == {"reference", "quoted", "own"}
    got = audit_dask([docs], AuditConfig(**settings), client=client, partition_paragraphs=2)
    assert dumps(got) == dumps(local)
    # documents given directly get the references too
    from chachong.stages.load import load_documents

    given, _, _ = load_documents([docs], AuditConfig())
    assert dumps(audit_dask(given, AuditConfig(**settings), client=client)) == dumps(audit(given, **settings))
    # an index of reference texts: its documents are scattered as the first read
    from chachong.api import indexed_references
    from chachong.index.index import Index

    uri = str(tmp_path / "refs.sqlite")
    Index.build(uri, [refs])
    cfg = AuditConfig(references=(uri,), meta_pattern=PATTERN)
    expected = dumps(audit([docs], cfg)).replace(uri, "URI")
    assert dumps(audit_dask([docs], cfg, client=client, references=indexed_references(cfg))).replace(uri, "URI") \
        == expected
    assert '"class": "reference"' in expected


def test_the_stock_task_receives_windows_not_documents(generated, client):
    """Stock phrases are mined by partition and merged: the one task that mines the phrases
    receives the windows of the frequent n-grams, a small part of the text (engine/dask/phrasing.py)."""
    stats: dict = {}
    result = audit_dask([generated], client=client, partition_paragraphs=500, stats=stats)
    assert stats["partitions"] > 2 and result.stock_phrase_records
    work = stats["stock_task"]
    text_bytes = 4 * sum(len(d.text) for d in result.document_records)  # CJK text in Python: 4 bytes a character
    assert 0 < work["window_chars"] < work["chars"] / 4
    # less than the texts alone even on this small corpus, where three documents make a phrase and
    # jieba reads many clauses (at 600,000 paragraphs: 110 MiB for 555 MiB of documents, README)
    assert 0 < work["received_bytes"] < text_bytes


def test_stock_phrases_are_mined_on_a_worker(generated, client, monkeypatch):
    """The client never mines: the worker's stock phrases (groups of copies known before the
    alignment) serve annotate_stock; mining in the client process would raise here."""
    local = audit([generated])
    assert local.stock_phrase_records  # the corpus has stock phrases to mine
    from chachong.stages import phrases

    def refuse(*_a, **_k):
        raise AssertionError("stock phrases mined on the client")

    monkeypatch.setattr(phrases, "mine_phrases", refuse)
    assert dumps(audit_dask([generated], client=client, partition_paragraphs=500)) == dumps(local)


@pytest.mark.parametrize("user_sort", [None, ""])
def test_own_local_cluster_workers_audit_with_the_kept_heap(monkeypatch, user_sort):
    """The LocalCluster an audit starts (no --scheduler) spawns its workers with the local
    engine's heap settings (runtime.heap.kept_environ), not the nanny's 64 KiB trim threshold,
    and with numpy's sorts as chachong chooses them (runtime.simd.worker_environ) although this
    process loaded numpy long ago, unless the user chose (an empty variable keeps AVX-512)."""
    import os

    from chachong.engine.dask.cluster import local_cluster
    from chachong.runtime.heap import kept_environ
    from chachong.runtime.simd import VARIABLE, worker_environ

    # as in a fresh process: the nanny of this module's other cluster left its setting in
    # os.environ, and Dask lets the process's own variables win over its configuration
    for k in kept_environ():
        monkeypatch.delenv(k, raising=False)
    # as in a process that imported distributed (hence numpy) before chachong
    monkeypatch.delenv(VARIABLE, raising=False)
    sort = worker_environ()
    if user_sort is not None:
        monkeypatch.setenv(VARIABLE, user_sort)
        sort = {VARIABLE: user_sort}
    cluster = local_cluster(1, silence_logs=logging.ERROR)
    try:
        with distributed.Client(cluster, set_as_default=False) as c:
            seen = c.run(lambda: {k: v for k, v in os.environ.items()
                                  if k.startswith("MALLOC_") or k == VARIABLE})
            profiled = c.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
    finally:
        cluster.close()
    assert list(seen.values()) == [kept_environ() | sort]
    assert list(profiled.values()) == [False]  # no dashboard: the workers do not sample their stacks


def test_unusable_work_folder_for_the_texts_is_one_line(tmp_path, scheduler):
    """The client writes the texts to a temporary file in --work-dir: a folder it cannot use is a
    one-line error naming it and the fix, and no report is written."""
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    res = CliRunner().invoke(main, ["audit", str(EXAMPLE), "-o", str(tmp_path / "out"), "--engine", "dask",
                                    "--scheduler", scheduler, "--work-dir", str(blocker / "work")])
    assert res.exit_code != 0 and "Traceback" not in res.output, res.output
    assert f"work folder {blocker / 'work'}" in res.output and "choose another --work-dir" in res.output
    assert not (tmp_path / "out").exists()



def test_pair_rows_of_partitions_bucket_as_the_whole(generated):
    """The pairing's keyed and sample rows (32-bit paragraph numbers, offset by their partition's first
    one; documents looked up in the buckets), cut into partitions and buckets, give the candidates of
    one partition holding everything in one bucket."""
    import numpy as np
    import pandas as pd

    from chachong.engine.dask.pairing import CANDIDATES, bucket_candidates, pair_rows, sample_rows
    from chachong.engine.dask.partitions import Part
    from chachong.stages.candidates import lsh_bands
    from chachong.stages.load import load_documents
    from chachong.stages.prepare import prepare

    cfg = AuditConfig()
    bands, rows = lsh_bands(cfg)
    docs, _, _ = load_documents([generated], cfg)
    n = sum(len(d.paragraphs) for d in docs)

    doc_starts = np.concatenate(([0], np.cumsum([len(d.paragraphs) for d in docs])[:-1]))

    def candidates(keyed, samples):
        c = bucket_candidates(keyed, samples, doc_starts)
        assert list(c.columns) == list(CANDIDATES)
        return sorted(zip(c["kind"].tolist(), c["x"].tolist(), c["y"].tolist()))

    whole = Part(0, 0, 0, prepare(docs, cfg, threads=1))
    want = candidates(pair_rows(whole, cfg, bands, rows, n), sample_rows(whole, n))
    assert len(want) > 100 and {k for k, _, _ in want} == {0, 1, 2, 3}  # every kind of candidate
    cuts = [0, len(docs) // 3, len(docs) // 2, len(docs)]
    parts = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        par0 = sum(len(d.paragraphs) for d in docs[:lo])
        parts.append(Part(len(parts), lo, par0, prepare(docs[lo:hi], cfg, threads=1)))
    keyed = pd.concat([pair_rows(p, cfg, bands, rows, n) for p in parts])
    samples = pd.concat([sample_rows(p, n) for p in parts])
    assert samples["x"].dtype == np.int32 and samples["key"].dtype == np.uint32 and keyed["x"].dtype == np.int32
    got = []
    for b in range(3):  # buckets by key, as the shuffle makes them
        got += candidates(keyed[keyed["key"] % 3 == b], samples[samples["key"] % 3 == b])
    assert sorted(got) == want
    # past 2**31 paragraphs the numbers travel as int64 and the buckets sort two columns instead
    assert candidates(keyed.astype({"x": np.int64}), samples.astype({"x": np.int64})) == want


def test_candidate_counts_do_not_depend_on_the_partitions(generated, client):
    """Every partitioning proposes and verifies the same candidates (a rule applied per partition that
    is not exact shows here first: the reports stay equal while more pairs are proposed)."""
    from chachong.engine.dask.partitions import MIN_PARTITION_PARAGRAPHS

    counts, parts = [], []
    for size in (300, 1700, None):  # None: the engine's own size (partition_size), one partition here
        stats: dict = {}
        audit_dask([generated], client=client, stats=stats, **({"partition_paragraphs": size} if size else {}))
        counts.append({k: stats[k] for k in ("proposed_pairs", "candidates", "verified_pairs", "document_pairs_aligned")})
        parts.append(stats["partitions"])
    assert counts[0]["proposed_pairs"] > 0 and counts[0] == counts[1] == counts[2]
    assert parts[0] > parts[1] > parts[2] == 1 and stats["paragraphs"] < MIN_PARTITION_PARAGRAPHS


def test_dask_weighs_documents_and_partitions_by_what_they_hold():
    """Dask places a task near its inputs by their sizes (``dask.sizeof``, ``sys.getsizeof`` for our
    records): a document counts its text, a partition its prepared arrays and documents."""
    import sys as sys_

    from dask.sizeof import sizeof

    from chachong.engine.dask.aligning import part_fingerprints
    from chachong.engine.dask.partitions import Part
    from chachong.stages.load import load_documents
    from chachong.stages.prepare import prepare

    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    cfg = AuditConfig()
    docs, _, _ = load_documents([EXAMPLE], cfg)
    texts = sum(sys_.getsizeof(d.text) for d in docs)
    assert texts > 2 * sum(len(d.text) for d in docs)  # Chinese text: two bytes a character
    assert sizeof(docs) >= texts
    part = Part(0, 0, 0, prepare(docs, cfg, threads=1))
    c = part.corpus
    assert sizeof(part) >= texts + c.cps.nbytes + c.signatures.nbytes + c.set_hashes.nbytes
    batch = part.batch(list(range(len(docs))))
    assert sizeof(batch) >= texts + c.cps.nbytes // 2 + c.set_hashes.nbytes
    fp = part_fingerprints(part, [], [], cfg)
    assert sizeof(fp) >= fp.hash.nbytes + fp.pos.nbytes


def test_fingerprint_rows_refuse_positions_their_type_cannot_hold():
    """The fingerprint shuffle's positions are 32-bit when the texts are short enough; a position that
    does not fit stops the audit instead of wrapping round."""
    import numpy as np

    from chachong.engine.dask.aligning import PartFingerprints, fingerprint_rows, fingerprint_schema

    schema = fingerprint_schema(10, 1000)
    assert schema["pos"] == np.int32 and fingerprint_schema(10, 2**31)["pos"] == np.int64
    fp = PartFingerprints(3, np.array([0, 2]), np.array([5, 2**31 + 5]), np.array([7, 8], np.uint64))
    part = type("P", (), {"index": 0})()
    with pytest.raises(ValueError, match="2\\*\\*31"):
        fingerprint_rows(part, fp, schema)
    rows = fingerprint_rows(part, PartFingerprints(3, np.array([0, 2]), np.array([5, 9]), np.array([7, 8], np.uint64)),
                            schema)
    assert rows["doc"].tolist() == [3, 3] and rows["pos"].dtype == np.int32


def test_packed_arrays_give_back_what_was_packed():
    """partitions.packed (an alignment export's code points and starts) round-trips any batch of documents:
    16-bit code points and 8-bit steps (each document's first step its first start) when they fit, the
    arrays as they were otherwise (a step past 255 or below 0, a code point past U+FFFF, 64-bit starts)."""
    import numpy as np
    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    from chachong.engine.dask.partitions import DocumentBatch, packed

    empty = np.zeros(0, np.int64)
    doc = st.tuples(st.lists(st.integers(0, 0x10FFFF), max_size=12), st.integers(0, 300),
                    st.lists(st.integers(-300, 300), max_size=12))

    @settings(max_examples=200, deadline=None)
    @given(st.lists(doc, max_size=5), st.integers(0, 2**31 - 20_000), st.booleans())
    @example([([20013, 25991], 3, [2])], 0, False)  # packs both
    @example([([0x20000], 1, [256])], 0, False)  # packs neither
    @example([([1, 2], 7, [1]), ([], 0, []), ([3], 255, [])], 0, False)  # an empty document between two
    def check(docs, base, wide):
        cps = np.array([c for cs, _, _ in docs for c in cs], np.uint32)
        starts = []
        for cs, first, steps in docs:  # each document's starts: its first, then its steps (as many as its characters)
            steps = (steps + [1] * len(cs))[:max(len(cs) - 1, 0)]
            starts.append((base + first + np.cumsum([0, *steps]))[:len(cs)])
        start = np.concatenate(starts + [empty]).astype(np.int64 if wide else np.int32)
        chars = np.array([len(cs) for cs, _, _ in docs], np.int64)
        c, s, stepped = packed(cps, start, chars)
        batch = DocumentBatch([], [], chars, c, s, stepped, *[empty] * 8, np.zeros((0, 2), np.uint64))
        assert batch.code_points().dtype == np.uint32 and batch.code_points().tolist() == cps.tolist()
        assert batch.starts().dtype == start.dtype and batch.starts().tolist() == start.tolist()
        assert (c.dtype == np.uint16) == (cps.size > 0 and int(cps.max()) <= 0xFFFF)
        steps = [x for one in starts for x in ([one[0]] if one.size else []) + np.diff(one).tolist()]
        fits = start.size > 0 and not wide and all(0 <= x <= 255 for x in steps)
        assert stepped == fits and (s.dtype == np.uint8) == fits

    check()


def test_gathered_slices_are_the_slices():
    """runtime.arrays.gather_csr (the alignment's contexts, a partition's texts and sets): slices of nearly one
    length go as rows of a window view, cut to their lengths, and a slice reaching the end of the values
    as a short row; any slices come back as the plain slices would, in order, with their offsets."""
    import numpy as np
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from chachong.runtime.arrays import gather_csr

    @settings(max_examples=300, deadline=None)
    @given(st.integers(1, 40), st.integers(0, 12),
           st.lists(st.tuples(st.integers(0, 39), st.sampled_from([True] * 9 + [False])), max_size=30),
           st.sampled_from([np.uint32, np.uint16, np.int64]))
    def check(size, width, cuts, dtype):
        # slices of one width but where the values end (as contexts at a document's end), and a few of any
        # length (the window path takes slices whose lengths add up to 4/5 of their rows at least)
        values = (np.arange(size) * 7 + 3).astype(dtype)
        cuts = [(s % size, min(width if same else s // 3, size - s % size)) for s, same in cuts]
        starts = np.array([s for s, _ in cuts], np.int64)
        lengths = np.array([n for _, n in cuts], np.int64)
        got, offsets = gather_csr(values, starts, lengths)
        want = [values[s:s + n].tolist() for s, n in cuts]
        assert got.dtype == values.dtype and got.tolist() == sum(want, [])
        assert offsets.tolist() == np.cumsum([0] + [len(w) for w in want]).tolist()

    check()
    # the window path: one length, one slice ending at the last value; one cut short there
    got, _ = gather_csr(np.arange(10, dtype=np.uint32), np.array([8, 0, 4]), np.array([2, 2, 2]))
    assert got.tolist() == [8, 9, 0, 1, 4, 5]
    starts, lengths = np.array([0, 1, 2, 3, 4, 8]), np.array([4, 4, 4, 4, 4, 2])
    got, _ = gather_csr(np.arange(10, dtype=np.uint32), starts, lengths)
    assert got.tolist() == [0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, 4, 5, 6, 7, 8, 9]
