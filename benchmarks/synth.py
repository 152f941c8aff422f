"""Seeded synthetic corpora with planted copies, for chachong's benchmarks and tests.

The text is Chinese word salad: words drawn from jieba's own dictionary by frequency (the commonest
function words dropped), in sentences of 8–30 words ending in ，or 。, with a few figures ("12项",
"2023年"). Into it we plant what chachong must find, and record it as ground truth:

- near-duplicate paragraphs (exact, 2 / 5 / 10 % of characters edited, figures changed);
- copied passages of known extent (``copy_cases``: the accuracy suite for alignment);
- stock phrases (套话) spread over documents with a Zipf-like document frequency.

Everything is a pure function of the seed: the same seed gives byte-identical output (for one installed
jieba dictionary). ``generate`` is vectorised with numpy (600,000 paragraphs in seconds, not minutes).

Use it as a module (``sys.path.insert(0, "benchmarks"); from synth import generate``) or a CLI::

    python benchmarks/synth.py --paragraphs 10000 --seed 1 -o out/synth
    python benchmarks/synth.py --cases --seed 1 -o out/cases --format jsonl

Conventions of the ground truth:

- paragraph indices (``src_par``, ``dst_par``, the pairs in ``near_duplicates``) count from 0 in
  ``document["paragraphs"]``; the title is not a paragraph;
- offsets are character offsets into the final paragraph strings, end exclusive;
- a document's body is its paragraphs joined by ``"\\n"`` (``body``); ``paragraph_starts`` and
  ``true_spans`` turn paragraph offsets into body offsets.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "COPY_KINDS",
    "GENUINE_PHRASES",
    "Corpus",
    "body",
    "copy_cases",
    "dictionary_words",
    "generate",
    "paragraph_starts",
    "true_copy_ratios",
    "true_spans",
    "write_folder",
    "write_jsonl",
]

#: Real 公文 formulas (written from the genre, not copied from any document). Each is 4–16 characters
#: and splits into 2–6 words of jieba's dictionary (a few need six, 党/的 being separate entries), so it
#: can be cut on word boundaries. Generated phrases are made of 2–5 dictionary words.
GENUINE_PHRASES: tuple[str, ...] = (
    "学习贯彻党的二十大精神",
    "取得了一定成效",
    "进一步提高思想认识",
    "扎实推进各项工作",
    "切实加强组织领导",
    "存在的问题和不足",
    "下一步工作计划",
    "高度重视",
    "认真贯彻落实",
    "全面从严治党",
    "坚持以人民为中心",
    "推动高质量发展",
    "压紧压实工作责任",
    "营造良好氛围",
    "确保各项工作落到实处",
    "不断增强群众获得感",
    "进一步完善工作机制",
    "强化责任担当",
    "持续优化营商环境",
    "守牢安全发展底线",
    "统筹发展和安全",
    "牢固树立安全发展理念",
    "深入开展调查研究",
    "以钉钉子精神抓落实",
    "主动担当作为",
    "狠抓工作落实",
    "形成工作合力",
    "提升服务水平",
    "加强队伍建设",
    "建立健全长效机制",
    "发挥示范引领作用",
    "坚持问题导向",
    "补齐短板弱项",
    "圆满完成全年目标任务",
    "现将有关情况报告如下",
    "现将工作情况总结如下",
    "在上级部门的正确领导下",
    "对照年初工作目标",
    "持续深化作风建设",
    "筑牢思想防线",
    "落实意识形态工作责任制",
    "推进基层治理现代化",
    "提高政治站位",
    "增强四个意识",
    "坚定四个自信",
    "做到两个维护",
    "聚焦主责主业",
    "加大宣传力度",
    "定期召开专题会议",
    "严格落实中央八项规定精神",
    "抓好问题整改",
    "工作成效明显",
    "思想认识还不够到位",
    "创新意识还不够强",
    "全面提升工作质效",
    "扎实开展主题教育",
    "开好局起好步",
    "锚定目标任务",
    "践行初心使命",
    "切实加强",
    "进一步提高",
    "扎实推进",
)

#: The kinds of ``copy_cases``, in the order they are generated.
COPY_KINDS: tuple[str, ...] = (
    "exact",
    "figures",
    "edit2",
    "edit5",
    "edit10",
    "sentence_inserted",
    "sentence_deleted",
    "contained",
    "split",
    "merged",
)

_EDIT_RATES = {"exact": 0.0, "edit2": 0.02, "edit5": 0.05, "edit10": 0.10}
_NEAR_DUP_KINDS = ("exact", "edit2", "edit5", "edit10", "figures")

# Parts of speech kept for the salad: content words only (nouns, verbs, adjectives, place names,
# idioms ...). Pronouns, conjunctions, prepositions, particles, numerals and person names are dropped.
_KEEP_POS = frozenset(["n", "v", "vn", "a", "ad", "an", "ns", "nz", "nt", "l", "i", "b", "s", "t", "j"])
_SINGLE_CHAR_SHARE = 0.05  # share of one-character words among sampled words
_NUMBER_SHARE = 0.035  # share of figure tokens ("12项", "2023年") among sampled tokens
_DROP_TOP = 40  # the commonest multi-character words (一个, 我们, 没有 ...) are left out
_VOCAB_SIZE = 100_000  # covers ~98 % of the dictionary's frequency mass of 2–4 character words
_SENTENCE_WORDS = (8, 30)
_COMMA_SHARE = 0.45
_CHUNK = 20_000  # paragraphs built per vectorised batch (fixed: the output must not depend on it)
_UNITS = [
    "项",
    "次",
    "个",
    "家",
    "人",
    "名",
    "件",
    "场",
    "户",
    "所",
    "处",
    "条",
    "批",
    "万元",
    "亿元",
    "余人",
    "余次",
    "%",
]
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CLAUSE = re.compile(r"[^。，]+[。，]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


# --------------------------------------------------------------------------------------------------
# ground truth container and helpers


@dataclass
class Corpus:
    """A synthetic corpus and the ground truth of everything planted in it.

    ``copies`` records one dict per copied piece: ``kind``, ``src_doc``/``src_par``/``src_start``/
    ``src_end`` and the same for ``dst``, ``edit_rate`` (share of the source passage's characters
    edited) and ``case`` (pieces of one split/merged/sentence case share it). ``near_duplicates`` lists
    paragraph pairs ``((src_doc, src_par), (dst_doc, dst_par), kind, edit_rate)``. ``phrase_documents``
    maps each planted phrase to the documents it was planted into (a lower bound: copies carry phrases
    along, and word salad may form a short phrase by chance).
    """

    documents: list[dict]
    copies: list[dict]
    near_duplicates: list[tuple]
    phrases: list[str]
    phrase_documents: dict[str, list[str]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def truth(self) -> dict:
        """The ground truth as JSON-ready data (what ``truth.json`` holds)."""
        return {
            "schema": "chachong.synth/1",
            "params": self.params,
            "documents": [
                {
                    "id": d["id"],
                    "title": d["title"],
                    "paragraphs": len(d["paragraphs"]),
                    "chars": len(body(d)),
                }
                for d in self.documents
            ],
            "copies": self.copies,
            "near_duplicates": [[list(a), list(b), kind, rate] for a, b, kind, rate in self.near_duplicates],
            "phrases": self.phrases,
            "phrase_documents": self.phrase_documents,
        }


def body(document: dict) -> str:
    """A document's body: its paragraphs joined by newlines (the title is not part of it)."""
    return "\n".join(document["paragraphs"])


