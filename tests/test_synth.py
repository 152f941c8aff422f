"""The synthetic corpus generator (benchmarks/synth.py): determinism, sizes and honest ground truth."""

from __future__ import annotations

import collections
import difflib
import json
import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth

DIGITS = re.compile(r"\d+")


def _paragraph(corpus: synth.Corpus, doc: str, par: int) -> str:
    return next(d for d in corpus.documents if d["id"] == doc)["paragraphs"][par]


def _pieces(corpus: synth.Corpus, rec: dict) -> tuple[str, str]:
    src = _paragraph(corpus, rec["src_doc"], rec["src_par"])[rec["src_start"] : rec["src_end"]]
    dst = _paragraph(corpus, rec["dst_doc"], rec["dst_par"])[rec["dst_start"] : rec["dst_end"]]
    return src, dst


def _changed(a: str, b: str) -> float:
    return 1 - difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


@pytest.fixture(scope="module")
def corpus() -> synth.Corpus:
    return synth.generate(4000, seed=5)


@pytest.fixture(scope="module")
def cases() -> synth.Corpus:
    return synth.copy_cases(seed=2, n_per_kind=20)


# ---------------------------------------------------------------------------------------- determinism


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        synth.write_folder(synth.generate(1500, seed=9, docs_size=15), str(tmp_path / name))
        synth.write_jsonl(synth.copy_cases(seed=9, n_per_kind=4), str(tmp_path / f"{name}j" / "c.jsonl"))
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").iterdir())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").iterdir())
    assert files_a == files_b and len(files_a) > 50
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    for rel in ("c.jsonl", "truth.json"):
        assert (tmp_path / "aj" / rel).read_bytes() == (tmp_path / "bj" / rel).read_bytes()


def test_other_seed_other_text() -> None:
    a, b = synth.generate(300, seed=1), synth.generate(300, seed=2)
    assert a.documents[0]["paragraphs"] != b.documents[0]["paragraphs"]


# ---------------------------------------------------------------------------------------------- sizes


