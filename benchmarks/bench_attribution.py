"""Accuracy of attribution (issue 19) on a generated corpus with its truth (attribution_data.py).

Prints, for the whole corpus:

- quoted_recall: share of the characters quoted from the law (in marks, cited or bare) that the
  audit classes ``reference`` or ``quoted`` (target >= 0.95);
- mae_excluding_quotes: mean absolute error of ``copy_ratio_excluding_quotes`` against the truth
  (characters shared with another document that are neither law nor quoted / characters;
  target <= 0.02), and the largest error;
- quoted_not_counted: share of those characters left out of ``copy_ratio_excluding_quotes``
  (classed reference or quoted, or not copied at all);
- own_across_units: passages classed ``own`` between documents of two different units (target 0).

Usage: python benchmarks/bench_attribution.py [--units 8] [--seed 3] [--no-reference] [--engine local|dask]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import attribution_data  # noqa: E402


def _merge(ivs):
    out = []
    for s, e in sorted(ivs):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def _overlap(a, b) -> int:
    """Characters in both lists of merged intervals."""
    i = j = n = 0
    while i < len(a) and j < len(b):
        n += max(0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=8)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--no-reference", action="store_true", help="audit without --reference (quote marks only)")
    ap.add_argument("--engine", default="local")
    args = ap.parse_args()
    from chachong.api import audit

    with tempfile.TemporaryDirectory() as tmp:
        truth = attribution_data.build(tmp, units=args.units, years=attribution_data.YEARS, seed=args.seed)
        refs = () if args.no_reference else (str(Path(tmp) / "refs"),)
        r = audit([str(Path(tmp) / "docs")], references=refs, meta_pattern=r"(?P<unit>[^_/]+)_(?P<year>\d{4})",
                  engine=args.engine)
        by_name = {Path(d.source).name: d for d in r.document_records}
        texts = {}
        for name, t in truth["documents"].items():
            for _, _, _, piece in t["spans"]:
                texts.setdefault(piece, set()).add(name)
        quoted_total = quoted_hit = quoted_out = 0
        errors = []
        for name, t in truth["documents"].items():
            doc = by_name[Path(name).name]
            st = r.stats[doc.id]
            first = t["spans"][0]
            shift = doc.text.find(first[3]) - first[0]  # the document text may start after the title line
            law = _merge([(s + shift, e + shift) for s, e, kind, _ in t["spans"] if kind == "law"])
            classed = _merge([tuple(iv) for c in ("reference", "quoted") for iv in st.classes.get(c, [])])
            quoted_total += sum(e - s for s, e in law)
            quoted_hit += _overlap(law, classed)
            counted = _merge([tuple(iv) for c in ("own", "copied") for iv in st.classes.get(c, [])])
            quoted_out += sum(e - s for s, e in law) - _overlap(law, counted)
            shared = sum(e - s for s, e, kind, piece in t["spans"] if kind != "law" and len(texts[piece]) > 1)
            errors.append(abs(st.copy_ratio_excluding_quotes - shared / max(len(doc.text), 1)))
        units = {d.id: r.stats[d.id].unit for d in r.document_records}
        own = [p for p in r.passage_records if r.passage_classes[p.id] == "own"]
        across = [p for p in own if units.get(p.a) != units.get(p.b)]
        print(f"documents {len(r.document_records)}, reference texts {len(r.reference_records)}, "
              f"passages {len(r.passage_records)} ({len(own)} own)")
        print(f"quoted_recall {quoted_hit / max(quoted_total, 1):.4f} ({quoted_hit} of {quoted_total} law characters "
              "classed reference or quoted; target >= 0.95)")
        print(f"quoted_not_counted {quoted_out / max(quoted_total, 1):.4f} (law characters left out of "
              "copy_ratio_excluding_quotes: classed reference or quoted, or copied by no other document)")
        print(f"mae_excluding_quotes {sum(errors) / len(errors):.4f} (max {max(errors):.4f}; target <= 0.02)")
        print(f"own_across_units {len(across)} (target 0)")


if __name__ == "__main__":
    main()
