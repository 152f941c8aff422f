"""Text many documents share (a formula) is no evidence of a copy, also when one more word follows it.

A seed's exact match must hold ``min_span`` characters outside the k-grams of common fingerprints
(seeds.common_hashes,
seeds.free_chars). Without that rule a formula written by every unit, followed by the same
word in two documents, was a 13-character "copy" between them.
"""

from __future__ import annotations

import importlib
import random

import numpy as np
import pytest

import chachong.stages.fingerprints as fingerprints_module
from chachong.api import audit
from chachong.stages.load import documents_from_sources
from chachong.config import AuditConfig
from chachong.model import Source

FORMULA = "深入学习贯彻习近平新时代中国特色社会主义思想"  # 22 characters, in every document
OWN = "甲乙丙丁戊己庚辛壬癸"
POOL = "农业水利交通教育卫生文化体育科技环保财政税收金融商贸旅游物流能源电力通信住房城建规划国土林业渔业畜牧气象地震档案统计审计"


def filler(rnd: random.Random, n: int) -> str:
    """Text no two documents share: random characters of the pool in clauses."""
    out = []
    while sum(map(len, out)) < n:
        out.append("".join(rnd.choice(POOL) for _ in range(rnd.randint(8, 14))) + "，")
    return "".join(out)[:n]


def corpus(copy: str, tail: dict[int, str]) -> list[tuple[str, list[str]]]:
    """Ten independent reports writing FORMULA; document i follows it with ``tail[i]`` (a new word
    in most), and documents 8 and 9 also share ``copy`` right after it."""
    rnd = random.Random(7)
    docs = []
    for i in range(10):
        follow = tail.get(i, "".join(rnd.choice(POOL) for _ in range(2)))
        if i in (8, 9):
            follow = copy
        # a character of its own on each side keeps the shared text to exactly FORMULA + follow
        own = OWN[i]
        body = [filler(rnd, 120) + own, f"{FORMULA}{follow}{own}{filler(rnd, 60)}", filler(rnd, 120)]
        docs.append((f"第{i}单位工作总结", body))
    return docs


def run(docs, **settings):
    cfg = AuditConfig(**settings)
    sources = [Source(f"{i:02d}.txt", title + "\n" + "\n".join(paras) + "\n", "utf-8", "text")
               for i, (title, paras) in enumerate(docs)]
    documents, _, _ = documents_from_sources(sources, cfg)
    return audit(documents, cfg)


def pairs(result) -> set[tuple[str, str]]:
    return {(p.a, p.b) for p in result.passage_records}


SAME_WORD = {0: "推动发展", 1: "推动发展"}  # two documents follow the formula with the same word
COPY = "全面推进城乡融合发展示范区建设持续优化营商环境"  # 23 characters only documents 8 and 9 hold


def test_formula_plus_a_shared_word_is_no_copy():
    r = run(corpus(COPY, SAME_WORD))
    found = pairs(r)
    assert ("d01", "d02") not in found
    # a real copy next to the formula is found, and the formula inside it is part of the passage
    assert ("d09", "d10") in found
    (p,) = [p for p in r.passage_records if (p.a, p.b) == ("d09", "d10")]
    text = r.document("d09").text[p.a_start:p.a_end]
    assert COPY in text and FORMULA in text
    assert found == {("d09", "d10")}


def test_without_the_rule_the_shared_word_would_seed(monkeypatch):
    """The control: with no common text the same corpus pairs documents 1 and 2 (so the test above
    can fail)."""
    # patched where the audit's seed_hits looks it up (a doctest run may import passages twice)
    seed_hits = importlib.import_module("chachong.engine.local").seed_hits
    monkeypatch.setitem(seed_hits.__globals__, "common_hashes", lambda fps: np.zeros(0, dtype=np.uint64))
    assert ("d01", "d02") in pairs(run(corpus(COPY, SAME_WORD)))


@pytest.mark.parametrize("min_span", [10, 13, 20])
def test_free_characters_count_only_outside_common_text(min_span):
    """A copy of min_span characters next to the formula is a copy. Winnowing keeps a k-gram of
    every w = min_span - k + 1 consecutive ones, so at most w - 1 characters at each end of the
    formula lie in no common k-gram: a shorter copy than min_span - 2 (w - 1) is never one."""
    w = min_span - fingerprints_module.FP_K + 1
    assert ("d09", "d10") in pairs(run(corpus(COPY[:min_span], SAME_WORD), min_span=min_span))
    short = min_span - 2 * (w - 1) - 1
    if short > 0:
        assert ("d09", "d10") not in pairs(run(corpus(COPY[:short], SAME_WORD), min_span=min_span))


def _reference_sides(cps, lo, hi, pa, pb, k, reach):
    """Characters of exact match before and after each shared k-gram, one character at a time."""
    before, after = [], []
    for (la, lb), (ha, hb), a, b in zip(lo.tolist(), hi.tolist(), pa.tolist(), pb.tolist()):
        n = 0
        while n < reach and a - n - 1 >= la and b - n - 1 >= lb and cps[a - n - 1] == cps[b - n - 1]:
            n += 1
        before.append(n)
        n = 0
        while n < reach and a + k + n < ha and b + k + n < hb and cps[a + k + n] == cps[b + k + n]:
            n += 1
        after.append(n)
    return before, after


@pytest.mark.parametrize("seed", range(4))
def test_match_sides_is_a_character_by_character_comparison(seed):
    from chachong.stages.seeds import match_sides

    rng = np.random.default_rng(seed)
    for _ in range(200):
        n = int(rng.integers(2, 90))
        cps = rng.integers(0, int(rng.integers(1, 4)), n)  # few letters: long matches, up to the reach
        ends = np.concatenate(([0], np.sort(rng.choice(np.arange(1, n), size=min(3, n - 1), replace=False)), [n]))
        k, reach = int(rng.integers(1, 5)), int(rng.integers(0, 30))
        da, db = rng.integers(0, ends.size - 1, (2, 30))
        lo, hi = np.stack([ends[da], ends[db]], axis=1), np.stack([ends[da + 1], ends[db + 1]], axis=1)
        keep = (hi - lo >= k).all(axis=1)
        lo, hi = lo[keep], hi[keep]
        pa = np.array([rng.integers(x, y - k + 1) for x, y in zip(lo[:, 0], hi[:, 0])], dtype=np.int64)
        pb = np.array([rng.integers(x, y - k + 1) for x, y in zip(lo[:, 1], hi[:, 1])], dtype=np.int64)
        got = match_sides(cps, lo, hi, pa, pb, k, reach)
        assert [x.tolist() for x in got] == list(_reference_sides(cps, lo, hi, pa, pb, k, reach))


@pytest.mark.parametrize("big", [False, True])
def test_seed_rows_are_sorted_by_document_pair_and_position(big):
    from chachong.stages.seeds import seed_evidence, seed_rows

    rng = np.random.default_rng(3)
    n = 500
    # few distinct values: many ties; ``big`` takes the path for values past 31 bits
    cols = [rng.integers(0, 4, n) + (2**40 if big else 0) for _ in range(4)]
    cols += [rng.random(n) < 0.3, rng.integers(0, 4, n)]
    srt = np.lexsort((cols[3], cols[2], cols[1], cols[0]))
    ref = [c[srt] for c in cols]
    ev = seed_evidence(*ref)
    expected = np.stack([c[ev] for c in ref[:4]], axis=1)
    assert np.array_equal(seed_rows([c.copy() for c in cols]), expected)
