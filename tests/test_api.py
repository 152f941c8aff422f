"""The notebook-facing API: DataFrames, the similarity matrix, re-thresholding."""

import json

import pytest

import chachong
from chachong.config import ConfigError
from chachong.frames import (CLUSTER_COLUMNS, DOCUMENT_COLUMNS, DOCUMENT_PAIR_COLUMNS, PARAGRAPH_COLUMNS,
                             PARAGRAPH_PAIR_COLUMNS)
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compilation.txt"


@pytest.fixture(scope="module")
def example():
    return chachong.audit([EXAMPLE])


def test_dataframes_have_documented_columns(example):
    assert list(example.documents_df.columns) == DOCUMENT_COLUMNS
    assert list(example.paragraphs_df.columns) == PARAGRAPH_COLUMNS
    assert list(example.paragraph_pairs_df.columns) == PARAGRAPH_PAIR_COLUMNS
    assert list(example.document_pairs_df.columns) == DOCUMENT_PAIR_COLUMNS
    assert list(example.clusters_df.columns) == CLUSTER_COLUMNS
    assert len(example.documents_df) == 10
    assert example.paragraphs_df["chars"].sum() == sum(len(p.text) for d in example.documents for p in d.paragraphs)


def test_dataframes_agree_with_json(example):
    report = json.loads(example.to_json())
    df = example.documents_df.set_index("id")
    for d in report["documents"]:
        assert df.loc[d["id"], "copy_ratio"] == d["copy_ratio"]
    assert len(example.paragraph_pairs_df) == len(report["paragraph_pairs"])


def test_paragraph_copied_share(example):
    df = example.paragraphs_df.set_index("id")
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
    assert len(strict.paragraph_pairs) <= len(example.paragraph_pairs)
    again = strict.rethreshold(threshold=example.config.threshold, containment=example.config.containment)
    assert again.to_json() == example.to_json()


def test_rethreshold_refuses_signature_settings(example):
    with pytest.raises(ConfigError, match="cannot change k"):
        example.rethreshold(k=4)
