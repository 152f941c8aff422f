"""Grouping identical texts before LSH (what keeps a crowded bucket from becoming N^2 candidates) is
exact: the pair stage with it and without it verifies the same pairs (benchmarks/grouping.py)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from chachong.config import AuditConfig
from chachong.model import Source
from chachong.stages.load import documents_from_sources, load_documents
from chachong.stages.prepare import prepare

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import grouping  # noqa: E402
import synth  # noqa: E402


def _exact(r: dict) -> None:
    assert r["only_grouped"] == [] and r["only_ungrouped"] == [] and r["differ"] == []


def test_a_crowd_of_copies_costs_its_texts_not_its_pairs():
    # 120 documents share one paragraph word for word, 40 of them a near copy of it (one figure
    # changed), and each has a paragraph of its own (random characters): one LSH bucket of 160 members
    base = "全面推进乡村振兴战略，巩固拓展脱贫攻坚成果，农村居民人均可支配收入增长百分之七点五，粮食总产量稳定在一百二十万吨以上。"
    near = base.replace("七点五", "六点八")
    rng = random.Random(7)
    sources = []
    for i in range(160):
        shared = base if i < 120 else near
        own = "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(60))  # unlike any other
        text = f"{shared}\n\n{own}\n"
        sources.append(Source(f"d{i:03d}.txt", text, "utf-8", "text"))
    config = AuditConfig(min_paragraph_chars=20)
    documents, _, _ = documents_from_sources(sources, config)
    corpus = prepare(documents, config, threads=1)
    r = grouping.compare(corpus)
    _exact(r)
    # every pair of the 120 copies, of the 40 near copies, and across the two texts
    assert r["identical"] == 120 * 119 // 2 + 40 * 39 // 2
    assert r["verified"] >= r["identical"] + 120 * 40
    # grouped, the copies are two texts: their 4,800 cross pairs are one representative pair
    # expanded, while ungrouped every pair of the bucket is a candidate
    assert r["candidates_ungrouped"] >= 160 * 159 // 2
    assert r["candidates_grouped"] <= 120 * 40 + 200


def test_grouping_is_exact_on_a_synthetic_corpus(tmp_path):
    synth.write_folder(synth.generate(6000, seed=3), str(tmp_path / "c"))
    config = AuditConfig()
    documents, _, _ = load_documents([tmp_path / "c"], config)
    r = grouping.compare(prepare(documents, config))
    _exact(r)
    assert r["identical"] > 50 and r["verified"] > r["identical"]


def test_grouping_is_exact_on_the_city_reports(gwr_path):
    config = AuditConfig()
    documents, _, _ = load_documents([gwr_path], config)
    r = grouping.compare(prepare(documents, config))
    _exact(r)
    assert r["verified"] > 4000 and r["identical"] > 500
