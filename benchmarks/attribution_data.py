"""A corpus for attribution (issue 19), with its truth: units' yearly reports quoting a law.

Made from synth.py's word salad (text we generate, nothing copied from real documents):

- ``refs/law.txt``: a "law" of articles (第N条 ...), given with ``--reference``;
- ``docs/<unit>_<year>.txt``: per unit and year a report of fresh paragraphs, each quoting
  100–300 characters of the law, in quote marks (“…”, 「…」 or 《…》规定：… ) or, for some, bare;
  a unit's later report reuses paragraphs of its own earlier one; some reports copy a paragraph
  of another unit's report (real copying); some quote fresh text (a speech) in marks.

The truth per document: the characters of each planted kind (``law``, ``quoted_other``, ``own``,
``copied``, ``fresh``) as intervals of its text; the true ``copy_ratio_excluding_quotes`` is the
share of characters shared with another document that is neither law nor inside quotes.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # noqa: E402

UNITS = ["东城区", "西城区", "南山区", "北湖区", "江岸区", "河口区", "青山区", "白云区"]
YEARS = (2024, 2025, 2026)


def _pool(n: int, seed: int) -> list[str]:
    corpus = synth.generate(n, seed, dup_fraction=0.0, phrase_count=0, docs_size=10)
    return [p for d in corpus.documents for p in d["paragraphs"] if len(p) >= 60]


def _span(text: str, rnd: random.Random, lo: int = 100, hi: int = 300) -> str:
    n = min(len(text), rnd.randint(lo, hi))
    start = rnd.randint(0, len(text) - n)
    return text[start:start + n]


def build(folder: str | Path, units: int = 6, years: tuple[int, ...] = YEARS[1:], seed: int = 3,
          articles: int = 30) -> dict:
    """Write the corpus into ``folder`` (refs/, docs/) and return its truth."""
    rnd = random.Random(seed)
    pool = iter(_pool(60 * units * len(years) + 4 * articles, seed))
    folder = Path(folder)
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "docs").mkdir(parents=True, exist_ok=True)
    law = []
    while len(law) < articles:
        p = next(pool)
        if len(p) >= 150:
            law.append(p)
    (folder / "refs" / "law.txt").write_text(
        "中华人民共和国示范管理法\n" + "\n".join(f"第{i + 1}条 {a}" for i, a in enumerate(law)) + "\n", encoding="utf-8")
    truth: dict = {"documents": {}}
    written: dict[tuple[str, int], list[tuple[str, str]]] = {}  # (unit, year) -> [(paragraph, kind)]
    for u in UNITS[:units]:
        for y in years:
            pars: list[tuple[str, str]] = []
            earlier = written.get((u, y - 1))
            if earlier:  # reuse two to four of the previous year's own paragraphs
                own = [p for p, k in earlier if k == "fresh" and "“" not in p]  # a speech quoted stays quoted
                for p in rnd.sample(own, min(len(own), rnd.randint(2, 4))):
                    pars.append((p, "own"))
            for _ in range(rnd.randint(4, 7)):
                pars.append((next(pool), "fresh"))
            for _ in range(rnd.randint(1, 3)):
                q = _span(rnd.choice(law), rnd)
                style = rnd.choice(["“”", "「」", "cited", "bare"])
                lead = next(pool)[:rnd.randint(20, 40)]
                if style == "cited":
                    pars.append((lead + "。《示范管理法》第" + str(rnd.randint(1, articles)) + "条规定：", "fresh"))
                    pars[-1] = (pars[-1][0] + "\x00" + q + "。", "law_cited")
                elif style == "bare":
                    pars.append((lead + "，\x00" + q, "law_bare"))
                else:
                    pars.append((lead + "，" + style[0] + "\x00" + q + style[1], "law_marked"))
            if rnd.random() < 0.5:  # a speech quoted in marks: not copied from anything
                pars.append(("正如讲话所说“" + next(pool)[:80] + "”", "fresh"))
            rnd.shuffle(pars)
            written[(u, y)] = pars
    # real copying between units: a later report copies a fresh paragraph of an earlier unit's report
    keys = list(written)
    for i, key in enumerate(keys):
        if i >= 2 and rnd.random() < 0.6:
            other = keys[rnd.randrange(0, i)]
            if other[0] != key[0]:
                src = [p for p, k in written[other] if k == "fresh" and "“" not in p]
                if src:
                    written[key].insert(rnd.randrange(len(written[key]) + 1), (rnd.choice(src), "copied"))
    for (u, y), pars in written.items():
        text, spans = "", []
        for p, kind in pars:
            if text:
                text += "\n"
            if "\x00" in p:
                head, quote = p.split("\x00")
                text += head
                spans.append((len(text), len(text) + len(quote), "law", quote))
                text += quote
            else:
                spans.append((len(text), len(text) + len(p), kind, p))
                text += p
        name = f"{u}_{y}"
        (folder / "docs" / f"{name}.txt").write_text(f"{u}{y}年工作总结\n{text}\n", encoding="utf-8")
        truth["documents"][f"docs/{name}.txt"] = {"unit": u, "year": y, "chars": len(text), "spans": spans}
    (folder / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    return truth


__all__ = ["UNITS", "build"]
