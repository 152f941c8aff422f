"""Documents whose texts wait in a temporary file (model.LazyDocuments over runtime.textfile.TextFile):
the Dask engine's record (issue 21: its client never holds the corpus's texts). They must read as
the list they stand for, hold no text they are not asked for, and give the same reports."""

import dataclasses
import errno
import gc
import os
import pickle
import weakref
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.api import audit
from chachong.cli import summary
from chachong.model import (Document, DocumentStats, LazyDocuments, Paragraph, document_ids, outlines,
                            text_lengths)
from chachong.report.writer import write_report
from chachong.result import AuditRecord
from chachong.runtime import textfile
from chachong.runtime.textfile import TextFile, encode_texts
from chachong.runtime.workdir import WorkDirError, WorkDirFull
from chachong.stages.attribution import drop_references
from chachong.stages.segment import Piece, build_documents

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "compilation.txt"

# texts with what a file's decoding can leave in them: CJK, line breaks, lone surrogates, nothing
TEXTS = st.text(st.sampled_from("甲乙丙丁，。\n 、a1\ud800\udfff😀"), max_size=40)


def _outline(d: Document) -> Document:
    return Document(d.id, d.title, d.source, "", d.line, d.paragraphs.outline(), d.ocr_confidence)


def _lazy(docs: list[Document], block: int = 3, chunk: int = 2, folder=None) -> LazyDocuments:
    store = TextFile(folder)
    for k in range(0, len(docs), chunk):  # appended a few at a time, as partitions arrive
        items = [(d.text, d.paragraphs.own_texts()) for d in docs[k:k + chunk]]
        if k // chunk % 2:  # encoded elsewhere (a Dask worker) and sent over: the same file
            store.append_encoded(pickle.loads(pickle.dumps(encode_texts(items))))
        else:
            store.append(items)
    return LazyDocuments([_outline(d) for d in docs], store.read, [len(d.text) for d in docs], block=block)


@st.composite
def documents(draw) -> list[Document]:
    out = []
    for n in range(draw(st.integers(0, 7))):
        text = draw(TEXTS)
        if draw(st.booleans()):  # split by the segmenter: paragraphs held as spans
            d = build_documents([(Piece(f"题{n}", text or "空", 1 + n, f"f{n}.txt"), "text")])[0]
            d = dataclasses.replace(d, id=f"d{n + 1:02d}", paragraphs=d.paragraphs.renamed(f"d{n + 1:02d}"))
        else:  # hand-built: ids of another form and texts that are not the slices, held as records
            did = f"x{n}"
            pars = tuple(Paragraph(f"{did}/{k}", did, k, 0, len(text), 1, draw(TEXTS)) for k in range(draw(st.integers(0, 3))))
            d = Document(did, f"题{n}", f"s{n}", text, 1, pars, draw(st.none() | st.floats(0, 1)))
        out.append(d)
    return out


@settings(max_examples=60, deadline=None)
@given(docs=documents(), block=st.integers(1, 4), chunk=st.integers(1, 3), data=st.data())
def test_reads_as_the_list_it_stands_for(docs, block, chunk, data):
    lazy = _lazy(docs, block, chunk)
    assert len(lazy) == len(docs) and list(lazy) == docs and lazy == docs
    for i in range(-len(docs), len(docs)):
        got = lazy[i]
        assert got == docs[i] and got.paragraphs.texts() == docs[i].paragraphs.texts()
        assert [p.text for p in got.paragraphs] == [p.text for p in docs[i].paragraphs]
    with pytest.raises(IndexError):
        lazy[len(docs)]
    a = data.draw(st.integers(-8, 8) | st.none())
    b = data.draw(st.integers(-8, 8) | st.none())
    step = data.draw(st.sampled_from([None, 1, 2, -1]))
    part = lazy[a:b:step]
    assert isinstance(part, LazyDocuments) and list(part) == docs[a:b:step]
    assert document_ids(part) == [d.id for d in docs[a:b:step]]
    assert text_lengths(part) == [len(d.text) for d in docs[a:b:step]]
    assert [(d.id, d.title, d.source, d.line, d.paragraphs.spans().tolist(), d.paragraphs.ids(), d.text)
            for d in outlines(part)] == [(d.id, d.title, d.source, d.line, d.paragraphs.spans().tolist(),
                                          d.paragraphs.ids(), "") for d in docs[a:b:step]]
    # pickled, it is the plain list
    back = pickle.loads(pickle.dumps(lazy))
    assert type(back) is list and back == docs
    # the plain list's helpers read the list
    assert document_ids(docs) == [d.id for d in docs] and outlines(docs) is docs
    assert text_lengths(docs) == [len(d.text) for d in docs]