def test_sizes(corpus: synth.Corpus) -> None:
    pars = [p for d in corpus.documents for p in d["paragraphs"]]
    assert len(pars) == 4000
    assert 4000 / 30 < len(corpus.documents) < 4000 / 10
    lengths = sorted(len(p) for p in pars)
    assert 135 < sum(lengths) / len(lengths) < 175
    assert 60 <= lengths[len(lengths) // 100] and lengths[-len(lengths) // 100] <= 300
    assert all(p.endswith("。") and "\n" not in p for p in pars)
    ids = [d["id"] for d in corpus.documents]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(d["title"] and d["paragraphs"] for d in corpus.documents)


def test_par_len_and_docs_size_are_honoured() -> None:
    c = synth.generate(2000, seed=3, par_len=250, docs_size=50, dup_fraction=0.1)
    pars = [p for d in c.documents for p in d["paragraphs"]]
    assert 225 < sum(map(len, pars)) / len(pars) < 275
    assert 25 <= len(c.documents) <= 80
    assert len(c.copies) == 200


def test_mostly_cjk_words_with_some_figures(corpus: synth.Corpus) -> None:
    text = "".join(p for d in corpus.documents for p in d["paragraphs"])
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    assert cjk / len(text) > 0.9
    assert "2023年" in text or "2022年" in text
    assert text.count("的") / len(text) < 0.01  # function words were dropped
    assert len(DIGITS.findall(text)) > len(text) / 400


# ------------------------------------------------------------------------------------- generate truth


def test_near_duplicates_point_at_copies(corpus: synth.Corpus) -> None:
    assert len(corpus.copies) == len(corpus.near_duplicates) == 200
    kinds = collections.Counter(c["kind"] for c in corpus.copies)
    assert set(kinds) == {"exact", "edit2", "edit5", "edit10", "figures"}
    assert min(kinds.values()) >= 35
    order = {d["id"]: i for i, d in enumerate(corpus.documents)}
    sources = set()
    for rec, (src, dst, kind, rate) in zip(corpus.copies, corpus.near_duplicates):
        assert src == (rec["src_doc"], rec["src_par"]) and dst == (rec["dst_doc"], rec["dst_par"])
        assert kind == rec["kind"] and rate == rec["edit_rate"]
        assert order[rec["src_doc"]] < order[rec["dst_doc"]]
        assert src not in sources
        sources.add(src)
        a, b = _pieces(corpus, rec)
        assert a == _paragraph(corpus, *src) and b == _paragraph(corpus, *dst)  # whole paragraphs
        if kind == "exact":
            assert a == b
        elif kind == "figures":
            assert a != b and DIGITS.sub("#", a) == DIGITS.sub("#", b)
        else:
            nominal = {"edit2": 0.02, "edit5": 0.05, "edit10": 0.10}[kind]
            assert abs(rate - nominal) < 0.012
            assert 0.3 * nominal < _changed(a, b) < 1.5 * nominal + 0.01


# ---------------------------------------------------------------------------------------------- phrases


def test_phrases_planted_and_counted(corpus: synth.Corpus) -> None:
    assert len(corpus.phrases) == 40 and len(set(corpus.phrases)) == 40
    bodies = {d["id"]: synth.body(d) for d in corpus.documents}
    shares = []
    for phrase in corpus.phrases:
        assert 4 <= len(phrase) <= 16
        planted = corpus.phrase_documents[phrase]
        assert planted, phrase
        assert all(phrase in bodies[doc] for doc in planted), phrase
        found = sum(phrase in b for b in bodies.values())
        assert found >= len(planted)
        shares.append(len(planted) / len(bodies))
    assert max(shares) > 0.35 and min(shares) < 0.08  # a Zipf-like spread over documents
    occurrences = sum(b.count(p) for b in bodies.values() for p in corpus.phrases)
    assert 0.4 < occurrences / 4000 < 0.8  # phrases_per_par = 0.6


def test_phrases_are_dictionary_words(corpus: synth.Corpus) -> None:
    genuine = set(synth.GENUINE_PHRASES)
    assert len(genuine) >= 55
    assert sum(p in genuine for p in corpus.phrases) >= 30
    for phrase in set(corpus.phrases) | genuine:
        words = synth.dictionary_words(phrase)
        assert words is not None and "".join(words) == phrase
        assert 2 <= len(words) <= (6 if phrase in genuine else 5), (phrase, words)


# ------------------------------------------------------------------------------------------- copy_cases


def test_copy_cases_kinds(cases: synth.Corpus) -> None:
    per_case = collections.defaultdict(list)
    for rec in cases.copies:
        per_case[rec["case"]].append(rec)
    kinds = collections.Counter(recs[0]["kind"] for recs in per_case.values())
    assert kinds == {k: 20 for k in synth.COPY_KINDS}
    for recs in per_case.values():
        kind = recs[0]["kind"]
        assert len(recs) == (2 if kind in ("split", "merged", "sentence_inserted", "sentence_deleted") else 1)
        assert len({r["dst_doc"] for r in recs}) == 1
        if kind == "split":
            assert recs[1]["dst_par"] == recs[0]["dst_par"] + 1 and recs[0]["src_par"] == recs[1]["src_par"]
        if kind == "merged":
            assert recs[1]["src_par"] == recs[0]["src_par"] + 1 and recs[0]["dst_par"] == recs[1]["dst_par"]


def test_copy_cases_extents(cases: synth.Corpus) -> None:
    lengths = []
    for rec in cases.copies:
        a, b = _pieces(cases, rec)
        assert len(a) >= 13 and len(b) >= 13, rec
        lengths.append(len(a))
        kind = rec["kind"]
        if rec["edit_rate"] == 0.0:
            assert a == b, rec
        if kind.startswith("edit"):
            nominal = int(kind[4:]) / 100
            assert abs(rec["edit_rate"] - nominal) < 0.012
            assert 0.3 * nominal < _changed(a, b) < 1.5 * nominal + 0.01
        if kind == "figures":
            assert a != b and _changed(a, b) < 0.3 and DIGITS.search(a)
        if kind == "contained":
            assert 20 <= len(a) <= 90
            dst = _paragraph(cases, rec["dst_doc"], rec["dst_par"])
            assert rec["dst_start"] >= 25 and len(dst) - rec["dst_end"] >= 25  # own text both sides
    within = sum(30 <= n <= 300 for n in lengths) / len(lengths)
    assert within > 0.75


def test_copy_cases_negatives_and_ratios(cases: synth.Corpus) -> None:
    ratios = synth.true_copy_ratios(cases)
    dst_ratios = synth.true_copy_ratios(cases, side="dst")
    zero = [d for d, r in ratios.items() if r == 0]
    negatives = cases.params["negative_ids"]
    assert len(negatives) == cases.params["negative_documents"] == 10
    assert set(negatives) <= set(zero) and len(zero) < len(ratios) / 5
    assert all(not any(r[f"{e}_doc"] in negatives for e in ("src", "dst")) for r in cases.copies)
    assert all(0 <= dst_ratios[d] <= ratios[d] <= 1 for d in ratios)
    # by hand for one destination document
    rec = cases.copies[0]
    doc = next(d for d in cases.documents if d["id"] == rec["dst_doc"])
    starts = synth.paragraph_starts(doc)
    body = synth.body(doc)
    covered = set()
    for r in cases.copies:
        if r["dst_doc"] == doc["id"]:
            covered.update(range(starts[r["dst_par"]] + r["dst_start"], starts[r["dst_par"]] + r["dst_end"]))
        if r["src_doc"] == doc["id"]:
            covered.update(range(starts[r["src_par"]] + r["src_start"], starts[r["src_par"]] + r["src_end"]))
    assert ratios[doc["id"]] == pytest.approx(len(covered) / len(body))
    for a, b in synth.true_spans(cases)[doc["id"]]:
        assert "\n" not in body[a:b]


def test_copy_cases_share_little_else(cases: synth.Corpus) -> None:
    """Outside the recorded copies, documents share almost no 13-character string (stock phrases are
    at most 10 characters; a phrase next to the same figure can rarely make one)."""
    k = 13
    spans = synth.true_spans(cases)
    where = collections.defaultdict(set)
    for d in cases.documents:
        b = synth.body(d)
        for i in range(len(b) - k + 1):
            if "\n" not in b[i : i + k]:
                where[b[i : i + k]].add((d["id"], i))
    stray = 0
    for locs in where.values():
        if len({doc for doc, _ in locs}) > 1:
            for doc, i in locs:
                stray += not any(a <= i and i + k <= b for a, b in spans[doc])
    assert stray <= 40


# ------------------------------------------------------------------------------------- writing and CLI


def test_write_folder_and_jsonl(tmp_path: Path) -> None:
    c = synth.copy_cases(seed=4, n_per_kind=3)
    synth.write_folder(c, str(tmp_path / "f"))
    first = c.documents[0]
    lines = (tmp_path / "f" / f"{first['id']}.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == first["title"] and lines[1:] == first["paragraphs"]
    truth = json.loads((tmp_path / "f" / "truth.json").read_text(encoding="utf-8"))
    assert len(truth["copies"]) == len(c.copies) and truth["phrases"] == c.phrases
    assert [d["id"] for d in truth["documents"]] == [d["id"] for d in c.documents]

    synth.write_jsonl(c, str(tmp_path / "j" / "cases.jsonl"))
    rows = [json.loads(x) for x in (tmp_path / "j" / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["title"] for r in rows] == [d["title"] for d in c.documents]
    assert rows[0]["text"] == synth.body(first)
    assert (tmp_path / "j" / "truth.json").exists()


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--paragraphs", "500", "--seed", "1", "-o", str(tmp_path / "out")]) == 0
    assert len(list((tmp_path / "out").glob("s*.txt"))) >= 15
    assert "500 paragraphs" in capsys.readouterr().err
    assert synth.main(["--cases", "--n-per-kind", "2", "--format", "jsonl", "-o", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "corpus.jsonl").exists() and (tmp_path / "c" / "truth.json").exists()


def test_fast() -> None:
    synth.generate(100, seed=1)  # dictionary loaded
    t0 = time.perf_counter()
    c = synth.generate(60_000, seed=1)
    assert sum(len(d["paragraphs"]) for d in c.documents) == 60_000
    assert time.perf_counter() - t0 < 30  # ~1.5 s here; 600,000 paragraphs take ~11 s


# --------------------------------------------------------------- the bundled example keeps its plants

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _example_documents() -> list[tuple[str, list[str]]]:
    lines = (EXAMPLES / "compilation.txt").read_text(encoding="utf-8").split("\n")
    assert lines[0] == "2023年度基层单位工作总结汇编（10篇）" and lines[1] == "" and lines[2] == "目录"
    toc = [line.split("\t") for line in lines[3:13]]
    pages = [int(p) for _, p in toc]
    assert pages == sorted(pages) and len(set(pages)) == 10
    titles = [t for t, _ in toc]
    docs: list[tuple[str, list[str]]] = []
    for line in lines[13:]:
        if docs and docs[-1][0] == line and not docs[-1][1]:
            raise AssertionError("title repeated without a body")
        if len(docs) < 10 and line == titles[len(docs)]:
            docs.append((line, []))
        elif line.strip() and docs:
            docs[-1][1].append(line)
    assert [t for t, _ in docs] == titles
    return docs


def test_example_plants() -> None:
    docs = _example_documents()
    bodies = ["\n".join(p) for _, p in docs]
    # d10 carries the trailing adverts and end marker
    advert = "【笔杆子素材网】——每日更新公文范文，关注公众号获取更多资料"
    assert docs[9][1][-3:] == [advert, advert, "##vipend##"]
    docs[9] = (docs[9][0], docs[9][1][:-3])
    for _, pars in docs:
        assert 6 <= len(pars) <= 15
        assert all(60 <= len(p) <= 300 or len(p) <= 25 for p in pars)
    # identical pair
    assert docs[5] == docs[6]
    # template copy: same text once names are swapped and digits masked
    swap = {"星河": "阳光", "李集": "张庄", "城南": "河西"}
    d5 = DIGITS.sub("#", re.sub("|".join(swap), lambda m: swap[m.group()], bodies[4]))
    assert d5 == DIGITS.sub("#", bodies[0]) and bodies[4] != bodies[0]
    assert bodies[0].count("2023年") == bodies[4].count("2023年") > 0
    # copied paragraph: d02:p007 inside a longer d08:p005
    copied = docs[1][1][6]
    host = docs[7][1][4]
    assert len(copied) >= 60 and host.index(copied) == 58 and len(host) == 58 + len(copied) + 42
    # lightly edited sentences between d03 and d10
    for a, b in ((3, 4), (4, 6), (5, 7)):
        sm = difflib.SequenceMatcher(None, docs[2][1][a], docs[9][1][b], autojunk=False)
        assert max(m.size for m in sm.get_matching_blocks()) >= 13
        assert docs[2][1][a] != docs[9][1][b]
    # placeholders and the marker
    assert "XX万元" in bodies[3] and "x次" in bodies[3] and "某某同志" in bodies[8]
    assert "同落##vipbegin##实" in bodies[8]
    for phrase in ("下一步工作计划", "存在的问题和不足", "扎实推进", "切实加强", "进一步提高"):
        assert sum(phrase in b for b in bodies) >= 8, phrase


def test_example_submissions() -> None:
    docs = _example_documents()
    school = "".join(docs[9][1][:-3])
    comp = "".join(b for _, pars in docs for b in pars)
    fresh = (EXAMPLES / "fresh_submission.txt").read_text(encoding="utf-8")
    copied = (EXAMPLES / "copied_submission.txt").read_text(encoding="utf-8")
    masked = DIGITS.sub("#", comp)
    grams = {masked[i : i + 13] for i in range(len(masked) - 12)}
    f = DIGITS.sub("#", "".join(fresh.split("\n")[1:]))
    assert not any(f[i : i + 13] in grams for i in range(len(f) - 12))
    c = "".join(copied.split("\n")[1:])
    assert difflib.SequenceMatcher(None, school, c, autojunk=False).ratio() > 0.8
