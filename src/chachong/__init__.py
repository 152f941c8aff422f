"""chachong (查重): audit Chinese document compilations for copied content."""

__version__ = "0.1.0"

from chachong.api import LoadedCorpus, load_corpus, mine_phrases
from chachong.audit import audit, load_documents
from chachong.check import check
from chachong.config import AuditConfig
from chachong.index import Index
from chachong.model import Cluster, Document, DocumentPair, Paragraph, ParagraphPair, Skipped, Source
from chachong.report.writer import write_report
from chachong.result import AuditResult

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
