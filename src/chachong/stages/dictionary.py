"""Words of jieba's dictionary by part-of-speech tag: the set phrases and idioms stock phrasing
is made of (``l`` 习用语, ``i`` 成语, :mod:`.phrase_words`) and the place names a template swaps
(``ns``, :mod:`.describe`).

Read from jieba's ``dict.txt`` without importing jieba (``chachong check`` describes passages
too and never imports it). Reading its 349,046 lines takes about half a second, which was a third
of auditing a small compilation: the words of these tags are kept as JSON in chachong's private
cache folder (``text.wordseg.cache_dir``, where jieba keeps its own cache) and read back in a few
milliseconds while the dictionary file has the same path, size and modification time.
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path

from chachong.runtime.fsio import atomic_write_text
from chachong.text.wordseg import cache_dir

TAGS = ("i", "l", "ns")  # idioms, set phrases, place names
_FILE = "dictionary_tags.json"
_FORMAT = 1


def dictionary_file() -> Path | None:
    """jieba's main dictionary (``dict.txt`` beside its package), None when jieba is not installed."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "dict.txt"
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def tagged_words() -> dict[str, frozenset[str]]:
    """The words of each of :data:`TAGS` in jieba's dictionary (all empty without jieba)."""
    path = dictionary_file()
    if path is None:
        return {t: frozenset() for t in TAGS}
    st = path.stat()
    key = {"format": _FORMAT, "path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "tags": list(TAGS)}
    folder = cache_dir()
    kept = _cached(folder / _FILE, key) if folder is not None else None
    if kept is not None:
        return kept
    words: dict[str, set[str]] = {t: set() for t in TAGS}
    with open(path, "rb") as fh:
        for raw in fh:
            parts = raw.decode("utf-8").split()  # word, frequency, tag
            if len(parts) >= 3 and parts[2] in words:
                words[parts[2]].add(parts[0])
    if folder is not None:
        try:
            atomic_write_text(folder / _FILE, json.dumps(
                {"key": key, "words": {t: sorted(w) for t, w in words.items()}}, ensure_ascii=False))
        except OSError:
            pass  # read again next time
    return {t: frozenset(w) for t, w in words.items()}


def _cached(path: Path, key: dict) -> dict[str, frozenset[str]] | None:
    """The words kept in ``path`` when made from the dictionary ``key`` describes, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["key"] != key:
            return None
        out = {t: frozenset(data["words"][t]) for t in TAGS}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return out if all(isinstance(w, str) for ws in out.values() for w in ws) else None


__all__ = ["TAGS", "dictionary_file", "tagged_words"]