def paragraph_starts(document: dict) -> list[int]:
    """Offset in ``body(document)`` of each paragraph's first character."""
    starts, pos = [], 0
    for par in document["paragraphs"]:
        starts.append(pos)
        pos += len(par) + 1
    return starts


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def true_spans(corpus: Corpus, side: str = "both") -> dict[str, list[tuple[int, int]]]:
    """Copied character ranges per document, in body offsets, merged and sorted.

    ``side="dst"`` counts only the copying document's side; ``"both"`` (default) also the source's,
    which is chachong's definition: a document's copied characters are those matched in *other*
    documents, whichever came first.
    """
    if side not in ("both", "dst", "src"):
        raise ValueError(f"side must be 'both', 'dst' or 'src', not {side!r}")
    by_id = {d["id"]: d for d in corpus.documents}
    starts = {d["id"]: paragraph_starts(d) for d in corpus.documents}
    raw: dict[str, list[tuple[int, int]]] = {d["id"]: [] for d in corpus.documents}
    for c in corpus.copies:
        ends = ("src", "dst") if side == "both" else (side,)
        for end in ends:
            doc, par = c[f"{end}_doc"], c[f"{end}_par"]
            base = starts[doc][par]
            raw[doc].append((base + c[f"{end}_start"], base + c[f"{end}_end"]))
    assert set(raw) == set(by_id)
    return {doc: _merge(iv) for doc, iv in raw.items()}


def true_copy_ratios(corpus: Corpus, side: str = "both") -> dict[str, float]:
    """True copy ratio per document: copied characters ÷ characters of the body."""
    spans = true_spans(corpus, side)
    ratios = {}
    for d in corpus.documents:
        n = len(body(d))
        ratios[d["id"]] = sum(b - a for a, b in spans[d["id"]]) / n if n else 0.0
    return ratios


# --------------------------------------------------------------------------------------------------
# vocabulary


@dataclass(frozen=True)
class _Vocab:
    words: tuple[str, ...]  # multi- and single-character content words
    probs: np.ndarray  # sampling probability of each word (sums to 1)
    places: tuple[str, ...]  # place names (ns) for figure/place changes
    chars: str  # CJK characters used for edits
    known: frozenset[str]  # every CJK entry of the dictionary (for phrase checks)


def _dict_path() -> str:
    import jieba  # imported here so that importing synth stays cheap

    return os.path.join(os.path.dirname(jieba.__file__), "dict.txt")


