"""Document ids: ``d01`` ... in corpus order, and renumbering documents read apart.

Documents read one file at a time (a Dask read task), or gathered from an index and a submission
(``check``), are numbered from 1 in their own batch; :func:`renumber` gives them the ids of the
whole corpus, their paragraphs with them (``d07:p001`` ...), as the pipeline reports them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from chachong.model import Document, Paragraph, paragraph_id  # noqa: F401 - Paragraph: the doctest


def document_id(i: int, total: int, references: int = 0) -> str:
    """``d01`` ... numbered from 1, zero-padded to the corpus size (at least 2 digits); the first
    ``references`` places of the corpus are reference texts, ``r01`` ... (see :func:`is_reference`).

    >>> document_id(0, 9), document_id(41, 120), document_id(0, 12, 3), document_id(3, 12, 3)
    ('d01', 'd042', 'r01', 'd01')
    """
    if i < references:
        return f"r{i + 1:0{max(2, len(str(references)))}d}"
    return f"d{i - references + 1:0{max(2, len(str(total - references)))}d}"


def is_reference(doc_id: str) -> bool:
    """Whether a document id is a reference text's (``r01``...): matched, never audited or reported.

    >>> is_reference("r01"), is_reference("d01")
    (True, False)
    """
    return doc_id.startswith("r")


def renumber(docs: Sequence[Document], first: int = 0, total: int | None = None,
             references: int = 0) -> list[Document]:
    """The documents with the ids of places ``first``, ``first + 1`` ... of a corpus of ``total``
    (default: these documents alone), paragraphs renumbered with them.

    >>> d = Document("d1", "t", "a.txt", "甲乙", 1, (Paragraph("d1:p001", "d1", 0, 0, 2, 2, "甲乙"),))
    >>> [(x.id, x.paragraphs[0].id, x.paragraphs[0].document) for x in renumber([d], 4, 120)]
    [('d005', 'd005:p001', 'd005')]
    """
    total = len(docs) if total is None else total
    out = []
    for i, d in enumerate(docs):
        did = document_id(first + i, total, references)
        out.append(replace(d, id=did, paragraphs=d.paragraphs.renamed(did)))
    return out


__all__ = ["document_id", "is_reference", "paragraph_id", "renumber"]
