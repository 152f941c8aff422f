"""Accuracy and speed of reading the formats government offices circulate (issue 18).

The ten documents of ``examples/compilation.txt`` (text we wrote) are made into:

- ``.docx`` by python-docx (title, headings, paragraphs), then ``.doc``, ``.odt`` and ``.rtf`` by
  LibreOffice, and ``.wps`` = the ``.doc`` renamed (Kingsoft WPS writes Word 97-2003 inside a
  ``.wps``; LibreOffice cannot write ``.wps``);
- ``.ofd`` by benchmarks/formatfiles.py (a 公文 page layout, GB/T 33190 package);
- a scanned PDF: each page drawn at 200 dpi with a CJK font (WenQuanYi Micro Hei), turned by 0.3
  degrees, blurred, speckled and JPEG-compressed, saved as an image-only PDF.

Then each is read by chachong (``read_sources``, OCR with ``--ocr auto``) and measured:

- character accuracy = 1 - Levenshtein distance / length of the source text, white space removed
  on both sides (line breaks and spaces are layout, not text): the targets are >= 0.99 for
  .doc/.wps/.rtf/.odt/.ofd and >= 0.95 for OCR at 200 dpi;
- the copy ratio of each scan against its born-digital original (the .docx), audited as a pair
  (target >= 0.9), in both directions;
- throughput: files a second for everything LibreOffice converts (one ``read_sources`` of the 40
  files: conversion and reading), pages a second for OCR.

    python benchmarks/formats.py                 # all ten documents (20 pages of OCR)
    python benchmarks/formats.py --documents 3   # a quick look
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import formatfiles as ff  # noqa: E402

from chachong.api import audit  # noqa: E402
from chachong.config import AuditConfig  # noqa: E402
from chachong.stages.load import documents_from_sources  # noqa: E402
from chachong.ingest.read import read_sources  # noqa: E402


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions), a row of the table at a time in numpy:
    the insertion chain along a row is a running minimum."""
    if not a or not b:
        return len(a) + len(b)
    bs = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    ramp = np.arange(len(b) + 1)
    row = ramp.copy()
    for i, ch in enumerate(a, 1):
        cost = (bs != ord(ch)).astype(np.int64)
        best = np.empty_like(row)
        best[0] = i
        best[1:] = np.minimum(row[1:] + 1, row[:-1] + cost)
        row = np.minimum.accumulate(best - ramp) + ramp
    return int(row[-1])


def accuracy(got: str, expected: str) -> float:
    a, b = "".join(got.split()), "".join(expected.split())
    return 1 - levenshtein(a, b) / len(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10, help="documents of the example compilation to use")
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    args = parser.parse_args()

    docs = ff.compilation_documents()[: args.documents]
    root = args.keep or Path(tempfile.mkdtemp(prefix="formats-"))
    expected: dict[str, str] = {}
    made: dict[str, list[Path]] = {"docx": [], "ofd": [], "scan": []}
    t = time.perf_counter()
    for n, (title, paras) in enumerate(docs):
        stem = f"{n:02d}"
        expected[stem] = "\n".join([title, *paras])
        made["docx"].append(ff.write_docx(root / "docx" / f"{stem}.docx", title, paras,
                                          heading_prefixes=("一、", "二、", "三、", "四、", "五、")))
        made["ofd"].append(ff.write_ofd(root / "ofd" / f"{stem}.ofd", title, paras))
        made["scan"].append(ff.write_scan(root / "scan" / f"{stem}.pdf", title, paras, dpi=args.dpi, degrade=True))
    for ext in ("doc", "odt", "rtf", "wps"):
        made[ext] = ff.convert(made["docx"], ext, root / ext)
    pages = sum(len(ff.lay_out(title, paras)) for title, paras in docs)
    print(f"made {len(docs)} documents ({pages} pages) in 7 formats under {root} in {time.perf_counter() - t:.1f} s")

    # ---- LibreOffice formats: one read of all of them, as a folder would be
    office = [p for ext in ("doc", "wps", "rtf", "odt") for p in made[ext]]
    t = time.perf_counter()
    sources, skipped = read_sources(office)
    office_seconds = time.perf_counter() - t
    assert not skipped, skipped
    got = {s.path: s.text for s in sources}
    results: dict[str, list[float]] = {}
    for ext in ("doc", "wps", "rtf", "odt", "ofd"):
        if ext == "ofd":
            t = time.perf_counter()
            read, bad = read_sources(made["ofd"])
            assert not bad, bad
            ofd_seconds = time.perf_counter() - t
            got.update({s.path: s.text for s in read})
        results[ext] = [accuracy(got[p.as_posix()], expected[p.stem]) for p in made[ext]]

    # ---- scans by OCR, page by page
    t = time.perf_counter()
    scanned, bad = read_sources(made["scan"], ocr="auto")
    ocr_seconds = time.perf_counter() - t
    assert not bad, bad
    results["scan"] = [accuracy(s.text, expected[Path(s.path).stem]) for s in scanned]
    confidence = [s.ocr_confidence for s in scanned]

    # ---- copy ratio of each scan against its original, audited as a pair (the scans as read above)
    ratios: list[tuple[float, float]] = []
    originals, bad = read_sources(made["docx"])
    assert not bad, bad
    for original, scan in zip(originals, scanned):
        documents, _, _ = documents_from_sources([original, scan], AuditConfig(ocr="auto"))
        r = audit(documents)
        a, b = r.document_records
        ratios.append((r.stats[b.id].copy_ratio, r.stats[a.id].copy_ratio))

    print()
    print("character accuracy (1 - edit distance / characters, white space removed), per format:")
    print(f"  {'format':<10} {'files':>5} {'min':>7} {'mean':>7}  target")
    for ext, values in results.items():
        target = 0.95 if ext == "scan" else 0.99
        name = f"OCR {args.dpi}dpi" if ext == "scan" else ext
        mark = "ok" if min(values) >= target else "BELOW"
        print(f"  {name:<10} {len(values):>5} {min(values):>7.4f} {np.mean(values):>7.4f}  >= {target} {mark}")
    print(f"OCR mean recognition confidence: min {min(confidence):.4f}, mean {np.mean(confidence):.4f}")
    copy, back = zip(*ratios)
    print(f"copy ratio scan vs its original (target >= 0.9): scan min {min(copy):.4f} mean {np.mean(copy):.4f}; "
          f"original min {min(back):.4f} mean {np.mean(back):.4f}")
    print(f"throughput: LibreOffice {len(office)} files in {office_seconds:.1f} s = {len(office) / office_seconds:.2f}"
          f" files/s (conversion and reading); OFD {len(made['ofd']) / ofd_seconds:.1f} files/s; "
          f"OCR {pages} pages in {ocr_seconds:.1f} s = {pages / ocr_seconds:.3f} pages/s")
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
