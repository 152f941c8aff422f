"""Reading ``.txt`` and ``.md`` files: one Source each, its encoding detected unless given."""

from __future__ import annotations

from chachong.ingest.cleanup import finish_text
from chachong.ingest.encoding import decode_bytes
from chachong.ingest.errors import Limits
from chachong.ingest.files import read_bytes
from chachong.model import Source

__all__ = ["read_text"]


def read_text(fs_path: str, display: str, encoding: str | None, limits: Limits) -> list[Source]:
    data = read_bytes(fs_path, limits)
    text, codec, warnings = decode_bytes(data, encoding)
    del data  # not needed any more: the clean-up below may copy the text once
    text = finish_text(text, warnings)
    return [Source(path=display, text=text, encoding=codec, kind="text", warnings=tuple(warnings))]
