"""jieba, set up once: quiet, and with its dictionary cache in a directory only this user can write.

jieba keeps the prefix dictionary it builds (about a second of work) in ``jieba.cache`` and
loads it with ``marshal`` on the next run. By default that file lives in the shared temporary
directory (``/tmp/jieba.cache``), where any local user can plant one; ``marshal`` is not safe
against crafted data. chachong points jieba at ``$XDG_CACHE_HOME/chachong`` (``~/.cache/chachong``)
created with mode 0700, or, when that cannot be made private, at a fresh private temporary
directory (the cache is then rebuilt once per process).
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any


def cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/chachong`` (``~/.cache/chachong``), made with mode 0700: None when it cannot
    be made or is not this user's alone (then nothing is cached across processes)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chachong"
    try:
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = base.stat()
        if st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return base
    except (OSError, RuntimeError):  # no home directory, read-only file system ...
        pass
    return None


def _private_dir() -> str:
    base = cache_dir()
    return str(base) if base is not None else tempfile.mkdtemp(prefix="chachong-jieba-")


@lru_cache(maxsize=1)
def jieba() -> Any:
    """The jieba module, its cache in a private directory and its log quiet (imported on first use)."""
    import jieba as _jieba  # type: ignore[import-untyped]

    _jieba.setLogLevel(logging.WARNING)
    if not _jieba.dt.initialized:
        _jieba.dt.tmp_dir = _private_dir()
    return _jieba


__all__ = ["cache_dir", "jieba"]
