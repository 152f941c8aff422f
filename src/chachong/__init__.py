"""chachong (查重): audit Chinese document compilations for copied content."""

# before anything imports numpy: its AVX2 sorts on AMD Zen 4, where its AVX-512 ones are 5x slower
from chachong.runtime.simd import prefer_avx2_sort

prefer_avx2_sort()

from chachong.version import __version__
from chachong.api import AuditResult, LoadedCorpus, audit, load_corpus, mine_phrases
from chachong.stages.load import load_documents
from chachong.index.check import check
from chachong.config import AuditConfig
from chachong.index.index import Index
from chachong.model import Cluster, Document, DocumentPair, Paragraph, ParagraphPair, Skipped, Source
from chachong.report.writer import write_report

__all__ = [
    "AuditConfig",
    "AuditResult",
    "Cluster",
    "Document",
    "DocumentPair",
    "Index",
    "LoadedCorpus",
    "Paragraph",
    "ParagraphPair",
    "Skipped",
    "Source",
    "__version__",
    "audit",
    "check",
    "load_corpus",
    "load_documents",
    "mine_phrases",
    "write_report",
]