@lru_cache(maxsize=1)
def _vocab() -> _Vocab:
    multi: list[tuple[int, str]] = []
    single: list[tuple[int, str]] = []
    places: list[tuple[int, str]] = []
    known: set[str] = set()
    cjk_word = re.compile(r"^[\u4e00-\u9fff]+$")
    with open(_dict_path(), encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2 or not cjk_word.match(parts[0]):
                continue
            word, freq = parts[0], int(parts[1])
            pos = parts[2] if len(parts) > 2 else "x"
            known.add(word)
            if pos not in _KEEP_POS or freq < 3:
                continue
            if len(word) == 1:
                single.append((freq, word))
            elif len(word) <= 4:
                multi.append((freq, word))
                if pos == "ns" and len(word) <= 3 and freq >= 50:
                    places.append((freq, word))
    multi.sort(key=lambda t: (-t[0], t[1]))
    single.sort(key=lambda t: (-t[0], t[1]))
    multi = multi[_DROP_TOP : _DROP_TOP + _VOCAB_SIZE]
    single = single[_DROP_TOP : _DROP_TOP + 2000]
    m = np.array([f for f, _ in multi], dtype=np.float64)
    s = np.array([f for f, _ in single], dtype=np.float64)
    probs = np.concatenate([m / m.sum() * (1 - _SINGLE_CHAR_SHARE), s / s.sum() * _SINGLE_CHAR_SHARE])
    words = tuple(w for _, w in multi) + tuple(w for _, w in single)
    places.sort(key=lambda t: (-t[0], t[1]))
    chars = "".join(sorted({ch for _, w in multi[:20000] for ch in w}))
    return _Vocab(words, probs, tuple(w for _, w in places[:3000]), chars, frozenset(known))


def dictionary_words(phrase: str, vocab: _Vocab | None = None) -> list[str] | None:
    """Split ``phrase`` into the fewest (≥ 2) words of jieba's dictionary, or None if it cannot be."""
    known = (vocab or _vocab()).known
    n = len(phrase)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(1, n + 1):
        for j in range(max(0, i - 8), i):
            prev = best[j]
            w = phrase[j:i]
            if prev is not None and w in known and w != phrase:
                cand = prev + [w]
                if best[i] is None or len(cand) < len(best[i]):  # type: ignore[arg-type]
                    best[i] = cand
    return best[n]


# --------------------------------------------------------------------------------------------------
# vectorised word salad


class _Tokens:
    """A token table (words, figures, phrases) as one code-point array, for vectorised assembly."""

    def __init__(self, strings: list[str], probs: np.ndarray):
        self.strings = strings
        self.n_sampled = len(probs)  # tokens past this index (phrases) are never sampled
        self.length = np.fromiter((len(s) for s in strings), dtype=np.int64, count=len(strings))
        self.offset = np.zeros(len(strings), dtype=np.int64)
        np.cumsum(self.length[:-1], out=self.offset[1:])
        self.codes = np.frombuffer("".join(strings).encode("utf-32-le"), dtype="<u4")
        self.cdf = np.cumsum(probs / probs.sum())
        self.cdf[-1] = 1.0
        self.mean_len = float((probs / probs.sum()) @ self.length[: self.n_sampled])

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.searchsorted(self.cdf, rng.random(n), side="right").astype(np.int64)


def _number_tokens(rng: np.random.Generator, n: int = 400) -> list[str]:
    out = [f"{y}年" for y in range(2015, 2025)] * 3  # years are the commonest figures in the genre
    units = rng.integers(0, len(_UNITS), n)
    mags = rng.integers(0, 4, n)
    for unit, mag in zip(units.tolist(), mags.tolist()):
        value = int(rng.integers(10**mag if mag else 1, 10 ** (mag + 1)))
        out.append(f"{value}{_UNITS[unit]}")
    return out


def _token_table(rng: np.random.Generator, phrases: list[str]) -> tuple[_Tokens, int]:
    vocab = _vocab()
    numbers = _number_tokens(rng)
    probs = np.concatenate(
        [vocab.probs * (1 - _NUMBER_SHARE), np.full(len(numbers), _NUMBER_SHARE / len(numbers))]
    )
    strings = list(vocab.words) + numbers
    first_phrase = len(strings)
    return _Tokens(strings + list(phrases), probs), first_phrase


def _salad(
    rng: np.random.Generator,
    tokens: _Tokens,
    targets: np.ndarray,
    plant_par: np.ndarray | None = None,
    plant_tok: np.ndarray | None = None,
) -> tuple[list[str], np.ndarray]:
    """Paragraphs of about ``targets`` characters; returns them and which plantings took.

    ``plant_par[i]`` (paragraph index, sorted) receives token ``plant_tok[i]`` in place of one of its
    words, so phrases sit on word boundaries. The returned boolean array says which plantings were
    applied (of two plantings drawing the same or neighbouring words only the first is kept).
    """
    n_par = len(targets)
    if plant_par is None or plant_tok is None:
        plant_par = np.zeros(0, dtype=np.int64)
        plant_tok = np.zeros(0, dtype=np.int64)
    applied = np.zeros(len(plant_par), dtype=bool)
    out: list[str] = []
    for lo in range(0, n_par, _CHUNK):
        hi = min(n_par, lo + _CHUNK)
        p_lo, p_hi = np.searchsorted(plant_par, [lo, hi])
        pars, ok = _salad_chunk(rng, tokens, targets[lo:hi], plant_par[p_lo:p_hi] - lo, plant_tok[p_lo:p_hi])
        out.extend(pars)
        applied[p_lo:p_hi] = ok
    return out, applied


def _salad_chunk(
    rng: np.random.Generator,
    tokens: _Tokens,
    targets: np.ndarray,
    plant_par: np.ndarray,
    plant_tok: np.ndarray,
) -> tuple[list[str], np.ndarray]:
    n_par = len(targets)
    mean_sentence = sum(_SENTENCE_WORDS) / 2
    # characters of words only: leave room for the punctuation, about one mark per sentence
    content = np.maximum(3, np.round(targets * (1 - 1 / (mean_sentence * tokens.mean_len + 1)))).astype(
        np.int64
    )
    goal = np.cumsum(content)
    n_words = int(goal[-1] / tokens.mean_len * 1.05) + n_par + 64
    while True:
        words = tokens.sample(rng, n_words)
        cum = np.cumsum(tokens.length[words])
        ends = np.searchsorted(cum, goal, side="left") + 1  # words up to the one crossing the goal
        # at least one word per paragraph: make ends strictly increasing
        ramp = np.arange(n_par)
        ends = np.maximum.accumulate(ends - ramp) + ramp
        if ends[-1] <= n_words:
            break
        n_words *= 2
    starts = np.concatenate([[0], ends[:-1]])
    count = ends - starts
    words = words[: ends[-1]]

    # stock phrases replace one word each, so they sit on word boundaries
    ok = np.zeros(len(plant_par), dtype=bool)
    if len(plant_par):
        where = starts[plant_par] + (rng.random(len(plant_par)) * count[plant_par]).astype(np.int64)
        pos, first = np.unique(where, return_index=True)
        # two phrases side by side would make a longer shared string than either phrase
        apart = np.concatenate([[True], np.diff(pos) > 1])
        first = first[apart]
        ok[first] = True
        words[where[first]] = plant_tok[first]

    # sentence ends: every 8–30 words, restarting in each paragraph; the paragraph ends with 。
    k = int(count.max() // _SENTENCE_WORDS[0]) + 1
    gaps = rng.integers(_SENTENCE_WORDS[0], _SENTENCE_WORDS[1] + 1, size=(n_par, k))
    at = np.cumsum(gaps, axis=1)
    inside = at < (count[:, None] - 2)  # no sentence of fewer than three words at the end
    brk = (starts[:, None] + at - 1)[inside]
    punct = np.zeros(len(words), dtype=np.int64)
    punct[brk] = np.where(rng.random(len(brk)) < _COMMA_SHARE, 1, 2)
    punct[ends - 1] = 2

    # assemble code points: each word's characters, then its mark if it has one
    wlen = tokens.length[words]
    full = wlen + (punct > 0)
    out_start = np.cumsum(full) - full
    total = int(full.sum())
    owner = np.repeat(np.arange(len(words)), full)
    pos = np.arange(total, dtype=np.int64) - out_start[owner]
    src = tokens.offset[words][owner] + pos
    is_mark = pos == wlen[owner]
    codes = tokens.codes[np.minimum(src, len(tokens.codes) - 1)].copy()
    marks = np.array([0, ord("，"), ord("。")], dtype="<u4")
    codes[is_mark] = marks[punct[owner[is_mark]]]
    text = codes.astype("<u4").tobytes().decode("utf-32-le")
    char_end = np.cumsum(full)[ends - 1]
    char_start = np.concatenate([[0], char_end[:-1]])
    pars = [text[a:b] for a, b in zip(char_start.tolist(), char_end.tolist())]
    return pars, ok


def _targets(rng: np.random.Generator, n: int, par_len: int) -> np.ndarray:
    # a little inside 60–300: punctuation and planted phrases move the final length a few characters
    lo, hi = min(64, par_len), max(292, par_len)
    t = rng.normal(par_len, par_len * 0.35, n)
    return np.clip(np.round(t), lo, hi).astype(np.int64)


# --------------------------------------------------------------------------------------------------
# edits


def _edit(text: str, rate: float, rnd: random.Random, chars: str) -> tuple[str, int]:
    """Edit ``rate`` of the CJK characters of ``text`` (substitute 60 %, insert 20 %, delete 20 %),
    spread evenly over the text. Returns the new text and the number of edits made."""
    cjk = [i for i, ch in enumerate(text) if _CJK.match(ch)]
    if rate <= 0 or not cjk:
        return text, 0
    k = max(1, min(len(cjk), round(rate * len(text))))
    # one edit per stratum keeps them spread out, as a rewriter's touches are
    bounds = [round(j * len(cjk) / k) for j in range(k + 1)]
    chosen = {cjk[rnd.randrange(bounds[j], bounds[j + 1])] for j in range(k) if bounds[j + 1] > bounds[j]}
    out = []
    for i, ch in enumerate(text):
        if i not in chosen:
            out.append(ch)
            continue
        op = rnd.random()
        new = rnd.choice(chars)
        while new == ch:
            new = rnd.choice(chars)
        if op < 0.6:
            out.append(new)
        elif op < 0.8:
            out.append(ch + new if rnd.random() < 0.5 else new + ch)
        # else: deleted
    return "".join(out), len(chosen)


def _new_number(old: str, rnd: random.Random) -> str:
    if "." in old:
        whole, frac = old.split(".")
        return f"{_new_number(whole, rnd)}.{rnd.randrange(10 ** len(frac)):0{len(frac)}d}"
    value = int(old)
    if len(old) == 4 and 1990 <= value <= 2030:  # a year
        choices = [y for y in range(2015, 2025) if y != value]
        return str(rnd.choice(choices))
    lo, hi = (10 ** (len(old) - 1), 10 ** len(old) - 1) if len(old) > 1 else (1, 9)
    new = value
    while new == value:
        new = rnd.randint(lo, hi)
    return str(new)


def _change_figures(
    text: str, rnd: random.Random, places: Iterable[str] = (), pool: tuple[str, ...] = ()
) -> str:
    """Change every figure (and the given place names) as a template copy does."""
    text = _NUMBER.sub(lambda m: _new_number(m.group(), rnd), text)
    for place in places:
        other = place
        while other == place or other in text:
            other = rnd.choice(pool)
        text = text.replace(place, other)
    return text


def _changed_share(a: str, b: str) -> float:
    """Share of ``a``'s characters that differ in ``b`` (for same-shape template copies)."""
    import difflib

    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    same = sum(block.size for block in sm.get_matching_blocks())
    return round(1 - same / len(a), 4) if a else 0.0


# --------------------------------------------------------------------------------------------------
# generate: a big corpus of near-duplicate paragraphs and stock phrases


def _phrase_list(rng: np.random.Generator, count: int, max_len: int = 16) -> list[str]:
    vocab = _vocab()
    genuine = [p for p in GENUINE_PHRASES if len(p) <= max_len]
    n_genuine = min(len(genuine), math.ceil(count * 0.75))
    picked = [genuine[i] for i in sorted(rng.choice(len(genuine), n_genuine, replace=False).tolist())]
    # generated formulas: 2–5 mid-frequency words, 4–max_len characters
    pool = [w for w in vocab.words[200:6000] if len(w) >= 2]
    seen = set(picked)
    while len(picked) < count:
        n = int(rng.integers(2, 6))
        phrase = "".join(pool[i] for i in rng.integers(0, len(pool), n).tolist())
        if 4 <= len(phrase) <= max_len and phrase not in seen:
            seen.add(phrase)
            picked.append(phrase)
    order = rng.permutation(len(picked))
    return [picked[i] for i in order.tolist()]


def _doc_sizes(rng: np.random.Generator, n_paragraphs: int, docs_size: int) -> list[int]:
    lo, hi = max(1, docs_size // 2), max(1, docs_size * 3 // 2)
    sizes: list[int] = []
    left = n_paragraphs
    while left > 0:
        s = min(left, int(rng.integers(lo, hi + 1)))
        sizes.append(s)
        left -= s
    return sizes


def _titles(rng: np.random.Generator, n: int) -> list[str]:
    vocab = _vocab()
    suffixes = ["工作总结", "工作报告", "情况汇报", "年度总结", "工作情况的报告", "自查报告", "述职报告"]
    pool = vocab.words[100:5000]
    out = []
    for place, w1, w2, s in zip(
        rng.integers(0, len(vocab.places), n).tolist(),
        rng.integers(0, len(pool), n).tolist(),
        rng.integers(0, len(pool), n).tolist(),
        rng.integers(0, len(suffixes), n).tolist(),
    ):
        out.append(f"{vocab.places[place]}{pool[w1]}{pool[w2]}2023年{suffixes[s]}")
    return out


def _doc_ids(n: int) -> list[str]:
    width = max(4, len(str(n)))
    return [f"s{i + 1:0{width}d}" for i in range(n)]


def _plant_phrases(
    rng: np.random.Generator,
    doc_first: np.ndarray,
    doc_count: np.ndarray,
    n_phrases: int,
    phrases_per_par: float,
    max_share: float = 0.6,
    min_share: float = 0.03,
) -> tuple[np.ndarray, np.ndarray]:
    """Choose (paragraph, phrase) plantings: phrase j goes into a Zipf-like share of the documents,
    from ``max_share`` for the commonest down to ``min_share``; each chosen document gets it at least
    once, and further plantings bring the average to ``phrases_per_par`` per paragraph."""
    n_docs = len(doc_first)
    if n_phrases == 0 or phrases_per_par <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    share = max_share * (min_share / max_share) ** (np.arange(n_phrases) / max(1, n_phrases - 1))
    present = rng.random((n_docs, n_phrases)) < share[None, :]
    d_idx, p_idx = np.nonzero(present)
    par = doc_first[d_idx] + (rng.random(len(d_idx)) * doc_count[d_idx]).astype(np.int64)
    pars, phr = [par], [p_idx]
    # extra plantings per document, drawn among its phrases by their share
    want = rng.poisson(phrases_per_par * doc_count)
    n_present = present.sum(axis=1)
    extra = np.where(n_present > 0, np.maximum(0, want - n_present), 0)
    if extra.sum():
        e_doc = np.repeat(np.arange(n_docs), extra)
        weights = present * share[None, :]
        cdf = np.cumsum(weights, axis=1)
        cdf /= np.where(cdf[:, -1:] > 0, cdf[:, -1:], 1)
        u = rng.random(len(e_doc))
        e_phr = (cdf[e_doc] < u[:, None]).sum(axis=1)
        e_par = doc_first[e_doc] + (rng.random(len(e_doc)) * doc_count[e_doc]).astype(np.int64)
        pars.append(e_par)
        phr.append(np.minimum(e_phr, n_phrases - 1))
    par_all = np.concatenate(pars)
    phr_all = np.concatenate(phr)
    order = np.lexsort((phr_all, par_all))
    return par_all[order], phr_all[order]


def generate(
    n_paragraphs: int,
    seed: int = 1,
    *,
    par_len: int = 150,
    dup_fraction: float = 0.05,
    phrase_count: int = 40,
    phrases_per_par: float = 0.6,
    docs_size: int = 20,
) -> Corpus:
    """A corpus of ``n_paragraphs`` word-salad paragraphs with planted near-duplicates and phrases.

    Paragraphs are about ``par_len`` characters (60–300), in documents of about ``docs_size``
    paragraphs. ``dup_fraction`` of the paragraphs are replaced by a copy of an earlier paragraph of an
    earlier document, each source used once, with equal shares of the kinds exact, edit2, edit5,
    edit10 (that share of characters substituted, inserted or deleted) and figures (every number
    changed). ``phrase_count`` stock phrases are planted on word boundaries, on average
    ``phrases_per_par`` per paragraph, each in a Zipf-like share of documents (60 % down to 3 %).
    """
    if n_paragraphs < 1:
        raise ValueError("n_paragraphs must be at least 1")
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    vocab = _vocab()
    phrases = _phrase_list(rng, phrase_count)
    tokens, first_phrase = _token_table(rng, phrases)

    sizes = np.array(_doc_sizes(rng, n_paragraphs, docs_size), dtype=np.int64)
    doc_first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    par_doc = np.repeat(np.arange(len(sizes)), sizes)
    ids = _doc_ids(len(sizes))
    titles = _titles(rng, len(sizes))

    plant_par, plant_phr = _plant_phrases(rng, doc_first, sizes, len(phrases), phrases_per_par)
    targets = _targets(rng, n_paragraphs, par_len)
    pars, applied = _salad(rng, tokens, targets, plant_par, plant_phr + first_phrase)

    # near-duplicates: destinations outside the first document, sources earlier, each used once
    n_dup = round(dup_fraction * n_paragraphs)
    candidates = np.arange(int(sizes[0]), n_paragraphs)
    n_dup = min(n_dup, len(candidates) // 2)
    dst = np.sort(rng.choice(candidates, n_dup, replace=False)) if n_dup else np.zeros(0, dtype=np.int64)
    kinds = [_NEAR_DUP_KINDS[i % len(_NEAR_DUP_KINDS)] for i in range(n_dup)]
    kinds = [kinds[i] for i in rng.permutation(n_dup).tolist()]
    taken = np.zeros(n_paragraphs, dtype=bool)
    taken[dst] = True
    copies: list[dict] = []
    near: list[tuple] = []
    local = lambda p: (ids[par_doc[p]], int(p - doc_first[par_doc[p]]))
    for p, kind in zip(dst.tolist(), kinds):
        limit = int(doc_first[par_doc[p]])  # sources come from earlier documents
        src = -1
        for _ in range(64):
            q = rnd.randrange(limit)
            if not taken[q] and (kind != "figures" or _NUMBER.search(pars[q])):
                src = q
                break
        else:
            free = [
                q for q in range(limit) if not taken[q] and (kind != "figures" or _NUMBER.search(pars[q]))
            ]
            if free:
                src = rnd.choice(free)
        if src < 0:
            continue
        taken[src] = True
        text = pars[src]
        if kind == "figures":
            new = _change_figures(text, rnd)
            rate = _changed_share(text, new)
        else:
            new, n_edits = _edit(text, _EDIT_RATES[kind], rnd, vocab.chars)
            rate = round(n_edits / len(text), 4)
        pars[p] = new
        (sd, sp), (dd, dp) = local(src), local(p)
        copies.append(
            {
                "kind": kind,
                "src_doc": sd,
                "src_par": sp,
                "src_start": 0,
                "src_end": len(text),
                "dst_doc": dd,
                "dst_par": dp,
                "dst_start": 0,
                "dst_end": len(new),
                "edit_rate": rate,
                "case": len(copies),
            }
        )
        near.append(((sd, sp), (dd, dp), kind, rate))

    # phrases count where they were planted and not overwritten by a copy
    phrase_docs: dict[str, set[str]] = {ph: set() for ph in phrases}
    keep = applied & ~np.isin(plant_par, dst)
    for par_i, ph_i in zip(plant_par[keep].tolist(), plant_phr[keep].tolist()):
        phrase_docs[phrases[ph_i]].add(ids[par_doc[par_i]])

    documents = [
        {
            "id": ids[d],
            "title": titles[d],
            "paragraphs": pars[int(doc_first[d]) : int(doc_first[d] + sizes[d])],
        }
        for d in range(len(sizes))
    ]
    params = {
        "generator": "generate",
        "n_paragraphs": n_paragraphs,
        "seed": seed,
        "par_len": par_len,
        "dup_fraction": dup_fraction,
        "phrase_count": phrase_count,
        "phrases_per_par": phrases_per_par,
        "docs_size": docs_size,
    }
    return Corpus(documents, copies, near, phrases, {k: sorted(v) for k, v in phrase_docs.items()}, params)


# --------------------------------------------------------------------------------------------------
# copy_cases: the accuracy suite for copied-passage alignment


def _extend(src: str, s0: int, s1: int, dst: str, d0: int, d1: int) -> tuple[int, int, int, int]:
    """Grow an exact piece to the maximal match, as an aligner would see it."""
    while s0 > 0 and d0 > 0 and src[s0 - 1] == dst[d0 - 1]:
        s0, d0 = s0 - 1, d0 - 1
    while s1 < len(src) and d1 < len(dst) and src[s1] == dst[d1]:
        s1, d1 = s1 + 1, d1 + 1
    return s0, s1, d0, d1


def _clause_ends(text: str) -> list[int]:
    """Offsets just after each ，or 。 (clause boundaries), the paragraph end included."""
    return [m.end() for m in _CLAUSE.finditer(text)]


class _Source:
    """Source paragraphs handed out once each, so destinations never share text among themselves."""

    def __init__(self, docs: list[dict], rnd: random.Random):
        self.docs = docs
        self.free = [(d, p) for d in range(len(docs)) for p in range(len(docs[d]["paragraphs"]))]
        rnd.shuffle(self.free)
        self.used: set[tuple[int, int]] = set()

    def take(self, ok, pair: bool = False) -> tuple[int, int] | None:
        for d, p in self.free:
            if (d, p) in self.used or (pair and (d, p + 1) in self.used):
                continue
            pars = self.docs[d]["paragraphs"]
            if pair and p + 1 >= len(pars):
                continue
            if ok(pars[p]) and (not pair or ok(pars[p + 1])):
                self.used.add((d, p))
                if pair:
                    self.used.add((d, p + 1))
                return d, p
        return None


def copy_cases(seed: int = 1, n_per_kind: int = 50) -> Corpus:
    """The accuracy suite for copied-passage alignment: ``n_per_kind`` cases of each of COPY_KINDS.

    Source documents come first; destination documents (one to three cases each, among their own
    paragraphs) and negative documents (sharing only stock phrases and figures; their ids are in
    ``params["negative_ids"]``) follow, shuffled. Source documents none of whose paragraphs was drawn
    are negatives too.
    Each source paragraph is copied at most once. Stock phrases here are at most 10 characters, well below
    the 13-character span a copy must have. Exact pieces are recorded at their maximal extent, so a
    perfect aligner finds exactly the recorded characters.
    """
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    vocab = _vocab()
    phrases = _phrase_list(rng, 30, max_len=10)
    tokens, first_phrase = _token_table(rng, phrases)

    def paragraphs(n: int, density: float = 0.6, length: int = 150) -> tuple[list[str], list[int]]:
        t = _targets(rng, n, length)
        k = rng.poisson(density, n)
        par = np.repeat(np.arange(n), k)
        ph = rng.integers(0, len(phrases), len(par))
        # a Zipf-ish preference: low phrase numbers are the common formulas
        ph = np.minimum(ph, rng.integers(0, len(phrases), len(par)))
        out, ok = _salad(rng, tokens, t, par, ph + first_phrase)
        return out, ph[ok].tolist()

    def clauses(lo: int, hi: int) -> str:
        """Own text of lo–hi characters, ending on a mark."""
        text = ""
        while len(text) < lo:
            (par,), _ = paragraphs(1, 0.0, hi)
            text += par
        cut = [e for e in _clause_ends(text) if lo <= e <= hi]
        return text[: cut[0]] if cut else text[:hi].rstrip("，。") + "。"

    n_cases = n_per_kind * len(COPY_KINDS)
    n_src_docs = max(2, math.ceil(n_per_kind * 11 / 5))
    docs: list[dict] = []
    phrase_hits: list[list[int]] = []
    for _ in range(n_src_docs):
        pars, hits = paragraphs(int(rng.integers(10, 21)))
        docs.append({"title": "", "paragraphs": pars})
        phrase_hits.append(hits)
    source = _Source(docs, rnd)

    def ok_len(lo: int):
        return lambda t: len(t) >= lo

    def ok_clauses(n: int, lo: int = 60):
        return lambda t: (
            len(t) >= lo
            and len(_clause_ends(t)) >= n
            and all(b - a >= 13 for a, b in zip([0] + _clause_ends(t)[:-1], _clause_ends(t)))
        )

    # build the cases: each is the destination paragraphs it brings plus its pieces
    cases: list[tuple[str, list[str], list[dict]]] = []
    for kind in COPY_KINDS:
        for _ in range(n_per_kind):
            built = _build_case(kind, docs, source, rnd, vocab, clauses, ok_len, ok_clauses)
            if built is not None:
                cases.append(built)

    # destination documents: 1–3 cases each among own paragraphs
    order = rnd.sample(range(len(cases)), len(cases))
    groups: list[list[int]] = []
    i = 0
    while i < len(order):
        k = rnd.randint(1, 3)
        groups.append(order[i : i + k])
        i += k
    n_neg = max(4, n_per_kind // 2)
    roles = ["dst"] * len(groups) + ["neg"] * n_neg
    rnd.shuffle(roles)
    g = iter(groups)
    pending: list[tuple[int, int, dict]] = []  # (destination doc, its paragraph, piece)
    negatives: list[int] = []
    for role in roles:
        d = len(docs)
        if role == "neg":
            negatives.append(d)
            pars, hits = paragraphs(int(rng.integers(10, 21)), density=1.0)
            docs.append({"title": "", "paragraphs": pars})
            phrase_hits.append(hits)
            continue
        group = next(g)
        brought = sum(len(cases[c][1]) for c in group)
        own, hits = paragraphs(max(3, int(rng.integers(10, 21)) - brought))
        # insertion points among own paragraphs, kept in order
        slots = sorted(rnd.randint(0, len(own)) for _ in group)
        final: list[str] = []
        placed: list[tuple[int, int]] = []  # (case, first paragraph index)
        cursor = 0
        for c, slot in zip(group, slots):
            final.extend(own[cursor:slot])
            cursor = slot
            placed.append((c, len(final)))
            final.extend(cases[c][1])
        final.extend(own[cursor:])
        docs.append({"title": "", "paragraphs": final})
        phrase_hits.append(hits)
        for c, first in placed:
            for piece in cases[c][2]:
                pending.append((d, first + piece["dst_par"], piece))

    ids = _doc_ids(len(docs))
    titles = _titles(rng, len(docs))
    for d, doc in enumerate(docs):
        doc["id"], doc["title"] = ids[d], titles[d]
    documents = [{"id": doc["id"], "title": doc["title"], "paragraphs": doc["paragraphs"]} for doc in docs]

    copies: list[dict] = []
    near: list[tuple] = []
    case_of = {id(piece): n for n, (_, _, pieces) in enumerate(cases) for piece in pieces}
    for d, p, piece in sorted(pending, key=lambda t: (case_of[id(t[2])], t[2]["dst_par"], t[2]["dst_start"])):
        rec = dict(piece)
        rec["src_doc"] = ids[piece["src_doc"]]
        rec["dst_doc"] = ids[d]
        rec["dst_par"] = p
        rec["case"] = case_of[id(piece)]
        src_text = docs[piece["src_doc"]]["paragraphs"][piece["src_par"]]
        dst_text = docs[d]["paragraphs"][p]
        if rec["edit_rate"] == 0.0:
            s0, s1, d0, d1 = _extend(
                src_text, rec["src_start"], rec["src_end"], dst_text, rec["dst_start"], rec["dst_end"]
            )
            rec.update(src_start=s0, src_end=s1, dst_start=d0, dst_end=d1)
        copies.append(
            {
                k: rec[k]
                for k in (
                    "kind",
                    "src_doc",
                    "src_par",
                    "src_start",
                    "src_end",
                    "dst_doc",
                    "dst_par",
                    "dst_start",
                    "dst_end",
                    "edit_rate",
                    "case",
                )
            }
        )
        if rec["kind"] in ("exact", "figures", "edit2", "edit5", "edit10") or (
            rec["kind"].startswith("sentence_") and piece.get("first")
        ):
            near.append(
                ((rec["src_doc"], rec["src_par"]), (rec["dst_doc"], p), rec["kind"], rec["edit_rate"])
            )

    phrase_docs: dict[str, set[str]] = {ph: set() for ph in phrases}
    for d, hits in enumerate(phrase_hits):
        for h in hits:
            phrase_docs[phrases[h]].add(ids[d])
    params = {
        "generator": "copy_cases",
        "seed": seed,
        "n_per_kind": n_per_kind,
        "cases": len(cases),
        "cases_wanted": n_cases,
        "source_documents": n_src_docs,
        "negative_documents": n_neg,
        "negative_ids": [ids[d] for d in negatives],
    }
    return Corpus(documents, copies, near, phrases, {k: sorted(v) for k, v in phrase_docs.items()}, params)


def _build_case(kind, docs, source, rnd, vocab, clauses, ok_len, ok_clauses):
    """One case: (kind, destination paragraphs, pieces with dst_par relative to the first of them)."""

    def piece(src, s0, s1, dpar, d0, d1, rate=0.0, **extra):
        d, p = src
        return {
            "kind": kind,
            "src_doc": d,
            "src_par": p,
            "src_start": s0,
            "src_end": s1,
            "dst_par": dpar,
            "dst_start": d0,
            "dst_end": d1,
            "edit_rate": rate,
            **extra,
        }

    if kind in ("exact", "edit2", "edit5", "edit10"):
        src = source.take(ok_len(60))
        if src is None:
            return None
        text = docs[src[0]]["paragraphs"][src[1]]
        new, n = _edit(text, _EDIT_RATES[kind], rnd, vocab.chars)
        return kind, [new], [piece(src, 0, len(text), 0, 0, len(new), round(n / len(text), 4))]
    if kind == "figures":
        src = source.take(ok_clauses(2))
        if src is None:
            return None
        d, p = src
        text = docs[d]["paragraphs"][p]
        # the source names a place and gives figures, as a template does; plant them on clause starts
        places = rnd.sample(vocab.places, 2)
        starts = [0] + _clause_ends(text)[:-1]
        at = sorted(rnd.sample(starts, min(2, len(starts))), reverse=True)
        for j, s in enumerate(at):
            fig = f"{rnd.randint(2, 98)}{rnd.choice(_UNITS)}"
            text = text[:s] + places[j % len(places)] + fig + text[s:]
        docs[d]["paragraphs"][p] = text
        new = _change_figures(text, rnd, places, vocab.places)
        return kind, [new], [piece(src, 0, len(text), 0, 0, len(new), _changed_share(text, new))]
    if kind == "sentence_inserted":
        src = source.take(ok_clauses(2))
        if src is None:
            return None
        text = docs[src[0]]["paragraphs"][src[1]]
        b = rnd.choice(_clause_ends(text)[:-1])
        own = clauses(15, 40)
        new = text[:b] + own + text[b:]
        return (
            kind,
            [new],
            [piece(src, 0, b, 0, 0, b, first=True), piece(src, b, len(text), 0, b + len(own), len(new))],
        )
    if kind == "sentence_deleted":
        src = source.take(ok_clauses(3))
        if src is None:
            return None
        text = docs[src[0]]["paragraphs"][src[1]]
        ends = _clause_ends(text)
        j = rnd.randrange(1, len(ends) - 1)  # a middle clause: text[ends[j-1]:ends[j]]
        a, c = ends[j - 1], ends[j]
        new = text[:a] + text[c:]
        return kind, [new], [piece(src, 0, a, 0, 0, a, first=True), piece(src, c, len(text), 0, a, len(new))]
    if kind == "contained":
        src = source.take(ok_len(60))
        if src is None:
            return None
        text = docs[src[0]]["paragraphs"][src[1]]
        n = rnd.randint(20, min(80, len(text)))
        s = rnd.randint(0, len(text) - n)
        before, after = clauses(30, 100), clauses(30, 100)
        new = before + text[s : s + n] + after
        return kind, [new], [piece(src, s, s + n, 0, len(before), len(before) + n)]
    if kind == "split":
        src = source.take(ok_clauses(2, 60))
        if src is None:
            return None
        text = docs[src[0]]["paragraphs"][src[1]]
        m = rnd.choice(_clause_ends(text)[:-1])
        return (
            kind,
            [text[:m], text[m:]],
            [piece(src, 0, m, 0, 0, m), piece(src, m, len(text), 1, 0, len(text) - m)],
        )
    if kind == "merged":
        src = source.take(ok_len(40), pair=True)
        if src is None:
            return None
        d, p = src
        a, b = docs[d]["paragraphs"][p], docs[d]["paragraphs"][p + 1]
        return (
            kind,
            [a + b],
            [
                piece((d, p), 0, len(a), 0, 0, len(a)),
                piece((d, p + 1), 0, len(b), 0, len(a), len(a) + len(b)),
            ],
        )
    raise ValueError(f"unknown copy kind {kind!r}")


# --------------------------------------------------------------------------------------------------
# writing


def _dump_truth(corpus: Corpus, path: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(corpus.truth(), fh, ensure_ascii=False, indent=1, sort_keys=True)
        fh.write("\n")


def write_folder(corpus: Corpus, dir: str) -> None:
    """One UTF-8 ``<id>.txt`` per document (title line, then one paragraph per line) and truth.json."""
    os.makedirs(dir, exist_ok=True)
    for doc in corpus.documents:
        with open(os.path.join(dir, f"{doc['id']}.txt"), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(doc["title"] + "\n" + body(doc) + "\n")
    _dump_truth(corpus, os.path.join(dir, "truth.json"))


def write_jsonl(corpus: Corpus, path: str) -> None:
    """One ``{"title", "text"}`` line per document (text = body) and truth.json in the same folder."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(
            json.dumps({"title": doc["title"], "text": body(doc)}, ensure_ascii=False) + "\n"
            for doc in corpus.documents
        )
    _dump_truth(corpus, os.path.join(folder, "truth.json"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a seeded synthetic corpus with ground truth.")
    ap.add_argument("--paragraphs", type=int, default=10_000, help="paragraphs to generate")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--out", required=True, help="output folder (or .jsonl file with --format jsonl)")
    ap.add_argument("--format", choices=["folder", "jsonl"], default="folder")
    ap.add_argument("--par-len", type=int, default=150)
    ap.add_argument("--dup-fraction", type=float, default=0.05)
    ap.add_argument("--phrase-count", type=int, default=40)
    ap.add_argument("--phrases-per-par", type=float, default=0.6)
    ap.add_argument("--docs-size", type=int, default=20)
    ap.add_argument("--cases", action="store_true", help="write the copy_cases accuracy suite instead")
    ap.add_argument("--n-per-kind", type=int, default=50, help="cases per kind with --cases")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.cases:
        corpus = copy_cases(args.seed, args.n_per_kind)
    else:
        corpus = generate(
            args.paragraphs,
            args.seed,
            par_len=args.par_len,
            dup_fraction=args.dup_fraction,
            phrase_count=args.phrase_count,
            phrases_per_par=args.phrases_per_par,
            docs_size=args.docs_size,
        )
    t1 = time.perf_counter()
    if args.format == "jsonl":
        path = args.out if args.out.endswith(".jsonl") else os.path.join(args.out, "corpus.jsonl")
        write_jsonl(corpus, path)
    else:
        write_folder(corpus, args.out)
    t2 = time.perf_counter()
    n_par = sum(len(d["paragraphs"]) for d in corpus.documents)
    n_chars = sum(len(body(d)) for d in corpus.documents)
    print(
        f"{len(corpus.documents)} documents, {n_par} paragraphs, {n_chars} characters, "
        f"{len(corpus.copies)} copies, {len(corpus.phrases)} phrases; "
        f"generated in {t1 - t0:.1f} s, written in {t2 - t1:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
