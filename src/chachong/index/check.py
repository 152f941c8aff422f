"""The CI gate: audit new documents against a reference set, compare with limits, exit code.

``check(new, index=URI)`` (or ``against=[paths]``) reads the new documents, draws the
reference documents that may share text with them from the index (:meth:`Index.candidates`),
and runs the audit's own pairing and alignment (:func:`chachong.stages.candidates.find_pairs`,
:func:`chachong.engine.local.assemble`) on that small corpus, so a document's copy ratio is the one
``chachong audit`` reports for it among the same documents. New documents are checked against
each other too. Each new document then passes or fails the :class:`Limits`.

A baseline (allow-list) file accepts known matches, so they do not fail every later run::

    {"schema": "chachong.baseline/1",
     "accepted": [{"document": "docs/b.txt", "source": "docs/a.txt", "ratio": 0.42}]}

An accepted match is left out of the limits as long as its ratio stays at or below the
accepted one; a match that grows fails again. The check path imports neither pandas nor jieba
(character shingles), so a CI run starts in a fraction of a second.

>>> Limits().describe()
'copy ratio <= 30.0%, fail on identical'
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chachong.config import AuditConfig, ConfigError
from chachong.ingest.renumber import renumber
from chachong.index.check_render import doc_dict, junit, markdown, pct, ratio_label, text
from chachong.index.index import Index, IndexStoreError, document_keys
from chachong.model import Document
from chachong.stages.attribution import RATIO_EXCLUDES
from chachong.stages.intervals import merge, subtract

BASELINE_SCHEMA = "chachong.baseline/1"
SCHEMA = "chachong.check/1"
FORMATS = ("text", "md", "json", "junit")
FAIL_ON = ("identical", "near-duplicate")
RATIOS = tuple(RATIO_EXCLUDES)  # what --max-copy-ratio applies to (Limits.ratio)

Progress = Callable[[str], None]


class CheckError(ValueError):
    """A usage or input error (exit code 2); the message names the file and the fix."""


@dataclass(frozen=True)
class Limits:
    """What makes a new document fail. ``None`` switches a limit off; a value passes when ``<=`` it.

    max_copy_ratio: share of the document's characters copied from other documents
        (文字复制比, the figure ``chachong audit`` reports as ``copy_ratio``). 30 % by default, a
        common limit for 文字复制比.
    max_top_source_ratio: share copied from the single largest source (单篇最大).
    max_paragraph_similarity: highest similarity of one of its paragraphs to another
        document's: Jaccard for identical and near-duplicate paragraphs, containment for a
        paragraph contained in (or containing) another.
    fail_on: document kinds that fail whatever their ratio: ``identical`` (same canonical
        text), ``near-duplicate`` (document Jaccard >= ``document_threshold``; identical ones too).
    ratio: the ratio ``max_copy_ratio`` applies to: ``total`` (copy_ratio), ``excluding-quotes``
        (reference and quoted text left out), ``excluding-own`` (the unit's own earlier documents
        left out) or ``net`` (both). ``total`` by default: a gate's verdicts must not change under
        its tuned limit until its owner chooses to, and 总文字复制比 is the figure limits are set on;
        choose ``excluding-quotes`` once the quoted laws are given as ``--reference``.
    """

    max_copy_ratio: float | None = 0.3
    max_top_source_ratio: float | None = None
    max_paragraph_similarity: float | None = None
    fail_on: tuple[str, ...] = ("identical",)
    ratio: str = "total"

    def __post_init__(self) -> None:
        if self.ratio not in RATIOS:
            raise ConfigError(f"ratio must be one of {', '.join(RATIOS)}, not {self.ratio!r}")
        for name in ("max_copy_ratio", "max_top_source_ratio", "max_paragraph_similarity"):
            v = getattr(self, name)
            if v is not None and not 0.0 <= v <= 1.0:
                raise ConfigError(f"{name.replace('_', '-')} must be between 0 and 1, not {v}")
        bad = [x for x in self.fail_on if x not in FAIL_ON]
        if bad:
            raise ConfigError(f"fail-on must be one of {', '.join(FAIL_ON)} (or none), not {bad[0]!r}")

    def describe(self) -> str:
        parts = []
        for name, label in (("max_copy_ratio", ratio_label(self.ratio)), ("max_top_source_ratio", "top source"),
                            ("max_paragraph_similarity", "paragraph similarity")):
            v = getattr(self, name)
            if v is not None:
                parts.append(f"{label} <= {pct(v) if 'similarity' not in name else f'{v:.2f}'}")
        if self.fail_on:
            parts.append("fail on " + " or ".join(self.fail_on))
        return ", ".join(parts) or "no limits"

    def to_dict(self) -> dict[str, Any]:
        return {"max_copy_ratio": self.max_copy_ratio, "max_top_source_ratio": self.max_top_source_ratio,
                "max_paragraph_similarity": self.max_paragraph_similarity, "fail_on": list(self.fail_on),
                "ratio": self.ratio}


# --------------------------------------------------------------------------- baseline


@dataclass(frozen=True)
class Accepted:
    document: str  # key of the new document
    source: str  # key of the document it matches
    ratio: float  # accepted share of the document copied from the source


def load_baseline(path: str | os.PathLike[str]) -> list[Accepted]:
    """Read a baseline file; raises :class:`CheckError` naming the file and the fix."""
    where = os.fspath(path)
    try:
        data = json.loads(Path(where).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckError(f"{where}: no such baseline file; create it with --write-baseline {where}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckError(f"{where}: cannot read the baseline ({exc}); fix the JSON or write it again "
                         "with --write-baseline") from exc
    if not isinstance(data, dict) or data.get("schema") != BASELINE_SCHEMA or not isinstance(
            data.get("accepted"), list):
        raise CheckError(f"{where}: not a chachong baseline (schema {BASELINE_SCHEMA}); write one with "
                         "--write-baseline")
    out = []
    for i, e in enumerate(data["accepted"]):
        try:
            out.append(Accepted(str(e["document"]), str(e["source"]), float(e["ratio"])))
        except (KeyError, TypeError, ValueError):
            raise CheckError(f"{where}: accepted entry {i + 1} needs document, source and ratio; fix "
                             "or remove it") from None
    return out


def baseline_text(entries: Sequence[Accepted]) -> str:
    """The baseline file for ``entries`` (sorted, one entry per document and source)."""
    best: dict[tuple[str, str], float] = {}
    for e in entries:
        best[(e.document, e.source)] = max(e.ratio, best.get((e.document, e.source), 0.0))
    rows = [{"document": d, "source": s, "ratio": round(r, 4)} for (d, s), r in sorted(best.items())]
    return json.dumps({"schema": BASELINE_SCHEMA, "accepted": rows}, ensure_ascii=False, indent=1) + "\n"


# --------------------------------------------------------------------------- results


@dataclass
class Match:
    """Another document sharing copied text with a new one."""

    document: str  # its key
    title: str
    new: bool  # another new document (not from the reference set)
    ratio: float  # share of the new document's characters copied from it
    kind: str  # "identical" | "near-duplicate" | "partial"
    jaccard: float
    paragraphs: int  # paragraph pairs
    similarity: float  # highest paragraph similarity
    passages: list[tuple[int, int, int, int]]  # (start, end) in the new document, (start, end) in this one
    copied: list[tuple[int, int]] = field(default_factory=list, repr=False)  # new document text copied from it
    closest: tuple[str, str, str] | None = None  # (paragraph, its paragraph, kind) of the most similar pair
    accepted: bool = False
    cls: str = "copied"  # reference | quoted | own | copied (stages/attribution.py)


@dataclass
class Violation:
    rule: str  # "max-copy-ratio" | "max-top-source-ratio" | "max-paragraph-similarity" | "fail-on"
    value: float
    limit: float | None
    source: str | None
    message: str


@dataclass
class DocumentCheck:
    """The verdict on one new document."""

    document: str  # key (source path, or path#NN for a document of a compilation)
    title: str
    source: str
    chars: int
    copy_ratio: float  # as the audit reports it, accepted matches included
    checked_ratio: float  # accepted matches left out: the figure the limits apply to
    matches: list[Match]
    most_similar: dict[str, Any] | None
    violations: list[Violation] = field(default_factory=list)
    text: str = field(default="", repr=False)
    ratios: dict[str, float] = field(default_factory=dict)  # copy_ratio_excluding_quotes ... own_ratio
    classes: dict[str, list[tuple[int, int]]] = field(default_factory=dict, repr=False)  # copied text by class

    @property
    def passed(self) -> bool:
        return not self.violations

    @property
    def top_source(self) -> Match | None:
        live = [m for m in self.matches if not m.accepted]
        return live[0] if live else None


@dataclass
class CheckResult:
    documents: list[DocumentCheck]
    limits: Limits
    config: AuditConfig
    reference: str  # the index URI, or "N files"
    references: int  # documents in the reference set
    compared: int  # reference documents drawn as candidates and audited
    added: list[str] = field(default_factory=list)  # keys added to the index (--add-on-pass)
    warnings: list[str] = field(default_factory=list)
    baseline_written: str | None = None

    @property
    def passed(self) -> bool:
        return all(d.passed for d in self.documents)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def summary(self) -> str:
        failed = sum(not d.passed for d in self.documents)
        return (f"{len(self.documents)} document{'s' if len(self.documents) != 1 else ''} checked against "
                f"{self.reference}: " + (f"{failed} failed" if failed else "all passed")
                + f" ({self.compared} of {self.references} reference documents compared; {self.limits.describe()})")

    def to_dict(self) -> dict[str, Any]:
        from chachong.version import __version__

        return {
            "schema": SCHEMA,
            "tool": {"name": "chachong", "version": __version__},
            "settings": self.config.to_dict(),
            "limits": self.limits.to_dict(),
            "reference": {"name": self.reference, "documents": self.references, "compared": self.compared},
            "passed": self.passed,
            "documents": [doc_dict(d) for d in self.documents],
            "added": list(self.added),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"

    def to_text(self) -> str:
        return text(self)

    def to_markdown(self) -> str:
        return markdown(self)

    def to_junit(self) -> str:
        return junit(self)

    def render(self, fmt: str) -> str:
        """The result in one of :data:`FORMATS`."""
        if fmt not in FORMATS:
            raise CheckError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        return {"text": self.to_text, "md": self.to_markdown, "json": self.to_json, "junit": self.to_junit}[fmt]()


# --------------------------------------------------------------------------- the check


def _read(paths: Sequence[str | os.PathLike[str]] | Sequence[Document], config: AuditConfig,
          what: str) -> tuple[list[Document], list[str], list[str]]:
    items = list(paths)
    if items and all(isinstance(x, Document) for x in items):
        docs = list(items)  # type: ignore[arg-type]
        return docs, document_keys([d.source for d in docs]), []
    from chachong.stages.load import load_documents

    docs, skipped, warnings = load_documents([os.fspath(p) for p in items], config)  # type: ignore[arg-type]
    if skipped:
        first = skipped[0]
        more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
        raise CheckError(f"{first.path}: {first.reason}{more}")
    if not docs:
        raise CheckError(f"no {what} documents could be read from {', '.join(map(str, items)) or 'nothing'}; "
                         "give .txt, .md, .docx, .pdf, .csv or .jsonl files")
    return docs, document_keys([d.source for d in docs]), warnings


def _same_file(a: str, b: str) -> bool:
    try:
        return "#" not in a and "#" not in b and os.path.samefile(a, b)
    except OSError:
        return False


def check(
    new: Sequence[str | os.PathLike[str]] | Sequence[Document],
    *,
    index: str | os.PathLike[str] | Index | None = None,
    against: Sequence[str | os.PathLike[str]] | Sequence[Document] | None = None,
    config: AuditConfig | None = None,
    settings: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    baseline: str | os.PathLike[str] | Sequence[Accepted] | None = None,
    write_baseline: str | os.PathLike[str] | None = None,
    add_on_pass: bool = False,
    progress: Progress | None = None,
) -> CheckResult:
    """Check ``new`` documents against an index (``index``) or reference files (``against``).

    ``config`` (default: the index's own settings, or the defaults) updated by ``settings``
    decides how text is matched. ``baseline`` accepts known matches; ``write_baseline``
    accepts every current match and writes them (with the baseline's) to that file.
    ``add_on_pass`` adds the new documents that pass to the index. Raises
    :class:`CheckError` for usage and input errors.
    """
    say = progress or (lambda _s: None)
    if (index is None) == (against is None):
        raise CheckError("give the reference set: --index URI or --against PATH (one of them)")
    if add_on_pass and index is None:
        raise CheckError("--add-on-pass adds to an index; give --index URI")
    if not new:
        raise CheckError("give the new documents to check")
    limits = limits or Limits()
    accepted = list(baseline) if isinstance(baseline, (list, tuple)) else (
        load_baseline(baseline) if baseline is not None else [])  # type: ignore[arg-type]
    owned = index is not None and not isinstance(index, Index)
    idx: Index | None = None
    try:
        if index is not None:
            try:
                idx = index if isinstance(index, Index) else Index.open(index, config, settings=settings)
            except IndexStoreError as exc:
                raise CheckError(str(exc)) from exc
            cfg = idx.config
        else:
            try:
                cfg = (config or AuditConfig()).replace(**dict(settings or {}))
            except ConfigError as exc:
                raise CheckError(str(exc)) from exc
        say("read")
        new_docs, new_keys, warnings = _read(new, cfg, "new")
        say("candidates")
        if idx is not None:
            from chachong.stages.prepare import prepare

            candidates = idx.candidates(prepare(new_docs, cfg), range(len(new_docs)))
            refs = [(k, d) for k, d in idx.fetch(candidates) if k not in new_keys]
            total, reference = len(idx), str(idx.uri)
        else:
            ref_docs, ref_keys, warn = _read(against, cfg, "reference")  # type: ignore[arg-type]
            warnings += warn
            refs = [(k, d) for k, d in zip(ref_keys, ref_docs)
                    if k not in new_keys and not any(_same_file(d.source, n.source) for n in new_docs)]
            total, reference = len(refs), "the --against documents"
        result = _audit(new_docs, new_keys, refs, cfg, total, say)
        if write_baseline is not None:
            accepted += [Accepted(d.document, m.document, m.ratio) for d in result for m in d.matches]
        for d in result:
            _judge(d, limits, accepted)
        out = CheckResult(result, limits, cfg, reference, total, len(refs), warnings=warnings)
        if write_baseline is not None:
            from chachong.runtime.fsio import atomic_write_text

            try:
                atomic_write_text(write_baseline, baseline_text(accepted))
            except OSError as exc:
                raise CheckError(f"{os.fspath(write_baseline)}: cannot write the baseline ({exc.strerror}); "
                                 "choose another path") from exc
            out.baseline_written = os.fspath(write_baseline)
        if add_on_pass and idx is not None:
            passing = [(d, c.document) for d, c in zip(new_docs, result) if c.passed]
            if passing:
                say("add")
                try:
                    added = idx.add([d for d, _ in passing], keys=[k for _, k in passing])
                except IndexStoreError as exc:
                    raise CheckError(str(exc)) from exc
                out.added = added.added + added.replaced
        return out
    finally:
        if owned and idx is not None:
            idx.close()


def _audit(new_docs: list[Document], new_keys: list[str], refs: list[tuple[str, Document]], cfg: AuditConfig,
           total: int, say: Progress) -> list[DocumentCheck]:
    """Run the audit's pairing and alignment on references + new documents; one DocumentCheck per new one."""
    from chachong.engine.local import assemble
    from chachong.stages.attribution import annotate_attribution
    from chachong.stages.cluster import stock_threshold
    from chachong.stages.prepare import prepare
    from chachong.stages.candidates import find_pairs

    # reference texts (r01..., --reference), then the reference set: the earlier documents, so
    # clusters name them as sources
    texts = reference_texts(cfg, new_docs)
    docs = renumber(texts + [d for _, d in refs] + new_docs, references=len(texts))
    keys = [d.source for d in texts] + [k for k, _ in refs] + new_keys
    first_new = len(texts) + len(refs)
    if cfg.stock_min_documents is None:
        # a formula is judged against the whole reference set, not the few candidates drawn from it
        cfg = cfg.replace(stock_min_documents=stock_threshold(cfg, total + len(new_docs)))
    say("sign")
    corpus = prepare(docs, cfg)
    say("pair")
    table = find_pairs(corpus)
    result = assemble(corpus, table, [], [], say)
    annotate_attribution(result, drop=False)
    pos = {d.id: i for i, d in enumerate(docs)}
    pairs_of: dict[str, list] = {d.id: [] for d in docs}
    for p in result.document_pair_records:
        pairs_of[p.a].append(p)
        pairs_of[p.b].append(p)
    par_pairs: dict[tuple[str, str], list] = {}
    for pp in result.paragraph_pair_records:
        da, db = pp.a.split(":")[0], pp.b.split(":")[0]
        par_pairs.setdefault((da, db), []).append(pp)
    out = []
    for i in range(first_new, len(docs)):
        doc = docs[i]
        st = result.stats[doc.id]
        matches = []
        kinds = {x["document"]: x["class"] for x in st.sources}
        partners = {p.b if p.a == doc.id else p.a: p for p in pairs_of[doc.id]}
        for other in sorted(set(partners) | set(st.copied), key=lambda x: pos[x]):
            j = pos[other]
            dp = partners.get(other)
            ivs = st.copied.get(other, [])
            ratio = round(sum(e - s for s, e in ivs) / max(len(doc.text), 1), 4)
            mine_first = i < j
            pps = par_pairs.get((doc.id, other) if mine_first else (other, doc.id), [])
            best = max(pps, key=lambda pp: (_similarity(pp), pp.a, pp.b), default=None)
            closest = None
            if best is not None:
                mine, theirs = (best.a, best.b) if mine_first else (best.b, best.a)
                closest = (mine.split(":")[1], theirs.split(":")[1], best.kind)
            passages = sorted((s[0], s[1], s[2], s[3]) if mine_first else (s[2], s[3], s[0], s[1])
                              for pp in pps for s in pp.spans)
            matches.append(Match(keys[j], docs[j].title, j >= first_new, ratio,
                                 dp.kind if dp else "partial", dp.jaccard if dp else 0.0,
                                 dp.shared_paragraphs if dp else 0,
                                 round(_similarity(best), 4) if best is not None else 0.0,
                                 passages, list(ivs), closest, cls=kinds.get(other, "copied")))
        matches.sort(key=lambda m: (-m.ratio, -m.similarity, m.document))
        ratios = {"copy_ratio_excluding_quotes": st.copy_ratio_excluding_quotes,
                  "copy_ratio_excluding_own": st.copy_ratio_excluding_own, "copy_ratio_net": st.copy_ratio_net,
                  "own_ratio": st.own_ratio}
        out.append(DocumentCheck(keys[i], doc.title, doc.source, len(doc.text), st.copy_ratio, st.copy_ratio,
                                 matches, None, text=doc.text, ratios=ratios, classes=st.classes))
    return out


def reference_texts(cfg: AuditConfig, new_docs: list[Document]) -> list[Document]:
    """The reference texts of ``cfg.references`` (ids ``r01``...); one that cannot be read is an error.

    Of an index (``chachong index build``) only the documents it proposes as candidates for
    ``new_docs`` are drawn, as for ``--index``.
    """
    from chachong.ingest.index_uri import is_index_uri
    from chachong.stages.load import with_references
    from chachong.stages.prepare import prepare

    indexed: list[Document] = []
    for uri in [r for r in cfg.references if is_index_uri(r)]:
        try:
            with Index.open(uri) as idx:
                found = idx.candidates(prepare(new_docs, idx.config), range(len(new_docs)))
                indexed += [d for _, d in idx.fetch(found)]
        except IndexStoreError as exc:
            raise CheckError(f"--reference {uri}: {exc}") from None
    texts, skipped, _ = with_references([], [], [], cfg, indexed)
    if skipped:
        raise CheckError(f"{skipped[0].path}: {skipped[0].reason} (a --reference text)")
    return texts


def _similarity(pp: Any) -> float:
    return float(pp.containment if pp.kind == "contained" else pp.jaccard)


def _judge(d: DocumentCheck, limits: Limits, accepted: Sequence[Accepted]) -> None:
    """Mark accepted matches, compute the checked ratio and the violations of ``d``."""
    ok = {(a.document, a.source): a.ratio for a in accepted}
    for m in d.matches:
        limit = ok.get((d.document, m.document))
        m.accepted = limit is not None and m.ratio <= limit + 1e-9
    live = [m for m in d.matches if not m.accepted]
    # the copied characters of the live matches, merged (one character copied from two sources counts
    # once), less those of the classes the limit's ratio leaves out
    left_out = merge([iv for c in RATIO_EXCLUDES[limits.ratio] for iv in d.classes.get(c, ())])
    covered = sum(e - s for s, e in subtract(merge([iv for m in live for iv in m.copied]), left_out))
    whole = {"total": d.copy_ratio, "excluding-quotes": d.ratios.get("copy_ratio_excluding_quotes"),
             "excluding-own": d.ratios.get("copy_ratio_excluding_own"), "net": d.ratios.get("copy_ratio_net")}
    d.checked_ratio = round(covered / max(d.chars, 1), 4) if len(live) < len(d.matches) else \
        whole[limits.ratio] if whole[limits.ratio] is not None else d.copy_ratio
    closest = max((m for m in live if m.closest), key=lambda m: m.similarity, default=None)
    d.most_similar = None if closest is None or closest.closest is None else {
        "similarity": closest.similarity, "paragraph": closest.closest[0], "source": closest.document,
        "source_paragraph": closest.closest[1], "kind": closest.closest[2]}
    d.violations = []
    if limits.fail_on:
        kinds = {"identical"} if limits.fail_on == ("identical",) else set(limits.fail_on) | {"identical"}
        for m in live:
            if m.kind in kinds:
                d.violations.append(Violation("fail-on", 1.0 if m.kind == "identical" else m.jaccard, None,
                                              m.document, f"{m.kind} to {m.document} ({m.title})"))
    if limits.max_copy_ratio is not None and d.checked_ratio > limits.max_copy_ratio:
        d.violations.append(Violation("max-copy-ratio", d.checked_ratio, limits.max_copy_ratio, None,
                                      f"{ratio_label(limits.ratio)} {pct(d.checked_ratio)} is above "
                                      f"{pct(limits.max_copy_ratio)}"))
    top = live[0] if live else None
    if limits.max_top_source_ratio is not None and top is not None and top.ratio > limits.max_top_source_ratio:
        d.violations.append(Violation("max-top-source-ratio", top.ratio, limits.max_top_source_ratio, top.document,
                                      f"{pct(top.ratio)} copied from {top.document} is above "
                                      f"{pct(limits.max_top_source_ratio)}"))
    sim = max((m.similarity for m in live), default=0.0)
    if limits.max_paragraph_similarity is not None and sim > limits.max_paragraph_similarity:
        m = max(live, key=lambda x: x.similarity)
        d.violations.append(Violation("max-paragraph-similarity", sim, limits.max_paragraph_similarity, m.document,
                                      f"a paragraph is {sim:.2f} similar to one of {m.document} "
                                      f"(limit {limits.max_paragraph_similarity:.2f})"))


__all__ = ["Accepted", "CheckError", "CheckResult", "DocumentCheck", "Limits", "Match", "Violation", "baseline_text",
           "check", "load_baseline"]
