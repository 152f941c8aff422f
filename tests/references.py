"""The copied-interval rule spelled out, for tests (imported by test_coverage and test_docstats)."""

from bisect import bisect_left


def covered_reference(corpus, d, intervals):
    """Intervals merge when they overlap or only non-canonical text (punctuation, white space)
    lies between them; a run reaching the first or last canonical character reaches the text's edge."""
    base, end = int(corpus.doc_offsets[d]), int(corpus.doc_offsets[d + 1])
    starts = corpus.orig_start[base:end].tolist()
    out = []
    for s, e in sorted(intervals):
        if out and (s <= out[-1][1] or bisect_left(starts, s) == bisect_left(starts, out[-1][1])):
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    if out and starts:
        if out[0][0] <= starts[0]:
            out[0][0] = 0
        if out[-1][1] >= int(corpus.orig_end[end - 1]):
            out[-1][1] = len(corpus.documents[d].text)
    return [(s, e) for s, e in out]
