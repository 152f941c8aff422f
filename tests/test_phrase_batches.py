"""Stock phrases mined by batches of documents (phrase_batches.py, the Dask engine's partitions)
are those of the whole corpus mined at once: the counts merge exactly even when copies of one
document (a group) lie in different batches, and the windows handed over carry everything the
later steps read."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.config import AuditConfig
from chachong.stages.phrase_batches import batch_counts, batch_grams, batch_pairs, batch_windows, phrase_batch
from chachong.stages.phrase_ngrams import bucket_bits, heavy_buckets, merge_pairs
from chachong.stages.phrases import mine_phrases, mine_windows, mining_threshold
from chachong.stages.phrase_batches import written

WORDS = ["发展", "改革", "推进", "工作", "落实", "责任", "群众", "服务", "建设", "提升", "质量", "安全",
         "学习贯彻", "二十大精神", "取得了一定成效"]


def mine_in_batches(texts, groups, cuts, config, exclude=None, piece=1 << 21):
    """The Dask engine's order of steps (engine/dask/phrasing.py), each batch a slice of texts."""
    group = np.unique(np.asarray(groups, np.int64), return_inverse=True)[1].reshape(-1)
    bounds = list(zip([0, *cuts], [*cuts, len(texts)]))
    batches = [phrase_batch(texts[a:b], group[a:b], config, exclude[a:b] if exclude else None, None, piece)
               for a, b in bounds]
    min_docs, ok = mining_threshold(config, group, np.concatenate([written(b.texts) for b in batches]))
    chars = sum(b.chars for b in batches)
    length = config.phrase_min_chars
    if not ok or chars < length:
        return []
    heavy = heavy_buckets([batch_counts(b, length, bucket_bits(chars), min_docs) for b in batches], min_docs)
    grams = [batch_grams(b, length, heavy) for b in batches]
    table = merge_pairs([batch_pairs(b, g) for b, g in zip(batches, grams)], min_docs)
    pieces = [batch_windows(b, g, table, length) for b, g in zip(batches, grams)]
    return mine_windows(pieces, group, config, min_docs, table)


def corpus() -> tuple[list[str], list[int]]:
    own = ["城东街道修缮老旧小区屋面四处", "县水利局疏浚河道加固堤防", "市图书馆举办读书月活动",
           "区卫健委组织专家下乡义诊", "镇政府扶持特色种植合作社", "开发区引进新材料企业"]
    docs = [f"{o}。今年以来{i + 3}次学习贯彻党的二十大精神，\n{o[:2]}取得了一定成效，办结事项{i * 7}件。"
            for i, o in enumerate(own)]
    # copies of documents 0 and 1 at the far end: their groups span every cut below
    return docs + [docs[0], docs[1]], [0, 1, 2, 3, 4, 5, 0, 1]


@pytest.mark.parametrize("cuts", [[1], [4], [1, 2, 3, 4, 5, 6, 7], [7]])
def test_batches_give_the_phrases_of_the_whole(cuts):
    texts, groups = corpus()
    whole = mine_phrases(texts, groups)
    assert "取得了一定成效" in {p.text for p in whole}
    assert mine_in_batches(texts, groups, cuts, AuditConfig()) == whole


def test_a_group_split_across_batches_counts_once():
    # three documents write the formula; one of them copied into another batch is still three
    formula = "坚持以人民为中心的发展思想"
    texts = [f"今年{formula}。", f"全年{formula}。", "本局按计划推进各项工作。", f"今年{formula}。"]
    config = AuditConfig(phrase_min_documents=3)
    assert [p.documents for p in mine_in_batches(texts, [0, 1, 2, 0], [2], config) if p.key == formula] == []
    got = {p.key: p for p in mine_in_batches(texts + [f"我局{formula}。"], [0, 1, 2, 0, 4], [2], config)}
    assert (got[formula].documents, got[formula].occurrences) == (3, 4)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS + ["，", "。", " ", "\n", "12", "XX"]), min_size=3, max_size=40),
                min_size=3, max_size=9),
       st.data())
def test_batches_property(docs, data):
    texts = ["".join(d) for d in docs]
    groups = data.draw(st.lists(st.integers(0, 4), min_size=len(texts), max_size=len(texts)))
    cuts = sorted(set(data.draw(st.lists(st.integers(1, len(texts) - 1), max_size=4))))
    piece = data.draw(st.sampled_from([3, 50, 1 << 21]))
    hide = [[(0, 2)] if i % 2 else [] for i in range(len(texts))]
    config = AuditConfig(phrase_min_documents=2)
    whole = mine_phrases(texts, groups, config, exclude=hide)
    assert mine_in_batches(texts, groups, cuts, config, hide, piece) == whole
