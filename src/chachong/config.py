"""One settings object for the whole pipeline.

Every stage is a pure function of its inputs and an :class:`AuditConfig`. The
config is echoed verbatim in ``report.json`` (``settings``) so that a report
says exactly how it was made.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    tomllib = None  # type: ignore[assignment]


class ConfigError(ValueError):
    """A setting has a value chachong cannot use; the message names the fix."""


OCR_MODES = ("never", "auto", "always")
# settings of where and in how much memory an audit runs, not of its result (left out of to_dict)
RESOURCES = ("work_dir", "memory_limit")


def validate_ocr(mode: str) -> str:
    """``mode`` if it is one of :data:`OCR_MODES`; else ConfigError."""
    if mode not in OCR_MODES:
        raise ConfigError(f"ocr must be one of {', '.join(OCR_MODES)}, not {mode!r}")
    return mode


@dataclass(frozen=True)
class AuditConfig:
    """Settings of an audit, with the reason for each default.

    Reading
        encoding: ``None`` detects (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GB18030/GBK,
            Big5); a codec name forces it for every text file.
        split: ``"auto"`` splits a single compilation by its 目录 when it has one, else by
            heading heuristics; ``"toc"`` requires a 目录; ``"none"`` keeps each file whole.
        text_column / title_column: the columns of ``.csv``/``.jsonl`` sources holding a
            document's text and title (one document per row).
        max_file_mb: files larger than this many MiB (256) are skipped with a reason before
            any byte is read. 256 MiB is some 85 million Chinese characters, far beyond any
            compilation, so a bigger file is nearly always the wrong one (a dump, a video);
            reading needs about three times a file's size in memory, and the later stages more.
        ocr: ``"never"`` (the default) reads no image and only the text layer of PDFs;
            ``"auto"`` recognises images (.png/.jpg/.tif) and the PDF pages that have no text
            layer (scans) by OCR; ``"always"`` recognises every PDF page, ignoring its text
            layer (for a PDF whose text layer is garbage). Off by default because OCR needs the
            ``[ocr]`` extra and costs seconds a page, and because recognised text has errors
            that lower copy ratios: an auditor asks for it knowingly, and the report marks
            every document read by OCR with its mean recognition confidence.

    Normalisation (matching only; reports always show the original text)
        mask_digits: ``True`` masks every run of digits to one symbol, so a copy whose
            figures and dates were changed still matches (template reuse).
        mask_placeholders: ``True`` masks template placeholders (XX, X, x, 某某, ○○) to the
            same symbol, because an unfilled template and a filled copy are the same text.
        fold_variants: ``True`` reads a character the same however it is written, so the
            mechanical tricks of the 降重 trade do not hide a copy: Traditional and variant
            Han characters are folded to Simplified (爲/為 -> 为, 裏/裡 -> 里), one character for
            one, with OpenCC's own single-character tables read from the installed ``opencc``
            package (tw2t's TWVariantsRev and hk2t's HKVariantsRev, then t2s's TSCharactersExt
            over TSCharacters, first candidate, as OpenCC's tw2s/hk2s/t2s chain them). Its
            phrase tables are dropped (they choose by context: 乾隆 vs 乾燥, no per-character
            table can), so are the Japanese Shinjitai tables (their forms are Simplified
            characters of other meanings: 沪, 欠), and GB 2312 characters are never folded (著,
            么, 後, 於 are also Simplified characters), so Simplified text is matched exactly as
            before. Letters of other scripts that look like Latin letters, digits or punctuation
            (Cyrillic а/Т, Greek ο, Lisu ꓸ; Unicode's confusables) read as what they imitate,
            o/l/i between two digits as 0/1, and invisible marks (variation selectors, Hangul
            fillers) are dropped like the zero-width characters always are. Details:
            :mod:`chachong.text.variants`, :mod:`chachong.text.lookalike`. ``False`` is the
            normalisation of chachong before this setting, and what an index that does not
            record the setting was built with.

    Shingling and MinHash
        shingle: ``"char"`` character k-grams (fast, no dictionary); ``"word"`` jieba word
            k-grams (slower, more robust to reordering within phrases).
        k: shingle size. 5 characters is long enough that two independent Chinese texts
            share few shingles by chance, short enough that a 13-character copied span still
            contributes several shingles.
        num_perm / seed / scheme: datasketch 2.x MinHash parameters; signatures are
            bit-identical to ``datasketch.MinHash(num_perm, seed, scheme=scheme,
            hashfunc=chachong.text.shingle.shingle_hash)``. 128 permutations estimate Jaccard to
            about ±0.04, enough for candidate generation since every pair is verified.
        bands / rows: LSH banding; ``None`` chooses them from ``threshold`` so that a pair at
            the threshold is a candidate with probability >= 0.995.

    Pairing
        threshold: exact Jaccard at which two paragraphs are a near-duplicate pair. 0.5 on
            5-grams means most of the wording is shared; independent reports on one topic
            measure below 0.2.
        containment: share of the shorter paragraph's shingles found in the longer one
            above which the pair is reported as ``contained`` (a paragraph copied into a
            longer one).
        min_paragraph_chars: paragraphs with fewer canonical characters (headings such as
            一、工作开展情况, salutations such as 各位代表：) are never used to pair paragraphs
            or documents; 20 characters is longer than nearly every heading.
        document_threshold: document Jaccard at or above which two documents are
            ``near-duplicate`` (``identical`` when their canonical texts are equal).
        stock_min_documents: a group of identical or near-duplicate paragraphs spread over
            at least this many independent documents (copies of one document count once)
            is a stock paragraph (a ritual formula such as the opening of every 政府工作报告),
            reported under ``stock_paragraphs`` and not as copying. ``None`` means
            max(5, 3 % of the independent documents): five units writing the same
            paragraph independently is a formula, not a copy.

    Stock phrases (套话, phrases.py)
        phrase_min_documents: independent documents (copies of one document count once, and
            so do documents whose occurrences sit in a copied paragraph pair) a phrase must
            occur in to be a stock phrase. ``None`` means max(3, 2 % of the
            independent documents): three units writing the same words independently is a
            formula in a small compilation, and 2 % keeps large corpora to phrases an editor
            would call formulaic rather than every common collocation.
        phrase_min_chars / phrase_max_chars: length of a phrase in canonical characters (a
            run of digits or a placeholder is one character and does not count towards the
            minimum). 4 is the shortest formula (切实加强, 三会一课); above 30 a shared
            string is a sentence, reported as copying or as a stock paragraph.
        phrase_closure: a phrase is dropped when a longer phrase containing it keeps at
            least this share of its documents (0.9: 二十大精神 goes when nearly every
            document writing it writes 学习贯彻党的二十大精神; a part used on its own in more
            than a tenth of its documents is a formula of its own).
        phrase_report_limit: the report lists this many stock phrases, most widespread first
            (1,000: more than anyone reads; 143 city reports share 46,000 phrases of three
            documents or more, 27 MB of report.json). ``0`` lists all. Shares
            (``stock_ratio``, ``copy_ratio_excluding_stock``) always count every phrase.

    Alignment and copy ratios
        min_span: shortest copied passage that counts, in canonical characters (13, the
            figure commercial 查重 services are known for).

    Engine
        workers: processes for the heavy stages; ``0`` means one per core.
        work_dir: the folder in which an audit larger than memory keeps its intermediate data
            (code points, shingle hashes, signatures, fingerprint index as mapped files; pair rows
            as Parquet partitions), in a private subfolder removed when the audit ends, fails or
            is interrupted (:mod:`chachong.runtime.workdir`). ``None``: the system's temporary
            folder, and only when the audit spills. A full folder stops the audit with an error
            naming it, and no report is written.
        memory_limit: GiB an in-memory audit may take; one estimated to need more (40 bytes per
            character of text, measured) spills to ``work_dir``. ``None``: the memory the machine
            has available when the audit starts, so small audits stay in memory as they always
            did; ``0`` spills always (tests, or a machine shared with other jobs). Neither setting
            changes the result: both are left out of the report's settings (:meth:`to_dict`).
            The local engine reads them; the Dask engine holds one partition per task instead.

    Attribution (stages/attribution.py, ingest/metadata.py)
        references: reference texts (laws, central documents, speeches: files or folders)
            matched like any source but never audited nor reported as documents; their ids
            are ``r01``...; a passage copied from one is classed ``reference``. Empty by
            default: without references a passage is ``quoted`` or ``copied`` only.
        metadata: a CSV file (columns ``path`` or ``title``, ``unit``, ``year``) giving each
            document its unit and year; ``None``: no metadata, so nothing is classed ``own``.
        meta_pattern: a regular expression with named groups ``unit`` and ``year`` searched in
            each document's file name, instead of (or besides: the CSV wins) ``metadata``.
        unit_column / year_column: columns of .csv/.jsonl sources holding each row's unit and
            year (``None``: not read; they win over the pattern, the CSV file over them).
        max_own_ratio: share of a document reused from the same unit's previous-year document
            above which the year-over-year table flags it (0.5: half of a summary written
            again from last year's is what auditors call 照抄往年; below that, reusing the
            standing parts of a report is normal).
    """

    # reading
    encoding: str | None = None
    split: str = "auto"
    text_column: str = "text"
    title_column: str = "title"
    max_file_mb: int = 256
    ocr: str = "never"
    # normalisation
    mask_digits: bool = True
    mask_placeholders: bool = True
    fold_variants: bool = True
    # shingles and signatures
    shingle: str = "char"
    k: int = 5
    num_perm: int = 128
    seed: int = 1
    scheme: str = "affine32"
    bands: int | None = None
    rows: int | None = None
    # pairing
    threshold: float = 0.5
    containment: float = 0.8
    min_paragraph_chars: int = 20
    document_threshold: float = 0.8
    stock_min_documents: int | None = None
    # stock phrases
    phrase_min_documents: int | None = None
    phrase_min_chars: int = 4
    phrase_max_chars: int = 30
    phrase_closure: float = 0.9
    phrase_report_limit: int = 1000
    # alignment
    min_span: int = 13
    # engine
    workers: int = 0
    work_dir: str | None = None
    memory_limit: float | None = None
    # attribution
    references: tuple[str, ...] = ()
    metadata: str | None = None
    meta_pattern: str | None = None
    unit_column: str | None = None
    year_column: str | None = None
    max_own_ratio: float = 0.5

    def __post_init__(self) -> None:
        if self.split not in ("auto", "toc", "none"):
            raise ConfigError(f"split must be auto, toc or none, not {self.split!r}")
        validate_ocr(self.ocr)
        if self.shingle not in ("char", "word"):
            raise ConfigError(f"shingle must be char or word, not {self.shingle!r}")
        if self.scheme != "affine32":
            raise ConfigError(f"scheme {self.scheme!r} is not supported; use affine32")
        if self.k < 1:
            raise ConfigError("k must be at least 1")
        if self.num_perm < 8:
            raise ConfigError("num_perm must be at least 8")
        for name in ("threshold", "containment", "document_threshold"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise ConfigError(f"{name} must be in (0, 1], not {v}")
        if (self.bands is None) != (self.rows is None):
            raise ConfigError("give both bands and rows, or neither")
        if self.bands is not None and self.rows is not None and self.bands * self.rows > self.num_perm:
            raise ConfigError("bands x rows must not exceed num_perm")
        if self.min_span < 1 or self.min_paragraph_chars < 0:
            raise ConfigError("min_span must be >= 1 and min_paragraph_chars >= 0")
        if self.workers < 0:
            raise ConfigError("workers must be >= 0")
        if self.memory_limit is not None and not self.memory_limit >= 0:
            raise ConfigError(f"memory_limit must be >= 0 GiB (0 spills always), not {self.memory_limit}")
        if self.work_dir is not None and not isinstance(self.work_dir, str):
            object.__setattr__(self, "work_dir", str(self.work_dir))
        if not 2 <= self.phrase_min_chars <= self.phrase_max_chars:
            raise ConfigError("phrase_min_chars must be at least 2 and at most phrase_max_chars")
        if not 0.0 < self.phrase_closure <= 1.0:
            raise ConfigError(f"phrase_closure must be in (0, 1], not {self.phrase_closure}")
        if self.phrase_report_limit < 0:
            raise ConfigError("phrase_report_limit must be >= 0 (0 lists every stock phrase)")
        if self.phrase_min_documents is not None and self.phrase_min_documents < 2:
            raise ConfigError("phrase_min_documents must be at least 2 (a phrase of one document is not stock)")

        if not isinstance(self.references, tuple):
            refs = self.references
            object.__setattr__(self, "references", (str(refs),) if isinstance(refs, (str, Path)) else
                               tuple(str(x) for x in refs))
        if not 0.0 <= self.max_own_ratio <= 1.0:
            raise ConfigError(f"max_own_ratio must be between 0 and 1, not {self.max_own_ratio}")

    def to_dict(self) -> dict[str, Any]:
        """The settings that shape a result (reports echo them): all but :data:`RESOURCES`."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in RESOURCES}

    def replace(self, **changes: Any) -> "AuditConfig":
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "AuditConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        clean = {str(k).replace("-", "_"): v for k, v in values.items()}
        unknown = set(clean) - names
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**clean)

    def signature_key(self) -> dict[str, Any]:
        """Settings that must agree for two signatures to be comparable."""
        return {
            "shingle": self.shingle,
            "k": self.k,
            "num_perm": self.num_perm,
            "seed": self.seed,
            "scheme": self.scheme,
            "mask_digits": self.mask_digits,
            "mask_placeholders": self.mask_placeholders,
            "fold_variants": self.fold_variants,
        }


def load_pyproject_settings(start: Path | None = None) -> dict[str, Any]:
    """Read ``[tool.chachong]`` from the nearest pyproject.toml at or above ``start``."""
    if tomllib is None:
        return {}
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{candidate}: cannot read [tool.chachong] ({exc}); fix the TOML") from exc
            section = data.get("tool", {}).get("chachong", {})
            if not isinstance(section, dict):
                raise ConfigError(f"{candidate}: [tool.chachong] must be a table")
            return dict(section)
    return {}


DEFAULT = AuditConfig()