def test_holds_no_document_it_read_by_iteration_and_few_by_position():
    docs = [Document(f"d{i:03d}", "t", "s", "甲乙丙" * (i + 1), 1, ()) for i in range(200)]
    lazy = _lazy(docs, block=16)
    refs = [weakref.ref(d) for d in lazy]
    gc.collect()
    assert sum(r() is not None for r in refs) == 0
    refs = [weakref.ref(lazy[i]) for i in range(len(docs))]
    gc.collect()
    alive = sum(r() is not None for r in refs)
    assert 0 < alive <= LazyDocuments.KEEP
    # a document asked for again is not read again while it is kept
    reads = []
    read = lazy._read
    lazy._read = lambda rows: reads.append(list(rows)) or read(rows)
    assert lazy[199] == docs[199] and lazy[199] is lazy[199] and reads == []
    assert lazy[0] == docs[0] and reads == [[0]]


def test_the_file_has_no_name_and_its_errors_are_one_line(tmp_path, monkeypatch):
    store = TextFile(tmp_path / "work")
    store.append([("甲" * 1000, None)])
    assert os.listdir(tmp_path / "work") == []  # nothing to leave behind, however the process ends
    assert store.read([0]) == [("甲" * 1000, None)]

    def full(*_a):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(textfile.os, "pwrite", full)
    with pytest.raises(WorkDirFull, match=r"work folder .*work is full .* choose another --work-dir"):
        store.append([("乙", None)])
    assert len(store) == 1 and store.read([0]) == [("甲" * 1000, None)]  # what was written stays readable
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(WorkDirError, match=r"work folder .*file.*choose another --work-dir"):
        TextFile(blocker / "sub")


def _stats(ids):
    return {i: DocumentStats() for i in ids}


def test_records_give_outlines_and_references_come_off_as_a_slice():
    docs = [Document(i, f"题{i}", "s", f"{i}的正文", 1, ()) for i in ("r01", "r02", "d01", "d02")]
    lazy = _lazy(docs)
    rec = AuditRecord(None, lazy, [], [], [], _stats(document_ids(docs)))
    assert rec.record("d02") == docs[3] and rec.record("d02", text=False).text == ""
    assert rec.record("d02", text=False).title == "题d02"
    drop_references(rec)
    assert isinstance(rec.document_records, LazyDocuments) and list(rec.document_records) == docs[2:]
    assert rec.reference_records == docs[:2] and sorted(rec.stats) == ["d01", "d02"]
    assert rec.record("r01") == docs[0] and rec.record("d01") == docs[2]
    with pytest.raises(KeyError, match="no document 'd09'; ids run from d01 to d02"):
        rec.record("d09")
    # references elsewhere than first (documents given directly): taken out one by one
    mixed = [docs[2], docs[0], docs[3]]
    rec = AuditRecord(None, mixed, [], [], [], _stats(["d01", "r01", "d02"]))
    drop_references(rec)
    assert rec.document_records == [docs[2], docs[3]] and rec.reference_records == [docs[0]]


def test_reports_from_lazy_documents_are_byte_identical(tmp_path):
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    result = audit([EXAMPLE])
    assert result.passage_records and result.stock_phrase_records
    lazy = dataclasses.replace(result, document_records=_lazy(list(result.document_records), block=5, chunk=4,
                                                              folder=tmp_path / "texts"))
    formats = ("json", "csv", "html", "md")
    plain = write_report(result, tmp_path / "plain", formats)
    other = write_report(lazy, tmp_path / "lazy", formats)
    assert [p.name for p in plain] == [p.name for p in other] and len(plain) > 3
    for a, b in zip(plain, other):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert summary(lazy) == summary(result)
