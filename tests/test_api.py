"""The notebook-facing API: DataFrames, the similarity matrix, re-thresholding."""

import json

import pytest

import chachong
from chachong.config import ConfigError
from chachong.report.frames import (CLUSTER_COLUMNS, DOCUMENT_COLUMNS, DOCUMENT_PAIR_COLUMNS, PARAGRAPH_COLUMNS,
                             PARAGRAPH_PAIR_COLUMNS)
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compilation.txt"


@pytest.fixture(scope="module")
def example():
    return chachong.audit([EXAMPLE])


def test_dataframes_have_documented_columns(example):
    assert list(example.documents.columns) == DOCUMENT_COLUMNS
    assert list(example.paragraphs.columns) == PARAGRAPH_COLUMNS
    assert list(example.paragraph_pairs.columns) == PARAGRAPH_PAIR_COLUMNS
    assert list(example.document_pairs.columns) == DOCUMENT_PAIR_COLUMNS
    assert list(example.clusters.columns) == CLUSTER_COLUMNS
    assert len(example.documents) == 10
    assert example.paragraphs["chars"].sum() == sum(len(p.text) for d in example.document_records for p in d.paragraphs)


def test_dataframes_agree_with_json(example):
    report = json.loads(example.to_json())
    df = example.documents.set_index("id")
    for d in report["documents"]:
        assert df.loc[d["id"], "copy_ratio"] == d["copy_ratio"]
    assert len(example.paragraph_pairs) == len(report["paragraph_pairs"])


def test_paragraph_copied_share(example):
    df = example.paragraphs.set_index("id")
    # the identical documents d06/d07 are copied entirely
    assert (df[df["document"] == "d06"]["copied_share"] == 1.0).all()
    assert df.loc["d04:p001", "copied_share"] == 0.0


def test_similarity_matrix(example):
    m = example.similarity_matrix()
    assert m.shape == (10, 10)
    assert m.loc["d06", "d07"] == 1.0 and m.loc["d07", "d06"] == 1.0
    assert m.loc["d03", "d04"] == 0.0
    j = example.similarity_matrix("jaccard")
    assert (j.values == j.values.T).all()


def test_rethreshold_refilters_without_rehashing(example):
    strict = example.rethreshold(threshold=0.95, containment=0.99)
    assert strict.corpus.signatures is example.corpus.signatures
    assert len(strict.paragraph_pair_records) <= len(example.paragraph_pair_records)
    again = strict.rethreshold(threshold=example.config.threshold, containment=example.config.containment)
    assert again.to_json() == example.to_json()


def test_rethreshold_refuses_signature_settings(example):
    with pytest.raises(ConfigError, match="cannot change k"):
        example.rethreshold(k=4)


def test_pair_view_renders_passages_with_twin_links(example):
    view = example.pair("d07", "d06")
    assert (view.a, view.b) == ("d06", "d07") and len(view.passages) == 1
    html = view._repr_html_()
    pid = view.passages[0].id
    assert f'href="#cc-d06-d07-b-{pid}"' in html and f'id="cc-d06-d07-b-{pid}"' in html
    assert html.count('class="cp c0"') >= 2  # the same colour on both sides


def test_document_view_proxies_the_record_and_escapes(example):
    doc = example.document("d08")
    assert doc.title == example.record("d08").title and doc.paragraphs == example.record("d08").paragraphs
    assert doc.stats.copy_ratio == example.stats["d08"].copy_ratio
    html = doc._repr_html_()
    assert 'class="cp"' in html and "d02" in html
    with pytest.raises(KeyError, match="ids run from d01 to d10"):
        example.document("d99")


def test_views_escape_document_text():
    from chachong.api import audit
    from chachong.stages.load import documents_from_sources
    from chachong.model import Source

    evil = "<script>alert(1)</script>\"><img src=x onerror=alert(2)></textarea>" * 3
    text = "标题\n" + "为深入推进基层治理现代化，本街道建立了网格化管理机制，实现闭环管理。" + evil + "\n"
    docs, _, _ = documents_from_sources([Source("a.txt", text, "utf-8", "text"),
                                         Source("b.txt", text, "utf-8", "text")], chachong.AuditConfig())
    r = audit(docs)
    for html in (r.pair("d01", "d02")._repr_html_(), r.document("d01")._repr_html_()):
        assert "<script>alert" not in html and "<img" not in html and "</textarea>" not in html
        assert "&lt;script&gt;" in html
